"""The local executor: N worker processes on this machine, each landing through the server.

Processes (spawned, not forked: a gRPC channel must not cross a fork) run ``work_loop``; the
parent only watches the job on the server, shows it, and replaces a worker that died (a
killed worker's repository is taken over by the others once its lease expires). All the
state is on the server, so the parent's view is the same as ``mic migrate status``.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import sys
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess

from importers.batch.retry import Backoff, retrying
from importers.batch.worker import CALL_TIMEOUT, Settings, Stop, preload, work_loop
from micelio.client import Job, MicClient

log = logging.getLogger("mic.migrate")
POLL_SECONDS = 0.5
#: Workers replaced at most this many times per worker slot before the run gives up.
RESTARTS_PER_WORKER = 3
STOP_GRACE_SECONDS = 30.0


def run_local(
    address: str,
    token: str | None,
    job_id: str,
    workers: int,
    *,
    lease_seconds: float,
    on_update: Callable[[Job], None] | None = None,
) -> Job:
    """Run the job with ``workers`` processes until every repository is done or failed."""
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    backoff = Backoff()
    with MicClient(address, token) as client:
        job = client.get_job(job_id)
        slots = min(workers, job.queued + job.running)

        def spawn() -> BaseProcess:
            proc = context.Process(
                target=_process_main,
                args=(address, token, job_id, lease_seconds, stop),
                name="mic-migrate-worker",
            )
            proc.start()
            return proc

        procs = [spawn() for _ in range(slots)]
        restarts = 0
        try:
            while True:
                job = retrying(lambda: client.get_job(job_id), backoff, what="reading the job")
                if on_update is not None:
                    on_update(job)
                if job.finished:
                    break
                for slot, proc in enumerate(procs):
                    if (
                        not proc.is_alive()
                        and proc.exitcode != 0
                        and restarts < (RESTARTS_PER_WORKER * max(1, slots))
                    ):
                        log.warning(
                            "worker %s exited with %s: starting another", proc.pid, proc.exitcode
                        )
                        procs[slot] = spawn()
                        restarts += 1
                if not any(p.is_alive() for p in procs):
                    break  # every worker gave up: the report says what is left
                time.sleep(POLL_SECONDS)
        finally:
            stop.set()  # idle workers leave; a busy one finishes its repository
            _join(procs)
        return client.get_job(job_id)


def _join(procs: list[BaseProcess]) -> None:
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for proc in procs:
        proc.join(timeout=max(0.1, deadline - time.monotonic()))
    for proc in procs:
        if proc.is_alive():
            proc.terminate()  # SIGTERM: its import is interrupted and releases its repository
            proc.join(timeout=10)


def _process_main(
    address: str, token: str | None, job_id: str, lease_seconds: float, stop: Stop
) -> None:
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s mic migrate worker: %(message)s",
    )
    _sigterm_interrupts()
    with contextlib.suppress(KeyboardInterrupt):
        preload()
    with (
        contextlib.suppress(KeyboardInterrupt),
        MicClient(address, token, timeout=CALL_TIMEOUT) as client,
    ):
        work_loop(client, job_id, Settings(lease_seconds=lease_seconds), stop)


def _sigterm_interrupts() -> None:
    """SIGTERM raises KeyboardInterrupt, so that the import stops and releases its repository."""
    import signal

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
