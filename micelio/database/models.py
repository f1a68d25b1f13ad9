"""The SQLAlchemy 2.x model: organizations, projects, sessions, their changes, tokens, and
the batch migration jobs (``mic migrate``).

Any change here needs an Alembic migration in ``migrations/versions`` (the server runs
``upgrade head`` at start; ``tests/server/test_migrations.py`` checks the two agree).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from micelio.vocabulary import SessionStatus


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite keeps no zone: we restore it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        # SQLite stores text; without the zone it sorts and compares correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Explicit constraint names so that migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[dict[str, Any]]: JSON(),
    }


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handle: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    projects: Mapped[list[Project]] = relationship(back_populates="organization")


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("organization_id", "handle"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    handle: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    # The landing position of the project's latest landed session; 0 before any.
    head_position: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="projects")


class Session(Base):
    """A mic session (not to be confused with a SQLAlchemy session, called ``db`` here)."""

    __tablename__ = "sessions"
    __table_args__ = (
        # NULLs are distinct: active sessions share "no position", sessions without an
        # external id share "none".
        UniqueConstraint("project_id", "landing_position"),
        UniqueConstraint("project_id", "external_id"),
        Index(None, "project_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(128), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    goal: Mapped[str] = mapped_column(Text)
    # Bytes of the conversation and decisions (session_messages, session_decisions) as the
    # conversation limit counts them, kept here so that an append checks it in O(1).
    conversation_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    message_count: Mapped[int] = mapped_column(BigInteger, default=0)
    decision_count: Mapped[int] = mapped_column(BigInteger, default=0)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.ACTIVE)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    landed_at: Mapped[datetime | None]
    abandoned_at: Mapped[datetime | None]
    base_position: Mapped[int] = mapped_column(BigInteger, default=0)
    landing_position: Mapped[int | None] = mapped_column(BigInteger)
    external_id: Mapped[str | None] = mapped_column(String(400))
    # The verified identity of each action: the acting token's id and its description then
    # (a token's description may change; what it was called when it acted stays).
    started_by_token_id: Mapped[int | None] = mapped_column(BigInteger)
    started_by: Mapped[str | None] = mapped_column(Text)
    landed_by_token_id: Mapped[int | None] = mapped_column(BigInteger)
    landed_by: Mapped[str | None] = mapped_column(Text)
    abandoned_by_token_id: Mapped[int | None] = mapped_column(BigInteger)
    abandoned_by: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship()
    changes: Mapped[list[SessionChange]] = relationship(
        back_populates="session", order_by="SessionChange.path_key"
    )


class SessionMessage(Base):
    """One message of a session's conversation: appending is one INSERT, whatever the length."""

    __tablename__ = "session_messages"
    __table_args__ = (Index(None, "session_pk", "id"),)

    # The conversation's order is the id's (appends only; a batch inserts in order).
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_pk: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(Text, default="")  # claimed by the client
    reference: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    token_id: Mapped[int | None] = mapped_column(BigInteger)  # verified: the acting token
    token_description: Mapped[str | None] = mapped_column(Text)


class SessionDecision(Base):
    """One decision of a session, ordered by id like the messages."""

    __tablename__ = "session_decisions"
    __table_args__ = (Index(None, "session_pk", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_pk: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    decision: Mapped[str] = mapped_column(Text)
    reasoning: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    token_id: Mapped[int | None] = mapped_column(BigInteger)
    token_description: Mapped[str | None] = mapped_column(Text)


class SessionChange(Base):
    __tablename__ = "session_changes"
    __table_args__ = (
        # A path's identity is its bytes (``path_key``), not its display text.
        UniqueConstraint("session_pk", "path_key"),
        # The tree at a position: per path, the latest change at or before it.
        Index(None, "project_id", "path_key", "landing_position"),
        # Listing by glob and a file's history go by the display text.
        Index(None, "session_pk", "file_path"),
        Index(None, "project_id", "file_path", "landing_position"),
        Index(None, "project_id", "landing_position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_pk: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    # Denormalised from the session so that tree queries need no join.
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    landing_position: Mapped[int] = mapped_column(BigInteger)
    # The display text of the path (``paths.display``); not unique: see ``path_key``.
    file_path: Mapped[str] = mapped_column(Text)
    # ``paths.path_key`` of the path's bytes: reversible, one per byte string.
    path_key: Mapped[str] = mapped_column(Text)
    raw_path: Mapped[bytes | None] = mapped_column(LargeBinary)
    change_type: Mapped[str] = mapped_column(String(16))
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    storage_key: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    mode: Mapped[int] = mapped_column(Integer, default=0)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)

    session: Mapped[Session] = relationship(back_populates="changes")


class ProjectArchive(Base):
    """A Git bundle an import stored for its project (``mic export git`` restores from them).

    One per import run, numbered ``seq`` 1, 2, ... in the order they were recorded; each is
    incremental over the ones before it. The object lives at ``storage_key``, chosen by the
    server under ``projects/{project_id}/archives/``, never by the client."""

    __tablename__ = "project_archives"
    __table_args__ = (UniqueConstraint("project_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    storage_key: Mapped[str] = mapped_column(String(400))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # What the client said the bundle holds (its refs and prerequisites), for the next run.
    refs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_token_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(Text)


class UploadReservation(Base):
    """A session id whose objects one upload may write (taken before its first stored byte).

    Nothing else writes or deletes under ``sessions/{session_id}/`` meanwhile: a landing of a
    taken or reserved id is refused before it stores anything. The committing transaction
    deletes the row; a failed landing deletes its objects, then the row. ``holder`` names the
    upload (``{server id}:{random}``) so that only its holder releases it; ``touched_at`` lets
    ``mic server gc`` tell an upload that died from one in progress."""

    __tablename__ = "upload_reservations"

    session_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    touched_at: Mapped[datetime] = mapped_column(default=utcnow)


class Token(Base):
    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # NULL: a server-wide token.
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    role: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]  # NULL: never
    # Written at most once a minute per token (see service/auth.py), not on every call.
    last_used_at: Mapped[datetime | None]
    # A revoked token stays listed (who held what, when) but authenticates no more.
    revoked_at: Mapped[datetime | None]

    organization: Mapped[Organization | None] = relationship()


REPO_QUEUED = "queued"
REPO_RUNNING = "running"
REPO_DONE = "done"
REPO_FAILED = "failed"


class MigrationJob(Base):
    """A batch migration: an ordered list of repositories to import (``mic migrate``)."""

    __tablename__ = "migration_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(100), unique=True)
    # sha256 of the normalized manifest: the same id with another manifest is refused.
    digest: Mapped[str] = mapped_column(String(64))
    # The organizations of its repositories, for the token checks of every call.
    organizations: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    repositories: Mapped[list[MigrationRepository]] = relationship(
        back_populates="job", order_by="MigrationRepository.position"
    )


class MigrationRepository(Base):
    """One repository of a job, its lease while a worker imports it, and its figures."""

    __tablename__ = "migration_repositories"
    __table_args__ = (
        UniqueConstraint("job_pk", "position"),
        Index(None, "job_pk", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_pk: Mapped[int] = mapped_column(ForeignKey("migration_jobs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # index in the manifest, from 0
    source: Mapped[str] = mapped_column(Text)
    project: Mapped[str] = mapped_column(String(201))  # ORG/PROJECT
    ref: Mapped[str] = mapped_column(Text, default="")
    strategy: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=REPO_QUEUED)
    # A new lease id per claim: a worker whose lease was taken over can no longer write.
    lease_id: Mapped[str | None] = mapped_column(String(64))
    worker: Mapped[str] = mapped_column(String(200), default="")
    lease_expires_at: Mapped[datetime | None]
    beat_at: Mapped[datetime | None]  # last claim or renewal: time under lease counts from it
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_commit: Mapped[str] = mapped_column(String(64), default="")
    commits_total: Mapped[int] = mapped_column(BigInteger, default=0)
    commits: Mapped[int] = mapped_column(BigInteger, default=0)
    sessions: Mapped[int] = mapped_column(BigInteger, default=0)
    changes: Mapped[int] = mapped_column(BigInteger, default=0)
    content_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    job: Mapped[MigrationJob] = relationship(back_populates="repositories")
