"""Files under a working directory's root: their mode and hash, and writing or removing them.

Writing goes through directory file descriptors opened with ``O_NOFOLLOW``, so a symlink in
the directory (or a hostile tree) can never make a write land outside the root.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from micelio import paths
from micelio.vocabulary import FileMode
from micelio.workdir.errors import WorkdirError
from micelio.workdir.state import FileRecord


def file_mode(info: os.stat_result) -> FileMode | None:
    """The Git-style mode of a file; None for what mic does not track (fifos, devices...)."""
    if stat.S_ISLNK(info.st_mode):
        return FileMode.SYMLINK
    if stat.S_ISREG(info.st_mode):
        return FileMode.EXECUTABLE if info.st_mode & stat.S_IXUSR else FileMode.FILE
    return None


def local_path(root: Path, path: bytes) -> bytes:
    return os.path.join(os.fsencode(root), *path.split(b"/"))


def hash_file(root: Path, path: bytes, mode: int) -> str:
    """sha256 of a file's content as mic stores it (a symlink's content is its target)."""
    full = local_path(root, path)
    if mode == FileMode.SYMLINK:
        return hashlib.sha256(os.readlink(full)).hexdigest()
    fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def parent_dirs(path: bytes) -> Iterator[bytes]:
    parts = path.split(b"/")
    for i in range(1, len(parts)):
        yield b"/".join(parts[:i])


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
    root_fd: int, path: bytes, mode: FileMode, chunks: Iterable[bytes], sha256: str | None = None
) -> FileRecord:
    """Write a file (or symlink, or submodule placeholder directory) below ``root_fd``.

    The path is validated first; the content's sha256 is checked when given. Returns the
    record the manifest keeps for it.
    """
    paths.validate_path(path)
    parent, name = _open_parent(root_fd, path, create=True)
    try:
        return _write_at(parent, name, path, mode, chunks, sha256)
    finally:
        os.close(parent)


class TreeWriter:
    """Writes many files below a root (a checkout: 20,000 files in a few hundred folders),
    keeping each folder's descriptor open instead of opening every folder on the way for each
    file. Folders are opened as ``_open_parent`` opens them (never through a symlink)."""

    def __init__(self, root_fd: int) -> None:
        self._root = root_fd
        self._dirs: dict[bytes, int] = {}

    def __enter__(self) -> TreeWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in self._dirs.values():
            os.close(fd)
        self._dirs.clear()

    def _folder(self, folder: bytes) -> int:
        if not folder:
            return self._root
        fd = self._dirs.get(folder)
        if fd is not None:
            return fd
        parent_path, _, name = folder.rpartition(b"/")
        parent = self._folder(parent_path)
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o777, dir_fd=parent)
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
        except OSError as exc:
            if exc.errno not in (errno.ENOTDIR, errno.ELOOP):
                raise
            raise WorkdirError(
                f"refusing to write below {paths.display(folder)}: "
                "it is not a directory (or is a symlink)"
            ) from None
        self._dirs[folder] = fd
        return fd

    def write(
        self, path: bytes, mode: FileMode, chunks: Iterable[bytes], sha256: str | None = None
    ) -> FileRecord:
        """``write_file`` through the open folders."""
        paths.validate_path(path)
        folder, _, name = path.rpartition(b"/")
        return _write_at(self._folder(folder), name, path, mode, chunks, sha256)


def _write_at(
    parent: int,
    name: bytes,
    path: bytes,
    mode: FileMode,
    chunks: Iterable[bytes],
    sha256: str | None,
) -> FileRecord:
    if mode == FileMode.GITLINK:
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o777, dir_fd=parent)
        return FileRecord(sha256 or "", mode, 0, 0)
    _clear(parent, name)
    digest = hashlib.sha256()
    if mode == FileMode.SYMLINK:
        target = b"".join(chunks)
        digest.update(target)
        _check(path, digest, sha256)
        os.symlink(target, name, dir_fd=parent)
        info = os.stat(name, dir_fd=parent, follow_symlinks=False)
        return FileRecord(digest.hexdigest(), mode, len(target), info.st_mtime_ns)
    perms = 0o777 if mode == FileMode.EXECUTABLE else 0o666  # the umask applies, as in Git
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    fd = os.open(name, flags, perms, dir_fd=parent)
    try:
        for chunk in chunks:
            digest.update(chunk)
            view = memoryview(chunk)
            while view:  # os.write may write less than asked
                view = view[os.write(fd, view) :]
        _check(path, digest, sha256)
        info = os.fstat(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=parent)
        raise
    os.close(fd)
    return FileRecord(digest.hexdigest(), mode, info.st_size, info.st_mtime_ns)


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
    for directory in reversed(list(parent_dirs(path))):
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


def place_file(root_fd: int, path: bytes, source: bytes) -> None:
    """Rename the file (or symlink) at the absolute ``source`` to ``path`` below ``root_fd``,
    creating its directories: how an aborted sync puts a backup back, mtime and all."""
    paths.validate_path(path)
    parent, name = _open_parent(root_fd, path, create=True)
    try:
        _clear(parent, name)
        os.rename(source, name, dst_dir_fd=parent)
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
