"""A worker's side of a job: claim a repository, import it under its lease, say how it ended.

Shared by both executors: the local one (``work_loop`` in each process) and rq
(``work_on_index`` per rq job). A repository's own problem marks it failed with its reason;
a transient one is retried (``retry``) before that; a lost lease stops the import without a
word (the new holder finishes it); an interruption (Ctrl-C, SIGTERM, an rq timeout) gives the
repository back so that another worker takes it at once instead of after the lease expires.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from importers.batch.lease import Lease, LeaseLost
from importers.batch.repository import RepositoryFailure, import_repository
from importers.batch.retry import Backoff, is_transient, retrying
from micelio.client import Claim, FailedPrecondition, MicClient, MicError

log = logging.getLogger("mic.migrate")
DEFAULT_LEASE_SECONDS = 60.0
#: Deadline of a worker's unary calls (claims, renewals, lookups; landing streams have none):
#: a call that hangs becomes a transient error, retried, instead of a stuck worker.
CALL_TIMEOUT = 60.0
#: How long an idle worker waits before asking again for a repository another one holds.
POLL_SECONDS = 1.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def preload() -> None:
    """Load the Git importer (and the grouping model's libraries, seconds of it) before the
    first claim, so that the time under a lease is the import's own."""
    importlib.import_module("importers.git.land")


@dataclass(frozen=True)
class Settings:
    name: str = field(default_factory=worker_name)
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    backoff: Backoff = field(default_factory=Backoff)


@dataclass(frozen=True)
class Result:
    """What became of one claimed repository: done, failed, lost (taken over) or released."""

    index: int
    project: str
    status: str
    error: str = ""
    sessions_landed: int = 0
    commits_landed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "project": self.project,
            "status": self.status,
            "error": self.error,
            "sessions_landed": self.sessions_landed,
            "commits_landed": self.commits_landed,
        }


def work_on(client: MicClient, job_id: str, claim: Claim, settings: Settings) -> Result:
    """Import the claimed repository under its lease and finish it on the server."""
    repo = claim.repository
    assert repo is not None and claim.claimed
    with Lease(client, job_id, repo.index, claim.lease_id, settings.lease_seconds) as lease:
        try:
            imported = retrying(
                lambda: import_repository(client, repo.spec, lease.update, policy=claim.policy),
                settings.backoff,
                what=f"importing {repo.spec.project}",
            )
        except LeaseLost as exc:
            log.warning("%s: %s", repo.spec.project, exc)
            return Result(repo.index, repo.spec.project, "lost", str(exc))
        except Exception as exc:
            error = failure_reason(exc)
            return _finish(client, job_id, claim, lease, settings, "failed", error)
        except BaseException:
            # Interrupted: hand the repository back at once rather than leave it to the lease
            # (one try: whoever interrupts us does not want to wait for retries).
            with contextlib.suppress(MicError):
                _send_finish(client, job_id, claim, lease, "released", "")
            raise
    return _finish(
        client,
        job_id,
        claim,
        lease,
        settings,
        "done",
        "",
        imported.sessions_landed,
        imported.commits_landed,
    )


def work_on_index(client: MicClient, job_id: str, index: int, settings: Settings) -> Result:
    """Claim repository ``index`` and import it; a repository done, failed or held by a live
    worker is left alone (rq may deliver a job twice: the claim decides)."""
    claim = retrying(
        lambda: client.claim_repository(job_id, settings.name, settings.lease_seconds, index=index),
        settings.backoff,
        what="claiming a repository",
    )
    if not claim.claimed:
        repo = claim.repository
        status = repo.status if repo is not None else "unknown"
        return Result(index, repo.spec.project if repo else "", f"skipped ({status})")
    return work_on(client, job_id, claim, settings)


class Stop(Protocol):
    """A threading or multiprocessing Event: set when the worker should leave."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


def work_loop(
    client: MicClient, job_id: str, settings: Settings, stop: Stop | None = None
) -> list[Result]:
    """Claim and import repositories until none is left (done or failed), or ``stop``.

    While other workers hold the last repositories, wait: one of them may die, and its
    repository is taken over when its lease expires.
    """
    stop = stop or threading.Event()
    results: list[Result] = []
    while not stop.is_set():
        claim = retrying(
            lambda: client.claim_repository(job_id, settings.name, settings.lease_seconds),
            settings.backoff,
            what="claiming a repository",
        )
        if claim.claimed:
            results.append(work_on(client, job_id, claim, settings))
            continue
        if claim.remaining == 0:
            break
        stop.wait(min(POLL_SECONDS, max(0.1, claim.retry_after)))
    return results


def failure_reason(exc: BaseException) -> str:
    """One line for the report: the repository's own reason, else the error's kind and text."""
    text = " ".join(str(exc).split())
    if isinstance(exc, RepositoryFailure):
        return text
    if isinstance(exc, MicError):
        prefix = "server unavailable, gave up retrying: " if is_transient(exc) else ""
        return f"{prefix}{text}" if text else exc.code
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _finish(
    client: MicClient,
    job_id: str,
    claim: Claim,
    lease: Lease,
    settings: Settings,
    outcome: str,
    error: str,
    sessions: int = 0,
    commits: int = 0,
) -> Result:
    repo = claim.repository
    assert repo is not None
    try:
        retrying(
            lambda: _send_finish(client, job_id, claim, lease, outcome, error),
            settings.backoff,
            what=f"finishing {repo.spec.project}",
        )
    except FailedPrecondition as exc:
        # Taken over while we finished: the new holder's word is the one that counts.
        return Result(repo.index, repo.spec.project, "lost", exc.message)
    return Result(repo.index, repo.spec.project, outcome, error, sessions, commits)


def _send_finish(
    client: MicClient, job_id: str, claim: Claim, lease: Lease, outcome: str, error: str
) -> None:
    assert claim.repository is not None
    p = lease.progress()
    client.finish_repository(
        job_id,
        claim.repository.index,
        claim.lease_id,
        outcome,
        commits_total=p.commits_total,
        commits=p.commits,
        last_commit=p.last_commit,
        error=error,
    )
