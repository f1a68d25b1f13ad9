"""Opaque page tokens: base64url JSON bound to the query they continue.

A token carries the last key of its page and a digest of the query's filters, so that a token
reused with other filters is refused (INVALID_ARGUMENT) instead of silently skipping rows.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from micelio.service.errors import InvalidArgument


def scope_digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def encode(scope: str, after: Any) -> str:
    raw = json.dumps({"s": scope, "a": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, scope: str) -> Any:
    """The ``after`` key of a token made by ``encode`` for the same scope (None for "")."""
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(data, dict):
            raise ValueError
    except ValueError as exc:
        raise InvalidArgument("malformed page token") from exc
    if data.get("s") != scope:
        raise InvalidArgument("page token belongs to another query (filters changed)")
    return data.get("a")


def page_size(requested: int, default: int, maximum: int) -> int:
    if requested < 0:
        raise InvalidArgument("page_size must not be negative")
    return min(requested or default, maximum)
