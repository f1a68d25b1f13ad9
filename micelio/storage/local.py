"""Objects as files under a root directory (the default store: DATA_DIR/objects)."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from micelio.storage.base import (
    READ_CHUNK,
    ObjectNotFound,
    StorageError,
    StoredObject,
    UnsafeKey,
    check_key,
    check_prefix,
)

#: Errors a retry may fix; any other OSError (EACCES, EROFS, EIO, ...) is permanent.
_TRANSIENT = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EAGAIN, errno.EINTR, errno.EBUSY, errno.ETIMEDOUT}
    | {errno.EMFILE, errno.ENFILE, errno.ENOMEM}
)
TEMP_PREFIX = ".put-"
TEMP_SUFFIX = ".tmp"


def _failure(action: str, key: str, exc: OSError) -> StorageError:
    return StorageError(f"cannot {action} {key!r}: {exc}", transient=exc.errno in _TRANSIENT)


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        # Contents of every organization: readable by the server's user only.
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.url = self.root.as_uri()

    def _path(self, key: str) -> Path:
        path = self.root.joinpath(*check_key(key))
        # Symlinks planted under the root must not lead a key outside it either.
        resolved = path.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise UnsafeKey(f"object key {key!r} resolves outside the store")
        return path

    def put_stream(self, key: str, chunks: Iterable[bytes]) -> int:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write beside the target then rename: a reader never sees half an object.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
        except OSError as exc:
            raise _failure("store", key, exc) from exc
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
            _fsync_dir(path.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise _failure("store", key, exc) from exc
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return size

    def open_read(self, key: str) -> Iterator[bytes]:
        path = self._path(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"no object at {key!r}") from exc
        except OSError as exc:
            raise _failure("read", key, exc) from exc
        return _read_chunks(handle, key)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self._prune(path.parent)

    def delete_prefix(self, prefix: str) -> int:
        check_prefix(prefix)
        directory, _, stem = prefix.rpartition("/")
        base = self._path(directory) if directory else self.root
        if not base.is_dir():
            return 0
        count = 0
        for entry in list(base.iterdir()):
            if not entry.name.startswith(stem):
                continue
            if entry.is_dir() and not entry.is_symlink():
                count += sum(1 for p in entry.rglob("*") if p.is_file())
                shutil.rmtree(entry, ignore_errors=True)
            else:
                count += 1
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
        self._prune(base)
        return count

    def list_objects(self, prefix: str) -> Iterator[StoredObject]:
        check_prefix(prefix)
        directory, _, _ = prefix.rpartition("/")
        base = self._path(directory) if directory else self.root
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath, name)
                key = path.relative_to(self.root).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    modified = datetime.fromtimestamp(path.lstat().st_mtime, UTC)
                except FileNotFoundError:
                    continue
                partial = name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)
                yield StoredObject(key, modified, partial=partial)

    def remove(self, found: StoredObject) -> None:
        self.delete(found.key)

    def _prune(self, directory: Path) -> None:
        """Remove empty directories up to the root, so deleted sessions leave no trace."""
        while directory != self.root and self.root in directory.parents:
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable: a landing may commit right after this returns."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_chunks(handle: BinaryIO, key: str) -> Iterator[bytes]:
    with handle:
        while True:
            try:
                chunk = handle.read(READ_CHUNK)
            except OSError as exc:
                raise _failure("read", key, exc) from exc
            if not chunk:
                return
            yield chunk
