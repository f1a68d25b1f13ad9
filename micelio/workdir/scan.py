"""Scanning: the pending changes of a working directory against its base tree.

Paths are bytes throughout (file names need not be UTF-8). Nothing here talks to a server:
a scan compares the directory with a tree that the caller fetched (``TreeFile`` records).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Protocol

from micelio import paths
from micelio.vocabulary import ChangeType, FileMode
from micelio.workdir.files import hash_file, local_path, parent_dirs
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


class LocalFile(NamedTuple):
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
    hashed: list[bytes] = field(default_factory=list)  # tracked files this scan had to hash

    def count(self, kind: ChangeType) -> int:
        return sum(1 for c in self.changes if c.kind == kind)


def _walk(
    root: bytes,
    keep: set[bytes],
    ignore: Ignore,
    tracked: dict[bytes, TreeFile],
    nested: set[bytes],
) -> list[tuple[bytes, os.stat_result]]:
    """(path, lstat) of the non-directories under the root, but untracked ignored ones, in
    no particular order. An ignored directory is entered only if it is in ``keep`` (it holds
    tracked files); a nested checkout (a directory with its own ``.mic/``) never is, as git
    leaves a nested repository alone (its folder is added to ``nested``). Symlinks to
    directories are files here: never
    followed. A loop over a stack, not recursive generators: each file would pass through
    one generator per level."""
    found: list[tuple[bytes, os.stat_result]] = []
    stack = [b""]
    while stack:
        rel = stack.pop()
        try:
            entries = list(os.scandir(os.path.join(root, rel) if rel else root))
        except (FileNotFoundError, NotADirectoryError):
            continue
        if rel and any(e.name.lower() == b".mic" and e.is_dir() for e in entries):
            nested.add(rel)  # a checkout of its own
            continue
        prefix = rel + b"/" if rel else b""
        for entry in entries:
            name = entry.name
            if name.lower() in _NEVER:
                continue
            path = prefix + name
            if entry.is_dir(follow_symlinks=False):
                if path in keep or not ignore.ignored(path, is_dir=True):
                    stack.append(path)
                continue
            if path not in tracked and ignore.ignored(path):
                continue
            found.append((path, entry.stat(follow_symlinks=False)))
    return found


_FORMAT = 0o170000
_REGULAR = stat.S_IFREG
_SYMLINK = stat.S_IFLNK


def _folders(tracked: Iterable[bytes]) -> set[bytes]:
    """Every folder that holds a tracked file (an ignored one is still entered)."""
    folders: set[bytes] = set()
    for path in tracked:
        folder = path.rpartition(b"/")[0]
        while folder and folder not in folders:
            folders.add(folder)
            folder = folder.rpartition(b"/")[0]
    return folders


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
    result = ScanResult()
    seen: set[bytes] = set()
    records = manifest.files
    stamp = manifest.stamp_ns
    # The loop runs once per file (20,000 in a status): plain ints and dict lookups here, no
    # enum calls or helper calls for the common case of a file the manifest vouches for.
    nested: set[bytes] = set()
    for path, info in _walk(os.fsencode(root), _folders(tracked), ignore, tracked, nested):
        st_mode = info.st_mode
        kind = st_mode & _FORMAT
        if kind == _REGULAR:
            mode = FileMode.EXECUTABLE if st_mode & stat.S_IXUSR else FileMode.FILE
            size = info.st_size
        elif kind == _SYMLINK:
            mode = FileMode.SYMLINK
            size = len(os.readlink(local_path(root, path)))
        else:
            continue  # fifos, sockets, devices: not tracked
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
            record = records.get(path)
            mtime = info.st_mtime_ns
            # git's index rule: same mode, size and mtime as recorded, and recorded before
            # the manifest was written (else "racy": hashed, see ``Manifest.known_sha256``).
            if (
                record is not None
                and record.mtime_ns == mtime
                and mtime < stamp
                and record.size == size
                and record.mode == mode
            ):
                sha = record.sha256
            else:
                sha = hash_file(root, path, mode)
                result.hashed.append(path)
        result.files[path] = LocalFile(path, mode, size, info.st_mtime_ns, sha)
        if sha != base.sha256:
            result.changes.append(FileChange(path, ChangeType.MODIFIED, mode, size))
    for path, base in tracked.items():
        # Tracked files inside a nested checkout are that checkout's business: left as they are.
        if path not in seen and not (nested and any(p in nested for p in parent_dirs(path))):
            result.changes.append(FileChange(path, ChangeType.DELETED, FileMode(base.mode), 0))
    result.changes.sort(key=lambda c: c.path)
    result.invalid.sort()
    return result
