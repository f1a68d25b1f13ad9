"""Showing a running job on a terminal: one overall bar (repositories and commits) and a line
per running repository, redrawn from the job as the server reports it.

``JobDisplay.update(job)`` is all the executors call; what to draw is computed by the pure
``overall`` and ``running_lines`` so that the rich part stays a thin shell.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from micelio.client import Job


@dataclass(frozen=True)
class Line:
    key: int
    label: str
    completed: int
    total: int | None
    detail: str


def overall(job: Job) -> Line:
    commits = sum(r.commits for r in job.repositories)
    planned = sum(r.commits_total for r in job.repositories)
    failed = f", {job.failed} failed" if job.failed else ""
    return Line(
        -1,
        f"job {job.job_id}",
        job.done + job.failed,
        job.total,
        f"{job.done + job.failed}/{job.total} repositories{failed} · "
        f"{commits:,}/{planned:,} commits",
    )


def running_lines(job: Job) -> list[Line]:
    lines = []
    for r in job.repositories:
        if r.status != "running":
            continue
        state = "lease expired, waiting for a worker" if r.lease_expired else r.worker
        # Until its worker has walked the history, a repository has no commit count.
        figures = f"{r.commits:,}/{r.commits_total:,} commits" if r.commits_total else "planning"
        lines.append(
            Line(
                r.index,
                f"  {r.spec.project}",
                r.commits,
                r.commits_total or None,
                f"{figures} · {state}",
            )
        )
    return lines


class JobDisplay:
    """A live view on ``console`` (stderr); draws nothing when ``enabled`` is false."""

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=not enabled,
        )
        self._tasks: dict[int, TaskID] = {}

    def __enter__(self) -> JobDisplay:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def update(self, job: Job) -> None:
        wanted = [overall(job), *running_lines(job)]
        keys = {line.key for line in wanted}
        for key in [k for k in self._tasks if k not in keys]:
            self._progress.remove_task(self._tasks.pop(key))
        for line in wanted:
            task = self._tasks.get(line.key)
            if task is None:
                self._tasks[line.key] = self._progress.add_task(
                    line.label, total=line.total, completed=line.completed, detail=line.detail
                )
            else:
                self._progress.update(
                    task,
                    description=line.label,
                    total=line.total,
                    completed=line.completed,
                    detail=line.detail,
                )
