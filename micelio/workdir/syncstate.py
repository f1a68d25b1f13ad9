"""``.mic/sync/``: the journal of a sync, so that one cut short can be finished or undone.

A sync stages everything first and writes the journal last (``journal.json``): until then the
working directory is untouched, and a leftover ``.mic/sync/`` without a journal is dropped.
Once the journal exists the sync applies its operations in order, appending each one's index to
``progress`` when done; ``mic sync`` runs them again (each is idempotent) and ``mic sync
--abort`` undoes them in reverse from the backups (as git's ``ORIG_HEAD`` and ``MERGE_HEAD``
let ``git merge --abort`` do). A finished sync with conflicts keeps its journal, marked
``done``, until every path is resolved: ``conflicted`` reads it.

``.mic/sync/journal.json``  positions, session, operations, conflicts, moved-aside files
``.mic/sync/progress``      the index of each operation applied, one a line
``.mic/sync/staged``        the contents the writes write, one after another (one file: a
                            file system's cost is per file created, not per byte)
``.mic/sync/backup/N``      the file operation N replaces or deletes, as it was (renamed there
                            when N runs: where it would be unlinked anyway)
``.mic/sync/state.json``, ``manifest.json``  the directory's state before the sync
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from micelio.vocabulary import ConflictKind, FileMode
from micelio.workdir.errors import WorkdirError
from micelio.workdir.state import MIC_DIR

SYNC_DIR = "sync"
JOURNAL = "journal.json"
PROGRESS = "progress"
STAGED = "staged"  # the pack of new contents
BACKUP = "backup"
MARKERS = (b"<<<<<<< ", b">>>>>>> ")  # git's: 7 characters and a space, at a line's start


class OpKind(StrEnum):
    DELETE = "delete"  # remove the file at path
    MOVE = "move"  # rename a local file or folder in the way (ignored here) to ``to``
    WRITE = "write"  # write staged/N at path with ``mode``


@dataclass(frozen=True, slots=True)
class Op:
    """One step of a sync. What the path held before, for ``--abort``: with ``backup`` a file
    kept as backup/N; with ``base_sha256`` the base position's version (a tracked file without
    local edits: the server has it, so it costs no backup)."""

    kind: OpKind
    path: bytes
    to: bytes = b""
    mode: FileMode = FileMode.FILE
    base_sha256: str = ""
    backup: bool = False
    offset: int = 0  # a write's content: ``size`` bytes at ``offset`` of staged
    size: int = 0
    base_mode: FileMode = FileMode.FILE


@dataclass(frozen=True, slots=True)
class ConflictRecord:
    path: bytes
    kinds: tuple[ConflictKind, ...]
    side_files: tuple[bytes, ...] = ()


@dataclass(slots=True)
class Journal:
    from_position: int
    to_position: int
    session_id: str | None
    ops: list[Op] = field(default_factory=list)
    conflicts: list[ConflictRecord] = field(default_factory=list)
    merged: list[bytes] = field(default_factory=list)  # both sides changed, merged cleanly
    done: bool = False  # every op applied and the new base recorded

    @property
    def moved(self) -> list[tuple[bytes, bytes]]:
        return [(op.path, op.to) for op in self.ops if op.kind == OpKind.MOVE]


def sync_dir(root: Path) -> Path:
    return root / MIC_DIR / SYNC_DIR


def _text(path: bytes) -> str:
    return path.decode("utf-8", "surrogateescape")


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _op_json(op: Op) -> dict[str, object]:
    return {
        "kind": op.kind.value,
        "path": _text(op.path),
        "to": _text(op.to),
        "mode": int(op.mode),
        "base_sha256": op.base_sha256,
        "base_mode": int(op.base_mode),
        "backup": op.backup,
        "offset": op.offset,
        "size": op.size,
    }


def _conflict_json(c: ConflictRecord) -> dict[str, object]:
    return {
        "path": _text(c.path),
        "kinds": [k.value for k in c.kinds],
        "side_files": [_text(s) for s in c.side_files],
    }


def save_journal(root: Path, journal: Journal) -> None:
    """Write-then-rename: a crash leaves the old journal or the new one."""
    data = {
        "version": 1,
        "from_position": journal.from_position,
        "to_position": journal.to_position,
        "session_id": journal.session_id,
        "ops": [_op_json(op) for op in journal.ops],
        "conflicts": [_conflict_json(c) for c in journal.conflicts],
        "merged": [_text(p) for p in journal.merged],
        "done": journal.done,
    }
    path = sync_dir(root) / JOURNAL
    tmp = path.with_name(JOURNAL + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def load_journal(root: Path) -> Journal | None:
    """The journal of a sync under way (or finished with conflicts); None if there is none."""
    path = sync_dir(root) / JOURNAL
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise WorkdirError(f"unreadable {path}: {exc}; remove {sync_dir(root)} by hand") from None
    try:
        return Journal(
            from_position=int(data["from_position"]),
            to_position=int(data["to_position"]),
            session_id=data.get("session_id"),
            ops=[
                Op(
                    OpKind(o["kind"]),
                    _raw(o["path"]),
                    _raw(o["to"]),
                    FileMode(int(o["mode"])),
                    str(o["base_sha256"]),
                    bool(o["backup"]),
                    int(o["offset"]),
                    int(o["size"]),
                    FileMode(int(o["base_mode"])),
                )
                for o in data["ops"]
            ],
            conflicts=[
                ConflictRecord(
                    _raw(c["path"]),
                    tuple(ConflictKind(k) for k in c["kinds"]),
                    tuple(_raw(s) for s in c["side_files"]),
                )
                for c in data["conflicts"]
            ],
            merged=[_raw(p) for p in data.get("merged", [])],
            done=bool(data.get("done", False)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise WorkdirError(f"corrupt {path}: {exc}; remove {sync_dir(root)} by hand") from None


def applied(root: Path) -> int:
    """How many operations were applied (they run in order): the last index recorded + 1."""
    try:
        text = (sync_dir(root) / PROGRESS).read_text(encoding="ascii")
    except FileNotFoundError:
        return 0
    # A kill can cut the last line short: only whole lines count.
    lines = text.split("\n")[:-1]
    return max((int(line) for line in lines if line.isdigit()), default=-1) + 1


def progress_log(root: Path) -> TextIO:
    """The progress file, open for appending: write ``f"{index}\\n"`` and flush after each
    operation (a kill -9 loses nothing written; only a power cut could)."""
    return open(sync_dir(root) / PROGRESS, "a", encoding="ascii")


def clear(root: Path) -> None:
    """Forget the sync: its journal first (from then on there is no sync), then the rest."""
    directory = sync_dir(root)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(directory / JOURNAL)
    shutil.rmtree(directory, ignore_errors=True)


def conflicted(root: Path) -> list[bytes]:
    """The paths of the last sync still in conflict (``mic resolve`` clears them)."""
    journal = load_journal(root)
    return [c.path for c in journal.conflicts] if journal else []


def has_markers(data: bytes) -> bool:
    """Whether a file still holds conflict markers at a line's start."""
    return any(data.startswith(m) or b"\n" + m in data for m in MARKERS)


@dataclass(frozen=True, slots=True)
class Resolved:
    paths: list[bytes]
    side_files: list[bytes]  # left for the user to delete (or land)
    finished: bool  # no conflict remains: the sync's backups are gone


def resolve(root: Path, paths: list[bytes], *, force: bool = False) -> Resolved:
    """Mark ``paths`` resolved. A file that still holds markers is refused unless ``force``;
    nothing is marked when any path is refused."""
    journal = load_journal(root)
    if journal is None or not journal.conflicts:
        raise WorkdirError("no conflicts to resolve here")
    if not journal.done:
        raise WorkdirError(
            "a sync is under way here: run `mic sync` to finish it or `mic sync --abort`"
        )
    open_ = {c.path: c for c in journal.conflicts}
    for path in paths:
        if path not in open_:
            raise WorkdirError(f"{_text(path)} is not in conflict")
        if force:
            continue
        full = os.path.join(os.fsencode(root), *path.split(b"/"))
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            if not os.path.islink(full):
                with open(full, "rb") as f:
                    if has_markers(f.read()):
                        raise WorkdirError(
                            f"{_text(path)} still holds conflict markers: edit it, "
                            "or pass --force to mark it resolved as it is"
                        )
    chosen = set(paths)
    sides = [s for c in journal.conflicts if c.path in chosen for s in c.side_files]
    journal = replace(journal, conflicts=[c for c in journal.conflicts if c.path not in chosen])
    if journal.conflicts:
        save_journal(root, journal)
    else:
        clear(root)
    return Resolved(sorted(chosen), sides, not journal.conflicts)
