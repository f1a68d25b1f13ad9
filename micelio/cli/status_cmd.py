"""`mic status`, `mic diff` and `mic restore`: the working directory at the terminal.

``workdir.status`` and ``workdir.compare`` do the work; these commands parse and print. Text
goes to stdout without rich (start-up time: `mic status` imports neither rich nor pydantic),
names with control characters escaped; a diff's lines are the files' exact bytes, coloured
only on a terminal (and not with ``NO_COLOR`` set), as git does.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from micelio.cli.errors import NOT_FOUND, USAGE, CliError
from micelio.cli.history_cmd import ProjectOpt, project_path, shown_path, target
from micelio.cli.output import JsonOpt, ServerOpt, TokenOpt, connect, print_json, safe

if TYPE_CHECKING:
    from micelio.diffs import FileDiff


def status(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Session, base and head positions, pending changes and conflicts of this checkout.

    JSON (stable, see docs/cli-json.md): {"root", "organization", "project", "session_id",
    "base_position", "head_position", "behind", "changes": [{"file_path", "change_type",
    "mode", "size"}], "counts": {"added", "modified", "deleted"}, "conflicts", "invalid"}.
    """
    from micelio.cli import status_view

    status_view.show(server, token, as_json)


# --- diff -------------------------------------------------------------------------------------

_COLORS = {"meta": b"\x1b[1m", "hunk": b"\x1b[36m", "deleted": b"\x1b[31m", "added": b"\x1b[32m"}
_RESET = b"\x1b[m"


def use_color() -> bool:
    """Colour on a terminal, as git's ``color.ui=auto``; never when piped or with NO_COLOR."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def diff_bytes(diffs: list[FileDiff], *, color: bool) -> bytes:
    out = []
    for d in diffs:
        for kind, line in d.lines:
            code = _COLORS.get(str(kind)) if color else None
            out.append(code + line + _RESET + b"\n" if code else line + b"\n")
    return b"".join(out)


PathsArg = Annotated[
    list[str] | None,
    typer.Argument(metavar="[PATH]...", help="Only these files or folders.", show_default=False),
]


def diff(
    path: PathsArg = None,
    stat: Annotated[bool, typer.Option("--stat", help="Changed files and line counts.")] = False,
    from_: Annotated[
        int | None,
        typer.Option(
            "--from", metavar="N", help="Compare position N (to --to, or the head).", min=0
        ),
    ] = None,
    to: Annotated[
        int | None,
        typer.Option("--to", metavar="M", help="Compare to position M (alone: M-1 to M).", min=0),
    ] = None,
    project: ProjectOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """The working directory's changes against its base, or between two positions."""
    from micelio import diffs
    from micelio.workdir import compare, workflow

    between = from_ is not None or to is not None
    where = target(project)
    wanted = [project_path(where, p) for p in path or []]
    cut = None
    with connect(server, token, fallback=where.server) as mic:
        if between:
            found, cut = compare.positions_diff(
                mic,
                where.organization,
                where.project,
                from_,
                to,
                wanted,
                shown_path,
                stat_only=stat,
            )
        else:
            if where.root is None:
                raise CliError("not in a mic checkout: pass --from/--to and --project", USAGE)
            root, state = workflow.current(where.root)
            found = compare.working_diff(mic, root, state, wanted, shown_path)
    if cut is not None:
        # The server's caps (docs/architecture.md): said on stderr, the diff shown is whole.
        sys.stderr.write(
            f"warning: diff cut short: {cut.files_left} more files ({safe(cut.reason)})\n"
        )
    if stat:
        text = diffs.stat_lines(found)
        sys.stdout.write("".join(line + "\n" for line in text) if text else "no changes\n")
        return
    if not found:
        sys.stderr.write("no changes\n")
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(diff_bytes(found, color=use_color()))
    sys.stdout.buffer.flush()


# --- restore ----------------------------------------------------------------------------------


def restore(
    path: Annotated[list[str], typer.Argument(metavar="PATH...", help="Files or folders.")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Put files back as the base position has them (deleted ones too; new files stay)."""
    from micelio import paths
    from micelio.workdir import compare, workflow

    where = target(None)
    assert where.root is not None  # target(None) is a checkout or an error
    wanted = [project_path(where, p) for p in path]
    root, state = workflow.current(where.root)
    with connect(server, token, fallback=state.server) as mic:
        try:
            written = compare.restore(mic, root, state, wanted)
        except compare.NotInBase as exc:
            raise CliError(str(exc), NOT_FOUND) from None
    if as_json:
        print_json({"restored": [paths.display(p) for p in written]})
        return
    if not written:
        sys.stdout.write("nothing to restore: no changes there\n")
    for p in written:
        sys.stdout.write(f"restored {shown_path(p)}\n")
