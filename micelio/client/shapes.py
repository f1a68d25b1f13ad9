"""The stable JSON shapes of sessions and changes (``mic session show/list --json``).

Documented in ``docs/cli-json.md``; the CLI and the importers both print these, so a field
is only ever added here, never renamed or removed. Times are ISO-8601 UTC (``...Z``) or null.

Session::

    {"session_id", "goal", "status", "organization", "project",
     "conversation": [{"role", "content", "author", "at", "reference"}],
     "decisions": [{"decision", "reasoning", "at"}],
     "metadata": {...}, "base_position", "landing_position", "started_at", "landed_at",
     "abandoned_at", "external_id", "stats": {"total", "added", "modified", "deleted"},
     "changes": [change, ...]}        # only when the changes are given

Change::

    {"file_path", "change_type", "size", "storage_key", "metadata": {...}}
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from micelio.client import convert
from micelio.client.models import Session, SessionChange
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
            }
            for m in session.conversation
        ],
        "decisions": [
            {"decision": d.decision, "reasoning": d.reasoning, "at": iso(d.at)}
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
    }
    if changes is not None:
        out["changes"] = [change_to_dict(c) for c in changes]
    return out


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
