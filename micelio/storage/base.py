"""The object store interface the service layer programs against."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

#: Size of the chunks ``open_read`` yields (and the protocol's content chunks).
READ_CHUNK = 1024 * 1024


class StorageError(RuntimeError):
    """An object store failed (I/O, network, refused key); the message says which key.

    ``transient``: a retry may succeed (connection refused, throttling, a 5xx, a full disk);
    False for what no retry fixes (access denied, no such bucket, a refused key)."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class ObjectNotFound(StorageError):
    """The key holds no object."""


class UnsafeKey(StorageError):
    """The key would leave the store's root (``..``, absolute, empty component)."""


@runtime_checkable
class ObjectStore(Protocol):
    """Keys are ``/``-separated relative names; writes are all-or-nothing per object."""

    url: str

    def put_stream(self, key: str, chunks: Iterable[bytes]) -> int:
        """Store the concatenation of ``chunks`` at ``key`` (replacing it); return its size.

        Holds at most one part in memory. If ``chunks`` raises, nothing is left at ``key``
        (a previous object at ``key`` may be gone too) and the exception propagates.
        """
        ...

    def open_read(self, key: str) -> Iterator[bytes]:
        """The object's bytes in chunks of at most ``READ_CHUNK``; ``ObjectNotFound`` if none."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the object; no error when it does not exist."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose key starts with ``prefix``; return how many."""
        ...

    def list_objects(self, prefix: str) -> Iterator[StoredObject]:
        """Every object under ``prefix``, those of a folder together, unfinished writes (a local
        temporary file, an S3 multipart upload) included, for garbage collection."""
        ...

    def remove(self, found: StoredObject) -> None:
        """Delete an object that ``list_objects`` found (abort it, when ``partial``)."""
        ...


@dataclass(frozen=True)
class StoredObject:
    """An object (or an unfinished write: ``partial``) found by ``list_objects``."""

    key: str
    modified: datetime
    partial: bool = False
    upload_id: str = ""  # S3 multipart uploads: what aborting one needs


def check_key(key: str) -> list[str]:
    """The components of ``key``, refusing any key that could escape a store's root."""
    if not key or key.startswith("/") or "\x00" in key:
        raise UnsafeKey(f"unsafe object key {key!r}")
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise UnsafeKey(f"unsafe object key {key!r}")
    return parts


def check_prefix(prefix: str) -> str:
    """A prefix is a key, optionally ending with ``/``."""
    check_key(prefix[:-1] if prefix.endswith("/") else prefix)
    return prefix
