"""Distributed execution on rq (Redis): one rq job per repository, workers on any machine.

An rq job carries the mic job id, the repository's index and the address of the server that
registered it; nothing else (no token, no state). Whatever rq does, the server decides: a
worker first claims the repository, so an rq job delivered twice, or one for a repository
that is done or held by a live worker, does nothing. rq is only the doorbell.

- ``enqueue``: one rq job per repository that is queued, or running under an expired lease
  (its worker died). Its rq id ``mic_JOB-INDEX-ATTEMPTS`` makes enqueueing idempotent: a
  repository whose rq job is still waiting or running is not enqueued again, and a takeover
  (one more attempt) gets a new id.
- ``watch``: what ``mic migrate run --queue`` does after enqueueing: show the job until it is
  finished, enqueueing again the repositories whose worker died.
- ``run_worker``: ``mic migrate worker``, an rq ``SimpleWorker`` (see docs/deployment.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from importers.batch.retry import Backoff, retrying
from importers.batch.worker import (
    CALL_TIMEOUT,
    DEFAULT_LEASE_SECONDS,
    Settings,
    preload,
    work_on_index,
)
from micelio.client import Job, JobRepository, MicClient

log = logging.getLogger("mic.migrate")
QUEUE_NAME = "mic-migrate"
TASK = "importers.batch.queue.import_repository"
#: rq kills a job that runs longer (and marks it failed; its repository is released).
DEFAULT_JOB_TIMEOUT = 24 * 3600
#: rq statuses of an rq job that will still run (or runs): no need to enqueue another.
_PENDING = frozenset(
    {"created", "queued", "started", "deferred", "scheduled", "rate_limited", "ready_to_enqueue"}
)
POLL_SECONDS = 1.0
#: How often ``watch`` replaces rq jobs that failed (see ``enqueue``).
FAILED_SWEEP_SECONDS = 30.0


@dataclass
class WorkerConfig:
    """What ``mic migrate worker`` was started with; read by the tasks it runs."""

    server: str | None = None  # None: the address carried by each rq job
    token: str | None = None
    settings: Settings = field(default_factory=Settings)
    clients: dict[str, MicClient] = field(default_factory=dict)

    def client(self, address: str) -> MicClient:
        if address not in self.clients:
            self.clients[address] = MicClient.from_environment(
                address, self.token, timeout=CALL_TIMEOUT
            )
        return self.clients[address]


_config = WorkerConfig()


def connect(redis_url: str) -> Any:
    from redis import Redis

    return Redis.from_url(redis_url)


def rq_job_id(job_id: str, repo: JobRepository) -> str:
    """``mic_JOB-INDEX-ATTEMPTS``; rq ids allow no dot, so the job id's "." is written "_d"
    (and "_" "__", so that two job ids never share an rq id)."""
    escaped = job_id.replace("_", "__").replace(".", "_d")
    return f"mic_{escaped}-{repo.index}-{repo.attempts}"


def to_enqueue(job: Job) -> list[JobRepository]:
    """Repositories that need a worker: queued, or running under a lease that expired."""
    return [
        r
        for r in job.repositories
        if r.status == "queued" or (r.status == "running" and r.lease_expired)
    ]


def enqueue(
    redis: Any,
    job: Job,
    server: str,
    *,
    job_timeout: int = DEFAULT_JOB_TIMEOUT,
    after_failure: bool = True,
) -> list[int]:
    """Enqueue an rq job for each repository that needs one; return their indexes.

    ``after_failure``: also replace rq jobs that failed (the task raised: the server was
    unreachable for longer than the retries, or refused the worker's token); ``watch`` does
    it only now and then, so that a misconfigured worker does not spin."""
    from rq import Queue, Retry
    from rq.exceptions import DuplicateJobError, NoSuchJobError
    from rq.job import Job as RqJob

    queue = Queue(QUEUE_NAME, connection=redis)
    enqueued = []
    for repo in to_enqueue(job):
        rq_id = rq_job_id(job.job_id, repo)
        try:
            existing = RqJob.fetch(rq_id, connection=redis)
        except NoSuchJobError:
            existing = None
        if existing is not None:
            status = existing.get_status(refresh=True)
            if status in _PENDING or (status == "failed" and not after_failure):
                continue
            existing.delete()  # it ended without finishing the repository: again
        try:
            queue.enqueue(
                TASK,
                job.job_id,
                repo.index,
                server,
                job_id=rq_id,
                unique=True,
                job_timeout=job_timeout,
                result_ttl=7 * 24 * 3600,
                failure_ttl=30 * 24 * 3600,
                retry=Retry(max=2),
                description=f"mic migrate {job.job_id} #{repo.index + 1} {repo.spec.project}",
            )
        except DuplicateJobError:
            continue  # another coordinator enqueued it a moment ago
        enqueued.append(repo.index)
    return enqueued


def watch(
    client: MicClient,
    redis: Any,
    job_id: str,
    server: str,
    *,
    job_timeout: int = DEFAULT_JOB_TIMEOUT,
    on_update: Callable[[Job], None] | None = None,
) -> Job:
    """Show the job until it is finished, enqueueing again what a dead worker left."""
    backoff = Backoff()
    last_sweep = time.monotonic()
    while True:
        job = retrying(lambda: client.get_job(job_id), backoff, what="reading the job")
        if on_update is not None:
            on_update(job)
        if job.finished:
            return job
        sweep = time.monotonic() - last_sweep >= FAILED_SWEEP_SECONDS
        again = enqueue(redis, job, server, job_timeout=job_timeout, after_failure=sweep)
        if sweep:
            last_sweep = time.monotonic()
        if again:
            log.info("enqueued repositories %s of job %s again", again, job_id)
        time.sleep(POLL_SECONDS)


def import_repository(job_id: str, index: int, server: str | None = None) -> dict[str, Any]:
    """The rq task: claim repository ``index`` of ``job_id`` and import it."""
    address = _config.server or server
    if not address:
        raise RuntimeError("no mic server: start the worker with --server or set MIC_SERVER")
    client = _config.client(address)
    return work_on_index(client, job_id, index, _config.settings).to_json()


def run_worker(
    redis_url: str,
    *,
    server: str | None,
    token: str | None,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    burst: bool = False,
    name: str | None = None,
) -> None:
    """Work on the mic-migrate queue until stopped (SIGTERM/Ctrl-C: after the current job;
    twice: at once, giving the repository back)."""
    from rq import SimpleWorker

    global _config
    _config = WorkerConfig(
        server=server, token=token, settings=Settings(lease_seconds=lease_seconds)
    )
    redis = connect(redis_url)
    preload()
    # The claims need the server: fail now, not on the first job, when it is unreachable.
    if server:
        retrying(
            lambda: _config.client(server).list_jobs(),
            Backoff(tries=3),
            what="reaching the mic server",
        )
    worker = SimpleWorker([QUEUE_NAME], connection=redis, name=name)
    worker.work(burst=burst, logging_level="WARNING")
