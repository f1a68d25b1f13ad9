"""A working directory of mic: its ``.mic/`` state, ``.micignore``, scanning and writing files.

``.mic/state.json``    which server/organization/project, the base position, the active session
``.mic/manifest.json`` path -> sha256/mode/size/mtime of the files as mic last wrote or landed
                       them, so that a scan hashes only files whose size or mtime moved

Paths are bytes throughout (file names need not be UTF-8). Nothing here talks to a server:
a scan compares the directory with a tree that the caller fetched (``TreeFile`` records).
Writing goes through directory file descriptors opened with ``O_NOFOLLOW``, so a symlink in
the directory (or a hostile tree) can never make a write land outside the root.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import pathspec

from micelio import paths

MIC_DIR = ".mic"
STATE_FILE = "state.json"
MANIFEST_FILE = "manifest.json"
IGNORE_FILE = ".micignore"

MODE_FILE = 0o100644
MODE_EXECUTABLE = 0o100755
MODE_SYMLINK = 0o120000
MODE_GITLINK = 0o160000  # a Git submodule: no content here, never scanned

# Never scanned, never sent (compared case-insensitively, as paths.validate_path does).
_NEVER = frozenset({b".git", b".mic"})


class WorkdirError(Exception):
    """The working directory is not in a state the command can work with."""


# --- state ------------------------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class FileRecord:
    sha256: str
    mode: int
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


def load_manifest(root: Path) -> Manifest:
    path = root / MIC_DIR / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return Manifest()
    except (OSError, ValueError):
        return Manifest()  # only a cache: rebuilt by hashing
    files = {}
    for key, r in data.get("files", {}).items():
        with contextlib.suppress(KeyError, TypeError, ValueError):
            files[key.encode("utf-8", "surrogateescape")] = FileRecord(
                str(r["sha256"]), int(r["mode"]), int(r["size"]), int(r["mtime_ns"])
            )
    return Manifest(files, stamp)


def save_manifest(root: Path, manifest: Manifest) -> None:
    files = {_key(p): asdict(r) for p, r in sorted(manifest.files.items())}
    _write_json(root / MIC_DIR / MANIFEST_FILE, {"version": 1, "files": files})


# --- .micignore -------------------------------------------------------------------------------


class Ignore:
    """The ``.micignore`` at the root (gitignore syntax). ``.mic/`` and ``.git/`` are never
    scanned whatever it says."""

    def __init__(self, lines: Iterable[str] = ()) -> None:
        self._spec = pathspec.GitIgnoreSpec.from_lines(list(lines))

    @classmethod
    def load(cls, root: Path) -> Ignore:
        try:
            text = (root / IGNORE_FILE).read_text(encoding="utf-8", errors="surrogateescape")
        except FileNotFoundError:
            return cls()
        return cls(text.splitlines())

    def ignored(self, path: bytes, *, is_dir: bool = False) -> bool:
        text = os.fsdecode(path)
        return self._spec.match_file(text + "/" if is_dir else text)


# --- scanning ---------------------------------------------------------------------------------


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
    mode: int
    size: int
    mtime_ns: int
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class FileChange:
    """One pending change: ``kind`` is "added", "modified" or "deleted"."""

    path: bytes
    kind: str
    mode: int  # the new mode; the old one for deletions
    size: int  # the new size; 0 for deletions

    @property
    def display(self) -> str:
        return paths.display(self.path)


@dataclass(slots=True)
class ScanResult:
    changes: list[FileChange] = field(default_factory=list)
    files: dict[bytes, LocalFile] = field(default_factory=dict)  # every file that mic tracks
    invalid: list[tuple[bytes, str]] = field(default_factory=list)  # unsendable: path, reason

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)


def file_mode(info: os.stat_result) -> int | None:
    """The Git-style mode of a file; None for what mic does not track (fifos, devices...)."""
    if stat.S_ISLNK(info.st_mode):
        return MODE_SYMLINK
    if stat.S_ISREG(info.st_mode):
        return MODE_EXECUTABLE if info.st_mode & stat.S_IXUSR else MODE_FILE
    return None


def local_path(root: Path, path: bytes) -> bytes:
    return os.path.join(os.fsencode(root), *path.split(b"/"))


def hash_file(root: Path, path: bytes, mode: int) -> str:
    """sha256 of a file's content as mic stores it (a symlink's content is its target)."""
    full = local_path(root, path)
    if mode == MODE_SYMLINK:
        return hashlib.sha256(os.readlink(full)).hexdigest()
    fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _walk(
    root: bytes, rel: bytes, keep: set[bytes], ignore: Ignore, tracked: dict[bytes, TreeFile]
) -> Iterator[tuple[bytes, os.stat_result]]:
    """(path, lstat) of the non-directories under ``rel``, in path order, but untracked
    ignored ones. An ignored directory is entered only if it is in ``keep`` (it holds tracked
    files). Symlinks to directories are files here: never followed."""
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
            yield from _walk(root, path, keep, ignore, tracked)
            continue
        if path not in tracked and ignore.ignored(path):
            continue
        yield path, entry.stat(follow_symlinks=False)


def _parents(path: bytes) -> Iterator[bytes]:
    parts = path.split(b"/")
    for i in range(1, len(parts)):
        yield b"/".join(parts[:i])


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
    tracked = {e.path: e for e in tree if e.mode != MODE_GITLINK}
    keep = {parent for p in tracked for parent in _parents(p)}
    result = ScanResult()
    seen: set[bytes] = set()
    for path, info in _walk(os.fsencode(root), b"", keep, ignore, tracked):
        mode = file_mode(info)
        if mode is None:
            continue
        size = len(os.readlink(local_path(root, path))) if mode == MODE_SYMLINK else info.st_size
        base = tracked.get(path)
        if base is None:
            try:
                paths.validate_path(path)
            except paths.InvalidPath as exc:
                result.invalid.append((path, str(exc)))
                continue
            result.files[path] = LocalFile(path, mode, size, info.st_mtime_ns)
            result.changes.append(FileChange(path, "added", mode, size))
            continue
        seen.add(path)
        sha = None
        if base.mode == mode and base.size == size:
            sha = manifest.known_sha256(path, mode, info) or hash_file(root, path, mode)
        result.files[path] = LocalFile(path, mode, size, info.st_mtime_ns, sha)
        if sha != base.sha256:
            result.changes.append(FileChange(path, "modified", mode, size))
    for path, base in tracked.items():
        if path not in seen:
            result.changes.append(FileChange(path, "deleted", base.mode, 0))
    result.changes.sort(key=lambda c: c.path)
    return result


# --- writing ----------------------------------------------------------------------------------

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


def _open_parent(root_fd: int, path: bytes, *, create: bool) -> tuple[int, bytes]:
    """An fd of the directory that holds ``path`` and its last component; every directory on
    the way is opened without following symlinks (a symlink there is an error)."""
    *dirs, name = path.split(b"/")
    fd = os.dup(root_fd)
    try:
        for part in dirs:
            try:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o777, dir_fd=fd)
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno not in (errno.ENOTDIR, errno.ELOOP):
                    raise
                raise WorkdirError(
                    f"refusing to write {paths.display(path)}: "
                    f"{paths.display(part)} is not a directory (or is a symlink)"
                ) from None
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd, name


def _clear(parent: int, name: bytes) -> None:
    """Remove a file or symlink (never a directory's content) so that it can be recreated."""
    try:
        info = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        raise WorkdirError(f"{paths.display(name)} is a directory")
    os.unlink(name, dir_fd=parent)


def write_file(
    root_fd: int, path: bytes, mode: int, chunks: Iterable[bytes], sha256: str | None = None
) -> FileRecord:
    """Write a file (or symlink, or submodule placeholder directory) below ``root_fd``.

    The path is validated first; the content's sha256 is checked when given. Returns the
    record the manifest keeps for it.
    """
    paths.validate_path(path)
    parent, name = _open_parent(root_fd, path, create=True)
    try:
        if mode == MODE_GITLINK:
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o777, dir_fd=parent)
            return FileRecord(sha256 or "", mode, 0, 0)
        _clear(parent, name)
        digest = hashlib.sha256()
        if mode == MODE_SYMLINK:
            target = b"".join(chunks)
            digest.update(target)
            _check(path, digest, sha256)
            os.symlink(target, name, dir_fd=parent)
            info = os.stat(name, dir_fd=parent, follow_symlinks=False)
            return FileRecord(digest.hexdigest(), mode, len(target), info.st_mtime_ns)
        perms = 0o777 if mode == MODE_EXECUTABLE else 0o666  # the umask applies, as in Git
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        fd = os.open(name, flags, perms, dir_fd=parent)
        try:
            with os.fdopen(fd, "wb", closefd=False) as out:
                for chunk in chunks:
                    digest.update(chunk)
                    out.write(chunk)
            _check(path, digest, sha256)
            info = os.fstat(fd)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=parent)
            raise
        os.close(fd)
        return FileRecord(digest.hexdigest(), mode, info.st_size, info.st_mtime_ns)
    finally:
        os.close(parent)


def _check(path: bytes, digest: hashlib._Hash, expected: str | None) -> None:
    if expected and digest.hexdigest() != expected:
        raise WorkdirError(f"{paths.display(path)}: content does not match its sha256")


def remove_file(root_fd: int, path: bytes) -> None:
    """Delete a file and then its directories that became empty (like ``git rm``)."""
    paths.validate_path(path)
    try:
        parent, name = _open_parent(root_fd, path, create=False)
    except FileNotFoundError:
        return
    try:
        _clear(parent, name)
    finally:
        os.close(parent)
    for directory in reversed(list(_parents(path))):
        try:
            parent, name = _open_parent(root_fd, directory, create=False)
        except (FileNotFoundError, WorkdirError):
            return
        try:
            os.rmdir(name, dir_fd=parent)
        except OSError:  # not empty (or gone): stop there
            return
        finally:
            os.close(parent)


@contextlib.contextmanager
def open_root(root: Path) -> Iterator[int]:
    """A directory fd for ``write_file``/``remove_file``."""
    fd = os.open(root, _DIR_FLAGS)
    try:
        yield fd
    finally:
        os.close(fd)
