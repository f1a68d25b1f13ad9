"""Entry point of the ``mic`` command: assembles the command groups."""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING

from micelio.cli import errors

if TYPE_CHECKING:
    import typer


@functools.cache
def _root() -> typer.Typer:
    """The bare root app (typer is imported only by the commands that parse with it)."""
    import typer

    return typer.Typer(
        name="mic",
        help="Session-based version control. Git tracks what; mic tracks why.\n\n"
        "`mic --version` prints the version.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        # Plain help, as git prints it: rich's panels cost 50 ms of imports on every --help.
        rich_markup_mode=None,
    )


def version_line() -> str:
    """``mic X.Y.Z``, from the installed package's metadata."""
    from importlib.metadata import version

    return f"mic {version('mic')}"


@functools.cache
def build() -> typer.Typer:
    """The `mic` app with every command group, assembled once per process."""
    # Each group lives in its own module; registration order is the order of `mic --help`.
    from micelio.cli import coercion

    coercion.install()
    app = _root()
    from micelio.cli import (
        checkout_cmd,
        export_cmd,
        history_cmd,
        import_cmd,
        mcp_cmd,
        migrate_cmd,
        org_cmd,
        session_cmd,
        status_cmd,
        sync_cmd,
        token_cmd,
    )
    from micelio.server import command as server_command

    app.add_typer(server_command.app, name="server")
    app.add_typer(org_cmd.org_app, name="org")
    app.add_typer(org_cmd.project_app, name="project")
    app.add_typer(token_cmd.app, name="token")
    app.add_typer(session_cmd.app, name="session")
    app.command("checkout")(checkout_cmd.checkout)
    app.command("sync")(sync_cmd.sync)
    app.command("resolve")(sync_cmd.resolve)
    app.command("status")(status_cmd.status)
    app.command("diff")(status_cmd.diff)
    app.command("restore")(status_cmd.restore)
    app.command("log")(history_cmd.log)
    app.command("blame")(history_cmd.blame)
    app.command("cat")(history_cmd.cat)
    app.command("ls")(history_cmd.ls)
    app.add_typer(import_cmd.app, name="import")
    app.command("verify")(import_cmd.verify)
    app.add_typer(export_cmd.app, name="export")
    app.add_typer(migrate_cmd.app, name="migrate")
    app.command("mcp")(mcp_cmd.mcp)
    return app


def main() -> None:
    # `mic --version` is answered before typer: an option of the root would be parsed (and
    # cost typer's type coercion imports) on every command.
    if sys.argv[1:] == ["--version"]:
        print(version_line())
        sys.exit(errors.OK)
    # `mic status` is run most and should feel instant: a plain command line skips typer.
    if sys.argv[1:2] == ["status"]:
        from micelio.cli import status_view

        fast = status_view.fast_args(sys.argv[1:])
        if fast is not None:
            errors.run_plain(lambda: status_view.show(*fast), as_json=fast[2])
    errors.run(build())


if __name__ == "__main__":
    main()
