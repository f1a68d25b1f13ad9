"""The stable JSON shapes of sessions and changes (``mic session show/list --json``).

Documented in ``docs/cli-json.md``; the CLI and the importers both print these, so a field
is only ever added here, never renamed or removed. Times are ISO-8601 UTC (``...Z``) or null.

Session::

    {"session_id", "goal", "status", "organization", "project",
     "conversation": [{"role", "content", "author", "at", "reference", "token"}],
     "decisions": [{"decision", "reasoning", "at", "token"}],
     "metadata": {...}, "base_position", "landing_position", "started_at", "landed_at",
     "abandoned_at", "external_id", "stats": {"total", "added", "modified", "deleted"},
     "started_by", "landed_by", "abandoned_by", "message_count", "decision_count",
     "changes": [change, ...]}        # only when the changes are given

``author`` is what a client claimed; ``token``, ``started_by``, ``landed_by`` and
``abandoned_by`` are the identities the server verified: ``{"token_id", "description"}`` of
the acting token, or null when not recorded.

Change::

    {"file_path", "change_type", "size", "storage_key", "metadata": {...}}

Log entry (``mic log --json``) and blame line (``mic blame --json``)::

    {"position", "session_id", "goal", "landed_at", "landed_by", "stats", "path"?}
    {"line", "text", "position", "session_id", "goal"}
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from micelio.client import convert
from micelio.client.models import BlameLine, Identity, LogEntry, Session, SessionChange
from micelio.v1 import micelio_pb2 as pb


def iso(value: datetime | None) -> str | None:
    """ISO-8601 in UTC with a ``Z`` suffix (microseconds only when there are some)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def session_to_dict(
    session: Session | pb.Session,
    changes: Iterable[SessionChange | pb.SessionChange] | None = None,
) -> dict[str, Any]:
    """The session's JSON object; with ``changes`` it carries a ``changes`` list too."""
    if isinstance(session, pb.Session):
        session = convert.session_from_pb(session)
    out: dict[str, Any] = {
        "session_id": session.session_id,
        "goal": session.goal,
        "status": str(session.status),
        "organization": session.organization,
        "project": session.project,
        "conversation": [
            {
                "role": m.role,
                "content": m.content,
                "author": m.author or None,
                "at": iso(m.at),
                "reference": m.reference or None,
                "token": identity_to_dict(m.token),
            }
            for m in session.conversation
        ],
        "decisions": [
            {
                "decision": d.decision,
                "reasoning": d.reasoning,
                "at": iso(d.at),
                "token": identity_to_dict(d.token),
            }
            for d in session.decisions
        ],
        "metadata": session.metadata,
        "base_position": session.base_position,
        "landing_position": session.landing_position,
        "started_at": iso(session.started_at),
        "landed_at": iso(session.landed_at),
        "abandoned_at": iso(session.abandoned_at),
        "external_id": session.external_id,
        "stats": {
            "total": session.stats.total,
            "added": session.stats.added,
            "modified": session.stats.modified,
            "deleted": session.stats.deleted,
        },
        "started_by": identity_to_dict(session.started_by),
        "landed_by": identity_to_dict(session.landed_by),
        "abandoned_by": identity_to_dict(session.abandoned_by),
        "message_count": session.message_count,
        "decision_count": session.decision_count,
    }
    if changes is not None:
        out["changes"] = [change_to_dict(c) for c in changes]
    return out


def identity_to_dict(value: Identity | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"token_id": value.token_id, "description": value.description}


def describe_identity(value: Identity | None) -> str:
    """One line for people: ``token 7 (ci bot)``, or ``unrecorded``."""
    if value is None:
        return "unrecorded"
    return f"token {value.token_id}" + (f" ({value.description})" if value.description else "")


def change_to_dict(change: SessionChange | pb.SessionChange) -> dict[str, Any]:
    if isinstance(change, pb.SessionChange):
        change = convert.change_from_pb(change)
    return {
        "file_path": change.file_path,
        "change_type": str(change.change_type),
        "size": change.size,
        "storage_key": change.storage_key,
        "metadata": change.metadata,
    }


def log_entry_to_dict(entry: LogEntry) -> dict[str, Any]:
    """The shape of ``mic log --json``: ``path`` only for the log of a path."""
    data: dict[str, Any] = {
        "position": entry.position,
        "session_id": entry.session_id,
        "goal": entry.goal,
        "landed_at": iso(entry.landed_at) or None,
        "landed_by": identity_to_dict(entry.landed_by),
        "stats": {
            "total": entry.stats.total,
            "added": entry.stats.added,
            "modified": entry.stats.modified,
            "deleted": entry.stats.deleted,
        },
    }
    if entry.file_path:
        data["path"] = entry.file_path
    return data


def blame_line_to_dict(line: BlameLine) -> dict[str, Any]:
    """The shape of ``mic blame --json``: ``text`` is the line's UTF-8, with each byte that
    is not valid UTF-8 written ``\\xNN``."""
    return {
        "line": line.line,
        "text": line.text.decode("utf-8", "backslashreplace"),
        "position": line.position,
        "session_id": line.session_id,
        "goal": line.goal,
    }
