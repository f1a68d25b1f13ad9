"""Object storage as the service layer sees it: honest error codes and verified reads.

A failure a retry may fix (connection refused, throttling, a 5xx) is UNAVAILABLE, which clients
retry; a permanent one (access denied, no such bucket, a refused key) is INTERNAL, and an
object that is missing or does not match its row is DATA_LOSS: retrying either changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from micelio.service.errors import DataLoss, ServiceError, Unavailable
from micelio.storage import ObjectNotFound, StorageError


class StorageRefused(ServiceError):
    """Object storage failed in a way no retry fixes (configuration, permissions)."""

    code = "INTERNAL"


def storage_failure(exc: StorageError, what: str) -> ServiceError:
    """The service error for a store's failure while ``what`` (e.g. "reading a.txt")."""
    if isinstance(exc, ObjectNotFound):
        return DataLoss(f"{what}: the content is missing from object storage")
    if exc.transient:
        return Unavailable(f"{what}: object storage is unavailable (retry later): {exc}")
    return StorageRefused(f"{what}: object storage refused the request (permanent): {exc}")


def verified(chunks: Iterator[bytes], size: int, sha256: str | None, what: str) -> Iterator[bytes]:
    """``chunks``, checked against the row's ``size`` and ``sha256``: DATA_LOSS on a mismatch.

    Reads go through the store, so errors become service errors here too. The last chunk is
    held back until the whole content is checked, so a content of one chunk that does not
    match is never served; a longer one ends with the error instead of its last chunk.
    """
    digest = hashlib.sha256()
    seen = 0
    held: bytes | None = None
    try:
        for chunk in chunks:
            seen += len(chunk)
            if seen > size:
                raise DataLoss(f"{what}: stored content is longer than its recorded {size} bytes")
            digest.update(chunk)
            if held is not None:
                yield held
            held = chunk
    except StorageError as exc:
        raise storage_failure(exc, what) from exc
    if seen != size:
        raise DataLoss(f"{what}: stored content has {seen} bytes, its row says {size}")
    if sha256 and digest.hexdigest() != sha256:
        raise DataLoss(f"{what}: stored content does not match its recorded sha256")
    if held is not None:
        yield held
