"""Scanning: the pending changes of a working directory against its base tree.

Paths are bytes throughout (file names need not be UTF-8). Nothing here talks to a server:
a scan compares the directory with a tree that the caller fetched (``TreeFile`` records).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from micelio import paths
from micelio.vocabulary import ChangeType, FileMode
from micelio.workdir.files import file_mode, hash_file, local_path, parent_dirs
from micelio.workdir.ignore import Ignore
from micelio.workdir.state import Manifest

# Never scanned, never sent (compared case-insensitively, as paths.validate_path does).
_NEVER = frozenset({b".git", b".mic"})


class TreeFile(Protocol):
    """A file of the base tree (``micelio.client.TreeEntry`` is one)."""

    @property
    def path(self) -> bytes: ...
    @property
    def mode(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def sha256(self) -> str: ...


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A file found in the working directory (sha256 only when the scan needed it)."""

    path: bytes
    mode: FileMode
    size: int
    mtime_ns: int
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class FileChange:
    """One pending change of the working directory."""

    path: bytes
    kind: ChangeType
    mode: FileMode  # the new mode; the old one for deletions
    size: int  # the new size; 0 for deletions

    @property
    def display(self) -> str:
        return paths.display(self.path)


@dataclass(slots=True)
class ScanResult:
    changes: list[FileChange] = field(default_factory=list)
    files: dict[bytes, LocalFile] = field(default_factory=dict)  # every file that mic tracks
    invalid: list[tuple[bytes, str]] = field(default_factory=list)  # unsendable: path, reason

    def count(self, kind: ChangeType) -> int:
        return sum(1 for c in self.changes if c.kind == kind)


def _walk(
    root: bytes,
    rel: bytes,
    keep: set[bytes],
    ignore: Ignore,
    tracked: dict[bytes, TreeFile],
    nested: set[bytes],
) -> Iterator[tuple[bytes, os.stat_result]]:
    """(path, lstat) of the non-directories under ``rel``, in path order, but untracked
    ignored ones. An ignored directory is entered only if it is in ``keep`` (it holds tracked
    files). Symlinks to directories are files here: never followed. A directory with its own
    ``.mic/`` is another checkout: never entered, and added to ``nested``."""
    try:
        entries = sorted(os.scandir(os.path.join(root, rel) if rel else root), key=lambda e: e.name)
    except FileNotFoundError:
        return
    for entry in entries:
        name = entry.name
        if name.lower() in _NEVER:
            continue
        path = rel + b"/" + name if rel else name
        if entry.is_dir(follow_symlinks=False):
            if ignore.ignored(path, is_dir=True) and path not in keep:
                continue
            if os.path.isdir(os.path.join(entry.path, b".mic")):
                nested.add(path)
                continue
            yield from _walk(root, path, keep, ignore, tracked, nested)
            continue
        if path not in tracked and ignore.ignored(path):
            continue
        yield path, entry.stat(follow_symlinks=False)


def scan(
    root: Path,
    tree: Iterable[TreeFile],
    *,
    manifest: Manifest | None = None,
    ignore: Ignore | None = None,
) -> ScanResult:
    """Pending changes of the directory at ``root`` against ``tree`` (its base position).

    Tracked files are always compared, even when ``.micignore`` matches them (as in Git);
    untracked ones are added unless ignored. Only files whose size and mtime differ from the
    manifest (or that it does not know) are hashed.
    """
    manifest = manifest or Manifest()
    ignore = ignore if ignore is not None else Ignore.load(root)
    tracked = {e.path: e for e in tree if e.mode != FileMode.GITLINK}
    keep = {parent for p in tracked for parent in parent_dirs(p)}
    result = ScanResult()
    seen: set[bytes] = set()
    nested: set[bytes] = set()
    for path, info in _walk(os.fsencode(root), b"", keep, ignore, tracked, nested):
        mode = file_mode(info)
        if mode is None:
            continue
        size = (
            len(os.readlink(local_path(root, path))) if mode == FileMode.SYMLINK else info.st_size
        )
        base = tracked.get(path)
        if base is None:
            try:
                paths.validate_path(path)
            except paths.InvalidPath as exc:
                result.invalid.append((path, str(exc)))
                continue
            result.files[path] = LocalFile(path, mode, size, info.st_mtime_ns)
            result.changes.append(FileChange(path, ChangeType.ADDED, mode, size))
            continue
        seen.add(path)
        sha = None
        if base.mode == mode and base.size == size:
            sha = manifest.known_sha256(path, mode, info) or hash_file(root, path, mode)
        result.files[path] = LocalFile(path, mode, size, info.st_mtime_ns, sha)
        if sha != base.sha256:
            result.changes.append(FileChange(path, ChangeType.MODIFIED, mode, size))
    for path, base in tracked.items():
        # Tracked files inside a nested checkout are that checkout's business: left as they are.
        if path not in seen and not any(p in nested for p in parent_dirs(path)):
            result.changes.append(FileChange(path, ChangeType.DELETED, FileMode(base.mode), 0))
    result.changes.sort(key=lambda c: c.path)
    return result
