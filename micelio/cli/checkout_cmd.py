"""`mic checkout ORG/PROJECT DIR [--at POSITION]`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from micelio.cli import output
from micelio.cli.errors import NOT_FOUND, CliError
from micelio.cli.output import (
    JsonOpt,
    ServerOpt,
    TokenOpt,
    byte_progress,
    connect,
    print_json,
    safe,
    shown,
    split_ref,
)

if TYPE_CHECKING:
    from micelio.client import TreeEntry


def checkout(
    ref: Annotated[str, typer.Argument(metavar="ORG/PROJECT", help="The project.")],
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="A new or empty directory.")],
    at: Annotated[
        int | None,
        typer.Option(
            "--at",
            metavar="POSITION",
            help="Landing position (default: the head).",
            min=0,
        ),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a project's files at a position into DIR, ready for `mic session start`."""
    from micelio.workdir import workflow

    org, project = split_ref(ref)
    with connect(server, token) as mic:
        head = mic.get_project(org, project).head_position
        position = head if at is None else at
        if position > head:
            raise CliError(
                f"{safe(org)}/{safe(project)} has no position {position} (head is {head})",
                NOT_FOUND,
            )
        root = workflow.prepare_checkout(directory)
        # One stream brings the tree and its contents: the total is not known beforehand,
        # so the bar (on a terminal) counts bytes without an end.
        with byte_progress("checkout", 0, 200, enabled=not as_json) as update:
            done = 0

            def tick(entry: TreeEntry) -> None:
                nonlocal done
                done += entry.size
                if update is not None:
                    update(done)

            entries = workflow.checkout(mic, root, org, project, position, tick)
    if as_json:
        print_json(
            {
                "organization": org,
                "project": project,
                "position": position,
                "directory": str(root),
                "files": len(entries),
                "bytes": sum(e.size for e in entries),
            }
        )
    else:
        output.console.print(
            f"checked out {shown(org)}/{shown(project)} at position {position} "
            f"into {shown(str(directory))} "
            f"({len(entries)} files)"
        )
