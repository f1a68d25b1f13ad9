"""Group the first-parent commits of a Git history into sessions, roughly one pull request each.

Pure: no I/O beyond reading the shipped ``model.json``. Modules, one job each:

- ``sessions``: the records (``Decision``, ``PlannedSession``, ``STRATEGIES``).
- ``planner``: ``plan_sessions`` / ``plan_spans``, the four strategies.
- ``identifiers``: sessions settled by Change-Id, pull request merges, "(#N)", "Fixes #N".
- ``features``, ``runs``, ``model``, ``segment``: the content-only ``cluster`` segmentation
  (pair features propose cuts; run features, whole runs against each other, withdraw some).
- ``goals``, ``decisions``: a session's goal and the decisions its messages state.
- ``text``: message parsers shared by the above.
- ``corpus``, ``train``: the development corpora, scores, and the fit behind ``model.json``.
"""

from .planner import plan_sessions, plan_spans
from .sessions import STRATEGIES, Decision, PlannedSession

__all__ = ["STRATEGIES", "Decision", "PlannedSession", "plan_sessions", "plan_spans"]
