"""Files of a working directory in tests: write one, and snapshot them all (bytes paths)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

# ("link", target) or ("file", content, executable)
Entry = tuple[str, bytes] | tuple[str, bytes, bool]


def snapshot(root: Path, skip: tuple[bytes, ...] = (b".mic", b".git")) -> dict[bytes, Entry]:
    """path -> ("link", target) | ("file", content, executable), without .mic/.git."""
    out: dict[bytes, Entry] = {}
    base = os.fsencode(root)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, base)
            info = os.lstat(full)
            if stat.S_ISLNK(info.st_mode):
                out[rel] = ("link", os.readlink(full))
            else:
                with open(full, "rb") as f:
                    out[rel] = ("file", f.read(), bool(info.st_mode & stat.S_IXUSR))
    return out


def write(root: Path, rel: str | bytes, content: bytes, exe: bool = False) -> None:
    full = os.path.join(os.fsencode(root), os.fsencode(rel))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    if os.path.islink(full):
        os.unlink(full)
    with open(full, "wb") as f:
        f.write(content)
    os.chmod(full, 0o755 if exe else 0o644)


def read(root: Path, rel: str) -> bytes:
    return (root / rel).read_bytes()
