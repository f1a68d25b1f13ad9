"""Admission control: how many calls each token, organization and the server run at once.

A call in flight holds a worker thread for as long as its client keeps it open, so a client
that opens calls and sends nothing can take every thread. Calls are counted per class
(``stream``: a request or response stream; ``call``: unary both ways) under the keys of its
caller; a call that would exceed a limit is refused at once with RESOURCE_EXHAUSTED, before it
reads its request, and so holds a thread only for that answer.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

from micelio.service.auth import Principal
from micelio.service.errors import ServiceError

STREAM = "stream"
CALL = "call"

_Key = tuple[str, str, int]


class Exhausted(ServiceError):
    """A concurrency limit is reached: the caller should wait for its own calls to end."""

    code = "RESOURCE_EXHAUSTED"


@dataclass(frozen=True)
class Limits:
    """Concurrent calls allowed (see ``ServerConfig``); anonymous calls count as token 0."""

    max_streams: int
    max_streams_per_org: int
    max_streams_per_token: int
    max_calls_per_org: int
    max_calls_per_token: int


def keys_of(kind: str, principal: Principal | None) -> tuple[_Key, ...]:
    """The counters a call of ``kind`` by ``principal`` (None: anonymous) occupies."""
    token = principal.token_id if principal is not None else 0
    keys: list[_Key] = [(kind, "server", 0), (kind, "token", token)]
    if principal is not None and principal.organization_id is not None:
        keys.append((kind, "org", principal.organization_id))
    return tuple(keys)


def limit_of(key: _Key, limits: Limits) -> int | None:
    kind, scope, _ = key
    table: dict[tuple[str, str], int | None] = {
        (STREAM, "server"): limits.max_streams,
        (STREAM, "org"): limits.max_streams_per_org,
        (STREAM, "token"): limits.max_streams_per_token,
        # Unary calls are bounded server-wide by the worker threads themselves.
        (CALL, "server"): None,
        (CALL, "org"): limits.max_calls_per_org,
        (CALL, "token"): limits.max_calls_per_token,
    }
    return table[(kind, scope)]


_SCOPE_TEXT = {"server": "the server", "org": "this organization", "token": "this token"}


class Ticket:
    """A call's place in the counters; ``release`` is idempotent (two paths may end a call)."""

    def __init__(self, admission: Admission, keys: tuple[_Key, ...]) -> None:
        self._admission = admission
        self._keys = keys
        self._released = False

    def release(self) -> None:
        with self._admission.lock:
            if self._released:
                return
            self._released = True
            counts = self._admission.counts
            for key in self._keys:
                counts[key] -= 1
                if counts[key] <= 0:
                    del counts[key]  # tokens come and go: keep no zero entries


class Admission:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.lock = threading.Lock()
        self.counts: Counter[_Key] = Counter()

    def admit(self, kind: str, principal: Principal | None) -> Ticket:
        """Count the call in, or raise ``Exhausted`` naming the limit it would exceed."""
        keys = keys_of(kind, principal)
        with self.lock:
            for key in keys:
                limit = limit_of(key, self.limits)
                if limit is not None and self.counts[key] >= limit:
                    what = "streams" if kind == STREAM else "calls"
                    raise Exhausted(
                        f"too many concurrent {what} for {_SCOPE_TEXT[key[1]]} "
                        f"(limit {limit}); retry when some have ended"
                    )
            self.counts.update(keys)
        return Ticket(self, keys)

    def in_flight(self, kind: str) -> int:
        with self.lock:
            return self.counts[(kind, "server", 0)]
