"""Keep-alive requests for a client stream whose next message may take long to make.

A server ends a call that keeps it waiting longer than its idle timeout (60 s by default,
``mic server start --stream-idle-timeout``). An importer's next request can take that long
to make (a huge commit's renames and contents are read from git while the request is built),
so the requests are made in a thread of their own and, whenever none is ready for
``interval`` seconds, an empty request goes instead: the server reads and ignores it
(``LandSessionRequest`` with no items), as gRPC's own HTTP/2 pings keep a connection, not a
call, alive.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

#: Seconds without a request before an empty one is sent: a quarter of the default timeout.
DEFAULT_INTERVAL = 15.0
#: Requests made ahead of gRPC's asking (each is at most about 1 MiB).
AHEAD = 2
#: Seconds ``close`` waits for the request being made.
CLOSE_WAIT = 5.0


class _End:
    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class KeepAlive(Generic[T]):
    """Iterator of ``requests``, with ``empty()`` whenever the next is ``interval`` s late.

    An exception of ``requests`` is raised from ``__next__`` as it was (gRPC cancels the call
    on it). ``close`` stops the thread; ``requests`` is closed by it (``on_close``)."""

    def __init__(
        self,
        requests: Iterator[T],
        empty: Callable[[], T],
        *,
        interval: float = DEFAULT_INTERVAL,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._requests = requests
        self._empty = empty
        self._interval = interval
        self._on_close = on_close
        self._queue: queue.Queue[T | _End] = queue.Queue(maxsize=AHEAD)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._make, name="mic-land-requests", daemon=True)
        self._thread.start()

    def __iter__(self) -> KeepAlive[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        try:
            item = self._queue.get(timeout=self._interval)
        except queue.Empty:
            return self._empty()
        if isinstance(item, _End):
            self._done = True
            if item.error is not None:
                raise item.error
            raise StopIteration
        return item

    def close(self) -> None:
        """Stop making requests (the call ended); the thread lets go after the request it is
        making, if any (waited for a moment, not for a huge commit's contents)."""
        self._stop.set()
        self._thread.join(timeout=CLOSE_WAIT)

    def _make(self) -> None:
        try:
            for request in self._requests:
                if not self._put(request):
                    return
        except BaseException as exc:  # handed to gRPC's thread, which cancels the call
            self._put(_End(exc))
        else:
            self._put(_End(None))
        finally:
            if self._on_close is not None:
                self._on_close()

    def _put(self, item: T | _End) -> bool:
        """Queue ``item`` once there is room; False once the stream was closed."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False
