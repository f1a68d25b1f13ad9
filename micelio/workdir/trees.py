"""``.mic/trees/N``: the tree at position N, fetched once and kept (a position never changes).

`mic status` compares the directory with its base tree; with the tree here it needs no server
but for the head's position. A file holds NUL-terminated records ``mode size sha256 path``
(the path's exact bytes last: it may hold spaces, never a NUL), after a version line. Only a
few trees are kept: the newest written ones.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from micelio.client import MicClient
from micelio.vocabulary import FileMode
from micelio.workdir.state import MIC_DIR, MODES

TREES_DIR = "trees"
_VERSION = b"mic-tree 1\n"
#: Trees kept: the base's and a few more (a diff between positions caches its two).
KEEP = 4


class CachedFile(NamedTuple):
    """A file of a cached tree (the ``scan.TreeFile`` protocol)."""

    path: bytes
    mode: FileMode
    size: int
    sha256: str


def _dir(root: Path) -> Path:
    return root / MIC_DIR / TREES_DIR


def encode(files: Iterable[CachedFile]) -> bytes:
    parts = [_VERSION]
    for f in files:
        parts.append(b"%d %d %s %s\0" % (f.mode, f.size, f.sha256.encode("ascii"), f.path))
    return b"".join(parts)


def decode(data: bytes) -> list[CachedFile] | None:
    """The files of a cache file; None when it is not one (then it is fetched again)."""
    if not data.startswith(_VERSION):
        return None
    body = data[len(_VERSION) :]
    if body and not body.endswith(b"\0"):
        return None  # cut short
    files = []
    try:
        for record in body.split(b"\0")[:-1]:
            mode, size, sha, path = record.split(b" ", 3)
            files.append(CachedFile(path, MODES[int(mode)], int(size), sha.decode("ascii")))
    except (ValueError, KeyError, UnicodeDecodeError):
        return None
    return files


#: Trees this process last read or wrote, by file (a position's tree never changes; the file
#: is checked to be the same one): `mic session land` reads its base's twice, for the scan
#: and to derive the landed position's.
_memo: dict[Path, tuple[tuple[int, int, int], list[CachedFile]]] = {}


def load_tree(root: Path, position: int) -> list[CachedFile] | None:
    """The cached tree at ``position``, or None."""
    path = _dir(root) / str(position)
    try:
        info = path.stat()
        memo = _memo.get(path)
        if memo is not None and memo[0] == _identity(info):
            return list(memo[1])
        data = path.read_bytes()
    except OSError:
        return None
    files = decode(data)
    if files is not None and len(data) == info.st_size:
        _remember(path, _identity(info), files)
    return files


def _identity(info: os.stat_result) -> tuple[int, int, int]:
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def _remember(path: Path, identity: tuple[int, int, int], files: list[CachedFile]) -> None:
    _memo.pop(path, None)
    _memo[path] = (identity, list(files))
    while len(_memo) > KEEP:  # a long-lived process (`mic mcp`) holds the newest few
        del _memo[next(iter(_memo))]


def save_tree(root: Path, position: int, files: Iterable[CachedFile]) -> None:
    """Cache the tree at ``position`` (write-then-rename) and drop all but the newest ``KEEP``."""
    directory = _dir(root)
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f"{position}.tmp"
    files = list(files)
    tmp.write_bytes(encode(files))
    info = tmp.stat()
    os.replace(tmp, directory / str(position))
    _remember(directory / str(position), _identity(info), files)
    cached = sorted(((_mtime(p), p) for p in directory.iterdir() if p.name.isdigit()), reverse=True)
    for _, old in cached[KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()


def _mtime(path: Path) -> int:
    # Another save may prune it meanwhile (a sync caches two trees at once): then it is gone.
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def tree_at(
    mic: MicClient, root: Path, organization: str, project: str, position: int
) -> list[CachedFile]:
    """The tree at ``position``: from ``.mic/trees/`` once it has been fetched (entries only,
    packed: ``read_tree``), cached for the next command."""
    tree = load_tree(root, position)
    if tree is None:
        tree = [
            CachedFile(e.path, e.mode, e.size, e.sha256)
            for e in mic.read_tree(organization, project, position=position)
        ]
        save_tree(root, position, tree)
    return tree
