"""Ending calls whose client keeps the server waiting.

grpcio's synchronous server blocks the handler's thread while it waits for the client: for
the next request message, or for the client to take a response (flow control). Nothing in
grpcio bounds those waits, so a watchdog thread does: each call marks when it starts and
stops waiting on its client, and a call that has waited longer than the idle timeout is
cancelled (``ServicerContext.cancel``: the client gets CANCELLED, the blocked thread wakes
up with an error, and the handler's cleanup runs).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import grpc


class Watch:
    """One call: since when (monotonic seconds) it has been waiting on its client."""

    __slots__ = ("context", "expired", "method", "since", "timeout")

    def __init__(self, context: grpc.ServicerContext, method: str, timeout: float) -> None:
        self.context = context
        self.method = method
        self.timeout = timeout
        self.since: float | None = None
        self.expired = False

    @contextmanager
    def waiting(self) -> Iterator[None]:
        self.since = time.monotonic()
        try:
            yield
        finally:
            self.since = None


class Watchdog:
    def __init__(self, idle_timeout: float, shortest: float) -> None:
        """``idle_timeout``: the default for calls; ``shortest``: the least any call gets."""
        self.idle_timeout = idle_timeout
        self._period = min(max(min(idle_timeout, shortest) / 4, 0.05), 1.0)
        self._watches: set[Watch] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mic-watchdog", daemon=True)
        self._thread.start()

    def watch(self, context: grpc.ServicerContext, method: str, timeout: float) -> Watch:
        """Start watching a call; it may wait on its client ``timeout`` seconds at a time."""
        watch = Watch(context, method, timeout)
        with self._lock:
            self._watches.add(watch)
        return watch

    def release(self, watch: Watch) -> None:
        with self._lock:
            self._watches.discard(watch)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def expired(self, now: float) -> list[Watch]:
        """The calls that have waited on their client longer than the timeout at ``now``."""
        with self._lock:
            return [
                w
                for w in self._watches
                if not w.expired and w.since is not None and now - w.since > w.timeout
            ]

    def _run(self) -> None:
        # A quarter of the shortest timeout between checks: a call ends at most 25% late.
        while not self._stop.wait(self._period):
            for watch in self.expired(time.monotonic()):
                watch.expired = True
                # grpc-stubs leave RpcContext.cancel unannotated; it takes and returns nothing.
                watch.context.cancel()  # type: ignore[no-untyped-call]
