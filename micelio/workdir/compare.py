"""`mic diff` and `mic restore`: the working directory against its base, or two positions.

Between two positions the server computes the diff (``Diff``: the same pure ``micelio.diffs``
as here) and the client only names the files. Against the working directory the files are
local: the base's contents come over one ``ReadFiles`` stream (not a call per file) and
``diffs.file_diff`` compares them here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from micelio import paths
from micelio.client import MicClient
from micelio.diffs import Cut, FileDiff, Side, file_diff, render
from micelio.vocabulary import ChangeType, FileMode
from micelio.workdir.errors import WorkdirError
from micelio.workdir.files import local_path, open_root, write_file
from micelio.workdir.state import State, load_manifest, save_manifest
from micelio.workdir.workflow import base_tree, pending


class NotInBase(WorkdirError):
    """A path to restore that the base position does not have."""


def selected(path: bytes, wanted: Sequence[bytes]) -> bool:
    """Whether ``path`` is one of ``wanted`` or under one (``b""``: the whole project)."""
    if not wanted:
        return True
    return any(w == b"" or path == w or path.startswith(w + b"/") for w in wanted)


def contents(
    mic: MicClient, organization: str, project: str, position: int, wanted: Iterable[bytes]
) -> dict[bytes, Side]:
    """The contents of ``wanted`` paths at ``position`` (absent ones left out), in one call per
    10,000 paths."""
    want = sorted(set(wanted))
    found: dict[bytes, Side] = {}
    for start in range(0, len(want), 10_000):
        batch = want[start : start + 10_000]
        for item in mic.read_files(organization, project, batch, position=position):
            found[item.entry.path] = Side(b"".join(item.chunks), item.entry.mode)
    return found


def _local(root: Path, path: bytes, mode: FileMode) -> Side:
    full = local_path(root, path)
    if mode == FileMode.SYMLINK:
        return Side(os.readlink(full), mode)
    with open(full, "rb") as f:
        return Side(f.read(), mode)


#: How a diff names a path: the caller's printable form (the CLI escapes control characters).
Namer = Callable[[bytes], str]


def working_diff(
    mic: MicClient, root: Path, state: State, wanted: Sequence[bytes], name: Namer = paths.display
) -> list[FileDiff]:
    """The pending changes under ``wanted`` as diffs against the base position."""
    result = pending(mic, root, state)
    changes = [c for c in result.changes if selected(c.path, wanted)]
    olds = contents(
        mic,
        state.organization,
        state.project,
        state.base_position,
        (c.path for c in changes if c.kind != ChangeType.ADDED),
    )
    diffs = []
    for change in changes:
        new = None if change.kind == ChangeType.DELETED else _local(root, change.path, change.mode)
        diffs.append(file_diff(name(change.path), olds.get(change.path), new))
    return diffs


def positions_diff(
    mic: MicClient,
    organization: str,
    project: str,
    old_position: int | None,
    new_position: int | None,
    wanted: Sequence[bytes],
    name: Namer = paths.display,
    *,
    stat_only: bool = False,
) -> tuple[list[FileDiff], Cut | None]:
    """The diffs of the files under ``wanted`` from one position to another (None: the head,
    and the one before), computed by the server's ``Diff``; the ``Cut`` where its caps
    stopped it."""
    found = mic.diff(
        organization,
        project,
        from_position=old_position,
        to_position=new_position,
        paths=list(wanted),
        stat_only=stat_only,
    )
    return [render(name(f.path), f.compared) for f in found.files], found.cut


def restore(mic: MicClient, root: Path, state: State, wanted: Sequence[bytes]) -> list[bytes]:
    """Put the modified and deleted files under ``wanted`` back as the base has them; files
    the base does not have are left alone, as `git restore` does. Returns the paths written;
    an error names a path that the base does not have at all."""
    tree = base_tree(mic, root, state)
    for want in wanted:
        if not any(selected(f.path, [want]) for f in tree):
            raise NotInBase(
                f"{paths.display(want) or '.'} is not in the base (position "
                f"{state.base_position}): nothing to restore"
            )
    targets = [
        c.path
        for c in pending(mic, root, state).changes
        if c.kind != ChangeType.ADDED and selected(c.path, wanted)
    ]
    manifest = load_manifest(root)
    written = []
    with open_root(root) as root_fd:
        for start in range(0, len(targets), 10_000):
            batch = targets[start : start + 10_000]
            for item in mic.read_files(
                state.organization, state.project, batch, position=state.base_position
            ):
                entry = item.entry
                manifest.files[entry.path] = write_file(
                    root_fd, entry.path, entry.mode, item.chunks, entry.sha256
                )
                written.append(entry.path)
    save_manifest(root, manifest)
    return written
