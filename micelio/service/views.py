"""Plain values the service hands to the server layer (no ORM objects, no gRPC types)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from micelio.database.api import ChangeStats
from micelio.database.models import Organization, Project, Session, SessionChange
from micelio.database.tree import TreeRow

__all__ = ["ChangeStats", "TreeRow"]  # re-exported: the server layer sees only views


@dataclass(frozen=True)
class Message:
    role: str
    content: str
    author: str = ""
    at: datetime | None = None  # server time when None
    reference: str = ""  # what the message is about, e.g. "commit:<id>"


@dataclass(frozen=True)
class Decision:
    decision: str
    reasoning: str = ""
    at: datetime | None = None


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
class NewToken:
    token: str  # shown once
    organization: str
    role: str


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


def message_to_json(message: Message, now: datetime) -> dict[str, Any]:
    stored: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.author:
        stored["author"] = message.author
    if message.reference:
        stored["reference"] = message.reference
    stored["at"] = (message.at or now).isoformat()
    return stored


def decision_to_json(decision: Decision, now: datetime) -> dict[str, Any]:
    return {
        "decision": decision.decision,
        "reasoning": decision.reasoning,
        "at": (decision.at or now).isoformat(),
    }


def session_view(
    session: Session, org: str, project: str, stats: ChangeStats, *, brief: bool = False
) -> SessionView:
    """The view of a session; ``brief``: without its conversation, decisions and metadata."""
    return SessionView(
        session_id=session.session_id,
        organization=org,
        project=project,
        goal=session.goal,
        status=session.status,
        conversation=[]
        if brief
        else [
            Message(
                role=m.get("role", ""),
                content=m.get("content", ""),
                author=m.get("author", ""),
                at=_parse_time(m.get("at")),
                reference=m.get("reference", ""),
            )
            for m in session.conversation
        ],
        decisions=[]
        if brief
        else [
            Decision(
                decision=d.get("decision", ""),
                reasoning=d.get("reasoning", ""),
                at=_parse_time(d.get("at")),
            )
            for d in session.decisions
        ],
        metadata={} if brief else dict(session.meta),
        started_at=session.started_at,
        landed_at=session.landed_at,
        abandoned_at=session.abandoned_at,
        base_position=session.base_position,
        landing_position=session.landing_position or 0,
        stats=stats,
        external_id=session.external_id or "",
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


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
