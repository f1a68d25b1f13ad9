"""`mic sync` and `mic resolve`: bring a checkout to another position, merging its edits.

Exit codes: 0 synced (or already there); 4 (``CONFLICT``) the sync left conflicts, listed on
stdout and named in the error line; 6 (``STATE``) a sync's conflicts are still unresolved, or
there is none to abort. JSON shapes: docs/cli-json.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from micelio.cli import output
from micelio.cli.errors import CONFLICT, INTERRUPTED, USAGE, CliError
from micelio.cli.output import JsonOpt, ServerOpt, TokenOpt, connect, print_json, shown, split_ref

if TYPE_CHECKING:
    from micelio.workdir.syncstate import Journal


def _shown(path: bytes) -> str:
    from micelio import paths

    return shown(paths.display(path))


def _json(journal: Journal, resumed: bool) -> dict[str, Any]:
    from micelio.workdir.sync import journal_to_dict

    return journal_to_dict(journal, resumed)


def _interrupted(root: Path) -> str:
    from micelio.workdir import syncstate

    if syncstate.load_journal(root) is None:
        return "interrupted: nothing changed here"
    return "interrupted: run `mic sync` to finish the sync, or `mic sync --abort` to undo it"


def sync(
    ref: Annotated[
        str | None,
        typer.Argument(
            metavar="[ORG/PROJECT]",
            help="The project (default: this checkout's; it must be this checkout's).",
            show_default=False,
        ),
    ] = None,
    at: Annotated[
        int | None,
        typer.Option("--at", min=0, metavar="N", help="Sync to position N (default: the head)."),
    ] = None,
    abort: Annotated[
        bool, typer.Option("--abort", help="Put the directory back as it was before the sync.")
    ] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Bring this checkout to the head (or --at N), merging its local edits; the active
    session stays and its base moves. A sync cut short is finished by running it again.

    Exit 4 when conflicts remain: fix the files, then `mic resolve PATH...`."""
    from micelio.workdir import sync as sync_
    from micelio.workdir import workflow

    root, state = workflow.current(Path.cwd())
    if ref is not None and split_ref(ref) != (state.organization, state.project):
        raise CliError(f"this directory is a checkout of {state.ref}, not {ref}", USAGE)
    with connect(server, token, fallback=state.server) as mic:
        if abort:
            journal = sync_.abort(mic, root)
            if as_json:
                print_json({"aborted": True, "position": journal.from_position})
            else:
                output.console.print(
                    f"sync aborted: back at position {journal.from_position}, files as before"
                )
            return
        # A landing whose catch-up was cut short, or a session ended elsewhere: finish
        # recording that, then sync.
        state, note = workflow.settle_ended(mic, root, state)
        if note:
            output.err_console.print(f"note: {shown(note)}")
        try:
            report = sync_.run(mic, root, state, at)
        except KeyboardInterrupt:
            raise CliError(_interrupted(root), INTERRUPTED) from None
    if report is None:
        if as_json:
            print_json(sync_.unchanged_dict(state.base_position, state.session_id))
        else:
            output.console.print(f"already at position {state.base_position}")
        return
    data = _json(report.journal, report.resumed)
    journal = report.journal
    if as_json:
        print_json(data)
    else:
        what = "finished the sync" if report.resumed else "synced"
        output.console.print(
            f"{what} from position {journal.from_position} to {journal.to_position}"
            + (f" (session {journal.session_id})" if journal.session_id else "")
            + f": {data['updated']} written, {data['deleted']} deleted, "
            f"{len(journal.merged)} merged"
        )
        for path in journal.merged:
            output.console.print(f"  merged    {_shown(path)}")
        for path, aside in journal.moved:
            output.console.print(
                f"  kept      {_shown(path)} as {_shown(aside)} (a landed file takes its place)"
            )
        for c in journal.conflicts:
            kinds = ", ".join(c.kinds)
            sides = f"; see {', '.join(_shown(s) for s in c.side_files)}" if c.side_files else ""
            output.console.print(f"  [red]conflict[/]  {_shown(c.path)} ({kinds}){sides}")
    if journal.conflicts:
        raise CliError(
            f"conflicts in {len(journal.conflicts)} paths: fix them, then `mic resolve PATH...` "
            "(or `mic sync --abort`)",
            CONFLICT,
            answered=as_json,
        )


def resolve(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH...", help="Paths whose conflicts are fixed.", show_default=False
        ),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Mark resolved even if conflict markers remain.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Mark conflicted paths of the last sync resolved; refuses a file that still holds
    conflict markers (<<<<<<< or >>>>>>> at a line's start) unless --force."""
    from micelio import paths
    from micelio.workdir import syncstate, workflow

    root, _ = workflow.current(Path.cwd())
    chosen = []
    for f in files:
        # Not resolved through symlinks: the conflicted path may be one.
        rel = os.path.relpath(os.path.abspath(f), root)
        if rel == "." or rel.startswith(".." + os.sep) or rel == "..":
            raise CliError(f"{f} is outside the checkout {root}", USAGE)
        chosen.append(os.fsencode(rel).replace(os.fsencode(os.sep), b"/"))
    done = syncstate.resolve(root, chosen, force=force)
    remaining = syncstate.conflicted(root)
    if as_json:
        print_json(
            {
                "resolved": [paths.display(p) for p in done.paths],
                "side_files": [paths.display(p) for p in done.side_files],
                "remaining": [paths.display(p) for p in remaining],
            }
        )
        return
    for path in done.paths:
        output.console.print(f"resolved {_shown(path)}")
    for side in done.side_files:
        if os.path.lexists(os.path.join(os.fsencode(root), *side.split(b"/"))):
            output.console.print(f"  {_shown(side)} is still here: delete it unless it should land")
    if remaining:
        output.console.print(f"{len(remaining)} conflicts remain")
    else:
        output.console.print("no conflicts remain: the session can land")
