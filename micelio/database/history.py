"""Queries behind ``mic log`` and ``mic blame``: a path's changes, landed sessions, contents.

A path's changes go through the ``(project_id, file_path, landing_position)`` index, a page
at a time newest first, so following a file through thousands of sessions never holds more
than a page of rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from micelio.database.models import Session, SessionChange
from micelio.vocabulary import SessionStatus

_IN_BATCH = 500


class PathChange(NamedTuple):
    """One change of a path, as following its history needs it (no content)."""

    change_pk: int
    session_pk: int
    position: int
    file_path: str
    change_type: str
    size: int
    sha256: str | None
    storage_key: str | None
    mode: int
    meta: dict[str, Any]


class LandedSession(NamedTuple):
    session_pk: int
    session_id: str
    goal: str
    position: int
    landed_at: datetime | None
    landed_by_token_id: int | None
    landed_by: str | None


def path_changes(
    db: DbSession, project_id: int, file_path: str, before: int, limit: int
) -> list[PathChange]:
    """Up to ``limit`` changes of ``file_path`` (display text) landed before position
    ``before``, newest first."""
    query = (
        select(
            SessionChange.id,
            SessionChange.session_pk,
            SessionChange.landing_position,
            SessionChange.file_path,
            SessionChange.change_type,
            SessionChange.size,
            SessionChange.sha256,
            SessionChange.storage_key,
            SessionChange.mode,
            SessionChange.meta,
        )
        .where(
            SessionChange.project_id == project_id,
            SessionChange.file_path == file_path,
            SessionChange.landing_position < before,
        )
        .order_by(SessionChange.landing_position.desc())
        .limit(limit)
    )
    return [PathChange._make((*row[:9], row[9] or {})) for row in db.execute(query).tuples()]


_SESSION_COLUMNS = (
    Session.id,
    Session.session_id,
    Session.goal,
    Session.landing_position,
    Session.landed_at,
    Session.landed_by_token_id,
    Session.landed_by,
)


def landed_sessions(db: DbSession, project_id: int, before: int, limit: int) -> list[LandedSession]:
    """Up to ``limit`` sessions landed before position ``before``, newest first."""
    query = (
        select(*_SESSION_COLUMNS)
        .where(
            Session.project_id == project_id,
            Session.status == SessionStatus.LANDED,
            Session.landing_position < before,
        )
        .order_by(Session.landing_position.desc())
        .limit(limit)
    )
    return [_landed(row) for row in db.execute(query).tuples()]


def sessions_by_pk(db: DbSession, session_pks: Sequence[int]) -> dict[int, LandedSession]:
    found: dict[int, LandedSession] = {}
    for start in range(0, len(session_pks), _IN_BATCH):
        chunk = session_pks[start : start + _IN_BATCH]
        query = select(*_SESSION_COLUMNS).where(Session.id.in_(chunk))
        for row in db.execute(query).tuples():
            found[row[0]] = _landed(row)
    return found


def inline_contents(db: DbSession, change_pks: Sequence[int]) -> dict[int, bytes | None]:
    """The inline content of each change (None when it is in object storage)."""
    found: dict[int, bytes | None] = {}
    for start in range(0, len(change_pks), _IN_BATCH):
        chunk = change_pks[start : start + _IN_BATCH]
        query = select(SessionChange.id, SessionChange.content).where(SessionChange.id.in_(chunk))
        for pk, content in db.execute(query).tuples():
            found[pk] = content
    return found


def _landed(row: Any) -> LandedSession:
    pk, session_id, goal, position, landed_at, token_id, landed_by = row
    return LandedSession(pk, session_id, goal, position or 0, landed_at, token_id, landed_by)
