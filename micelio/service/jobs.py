"""Batch migration jobs (``mic migrate``): registering a job, and leases on its repositories.

A worker claims one repository at a time with a conditional UPDATE (``status = 'queued'`` or
a running lease that expired), so that on PostgreSQL (row locks, the WHERE re-checked after a
concurrent update) as on SQLite (one writer) exactly one claimer wins, whichever server
process it called. Each claim gets a new lease id: a worker whose lease was taken over can no
longer renew or finish. Times come from the database's clock on PostgreSQL, so several
servers need not agree on the time.

Auth: a job belongs to the organizations of its repositories; registering, claiming and
finishing need write in each of them, reading needs read. Sources: every source must be
allowed for the registering token by the server's :class:`SourceRules` (PERMISSION_DENIED
naming it, and nothing stored); a claim carries the claiming token's policy, which the worker
applies again before it reads (micelio/sources.py).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from micelio.database.engine import Database
from micelio.database.models import (
    REPO_DONE,
    REPO_FAILED,
    REPO_QUEUED,
    REPO_RUNNING,
    MigrationJob,
    MigrationRepository,
    Organization,
    Project,
    SessionChange,
    utcnow,
)
from micelio.database.models import Session as MicSession
from micelio.service import limits
from micelio.service.auth import Principal, require_org
from micelio.service.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from micelio.sources import SourceDenied, SourcePolicy
from micelio.vocabulary import SessionStatus, TokenRole

MIN_LEASE_SECONDS = 2.0
MAX_LEASE_SECONDS = 3600.0
MAX_REPOSITORIES = 100_000
MAX_ERROR = 4000
OUTCOMES = ("done", "failed", "released")
_JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_STRATEGY = re.compile(r"^[a-z]{1,16}$")
_COMMIT = re.compile(r"^([0-9a-f]{40}|[0-9a-f]{64})?$")
#: Candidates tried per claim: a few lost races in a row are retried within the transaction.
_CLAIM_CANDIDATES = 16


@dataclass(frozen=True)
class RepositorySpec:
    source: str
    project: str  # ORG/PROJECT
    ref: str = ""
    strategy: str = "auto"

    @property
    def organization(self) -> str:
        return self.project.partition("/")[0]


@dataclass(frozen=True)
class Progress:
    """What a worker reports: commits planned and imported so far, the last one imported."""

    commits_total: int = 0
    commits: int = 0
    last_commit: str = ""


@dataclass(frozen=True)
class RepositoryView:
    index: int
    spec: RepositorySpec
    status: str
    worker: str
    lease_expires_at: datetime | None
    lease_expired: bool
    attempts: int
    last_commit: str
    commits_total: int
    commits: int
    sessions: int
    changes: int
    content_bytes: int
    seconds: float
    error: str
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class JobView:
    job_id: str
    digest: str
    created_at: datetime
    updated_at: datetime
    counts: dict[str, int]  # status → repositories
    repositories: list[RepositoryView]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class SourceRules:
    """The server's configuration of job sources (ServerConfig's block of the same name)."""

    roots: tuple[str, ...] = ()
    url_patterns: tuple[str, ...] = ()
    restrict_server_wide: bool = False

    def policy_for(self, principal: Principal) -> SourcePolicy:
        """What this token may name: anything for a server-wide token (only a server-wide
        admin mints them: they are the operator's) unless restricted too, else the configured
        roots and patterns."""
        return SourcePolicy(
            unrestricted=principal.server_wide and not self.restrict_server_wide,
            roots=self.roots,
            url_patterns=self.url_patterns,
        )


@dataclass(frozen=True)
class ClaimView:
    claimed: bool
    lease_id: str
    repository: RepositoryView | None
    held: int  # running under live leases (of other workers)
    retry_after: float  # seconds until the first of those leases expires
    remaining: int  # neither done nor failed
    policy: SourcePolicy  # what the worker may read, for the claiming token


class JobService:
    def __init__(self, db: Database, sources: SourceRules | None = None) -> None:
        self._db = db
        self._sources = sources or SourceRules()

    # --- jobs -------------------------------------------------------------------------------

    def create_job(
        self,
        principal: Principal,
        job_id: str,
        digest: str,
        specs: Sequence[RepositorySpec],
        *,
        retry_failed: bool = False,
    ) -> JobView:
        """Register a job; the existing one when the id and digest match."""
        _check_job(job_id, digest, specs)
        organizations = sorted({s.organization for s in specs})
        for org in organizations:
            require_org(principal, org, TokenRole.WRITE, "run migration jobs")
        _check_sources(self._sources.policy_for(principal), specs)
        try:
            return self._create(job_id, digest, organizations, specs, retry_failed)
        except IntegrityError:
            # Another process registered the same job between our check and our insert.
            return self._create(job_id, digest, organizations, specs, retry_failed)

    def _create(
        self,
        job_id: str,
        digest: str,
        organizations: list[str],
        specs: Sequence[RepositorySpec],
        retry_failed: bool,
    ) -> JobView:
        with self._db.write() as db:
            job = db.scalar(select(MigrationJob).where(MigrationJob.job_id == job_id))
            if job is None:
                job = _insert_job(db, job_id, digest, organizations, specs)
            elif job.digest != digest:
                raise AlreadyExists(
                    f"job {job_id!r} exists with another manifest (digest "
                    f"{job.digest[:12]}, this one {digest[:12]}): name the job differently"
                )
            elif retry_failed:
                now = _now(db)
                db.execute(
                    update(MigrationRepository)
                    .where(
                        MigrationRepository.job_pk == job.id,
                        MigrationRepository.status == REPO_FAILED,
                    )
                    .values(status=REPO_QUEUED, finished_at=None, error="")
                )
                job.updated_at = now
            return _job_view(db, job, _now(db))

    def get_job(self, principal: Principal, job_id: str) -> JobView:
        with self._db.read() as db:
            job = _load(db, principal, job_id, TokenRole.READ)
            return _job_view(db, job, _now(db))

    def list_jobs(self, principal: Principal) -> list[JobView]:
        with self._db.read() as db:
            jobs = db.scalars(
                select(MigrationJob).order_by(
                    MigrationJob.created_at.desc(), MigrationJob.id.desc()
                )
            )
            visible = [j for j in jobs if _may(principal, j, TokenRole.READ)]
            now = _now(db)
            return [_job_view(db, j, now, repositories=False) for j in visible]

    # --- leases -----------------------------------------------------------------------------

    def claim(
        self,
        principal: Principal,
        job_id: str,
        worker: str,
        lease_seconds: float,
        index: int | None = None,
    ) -> ClaimView:
        """Claim repository ``index``, else the first claimable one, under a new lease."""
        lease = _lease(lease_seconds)
        with self._db.write() as db:
            job = _load(db, principal, job_id, TokenRole.WRITE)
            now = _now(db)
            if index is not None:
                candidates = [_position(db, job, index)]
            else:
                candidates = list(
                    db.scalars(
                        _claimable(job.id, now)
                        .order_by(MigrationRepository.position)
                        .limit(_CLAIM_CANDIDATES)
                    )
                )
            lease_id = ""
            claimed: MigrationRepository | None = None
            for candidate in candidates:
                new_lease = uuid.uuid4().hex
                # Compare-and-set: a concurrent claimer that won makes this match no row.
                result = db.execute(
                    update(MigrationRepository)
                    .where(MigrationRepository.id == candidate.id, _is_claimable(now))
                    .values(
                        status=REPO_RUNNING,
                        lease_id=new_lease,
                        worker=worker[:200],
                        lease_expires_at=now + lease,
                        beat_at=now,
                        attempts=MigrationRepository.attempts + 1,
                        started_at=func.coalesce(MigrationRepository.started_at, now),
                        finished_at=None,
                    )
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    lease_id, claimed = new_lease, candidate
                    break
            if claimed is not None:
                job.updated_at = now
            shown = (
                claimed if claimed is not None else (candidates[0] if index is not None else None)
            )
            if shown is not None:
                # Fresh: a candidate whose race we lost is running now, not queued.
                db.refresh(shown)
            held, first_expiry, remaining = _others(db, job.id, now, claimed)
            return ClaimView(
                claimed=claimed is not None,
                lease_id=lease_id,
                repository=_repo_view(shown, now) if shown is not None else None,
                held=held,
                retry_after=(first_expiry - now).total_seconds() if first_expiry else 0.0,
                remaining=remaining,
                policy=self._sources.policy_for(principal),
            )

    def renew(
        self,
        principal: Principal,
        job_id: str,
        index: int,
        lease_id: str,
        lease_seconds: float,
        progress: Progress,
    ) -> RepositoryView:
        """Extend a lease and record progress."""
        lease = _lease(lease_seconds)
        with self._db.write() as db:
            job = _load(db, principal, job_id, TokenRole.WRITE)
            now = _now(db)
            repo = _leased(db, job, index, lease_id)
            _count_time(repo, now)
            repo.lease_expires_at = now + lease
            _record(repo, progress)
            db.flush()
            return _repo_view(repo, now)

    def finish(
        self,
        principal: Principal,
        job_id: str,
        index: int,
        lease_id: str,
        outcome: str,
        progress: Progress,
        error: str = "",
    ) -> RepositoryView:
        """End a lease: done, failed (with ``error``) or released back to the queue."""
        if outcome not in OUTCOMES:
            raise InvalidArgument(f"unknown outcome {outcome!r} ({', '.join(OUTCOMES)})")
        if outcome == "failed" and not error.strip():
            raise InvalidArgument("a failed repository needs its error")
        with self._db.write() as db:
            job = _load(db, principal, job_id, TokenRole.WRITE)
            now = _now(db)
            repo = _leased(db, job, index, lease_id)
            _count_time(repo, now)
            _record(repo, progress)
            repo.lease_id = None
            repo.lease_expires_at = None
            if outcome == "released":
                repo.status = REPO_QUEUED
            else:
                repo.status = REPO_DONE if outcome == "done" else REPO_FAILED
                repo.error = error.strip()[:MAX_ERROR] if outcome == "failed" else ""
                repo.finished_at = now
                repo.sessions, repo.changes, repo.content_bytes = _project_figures(db, repo.project)
            job.updated_at = now
            db.flush()
            return _repo_view(repo, now)


# --- rules (pure) ---------------------------------------------------------------------------


def _check_job(job_id: str, digest: str, specs: Sequence[RepositorySpec]) -> None:
    if not _JOB_ID.match(job_id or ""):
        raise InvalidArgument(
            f"invalid job id {job_id!r}: use 1-100 of [A-Za-z0-9._-], starting with a letter or "
            "digit"
        )
    if not _DIGEST.match(digest or ""):
        raise InvalidArgument("digest must be 64 lowercase hex digits (sha256)")
    if not specs:
        raise InvalidArgument("a job needs at least one repository")
    if len(specs) > MAX_REPOSITORIES:
        raise InvalidArgument(f"a job has at most {MAX_REPOSITORIES} repositories")
    seen: dict[str, int] = {}
    for index, spec in enumerate(specs):
        org, sep, project = spec.project.partition("/")
        if not sep:
            raise InvalidArgument(f"repository {index}: project must be ORG/PROJECT")
        limits.check_handle("organization", org)
        limits.check_handle("project", project)
        limits.check_text("source", spec.source, 4096, required=True)
        limits.check_text("ref", spec.ref, 1024)
        if not _STRATEGY.match(spec.strategy):
            raise InvalidArgument(f"repository {index}: invalid strategy {spec.strategy!r}")
        if spec.project in seen:
            raise InvalidArgument(
                f"repositories {seen[spec.project]} and {index} both import into {spec.project}"
            )
        seen[spec.project] = index


def _check_sources(policy: SourcePolicy, specs: Sequence[RepositorySpec]) -> None:
    """Every source allowed for this token, else PERMISSION_DENIED naming the first that
    is not (checked on the server's host: the worker checks again on its own)."""
    for index, spec in enumerate(specs):
        try:
            policy.check(spec.source)
        except SourceDenied as exc:
            raise PermissionDenied(f"repository {index} ({spec.project}): {exc}") from None


def _lease(seconds: float) -> timedelta:
    return timedelta(seconds=min(MAX_LEASE_SECONDS, max(MIN_LEASE_SECONDS, seconds or 0.0)))


def _may(principal: Principal, job: MigrationJob, role: TokenRole) -> bool:
    try:
        for org in job.organizations:
            require_org(principal, org, role, "see migration jobs")
    except PermissionDenied:
        return False
    return True


def _count_time(repo: MigrationRepository, now: datetime) -> None:
    """Time under lease since the last claim or renewal (a dead worker's stops at its last)."""
    if repo.beat_at is not None:
        repo.seconds = (repo.seconds or 0.0) + max(0.0, (now - repo.beat_at).total_seconds())
    repo.beat_at = now


def _record(repo: MigrationRepository, progress: Progress) -> None:
    if not _COMMIT.match(progress.last_commit or ""):
        raise InvalidArgument(f"last_commit {progress.last_commit!r} is not a commit id")
    if progress.commits_total:
        repo.commits_total = max(0, progress.commits_total)
    repo.commits = max(0, progress.commits)
    if progress.last_commit:
        repo.last_commit = progress.last_commit


def _is_claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        MigrationRepository.status == REPO_QUEUED,
        and_(
            MigrationRepository.status == REPO_RUNNING, MigrationRepository.lease_expires_at < now
        ),
    )


def _claimable(job_pk: int, now: datetime) -> Select[MigrationRepository]:
    return select(MigrationRepository).where(
        MigrationRepository.job_pk == job_pk, _is_claimable(now)
    )


# --- database (within a transaction) --------------------------------------------------------


def _now(db: DbSession) -> datetime:
    """The database's clock on PostgreSQL (shared by every server); ours on SQLite (one host)."""
    if db.get_bind().dialect.name == "postgresql":
        value = db.scalar(select(func.clock_timestamp()))
        if isinstance(value, datetime):
            return value
    return utcnow()


def _insert_job(
    db: DbSession,
    job_id: str,
    digest: str,
    organizations: list[str],
    specs: Sequence[RepositorySpec],
) -> MigrationJob:
    now = _now(db)
    job = MigrationJob(
        job_id=job_id, digest=digest, organizations=organizations, created_at=now, updated_at=now
    )
    db.add(job)
    db.flush()
    db.add_all(
        MigrationRepository(
            job_pk=job.id,
            position=index,
            source=spec.source,
            project=spec.project,
            ref=spec.ref,
            strategy=spec.strategy,
            status=REPO_QUEUED,
            worker="",
            attempts=0,
            last_commit="",
            commits_total=0,
            commits=0,
            sessions=0,
            changes=0,
            content_bytes=0,
            seconds=0.0,
            error="",
        )
        for index, spec in enumerate(specs)
    )
    db.flush()
    return job


def _load(db: DbSession, principal: Principal, job_id: str, role: TokenRole) -> MigrationJob:
    if not job_id:
        raise InvalidArgument("job_id is required")
    job = db.scalar(select(MigrationJob).where(MigrationJob.job_id == job_id))
    if job is None:
        raise NotFound(f"migration job {job_id!r} not found")
    for org in job.organizations:
        require_org(principal, org, role, "work on this migration job")
    return job


def _others(
    db: DbSession, job_pk: int, now: datetime, claimed: MigrationRepository | None
) -> tuple[int, datetime | None, int]:
    """Repositories held under live leases (but ``claimed``), the first of those leases to
    expire, and the repositories neither done nor failed: aggregates, not rows, so that a
    claim costs the same in a job of ten repositories or ten thousand."""
    live = [
        MigrationRepository.job_pk == job_pk,
        MigrationRepository.status == REPO_RUNNING,
        MigrationRepository.lease_expires_at >= now,
    ]
    if claimed is not None:
        live.append(MigrationRepository.id != claimed.id)
    held, first_expiry = db.execute(
        select(func.count(), func.min(MigrationRepository.lease_expires_at)).where(*live)
    ).one()
    remaining = db.scalar(
        select(func.count())
        .select_from(MigrationRepository)
        .where(
            MigrationRepository.job_pk == job_pk,
            MigrationRepository.status.in_((REPO_QUEUED, REPO_RUNNING)),
        )
    )
    return int(held or 0), first_expiry, int(remaining or 0)


def _position(db: DbSession, job: MigrationJob, index: int) -> MigrationRepository:
    repo = db.scalar(
        select(MigrationRepository).where(
            MigrationRepository.job_pk == job.id, MigrationRepository.position == index
        )
    )
    if repo is None:
        raise NotFound(f"migration job {job.job_id!r} has no repository {index}")
    return repo


def _leased(db: DbSession, job: MigrationJob, index: int, lease_id: str) -> MigrationRepository:
    """The repository under this lease, locked; FailedPrecondition when the lease was lost."""
    query = (
        select(MigrationRepository)
        .where(MigrationRepository.job_pk == job.id, MigrationRepository.position == index)
        .with_for_update()
    )
    repo = db.scalar(query)
    if repo is None:
        raise NotFound(f"migration job {job.job_id!r} has no repository {index}")
    if not lease_id or repo.lease_id != lease_id or repo.status != REPO_RUNNING:
        holder = f" (now held by {repo.worker})" if repo.status == REPO_RUNNING else ""
        raise FailedPrecondition(
            f"lease lost on repository {index} ({repo.project}) of job {job.job_id}: it is "
            f"{repo.status}{holder}"
        )
    return repo


def _project_figures(db: DbSession, project: str) -> tuple[int, int, int]:
    """Landed sessions, their changes and content bytes: the project as the import left it."""
    org, _, handle = project.partition("/")
    project_id = db.scalar(
        select(Project.id)
        .join(Organization, Organization.id == Project.organization_id)
        .where(Organization.handle == org, Project.handle == handle)
    )
    if project_id is None:
        return 0, 0, 0
    sessions = (
        db.scalar(
            select(func.count())
            .select_from(MicSession)
            .where(MicSession.project_id == project_id, MicSession.status == SessionStatus.LANDED)
        )
        or 0
    )
    changes, size = db.execute(
        select(func.count(), func.coalesce(func.sum(SessionChange.size), 0)).where(
            SessionChange.project_id == project_id
        )
    ).one()
    return int(sessions), int(changes or 0), int(size or 0)


def _repo_view(repo: MigrationRepository, now: datetime) -> RepositoryView:
    expires = repo.lease_expires_at
    return RepositoryView(
        index=repo.position,
        spec=RepositorySpec(repo.source, repo.project, repo.ref, repo.strategy),
        status=repo.status,
        worker=repo.worker,
        lease_expires_at=expires,
        lease_expired=repo.status == REPO_RUNNING and expires is not None and expires < now,
        attempts=repo.attempts,
        last_commit=repo.last_commit,
        commits_total=repo.commits_total,
        commits=repo.commits,
        sessions=repo.sessions,
        changes=repo.changes,
        content_bytes=repo.content_bytes,
        seconds=repo.seconds,
        error=repo.error,
        started_at=repo.started_at,
        finished_at=repo.finished_at,
    )


def _job_view(
    db: DbSession, job: MigrationJob, now: datetime, *, repositories: bool = True
) -> JobView:
    counts = {s: 0 for s in (REPO_QUEUED, REPO_RUNNING, REPO_DONE, REPO_FAILED)}
    for status, count in db.execute(
        select(MigrationRepository.status, func.count())
        .where(MigrationRepository.job_pk == job.id)
        .group_by(MigrationRepository.status)
    ):
        counts[status] = int(count)
    rows: list[RepositoryView] = []
    if repositories:
        rows = [
            _repo_view(r, now)
            for r in db.scalars(
                select(MigrationRepository)
                .where(MigrationRepository.job_pk == job.id)
                .order_by(MigrationRepository.position)
            )
        ]
    return JobView(job.job_id, job.digest, job.created_at, job.updated_at, counts, rows)
