"""``.mic/``: which project a directory checks out, and what mic last wrote there.

``.mic/state.json``    which server/organization/project, the base position, the active session
``.mic/manifest.json`` path -> sha256/mode/size/mtime of the files as mic last wrote or landed
                       them, so that a scan hashes only files whose size or mtime moved
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

from micelio.vocabulary import FileMode
from micelio.workdir.errors import WorkdirError

MIC_DIR = ".mic"
STATE_FILE = "state.json"
MANIFEST_FILE = "manifest.json"
#: A mode's number to the ``FileMode`` (what ``FileMode(n)`` answers, as a dict lookup).
MODES = {int(m): m for m in FileMode}


@dataclass(slots=True)
class State:
    """What ``.mic/state.json`` records about a working directory."""

    organization: str
    project: str
    base_position: int
    server: str | None = None
    session_id: str | None = None  # the active session, if any

    @property
    def ref(self) -> str:
        return f"{self.organization}/{self.project}"


def find_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` that has ``.mic/state.json``."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / MIC_DIR / STATE_FILE).is_file():
            return directory
    return None


def load_state(root: Path) -> State | None:
    path = root / MIC_DIR / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise WorkdirError(f"unreadable {path}: {exc}") from None
    try:
        return State(
            organization=str(data["organization"]),
            project=str(data["project"]),
            base_position=int(data["base_position"]),
            server=data.get("server"),
            session_id=data.get("session_id"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise WorkdirError(f"corrupt {path}: {exc}") from None


def save_state(root: Path, state: State) -> None:
    _write_json(root / MIC_DIR / STATE_FILE, {"version": 1, **asdict(state)})


def _write_json(path: Path, data: object) -> None:
    # Write-then-rename: a crash leaves the old file or the new one, never half of one.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# --- manifest ---------------------------------------------------------------------------------


class FileRecord(NamedTuple):
    """What the manifest knows of a file (a tuple: 20,000 of them load in a status)."""

    sha256: str
    mode: FileMode
    size: int
    mtime_ns: int


@dataclass(slots=True)
class Manifest:
    """Known content of files by path; ``stamp_ns`` is the manifest file's own mtime."""

    files: dict[bytes, FileRecord] = field(default_factory=dict)
    stamp_ns: int = 0

    def known_sha256(self, path: bytes, mode: int, info: os.stat_result) -> str | None:
        """The sha256 recorded for ``path`` if the file cannot have changed since."""
        record = self.files.get(path)
        if record is None or record.mode != mode or record.size != info.st_size:
            return None
        # A file modified in the same clock tick as the manifest was written is "racy":
        # same size and mtime prove nothing, so it is hashed (as Git does with its index).
        if record.mtime_ns != info.st_mtime_ns or record.mtime_ns >= self.stamp_ns:
            return None
        return record.sha256


def _key(path: bytes) -> str:
    # surrogateescape + ensure_ascii: any bytes survive the round trip through JSON text.
    return path.decode("utf-8", "surrogateescape")


#: The manifest this process last read or wrote, by file: its stat's identity and records.
#: One command reads it more than once (``mic session land``: the scan, then the catch-up),
#: and 20,000 records cost ~50 ms to parse; a copy of the dict costs ~1 ms.
_memo: dict[Path, tuple[tuple[int, int, int], dict[bytes, FileRecord]]] = {}


def _identity(info: os.stat_result) -> tuple[int, int, int]:
    # Written by rename: a new file (inode) each time, besides its mtime and size.
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def load_manifest(root: Path) -> Manifest:
    path = root / MIC_DIR / MANIFEST_FILE
    try:
        info = path.stat()
    except OSError:
        return Manifest()
    memo = _memo.get(path)
    if memo is not None and memo[0] == _identity(info):
        return Manifest(dict(memo[1]), info.st_mtime_ns)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        after = path.stat()
    except (OSError, ValueError):
        return Manifest()  # only a cache: rebuilt by hashing
    files = {}
    for key, r in data.get("files", {}).items():
        with contextlib.suppress(KeyError, TypeError, ValueError, AttributeError):
            mode = MODES[r["mode"]]  # a dict, not FileMode(): 20,000 enum calls cost 40 ms
            files[key.encode("utf-8", "surrogateescape")] = FileRecord(
                str(r["sha256"]), mode, int(r["size"]), int(r["mtime_ns"])
            )
    if _identity(after) == _identity(info):  # not replaced while read
        _memo[path] = (_identity(info), dict(files))
    return Manifest(files, after.st_mtime_ns)


def manifest_text(manifest: Manifest) -> str:
    """The manifest's JSON, one line, formatted directly: a landing or a checkout writes one
    of 20,000 files in ~10 ms, where building a dict per file for ``json.dumps`` took ~40."""
    key = json.encoder.encode_basestring_ascii  # what json.dumps writes for a str
    records = ",".join(
        f'{key(_key(p))}:{{"mode":{int(r.mode)},"mtime_ns":{int(r.mtime_ns)},'
        f'"sha256":{key(r.sha256)},"size":{int(r.size)}}}'
        for p, r in sorted(manifest.files.items())
    )
    return '{"files":{' + records + '},"version":1}'


def save_manifest(root: Path, manifest: Manifest) -> None:
    path = root / MIC_DIR / MANIFEST_FILE
    # Write-then-rename, as ``_write_json``.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(manifest_text(manifest) + "\n", encoding="utf-8")
    info = tmp.stat()
    os.replace(tmp, path)
    _memo[path] = (_identity(info), dict(manifest.files))
