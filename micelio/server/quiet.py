"""Bounded logging: what a client can make the server log must not grow with its requests.

``RateLimit`` is a logging filter: records of one logger and message template pass at most
``burst`` times per ``interval`` seconds; the rest are counted and dropped, and the next one
that passes says how many were. Tracebacks (``exc_info``) are dropped from records past the
first of each window: a bug logs its traceback, a flood of the same one does not.
"""

from __future__ import annotations

import logging
import threading
import time

#: Loggers that requests reach: ours, and grpcio's (its handler errors log tracebacks).
GUARDED_LOGGERS = (
    "micelio.server",
    "micelio.server.errors",
    "micelio.server.guard",
    "micelio.server.watchdog",
    "grpc._server",
    "grpc._common",
)


class RateLimit(logging.Filter):
    def __init__(self, burst: int = 5, interval: float = 60.0) -> None:
        super().__init__()
        self.burst = burst
        self.interval = interval
        self._lock = threading.Lock()
        # (logger, template) -> [window start, passed in window, suppressed since last pass]
        self._seen: dict[tuple[str, object], list[float]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.msg)
        now = time.monotonic()
        with self._lock:
            entry = self._seen.get(key)
            if entry is None or now - entry[0] >= self.interval:
                suppressed = entry[2] if entry is not None else 0
                entry = [now, 0, suppressed]
                if len(self._seen) > 10_000:  # templates are few; never let the map grow
                    self._seen.clear()
                self._seen[key] = entry
            if entry[1] >= self.burst:
                entry[2] += 1
                return False
            entry[1] += 1
            first, suppressed = entry[1] == 1, int(entry[2])
            entry[2] = 0
        if not first:
            record.exc_info = None
            record.exc_text = None
        if suppressed:
            record.msg = f"{record.msg} ({suppressed} similar messages suppressed)"
        return True


def install(burst: int = 5, interval: float = 60.0) -> RateLimit:
    """Put one shared filter on every logger in ``GUARDED_LOGGERS``."""
    limit = RateLimit(burst, interval)
    for name in GUARDED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RateLimit) for f in logger.filters):
            logger.addFilter(limit)
    return limit
