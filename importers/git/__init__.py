"""Git importer: walk first-parent history, map diffs to session changes, land them."""
