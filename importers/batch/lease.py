"""Keeping a claim alive while a repository imports: a thread renews the lease with progress.

The import runs in the caller's thread and reports progress with :meth:`Lease.update`; the
thread sends the latest figures with every renewal. When the server answers that the lease
was lost (it expired and another worker took the repository over), the next ``update``
raises :class:`LeaseLost`, which stops the import between two sessions: the new holder goes
on from the last landed one. A renewal that cannot reach the server is tried again at the
next tick; the lease only ends when the server says so.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import NamedTuple

from micelio.client import FailedPrecondition, MicClient, MicError, NotFound

log = logging.getLogger("mic.migrate")
#: Progress reaches the server at least this often, whatever the lease.
MAX_RENEW_INTERVAL = 2.0


class LeaseLost(Exception):
    """Another worker holds the repository now."""


class Progress(NamedTuple):
    commits_total: int
    commits: int
    last_commit: str


class Lease:
    def __init__(
        self, client: MicClient, job_id: str, index: int, lease_id: str, seconds: float
    ) -> None:
        self.client = client
        self.job_id = job_id
        self.index = index
        self.lease_id = lease_id
        self.seconds = seconds
        # A third of the lease: two renewals may fail before it can expire.
        self.interval = min(seconds / 3.0, MAX_RENEW_INTERVAL)
        self.commits_total = 0
        self.commits = 0
        self.last_commit = ""
        self.lost_reason = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{index}", daemon=True)

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    @property
    def lost(self) -> bool:
        return bool(self.lost_reason)

    def update(self, commits_total: int, commits: int, last_commit: str) -> None:
        """Record progress (sent with the next renewal); LeaseLost once the lease is gone."""
        with self._lock:
            self.commits_total, self.commits = commits_total, commits
            if last_commit:
                self.last_commit = last_commit
        if self.lost:
            raise LeaseLost(self.lost_reason)

    def progress(self) -> Progress:
        with self._lock:
            return Progress(self.commits_total, self.commits, self.last_commit)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            p = self.progress()
            try:
                self.client.renew_lease(
                    self.job_id,
                    self.index,
                    self.lease_id,
                    self.seconds,
                    commits_total=p.commits_total,
                    commits=p.commits,
                    last_commit=p.last_commit,
                )
            except (FailedPrecondition, NotFound) as exc:
                self.lost_reason = exc.message
                return
            except MicError as exc:
                log.warning("renewing the lease on repository %d failed: %s", self.index, exc)
