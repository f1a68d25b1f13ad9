"""Conversions between the generated protocol messages and the client's records."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from google.protobuf import timestamp_pb2

from micelio import paths, structs
from micelio.client.models import (
    BlameLine,
    ChangeStats,
    CreatedToken,
    Decision,
    Identity,
    LogEntry,
    Message,
    Organization,
    PositionsDiff,
    Project,
    Session,
    SessionChange,
    TokenInfo,
    TreeEntry,
)
from micelio.v1 import micelio_pb2 as pb
from micelio.vocabulary import ChangeType, FileMode, SessionStatus, TokenRole

# The protocol's UNSPECIFIED means "no filter" in requests; answers always name a value.
_STATUS_TO_PB = {
    SessionStatus.ACTIVE: pb.SESSION_STATUS_ACTIVE,
    SessionStatus.LANDED: pb.SESSION_STATUS_LANDED,
    SessionStatus.ABANDONED: pb.SESSION_STATUS_ABANDONED,
}
_STATUS_FROM_PB = {v: k for k, v in _STATUS_TO_PB.items()}
_KIND_TO_PB = {
    ChangeType.ADDED: pb.CHANGE_TYPE_ADDED,
    ChangeType.MODIFIED: pb.CHANGE_TYPE_MODIFIED,
    ChangeType.DELETED: pb.CHANGE_TYPE_DELETED,
}
_KIND_FROM_PB = {v: k for k, v in _KIND_TO_PB.items()}


def status_to_pb(status: SessionStatus | str | None) -> pb.SessionStatus:
    return _STATUS_TO_PB[SessionStatus(status)] if status else pb.SESSION_STATUS_UNSPECIFIED


def kind_to_pb(kind: ChangeType | str | None) -> pb.ChangeType:
    return _KIND_TO_PB[ChangeType(kind)] if kind else pb.CHANGE_TYPE_UNSPECIFIED


def status_from_pb(status: pb.SessionStatus) -> SessionStatus:
    try:
        return _STATUS_FROM_PB[status]
    except KeyError:
        raise ValueError(f"the server sent an unknown session status {status}") from None


def kind_from_pb(kind: pb.ChangeType) -> ChangeType:
    try:
        return _KIND_FROM_PB[kind]
    except KeyError:
        raise ValueError(f"the server sent an unknown change type {kind}") from None


# --- times ------------------------------------------------------------------------------------


def time_from_pb(message: Any, name: str) -> datetime | None:
    """The timestamp field ``name`` of ``message`` as an aware UTC datetime; None when unset."""
    if not message.HasField(name):
        return None
    stamp: timestamp_pb2.Timestamp = getattr(message, name)
    return stamp.ToDatetime(tzinfo=UTC)


def time_to_pb(value: datetime) -> timestamp_pb2.Timestamp:
    if value.tzinfo is None:  # naive times are taken as UTC, never as local time
        value = value.replace(tzinfo=UTC)
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


# --- metadata ---------------------------------------------------------------------------------


# --- protocol → records -----------------------------------------------------------------------


def identity_from_pb(message: Any, name: str) -> Identity | None:
    if not message.HasField(name):
        return None
    value = getattr(message, name)
    return Identity(value.token_id, value.description)


def message_from_pb(m: pb.ConversationMessage) -> Message:
    return Message(
        m.role,
        m.content,
        m.author,
        time_from_pb(m, "at"),
        m.reference,
        identity_from_pb(m, "token"),
    )


def decision_from_pb(d: pb.Decision) -> Decision:
    return Decision(d.decision, d.reasoning, time_from_pb(d, "at"), identity_from_pb(d, "token"))


def session_from_pb(s: pb.Session) -> Session:
    return Session(
        session_id=s.session_id,
        organization=s.organization,
        project=s.project,
        goal=s.goal,
        status=status_from_pb(s.status),
        conversation=tuple(message_from_pb(m) for m in s.conversation),
        decisions=tuple(decision_from_pb(d) for d in s.decisions),
        metadata=structs.to_dict(s.metadata),
        started_at=time_from_pb(s, "started_at"),
        landed_at=time_from_pb(s, "landed_at"),
        abandoned_at=time_from_pb(s, "abandoned_at"),
        base_position=s.base_position,
        landing_position=s.landing_position or None,
        stats=ChangeStats(s.stats.total, s.stats.added, s.stats.modified, s.stats.deleted),
        external_id=s.external_id or None,
        started_by=identity_from_pb(s, "started_by"),
        landed_by=identity_from_pb(s, "landed_by"),
        abandoned_by=identity_from_pb(s, "abandoned_by"),
        message_count=s.message_count,
        decision_count=s.decision_count,
    )


def change_from_pb(c: pb.SessionChange) -> SessionChange:
    return SessionChange(
        file_path=c.file_path,
        change_type=kind_from_pb(c.change_type),
        size=c.size,
        mode=c.mode,
        sha256=c.sha256 or None,
        storage_key=c.storage_key or None,
        metadata=structs.to_dict(c.metadata),
        path=paths.from_wire(c.file_path, c.raw_path),
    )


def log_entry_from_pb(e: pb.LogEntry) -> LogEntry:
    return LogEntry(
        position=e.position,
        session_id=e.session_id,
        goal=e.goal,
        landed_at=time_from_pb(e, "landed_at"),
        landed_by=identity_from_pb(e, "landed_by"),
        stats=ChangeStats(e.stats.total, e.stats.added, e.stats.modified, e.stats.deleted),
        file_path=e.file_path,
    )


def blame_lines_from_pb(chunks: Iterable[pb.BlameChunk]) -> Iterator[BlameLine]:
    """The lines of a blame answer, each with its origin resolved."""
    origins: list[pb.BlameOrigin] = []
    number = 0
    for chunk in chunks:
        origins.extend(chunk.origins)
        for line in chunk.lines:
            if not 0 <= line.origin < len(origins):
                raise ValueError(f"the server sent a blame line of unknown origin {line.origin}")
            origin = origins[line.origin]
            number += 1
            yield BlameLine(number, line.text, origin.position, origin.session_id, origin.goal)


def tree_entry_from_pb(e: pb.TreeEntry) -> TreeEntry:
    return TreeEntry(
        path=paths.from_wire(e.file_path, e.raw_path),
        file_path=e.file_path,
        mode=FileMode(e.mode),
        size=e.size,
        sha256=e.sha256,
        session_id=e.session_id,
        landing_position=e.landing_position,
    )


def organization_from_pb(o: pb.Organization) -> Organization:
    return Organization(o.handle, time_from_pb(o, "created_at"))


def project_from_pb(p: pb.Project) -> Project:
    return Project(p.organization, p.handle, p.name, p.head_position, time_from_pb(p, "created_at"))


def token_from_pb(t: pb.CreateTokenResponse) -> CreatedToken:
    info = token_info_from_pb(t.info) if t.HasField("info") else None
    return CreatedToken(t.token, t.organization or None, TokenRole(t.role), info)


def token_info_from_pb(t: pb.TokenInfo) -> TokenInfo:
    return TokenInfo(
        id=t.id,
        organization=t.organization or None,
        role=TokenRole(t.role),
        description=t.description,
        created_at=time_from_pb(t, "created_at"),
        expires_at=time_from_pb(t, "expires_at"),
        last_used_at=time_from_pb(t, "last_used_at"),
        revoked_at=time_from_pb(t, "revoked_at"),
    )


# --- records → protocol -----------------------------------------------------------------------


def message_to_pb(m: Message) -> pb.ConversationMessage:
    out = pb.ConversationMessage(
        role=m.role, content=m.content, author=m.author, reference=m.reference
    )
    if m.at is not None:
        out.at.CopyFrom(time_to_pb(m.at))
    return out


def decision_to_pb(d: Decision) -> pb.Decision:
    out = pb.Decision(decision=d.decision, reasoning=d.reasoning)
    if d.at is not None:
        out.at.CopyFrom(time_to_pb(d.at))
    return out


def start_request(
    organization: str,
    project: str,
    goal: str,
    *,
    session_id: str | None = None,
    conversation: Iterable[Message] = (),
    decisions: Iterable[Decision] = (),
    metadata: Mapping[str, Any] | None = None,
    base_position: int | None = None,
) -> pb.StartSessionRequest:
    request = pb.StartSessionRequest(
        organization=organization,
        project=project,
        goal=goal,
        session_id=session_id or "",
        conversation=[message_to_pb(m) for m in conversation],
        decisions=[decision_to_pb(d) for d in decisions],
        metadata=structs.from_mapping(metadata),
    )
    if base_position is not None and base_position >= 0:
        request.has_base_position = True
        request.base_position = base_position
    return request


def positions_diff_from_pb(responses: list[pb.DiffResponse]) -> PositionsDiff:
    """A ``Diff`` stream's messages as one record (the hunk kinds from each line's first byte)."""
    from micelio.diffs import Compared, Cut, PathDiff, hunk_kind

    files = []
    cut = None
    for response in responses:
        for f in response.files:
            lines = f.hunks.split(b"\n")[:-1] if f.hunks else []
            compared = Compared(
                f.old_mode if f.has_old else None,
                f.new_mode if f.has_new else None,
                f.old_size,
                f.new_size,
                f.same_content,
                f.binary,
                f.added,
                f.deleted,
                [(hunk_kind(line), line) for line in lines],
                f.omitted,
            )
            files.append(PathDiff(paths.from_wire(f.file_path, f.raw_path), compared))
        if response.truncated:
            cut = Cut(response.files_left, response.truncated_reason)
    first = responses[0] if responses else pb.DiffResponse()
    return PositionsDiff(first.from_position, first.to_position, files, cut)
