"""`mic checkout ORG/PROJECT DIR [--at POSITION]`, and writing tree files into a directory."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import typer

from micelio import workdir
from micelio.cli.errors import NOT_FOUND, STATE, CliError
from micelio.cli.output import (
    JsonOpt,
    ServerOpt,
    TokenOpt,
    byte_progress,
    connect,
    console,
    print_json,
    split_ref,
)
from micelio.client import MicClient, TreeEntry

# Files are fetched a few at a time: each is its own short stream, so latency dominates.
FETCH_THREADS = 8


def fetch_files(
    mic: MicClient,
    root_fd: int,
    organization: str,
    project: str,
    position: int,
    entries: Iterable[TreeEntry],
    manifest: workdir.Manifest,
    on_file: Callable[[TreeEntry], None] | None = None,
) -> None:
    """Write ``entries`` (of the tree at ``position``) below ``root_fd``, recording each in
    ``manifest``. Every path is validated and no write follows a symlink (see workdir)."""

    def fetch(entry: TreeEntry) -> TreeEntry:
        content = mic.read_file(organization, project, entry.path, position=position)
        record = workdir.write_file(root_fd, entry.path, entry.mode, content, entry.sha256)
        manifest.files[entry.path] = record
        return entry

    with ThreadPoolExecutor(FETCH_THREADS) as pool:
        # Parallel writers may create the same directory at once: write_file tolerates that.
        for done in pool.map(fetch, sorted(entries, key=lambda e: e.path)):
            if on_file is not None:
                on_file(done)


def _prepare(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise CliError(f"{directory} exists and is not a directory", STATE)
    if directory.is_dir() and any(directory.iterdir()):
        raise CliError(f"{directory} is not empty: check out into a new directory", STATE)
    directory.mkdir(parents=True, exist_ok=True)


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
    org, project = split_ref(ref)
    with connect(server, token) as mic:
        head = mic.get_project(org, project).head_position
        position = head if at is None else at
        if position > head:
            raise CliError(
                f"{org}/{project} has no position {position} (head is {head})", NOT_FOUND
            )
        entries = list(mic.get_tree(org, project, position=position))
        _prepare(directory)
        root = directory.resolve()
        manifest = workdir.Manifest()
        total = sum(e.size for e in entries)
        with (
            workdir.open_root(root) as root_fd,
            byte_progress("checkout", total, len(entries), enabled=not as_json) as update,
        ):
            done = 0

            def tick(entry: TreeEntry) -> None:
                nonlocal done
                done += entry.size
                if update is not None:
                    update(done)

            fetch_files(mic, root_fd, org, project, position, entries, manifest, tick)
        # The manifest is written after the files: its mtime tells "racy" entries apart.
        workdir.save_state(root, workdir.State(org, project, position, server=mic.address))
        workdir.save_manifest(root, manifest)
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
        console.print(
            f"checked out {org}/{project} at position {position} into {directory} "
            f"({len(entries)} files)"
        )
