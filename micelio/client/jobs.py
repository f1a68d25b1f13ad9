"""Records of batch migration jobs (``JobService``) and their protocol conversions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from micelio.client.convert import time_from_pb
from micelio.sources import SourcePolicy
from micelio.v1 import micelio_pb2 as pb

_STATUS_FROM_PB = {
    pb.REPOSITORY_STATUS_QUEUED: "queued",
    pb.REPOSITORY_STATUS_RUNNING: "running",
    pb.REPOSITORY_STATUS_DONE: "done",
    pb.REPOSITORY_STATUS_FAILED: "failed",
}
OUTCOME_TO_PB = {
    "done": pb.REPOSITORY_OUTCOME_DONE,
    "failed": pb.REPOSITORY_OUTCOME_FAILED,
    "released": pb.REPOSITORY_OUTCOME_RELEASED,
}


@dataclass(frozen=True, slots=True)
class RepositorySpec:
    """What to import: a path or URL into ORG/PROJECT (``ref`` empty: HEAD)."""

    source: str
    project: str
    ref: str = ""
    strategy: str = "auto"


@dataclass(frozen=True, slots=True)
class JobRepository:
    """One repository of a job as the server knows it (``status``: queued, running, done,
    failed; ``lease_expired``: running, but its worker stopped renewing)."""

    index: int
    spec: RepositorySpec
    status: str
    worker: str = ""
    lease_expires_at: datetime | None = None
    lease_expired: bool = False
    attempts: int = 0
    last_commit: str = ""
    commits_total: int = 0
    commits: int = 0
    sessions: int = 0
    changes: int = 0
    bytes: int = 0
    seconds: float = 0.0
    error: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Job:
    job_id: str
    digest: str
    created_at: datetime | None
    updated_at: datetime | None
    total: int
    queued: int
    running: int
    done: int
    failed: int
    repositories: tuple[JobRepository, ...] = ()

    @property
    def finished(self) -> bool:
        """Every repository is done or failed."""
        return self.done + self.failed == self.total


@dataclass(frozen=True, slots=True)
class Claim:
    """A claim's answer: ``lease_id`` when ``claimed``; else how many repositories other
    workers hold (``held``), when the first of their leases expires, and what is left.
    ``policy``: the sources this token may read, as the server says (nothing when it says
    nothing), which the worker checks before reading."""

    claimed: bool
    lease_id: str
    repository: JobRepository | None
    held: int
    retry_after: float
    remaining: int
    policy: SourcePolicy = field(default_factory=SourcePolicy)


def spec_to_pb(spec: RepositorySpec) -> pb.RepositorySpec:
    return pb.RepositorySpec(
        source=spec.source, project=spec.project, ref=spec.ref, strategy=spec.strategy
    )


def repository_from_pb(m: pb.JobRepository) -> JobRepository:
    return JobRepository(
        index=m.index,
        spec=RepositorySpec(m.spec.source, m.spec.project, m.spec.ref, m.spec.strategy),
        status=_STATUS_FROM_PB.get(m.status, "unspecified"),
        worker=m.worker,
        lease_expires_at=time_from_pb(m, "lease_expires_at"),
        lease_expired=m.lease_expired,
        attempts=m.attempts,
        last_commit=m.last_commit,
        commits_total=m.commits_total,
        commits=m.commits,
        sessions=m.sessions,
        changes=m.changes,
        bytes=m.bytes,
        seconds=m.seconds,
        error=m.error,
        started_at=time_from_pb(m, "started_at"),
        finished_at=time_from_pb(m, "finished_at"),
    )


def job_from_pb(m: pb.Job) -> Job:
    return Job(
        job_id=m.job_id,
        digest=m.digest,
        created_at=time_from_pb(m, "created_at"),
        updated_at=time_from_pb(m, "updated_at"),
        total=m.total,
        queued=m.queued,
        running=m.running,
        done=m.done,
        failed=m.failed,
        repositories=tuple(repository_from_pb(r) for r in m.repositories),
    )


def claim_from_pb(m: pb.ClaimRepositoryResponse) -> Claim:
    return Claim(
        claimed=m.claimed,
        lease_id=m.lease_id,
        repository=repository_from_pb(m.repository) if m.HasField("repository") else None,
        held=m.held,
        retry_after=m.retry_after_seconds,
        remaining=m.remaining,
        policy=SourcePolicy(
            unrestricted=m.source_policy.unrestricted,
            roots=tuple(m.source_policy.roots),
            url_patterns=tuple(m.source_policy.url_patterns),
        ),
    )
