"""A job's report: a stable JSON document, and the same as text for people. Pure.

JSON (``mic migrate report JOB --json``; ``"format": 1``; fields are only ever added)::

    {"format": 1, "job_id": "...", "digest": "...", "state": "finished" | "running",
     "created_at": "...", "updated_at": "...",
     "counts": {"total": 6, "queued": 0, "running": 0, "done": 5, "failed": 1},
     "totals": {"sessions": 0, "commits": 0, "changes": 0, "bytes": 0, "seconds": 0.0},
     "repositories": [
       {"index": 0, "source": "...", "project": "ORG/PROJECT", "ref": "", "strategy": "auto",
        "status": "queued" | "running" | "done" | "failed", "sessions": 0, "commits": 0,
        "commits_total": 0, "changes": 0, "bytes": 0, "seconds": 0.0, "last_commit": "",
        "attempts": 0, "worker": "", "lease_expired": false, "error": "",
        "started_at": null, "finished_at": null}]}

``sessions``, ``changes`` and ``bytes`` describe the project as the import left it (its landed
sessions, their changes and content bytes), counted by the server when the repository ended;
``commits`` are the first-parent commits imported in all; ``seconds`` the time spent under
leases over every attempt.
"""

from __future__ import annotations

from typing import Any

from micelio.client import Job, JobRepository, iso

FORMAT = 1
FIGURES = ("sessions", "commits", "changes", "bytes")


def repository_json(repo: JobRepository) -> dict[str, Any]:
    return {
        "index": repo.index,
        "source": repo.spec.source,
        "project": repo.spec.project,
        "ref": repo.spec.ref,
        "strategy": repo.spec.strategy,
        "status": repo.status,
        "sessions": repo.sessions,
        "commits": repo.commits,
        "commits_total": repo.commits_total,
        "changes": repo.changes,
        "bytes": repo.bytes,
        "seconds": round(repo.seconds, 3),
        "last_commit": repo.last_commit,
        "attempts": repo.attempts,
        "worker": repo.worker,
        "lease_expired": repo.lease_expired,
        "error": repo.error,
        "started_at": iso(repo.started_at) or None,
        "finished_at": iso(repo.finished_at) or None,
    }


def report_json(job: Job) -> dict[str, Any]:
    repos = [repository_json(r) for r in job.repositories]
    totals: dict[str, Any] = {k: sum(r[k] for r in repos) for k in FIGURES}
    totals["seconds"] = round(sum(r["seconds"] for r in repos), 3)
    return {
        "format": FORMAT,
        "job_id": job.job_id,
        "digest": job.digest,
        "state": "finished" if job.finished else "running",
        "created_at": iso(job.created_at) or None,
        "updated_at": iso(job.updated_at) or None,
        "counts": counts_json(job),
        "totals": totals,
        "repositories": repos,
    }


def counts_json(job: Job) -> dict[str, int]:
    return {
        "total": job.total,
        "queued": job.queued,
        "running": job.running,
        "done": job.done,
        "failed": job.failed,
    }


def summary_line(job: Job) -> str:
    """``job m-1a2b…: 5 done, 1 failed of 6`` (queued and running only when there are some)."""
    parts = [f"{job.done} done", f"{job.failed} failed"]
    if job.running:
        parts.append(f"{job.running} running")
    if job.queued:
        parts.append(f"{job.queued} queued")
    return f"job {job.job_id}: {', '.join(parts)} of {job.total}"


def table_rows(job: Job) -> list[list[str]]:
    """The report table for people: one row per repository, then the totals."""
    rows = []
    for r in job.repositories:
        rows.append(
            [
                str(r.index + 1),
                r.spec.project,
                r.status,
                f"{r.sessions:,}",
                f"{r.commits:,}",
                f"{r.changes:,}",
                size(r.bytes),
                f"{r.seconds:,.1f}",
            ]
        )
    data = report_json(job)["totals"]
    rows.append(
        [
            "",
            "total",
            "",
            f"{data['sessions']:,}",
            f"{data['commits']:,}",
            f"{data['changes']:,}",
            size(data["bytes"]),
            f"{data['seconds']:,.1f}",
        ]
    )
    return rows


TABLE_HEADER = ["#", "project", "status", "sessions", "commits", "changes", "bytes", "seconds"]


def error_lines(job: Job) -> list[str]:
    """One line per failed repository: ``#6 acme/broken: reason``."""
    return [
        f"#{r.index + 1} {r.spec.project}: {r.error}"
        for r in job.repositories
        if r.status == "failed"
    ]


def size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"
