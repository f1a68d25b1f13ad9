"""Plain values the service hands to the server layer (no ORM objects, no gRPC types)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from micelio.database.api import ChangeStats
from micelio.database.models import (
    Organization,
    Project,
    Session,
    SessionChange,
    SessionDecision,
    SessionMessage,
    Token,
)
from micelio.database.tree import FileRow, TreeRow

__all__ = ["ChangeStats", "FileRow", "TreeRow"]  # re-exported: the server layer sees only views


@dataclass(frozen=True)
class Identity:
    """Who acted, as the server verified it: the acting token's id and description."""

    token_id: int
    description: str


@dataclass(frozen=True)
class Message:
    role: str
    content: str
    author: str = ""  # claimed by the client
    at: datetime | None = None  # server time when None
    reference: str = ""  # what the message is about, e.g. "commit:<id>"
    token: Identity | None = None  # verified: set by the server, never taken from a client


@dataclass(frozen=True)
class Decision:
    decision: str
    reasoning: str = ""
    at: datetime | None = None
    token: Identity | None = None


@dataclass(frozen=True)
class SessionView:
    session_id: str
    organization: str
    project: str
    goal: str
    status: str
    conversation: list[Message]
    decisions: list[Decision]
    metadata: dict[str, Any]
    started_at: datetime
    landed_at: datetime | None
    abandoned_at: datetime | None
    base_position: int
    landing_position: int  # 0 while not landed
    stats: ChangeStats
    external_id: str
    started_by: Identity | None = None
    landed_by: Identity | None = None
    abandoned_by: Identity | None = None
    message_count: int = 0
    decision_count: int = 0


@dataclass(frozen=True)
class ChangeView:
    file_path: str
    raw_path: bytes
    change_type: str
    size: int
    storage_key: str
    metadata: dict[str, Any]
    sha256: str
    mode: int


@dataclass(frozen=True)
class OrganizationView:
    handle: str
    created_at: datetime


@dataclass(frozen=True)
class ProjectView:
    organization: str
    handle: str
    name: str
    head_position: int
    created_at: datetime


@dataclass(frozen=True)
class TokenView:
    """A token as ``mic token list`` shows it: never its secret (nor its hash)."""

    id: int
    organization: str  # "": server-wide
    role: str
    description: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class NewToken:
    token: str  # shown once
    organization: str
    role: str
    info: TokenView | None = None


@dataclass(frozen=True)
class Page:
    sessions: list[SessionView]
    next_page_token: str
    total: int


@dataclass(frozen=True)
class ChangePage:
    changes: list[ChangeView]
    next_page_token: str


@dataclass(frozen=True)
class LandResult:
    session: SessionView
    landing_position: int
    changes: int
    bytes_inline: int
    bytes_stored: int


@dataclass
class StartRequest:
    organization: str
    project: str
    goal: str
    session_id: str = ""
    conversation: list[Message] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    base_position: int | None = None  # None: the project head


def identity(token_id: int | None, description: str | None) -> Identity | None:
    return None if token_id is None else Identity(token_id, description or "")


def message_view(row: SessionMessage) -> Message:
    return Message(
        role=row.role,
        content=row.content,
        author=row.author,
        at=row.at,
        reference=row.reference,
        token=identity(row.token_id, row.token_description),
    )


def decision_view(row: SessionDecision) -> Decision:
    return Decision(
        decision=row.decision,
        reasoning=row.reasoning,
        at=row.at,
        token=identity(row.token_id, row.token_description),
    )


def session_view(
    session: Session,
    org: str,
    project: str,
    stats: ChangeStats,
    *,
    brief: bool = False,
    conversation: Sequence[Message] = (),
    decisions: Sequence[Decision] = (),
) -> SessionView:
    """The view of a session with the given conversation and decisions (loaded by the
    caller, see ``service/conversation.py``); ``brief``: without metadata either."""
    return SessionView(
        session_id=session.session_id,
        organization=org,
        project=project,
        goal=session.goal,
        status=session.status,
        conversation=list(conversation),
        decisions=list(decisions),
        metadata={} if brief else dict(session.meta),
        started_at=session.started_at,
        landed_at=session.landed_at,
        abandoned_at=session.abandoned_at,
        base_position=session.base_position,
        landing_position=session.landing_position or 0,
        stats=stats,
        external_id=session.external_id or "",
        started_by=identity(session.started_by_token_id, session.started_by),
        landed_by=identity(session.landed_by_token_id, session.landed_by),
        abandoned_by=identity(session.abandoned_by_token_id, session.abandoned_by),
        message_count=session.message_count or 0,
        decision_count=session.decision_count or 0,
    )


def token_view(token: Token, org: str | None) -> TokenView:
    return TokenView(
        id=token.id,
        organization=org or "",
        role=token.role,
        description=token.description,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


def change_view(change: SessionChange) -> ChangeView:
    return ChangeView(
        file_path=change.file_path,
        raw_path=change.raw_path or b"",
        change_type=change.change_type,
        size=change.size,
        storage_key=change.storage_key or "",
        metadata=dict(change.meta),
        sha256=change.sha256 or "",
        mode=change.mode,
    )


def organization_view(org: Organization) -> OrganizationView:
    return OrganizationView(handle=org.handle, created_at=org.created_at)


def project_view(project: Project, org: str) -> ProjectView:
    return ProjectView(
        organization=org,
        handle=project.handle,
        name=project.name,
        head_position=project.head_position,
        created_at=project.created_at,
    )
