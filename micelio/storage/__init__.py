"""Object storage for large change contents: ``open_store(url)`` picks the backend.

``file:///abs/dir`` (or a plain directory path) → ``LocalStore``;
``s3://bucket[/prefix][?endpoint=URL&region=R]`` → ``S3Store``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from micelio.storage.base import (
    READ_CHUNK,
    ObjectNotFound,
    ObjectStore,
    StorageError,
    StoredObject,
    UnsafeKey,
)
from micelio.storage.local import LocalStore
from micelio.storage.s3 import S3Store

__all__ = [
    "READ_CHUNK",
    "LocalStore",
    "ObjectNotFound",
    "ObjectStore",
    "S3Store",
    "StorageError",
    "StoredObject",
    "UnsafeKey",
    "open_store",
]


def open_store(url: str) -> ObjectStore:
    parts = urlsplit(url)
    if parts.scheme == "s3":
        return S3Store.from_url(url)
    if parts.scheme == "file":
        return LocalStore(Path(unquote(parts.path)))
    if parts.scheme == "":
        return LocalStore(Path(url).expanduser())
    raise ValueError(f"unsupported storage URL {url!r} (use file:///DIR or s3://BUCKET/PREFIX)")
