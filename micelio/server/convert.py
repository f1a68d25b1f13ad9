"""Conversions between protocol messages and the service layer's plain values."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from google.protobuf import timestamp_pb2

from micelio import structs
from micelio.service.errors import InvalidArgument
from micelio.service.history import BlameResult, LogEntry
from micelio.service.ingest import ChangeHeaderIn
from micelio.service.landing import LandHeaderIn
from micelio.service.views import (
    ChangeStats,
    ChangeView,
    Decision,
    FileRow,
    Identity,
    Message,
    OrganizationView,
    ProjectView,
    SessionView,
    StartRequest,
    TokenView,
    TreeRow,
)
from micelio.v1 import micelio_pb2 as pb
from micelio.vocabulary import ChangeType, SessionStatus

STATUS_TO_PB: dict[str, pb.SessionStatus] = {
    SessionStatus.ACTIVE: pb.SESSION_STATUS_ACTIVE,
    SessionStatus.LANDED: pb.SESSION_STATUS_LANDED,
    SessionStatus.ABANDONED: pb.SESSION_STATUS_ABANDONED,
}
STATUS_FROM_PB: dict[int, SessionStatus] = {
    pb_value: SessionStatus(status) for status, pb_value in STATUS_TO_PB.items()
}
CHANGE_TO_PB: dict[str, pb.ChangeType] = {
    ChangeType.ADDED: pb.CHANGE_TYPE_ADDED,
    ChangeType.MODIFIED: pb.CHANGE_TYPE_MODIFIED,
    ChangeType.DELETED: pb.CHANGE_TYPE_DELETED,
}
CHANGE_FROM_PB: dict[int, ChangeType] = {
    pb_value: ChangeType(kind) for kind, pb_value in CHANGE_TO_PB.items()
}


# -- scalars ------------------------------------------------------------------------------


def timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value.astimezone(UTC))
    return ts


def from_timestamp(message: Any, name: str) -> datetime | None:
    if not message.HasField(name):
        return None
    stamp: timestamp_pb2.Timestamp = getattr(message, name)
    return stamp.ToDatetime(tzinfo=UTC)


def from_struct(message: Any, name: str) -> dict[str, Any]:
    if not message.HasField(name):
        return {}
    try:
        return structs.to_dict(getattr(message, name))
    except structs.TooDeep as exc:
        raise InvalidArgument(f"{name}: {exc}") from None


def change_type_from_pb(value: int) -> str:
    return CHANGE_FROM_PB.get(value, f"{value} (unspecified)" if value == 0 else str(value))


# -- requests ----------------------------------------------------------------------------


def messages(items: Iterable[pb.ConversationMessage]) -> list[Message]:
    """A client's messages; a ``token`` it sends is ignored (the server sets it)."""
    return [
        Message(
            role=m.role,
            content=m.content,
            author=m.author,
            at=from_timestamp(m, "at"),
            reference=m.reference,
        )
        for m in items
    ]


def decisions(items: Iterable[pb.Decision]) -> list[Decision]:
    return [
        Decision(decision=d.decision, reasoning=d.reasoning, at=from_timestamp(d, "at"))
        for d in items
    ]


def start_request(request: pb.StartSessionRequest) -> StartRequest:
    base: int | None = request.base_position if request.has_base_position else None
    return StartRequest(
        organization=request.organization,
        project=request.project,
        goal=request.goal,
        session_id=request.session_id,
        conversation=messages(request.conversation),
        decisions=decisions(request.decisions),
        metadata=from_struct(request, "metadata"),
        base_position=base,
    )


def land_items(requests: Iterator[pb.LandSessionRequest]) -> Iterator[Any]:
    """The landing stream as service items: LandHeaderIn, ChangeHeaderIn, bytes."""
    for request in requests:
        for item in request.items:
            kind = item.WhichOneof("item")
            if kind == "chunk":
                yield item.chunk.data
            elif kind == "change":
                change = item.change
                yield ChangeHeaderIn(
                    file_path=change.file_path,
                    raw_path=change.raw_path,
                    change_type=change_type_from_pb(change.change_type),
                    mode=change.mode,
                    size=change.size,
                    metadata=from_struct(change, "metadata"),
                )
            elif kind == "header":
                header = item.header
                yield LandHeaderIn(
                    session_id=header.session_id,
                    create=start_request(header.create) if header.HasField("create") else None,
                    conversation=messages(header.conversation),
                    decisions=decisions(header.decisions),
                    metadata=from_struct(header, "metadata"),
                    landed_at=from_timestamp(header, "landed_at"),
                    started_at=from_timestamp(header, "started_at"),
                    external_id=header.external_id,
                )
            else:
                yield _EmptyItem()


class _EmptyItem:
    """A request with no item set: the service refuses it like any unexpected item."""


# -- responses ---------------------------------------------------------------------------


def stats(value: ChangeStats) -> pb.ChangeStats:
    return pb.ChangeStats(
        total=value.total, added=value.added, modified=value.modified, deleted=value.deleted
    )


def session(view: SessionView) -> pb.Session:
    return pb.Session(
        session_id=view.session_id,
        organization=view.organization,
        project=view.project,
        goal=view.goal,
        status=STATUS_TO_PB[view.status],
        conversation=[
            pb.ConversationMessage(
                role=m.role,
                content=m.content,
                author=m.author,
                at=timestamp(m.at),
                reference=m.reference,
                token=identity(m.token),
            )
            for m in view.conversation
        ],
        decisions=[
            pb.Decision(
                decision=d.decision,
                reasoning=d.reasoning,
                at=timestamp(d.at),
                token=identity(d.token),
            )
            for d in view.decisions
        ],
        metadata=structs.from_mapping(view.metadata),
        started_at=timestamp(view.started_at),
        landed_at=timestamp(view.landed_at),
        abandoned_at=timestamp(view.abandoned_at),
        base_position=view.base_position,
        landing_position=view.landing_position,
        stats=stats(view.stats),
        external_id=view.external_id,
        started_by=identity(view.started_by),
        landed_by=identity(view.landed_by),
        abandoned_by=identity(view.abandoned_by),
        message_count=view.message_count,
        decision_count=view.decision_count,
    )


def identity(value: Identity | None) -> pb.Identity | None:
    if value is None:
        return None
    return pb.Identity(token_id=value.token_id, description=value.description)


def token_info(view: TokenView) -> pb.TokenInfo:
    return pb.TokenInfo(
        id=view.id,
        organization=view.organization,
        role=view.role,
        description=view.description,
        created_at=timestamp(view.created_at),
        expires_at=timestamp(view.expires_at),
        last_used_at=timestamp(view.last_used_at),
        revoked_at=timestamp(view.revoked_at),
    )


def change(view: ChangeView) -> pb.SessionChange:
    return pb.SessionChange(
        file_path=view.file_path,
        change_type=CHANGE_TO_PB[view.change_type],
        size=view.size,
        storage_key=view.storage_key,
        metadata=structs.from_mapping(view.metadata),
        raw_path=view.raw_path,
        sha256=view.sha256,
        mode=view.mode,
    )


#: A blame chunk ends after this many bytes of line text (well below a message's 4 MiB).
BLAME_CHUNK_BYTES = 1 << 20


def log_entry(entry: LogEntry) -> pb.LogEntry:
    return pb.LogEntry(
        position=entry.position,
        session_id=entry.session_id,
        goal=entry.goal,
        landed_at=timestamp(entry.landed_at),
        landed_by=identity(entry.landed_by),
        stats=stats(entry.stats),
        file_path=entry.file_path,
    )


def blame_chunks(result: BlameResult) -> Iterator[pb.BlameChunk]:
    """The answer in chunks of about ``BLAME_CHUNK_BYTES``; each origin travels once, in the
    first chunk that has one of its lines (an empty file: one chunk, no lines)."""
    sent = 0
    chunk = pb.BlameChunk(position=result.position)
    used = 0
    for origin, text in result.lines:
        while sent <= origin:
            o = result.origins[sent]
            chunk.origins.append(
                pb.BlameOrigin(position=o.position, session_id=o.session_id, goal=o.goal)
            )
            used += len(o.goal) + 64
            sent += 1
        chunk.lines.append(pb.BlameLine(origin=origin, text=text))
        used += len(text) + 8
        if used >= BLAME_CHUNK_BYTES:
            yield chunk
            chunk, used = pb.BlameChunk(position=result.position), 0
    if used or not result.lines:
        yield chunk


def tree_entry(row: TreeRow) -> pb.TreeEntry:
    return pb.TreeEntry(
        file_path=row.file_path,
        raw_path=row.raw_path or b"",
        mode=row.mode,
        size=row.size,
        sha256=row.sha256 or "",
        session_id=row.session_id,
        landing_position=row.landing_position,
    )


def file_entry(row: FileRow) -> pb.TreeEntry:
    return pb.TreeEntry(
        file_path=row.file_path,
        raw_path=row.raw_path or b"",
        mode=row.mode,
        size=row.size,
        sha256=row.sha256 or "",
        session_id=row.session_id,
        landing_position=row.landing_position,
    )


def organization(view: OrganizationView) -> pb.Organization:
    return pb.Organization(handle=view.handle, created_at=timestamp(view.created_at))


def project(view: ProjectView) -> pb.Project:
    return pb.Project(
        organization=view.organization,
        handle=view.handle,
        name=view.name,
        head_position=view.head_position,
        created_at=timestamp(view.created_at),
    )
