"""Retrying transient failures with bounded exponential backoff.

Transient: the server cannot be reached or answered in time (UNAVAILABLE, DEADLINE_EXCEEDED),
or failed inside (INTERNAL: object storage errors surface so), or is out of resources. Every
other error is the repository's own (missing, corrupt, rewritten, refused) and is not retried:
the import is idempotent, but repeating it cannot change the answer.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from micelio.client import MicError

T = TypeVar("T")
log = logging.getLogger("mic.migrate")

TRANSIENT_CODES = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED", "INTERNAL", "RESOURCE_EXHAUSTED"})


@dataclass(frozen=True)
class Backoff:
    """``tries`` calls in all; before try k+1 wait ``base * factor**(k-1)``, at most ``cap``
    seconds, spread by ``jitter`` (a fraction) so that workers that failed together do not
    come back together."""

    tries: int = 6
    base: float = 1.0
    factor: float = 2.0
    cap: float = 30.0
    jitter: float = 0.25

    def delay(self, failures: int, rand: float = 0.5) -> float:
        """Seconds to wait after the ``failures``-th failure; ``rand`` in [0, 1)."""
        raw = min(self.cap, self.base * self.factor ** max(0, failures - 1))
        return max(0.0, raw * (1.0 + self.jitter * (2.0 * rand - 1.0)))

    def total(self) -> float:
        """The longest time spent waiting before giving up (without jitter)."""
        return sum(self.delay(k) for k in range(1, self.tries))


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, MicError) and exc.code in TRANSIENT_CODES


def retrying(
    call: Callable[[], T],
    backoff: Backoff,
    *,
    what: str = "call",
    on_retry: Callable[[int, float, BaseException], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> T:
    """``call()``, again after a transient failure, until it succeeds or ``backoff.tries``
    calls failed (the last error is raised)."""
    failures = 0
    while True:
        try:
            return call()
        except Exception as exc:
            failures += 1
            if failures >= backoff.tries or not is_transient(exc):
                raise
            wait = backoff.delay(failures, rand())
            log.warning(
                "%s failed (%s); try %d of %d in %.1f s",
                what,
                exc,
                failures + 1,
                backoff.tries,
                wait,
            )
            if on_retry is not None:
                on_retry(failures, wait, exc)
            sleep(wait)
