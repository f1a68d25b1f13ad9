"""``mic migrate``: batch migration jobs (run, status, report, worker) over ``importers.batch``.

The job's state lives on the server; these commands register it, run workers (local processes
or rq workers), and read it back. See docs/deployment.md.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from micelio import config
from micelio.cli import output
from micelio.cli.embedded import local_server
from micelio.cli.errors import GENERIC, UNREACHABLE, USAGE, CliError
from micelio.cli.output import JsonOpt, ServerOpt, TokenOpt

if TYPE_CHECKING:
    from rich.console import Console

    from micelio.client import Job, discovery

T = TypeVar("T")
app = typer.Typer(help="Batch migrations: many repositories, many workers.", no_args_is_help=True)


@functools.cache
def _stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


QueueOpt = Annotated[
    str | None,
    typer.Option(
        "--queue", help="Redis URL (redis://HOST:PORT/DB) of the rq queue.", show_default=False
    ),
]
LeaseOpt = Annotated[
    float,
    typer.Option(
        "--lease",
        min=2.0,
        max=3600.0,
        help="Seconds a worker's claim lasts without renewal (renewed every third).",
    ),
]


@contextlib.contextmanager
def _endpoint(server: str | None, token: str | None) -> Iterator[discovery.Endpoint]:
    """The configured (or running local) server, else an embedded one for this command."""
    from micelio.client import discovery

    data_dir = config.default_data_dir()
    if server or os.environ.get("MIC_SERVER") or discovery.local_server(data_dir):
        yield discovery.resolve(server, token)
        return
    with local_server(data_dir) as address:
        yield discovery.resolve(address, token)


@app.command("run")
def run(
    manifest: Annotated[Path, typer.Argument(help="The job's manifest (TOML).")],
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=256, help="Local worker processes.")
    ] = 2,
    queue: QueueOpt = None,
    detach: Annotated[
        bool, typer.Option("--detach", help="With --queue: enqueue and return at once.")
    ] = False,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed/--no-retry-failed",
            help="Queue failed repositories again (default) or leave them.",
        ),
    ] = True,
    lease: LeaseOpt = 60.0,
    job_timeout: Annotated[
        int,
        typer.Option(
            "--job-timeout", min=60, help="With --queue: seconds before rq stops one repository."
        ),
    ] = 24 * 3600,
    as_json: JsonOpt = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Register (or continue) the job of MANIFEST and run it to the end."""
    from importers.batch import executor
    from importers.batch.manifest import ManifestError, load
    from importers.batch.progress import JobDisplay
    from micelio.client import MicClient

    try:
        plan = load(manifest)
    except ManifestError as exc:
        raise CliError(str(exc), USAGE) from None
    if detach and not queue:
        raise CliError("--detach needs --queue", USAGE)
    with (
        _endpoint(server, token) as endpoint,
        MicClient(endpoint.address, endpoint.token) as client,
    ):
        job = client.create_job(
            plan.job_id, plan.digest, plan.repositories, retry_failed=retry_failed
        )
        _stderr().print(
            f"job {job.job_id}: {job.total} repositories: {job.done} done, "
            f"{job.failed} failed, {job.queued + job.running} to import"
        )
        display = JobDisplay(_stderr(), enabled=_stderr().is_terminal and not detach)
        if queue:
            from importers.batch import queue as rq_queue

            redis = _redis(queue)
            enqueued = _redis_call(
                queue,
                lambda: rq_queue.enqueue(redis, job, endpoint.address, job_timeout=job_timeout),
            )
            _stderr().print(f"enqueued {len(enqueued)} repositories on {queue}")
            if detach:
                _print(as_json, {"job_id": job.job_id, "enqueued": enqueued}, job.job_id)
                return
            with display:
                job = _redis_call(
                    queue,
                    lambda: rq_queue.watch(
                        client,
                        redis,
                        job.job_id,
                        endpoint.address,
                        job_timeout=job_timeout,
                        on_update=display.update,
                    ),
                )
        else:
            with display:
                job = executor.run_local(
                    endpoint.address,
                    endpoint.token,
                    job.job_id,
                    workers,
                    lease_seconds=lease,
                    on_update=display.update,
                )
    _show_report(job, as_json)
    if job.failed or not job.finished:
        left = f", {job.queued + job.running} not finished" if not job.finished else ""
        raise CliError(
            f"job {job.job_id}: {job.failed} of {job.total} repositories "
            f"failed{left} (see the report)",
            GENERIC,
            answered=as_json,
        )


@app.command("status")
def status(
    job_id: Annotated[str | None, typer.Argument(help="A job id (default: every job).")] = None,
    as_json: JsonOpt = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Where jobs stand: every job, or one job's repositories."""
    from rich.table import Table

    from importers.batch import report
    from micelio.client import MicClient

    with (
        _endpoint(server, token) as endpoint,
        MicClient(endpoint.address, endpoint.token) as client,
    ):
        if job_id is None:
            jobs = client.list_jobs()
        else:
            job = client.get_job(job_id)
    if job_id is None:
        if as_json:
            output.print_json([_job_summary(j) for j in jobs])
            return
        if not jobs:
            output.console.print("no jobs")
            return
        table = Table(
            "job", "state", "done", "failed", "running", "queued", "total", "updated", box=None
        )
        for j in jobs:
            table.add_row(
                j.job_id,
                "finished" if j.finished else "running",
                str(j.done),
                str(j.failed),
                str(j.running),
                str(j.queued),
                str(j.total),
                output.when(j.updated_at),
            )
        output.console.print(table)
        return
    if as_json:
        output.print_json(report.report_json(job))
        return
    table = Table("#", "project", "status", "commits", "worker", "attempts", "error", box=None)
    for r in job.repositories:
        worker = (
            r.worker + (" (lease expired)" if r.lease_expired else "")
            if (r.status == "running")
            else ""
        )
        table.add_row(
            str(r.index + 1),
            r.spec.project,
            r.status,
            f"{r.commits:,}/{r.commits_total:,}",
            worker,
            str(r.attempts),
            r.error,
        )
    output.console.print(table)
    output.console.print(report.summary_line(job))


@app.command("report")
def report_cmd(
    job_id: Annotated[str, typer.Argument(help="The job id (mic migrate status lists them).")],
    as_json: JsonOpt = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Per repository: status, sessions, commits, changes, bytes, seconds and error."""
    from micelio.client import MicClient

    with (
        _endpoint(server, token) as endpoint,
        MicClient(endpoint.address, endpoint.token) as client,
    ):
        job = client.get_job(job_id)
    _show_report(job, as_json)


@app.command("worker")
def worker(
    queue: Annotated[str, typer.Option("--queue", help="Redis URL (redis://HOST:PORT/DB).")],
    lease: LeaseOpt = 60.0,
    burst: Annotated[bool, typer.Option("--burst", help="Stop once the queue is empty.")] = False,
    name: Annotated[
        str | None,
        typer.Option("--name", help="The rq worker's name (default: random).", show_default=False),
    ] = None,
    server: Annotated[
        str | None,
        typer.Option(
            "--server",
            help="Land through this server (default: $MIC_SERVER, else "
            "the server that registered each job).",
            show_default=False,
        ),
    ] = None,
    token: TokenOpt = None,
) -> None:
    """Run an rq worker that imports the repositories of queued jobs (Ctrl-C stops it)."""
    import logging

    from importers.batch import queue as rq_queue

    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s"
    )
    address = server or os.environ.get("MIC_SERVER") or None
    _stderr().print(
        f"mic migrate worker: waiting for repositories on {queue} "
        f"(landing through {address or 'the server of each job'})"
    )
    _redis_call(
        queue,
        lambda: rq_queue.run_worker(
            queue,
            server=address,
            token=token or os.environ.get("MIC_TOKEN"),
            lease_seconds=lease,
            burst=burst,
            name=name,
        ),
    )


def _show_report(job: Job, as_json: bool) -> None:
    from rich.table import Table

    from importers.batch import report

    if as_json:
        output.print_json(report.report_json(job))
        return
    table = Table(*report.TABLE_HEADER, box=None)
    for row in report.table_rows(job):
        table.add_row(*row)
    output.console.print(table)
    for line in report.error_lines(job):
        output.console.print(line)
    output.console.print(report.summary_line(job))


def _job_summary(job: Job) -> dict[str, Any]:
    from importers.batch import report
    from micelio.client import iso

    return {
        "job_id": job.job_id,
        "state": "finished" if job.finished else "running",
        "counts": report.counts_json(job),
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
    }


def _print(as_json: bool, data: dict[str, Any], text: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data) + "\n")
    else:
        typer.echo(text)


def _redis(url: str) -> Any:
    from importers.batch.queue import connect

    try:
        return connect(url)
    except ValueError as exc:
        raise CliError(f"invalid --queue URL {url!r}: {exc}", USAGE) from None


def _redis_call(url: str, call: Callable[[], T]) -> T:
    """Run ``call``, turning Redis connection errors into one line (exit 7)."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    try:
        return call()
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise CliError(f"cannot reach Redis at {url}: {exc}", UNREACHABLE) from None
