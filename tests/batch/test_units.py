"""The pure parts of importers.batch, and a worker's decisions against a fake server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from importers.batch import queue, report, worker
from importers.batch.progress import overall, running_lines
from importers.batch.repository import Imported, RepositoryFailure
from importers.batch.retry import Backoff, is_transient, retrying
from micelio.client import (
    Claim,
    Job,
    JobRepository,
    MicError,
    NotFound,
    RepositorySpec,
    Unavailable,
)

SPEC = RepositorySpec("/srv/git/api.git", "acme/api")


def test_backoff_grows_exponentially_and_is_bounded() -> None:
    backoff = Backoff(tries=8, base=0.5, factor=2.0, cap=5.0, jitter=0.0)
    assert [backoff.delay(k) for k in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    assert backoff.total() == pytest.approx(22.5)
    jittery = Backoff(base=1.0, jitter=0.25)
    assert jittery.delay(1, 0.0) == 0.75 and jittery.delay(1, 0.999) < 1.25


def test_retrying_retries_transient_errors_only() -> None:
    sleeps: list[float] = []
    calls: Iterator[Exception | str] = iter(
        [Unavailable("down"), MicError("boom", code="INTERNAL"), "ok"]
    )

    def flaky() -> str:
        item = next(calls)
        if isinstance(item, Exception):
            raise item
        return item

    backoff = Backoff(tries=5, base=1.0, jitter=0.0)
    assert retrying(flaky, backoff, sleep=sleeps.append) == "ok"
    assert sleeps == [1.0, 2.0]
    with pytest.raises(NotFound):
        retrying(lambda: (_ for _ in ()).throw(NotFound("gone")), backoff, sleep=sleeps.append)
    assert len(sleeps) == 2  # not retried
    always: list[float] = []
    with pytest.raises(Unavailable):
        retrying(lambda: (_ for _ in ()).throw(Unavailable("down")), backoff, sleep=always.append)
    assert always == [1.0, 2.0, 4.0, 8.0]  # five tries, four waits
    assert is_transient(MicError("x", code="RESOURCE_EXHAUSTED"))
    assert not is_transient(MicError("x", code="ABORTED")) and not is_transient(ValueError())


@dataclass
class FakeServer:
    """The JobService calls a worker makes, recorded."""

    finished: list[tuple[str, str]] = field(default_factory=list)

    def renew_lease(self, *args: Any, **kwargs: Any) -> None:
        return None

    def finish_repository(
        self, job_id: str, index: int, lease_id: str, outcome: str, **kwargs: Any
    ) -> None:
        self.finished.append((outcome, kwargs.get("error", "")))


def _claim() -> Claim:
    return Claim(True, "lease", JobRepository(0, SPEC, "running"), 0, 0.0, 1)


def _work(
    monkeypatch: pytest.MonkeyPatch,
    outcomes: list[Imported | BaseException],
    server: FakeServer | None = None,
) -> tuple[FakeServer, Any, int]:
    server = server or FakeServer()
    calls = 0

    def fake_import(
        client: Any, spec: RepositorySpec, on_progress: Any, *, policy: Any
    ) -> Imported:
        nonlocal calls
        calls += 1
        item = outcomes[min(calls, len(outcomes)) - 1]
        if isinstance(item, BaseException):
            raise item
        return item

    monkeypatch.setattr(worker, "import_repository", fake_import)
    settings = worker.Settings(
        name="test", lease_seconds=30, backoff=Backoff(tries=3, base=0.0, jitter=0.0)
    )
    result = worker.work_on(server, "job", _claim(), settings)  # type: ignore[arg-type]
    return server, result, calls


def test_worker_retries_transient_failures_then_lands(monkeypatch: pytest.MonkeyPatch) -> None:
    done = Imported(10, "a" * 40, 3, 10)
    server, result, calls = _work(monkeypatch, [Unavailable("down"), Unavailable("down"), done])
    assert calls == 3 and result.status == "done" and result.commits_landed == 10
    assert server.finished == [("done", "")]


def test_worker_gives_up_after_its_tries_and_marks_the_repository_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, result, calls = _work(monkeypatch, [Unavailable("cannot reach mic server")])
    assert calls == 3 and result.status == "failed"
    assert server.finished == [
        ("failed", "server unavailable, gave up retrying: cannot reach mic server")
    ]


def test_a_repository_problem_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    server, result, calls = _work(monkeypatch, [RepositoryFailure("no such repository: x")])
    assert calls == 1 and result.status == "failed"
    assert server.finished == [("failed", "no such repository: x")]
    server, _, calls = _work(monkeypatch, [KeyError("bug")])
    assert calls == 1 and server.finished == [("failed", "KeyError: 'bug'")]


def test_an_interrupted_worker_releases_its_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    server = FakeServer()
    with pytest.raises(KeyboardInterrupt):
        _work(monkeypatch, [KeyboardInterrupt()], server)
    assert server.finished == [("released", "")]


def _job() -> Job:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    repos = (
        JobRepository(
            0,
            SPEC,
            "done",
            sessions=3,
            commits=10,
            commits_total=10,
            changes=7,
            bytes=2048,
            seconds=1.5,
            attempts=1,
            last_commit="a" * 40,
            started_at=now,
            finished_at=now,
        ),
        JobRepository(
            1, RepositorySpec("/x", "acme/x"), "failed", error="corrupt", attempts=2, seconds=0.25
        ),
        JobRepository(
            2, RepositorySpec("/y", "acme/y"), "running", worker="h:1", commits=4, commits_total=9
        ),
    )
    return Job("j1", "d" * 64, now, now, 3, 0, 1, 1, 1, repos)


def test_report_json_is_stable() -> None:
    data = report.report_json(_job())
    assert list(data) == [
        "format",
        "job_id",
        "digest",
        "state",
        "created_at",
        "updated_at",
        "counts",
        "totals",
        "repositories",
    ]
    assert data["state"] == "running" and data["created_at"] == "2026-01-02T03:04:05Z"
    assert data["counts"] == {"total": 3, "queued": 0, "running": 1, "done": 1, "failed": 1}
    assert data["totals"] == {
        "sessions": 3,
        "commits": 14,
        "changes": 7,
        "bytes": 2048,
        "seconds": 1.75,
    }
    assert list(data["repositories"][0]) == [
        "index",
        "source",
        "project",
        "ref",
        "strategy",
        "status",
        "sessions",
        "commits",
        "commits_total",
        "changes",
        "bytes",
        "seconds",
        "last_commit",
        "attempts",
        "worker",
        "lease_expired",
        "error",
        "started_at",
        "finished_at",
    ]
    assert report.error_lines(_job()) == ["#2 acme/x: corrupt"]
    assert report.summary_line(_job()) == "job j1: 1 done, 1 failed, 1 running of 3"
    assert report.table_rows(_job())[-1][1:4] == ["total", "", "3"]


def test_progress_lines() -> None:
    line = overall(_job())
    assert (line.completed, line.total) == (2, 3)
    assert line.detail == "2/3 repositories, 1 failed · 14/19 commits"
    [running] = running_lines(_job())
    assert running.label.strip() == "acme/y" and running.detail == "4/9 commits · h:1"


def test_rq_ids_never_collide() -> None:
    ids = {
        queue.rq_job_id(job, JobRepository(i, SPEC, "queued", attempts=a))
        for job in ("a.b", "a_b", "a_db", "a-1")
        for i in (1, 12)
        for a in (0, 1)
    }
    assert len(ids) == 16
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids)  # what rq accepts
    job = _job()
    assert [r.index for r in queue.to_enqueue(job)] == []
    stale = Job(
        "j",
        "d",
        None,
        None,
        2,
        1,
        1,
        0,
        0,
        (JobRepository(0, SPEC, "queued"), JobRepository(1, SPEC, "running", lease_expired=True)),
    )
    assert [r.index for r in queue.to_enqueue(stale)] == [0, 1]
