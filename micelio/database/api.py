"""The context API over sessions and their changes: the only code that reads or writes
``session_changes`` rows for the service layer (listings' filters aside, ``service/browse.py``).

- ``get_session_with_changes(db, session_id)``: a session with its changes loaded
- ``get_session_change(db, session, file_path)``: one change of a session, by display text
- ``get_session_change_by_key(db, session, path_key)``: one change of a session, by its bytes
- ``list_session_changes(db, session, ...)``: changes in path order, filtered and paged
- ``count_session_changes(db, session, change_type)``: how many
- ``get_session_change_stats(db, session)`` / ``get_change_stats_by_session(db, pks)``: counts
  by type, of one session or of many in one query
- ``create_session_changes(db, session, changes)`` / ``create_changes_for_sessions(db, pairs)``:
  insert a landing's changes, of one session or of many sharing the batches

Every function takes the SQLAlchemy session (``db``) of the caller's transaction and never
commits: the caller decides the transaction's extent (``Database.read()``/``write()``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import selectinload

from micelio.database.models import Session, SessionChange
from micelio.paths import InvalidPath, from_wire, path_key, validate_path
from micelio.vocabulary import ChangeType

#: Rows per INSERT and the content bytes one batch may hold: bounded memory for any session.
BATCH_ROWS = 500
BATCH_BYTES = 8 * 1024 * 1024


class ChangeStats(NamedTuple):
    total: int = 0
    added: int = 0
    modified: int = 0
    deleted: int = 0


@dataclass
class NewChange:
    """One change to insert. Exactly one of ``content``/``storage_key`` for added/modified
    (``content=b""`` for an empty file), neither for deleted."""

    file_path: str
    change_type: str
    raw_path: bytes | None = None
    content: bytes | None = None
    storage_key: str | None = None
    size: int = 0
    sha256: str | None = None
    mode: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)


def get_session_with_changes(db: DbSession, session_id: str) -> Session | None:
    """The session with ``.changes`` loaded (path order; contents deferred), or None."""
    return db.scalars(
        select(Session)
        .where(Session.session_id == session_id)
        .options(selectinload(Session.changes), selectinload(Session.project))
    ).one_or_none()


def get_session_change(db: DbSession, session: Session, file_path: str) -> SessionChange | None:
    """The session's change of ``file_path`` (its display text), or None. Two paths may share
    a display text (``b"w\\xff"`` and ``"w\\\\xff"``): the UTF-8 one wins, as its text is
    what was asked for."""
    return db.scalars(
        select(SessionChange)
        .where(SessionChange.session_pk == session.id, SessionChange.file_path == file_path)
        .order_by(SessionChange.raw_path.is_not(None), SessionChange.id)
        .limit(1)
    ).first()


def get_session_change_by_key(
    db: DbSession, session: Session, path_key: str
) -> SessionChange | None:
    """The session's change of the path whose ``paths.path_key`` is ``path_key``, or None."""
    return db.scalar(
        select(SessionChange).where(
            SessionChange.session_pk == session.id, SessionChange.path_key == path_key
        )
    )


def list_session_changes(
    db: DbSession,
    session: Session,
    *,
    change_type: str | None = None,
    after_path: str | None = None,
    limit: int | None = None,
) -> list[SessionChange]:
    """The session's changes in key order, optionally of one type, after a path key, at most
    ``limit`` (contents stay deferred: read them with ``SessionChange.content`` or the store)."""
    query = select(SessionChange).where(SessionChange.session_pk == session.id)
    if change_type is not None:
        query = query.where(SessionChange.change_type == _check_type(change_type))
    if after_path is not None:
        query = query.where(SessionChange.path_key > after_path)
    query = query.order_by(SessionChange.path_key)
    if limit is not None:
        query = query.limit(limit)
    return list(db.scalars(query))


def get_session_change_stats(db: DbSession, session: Session) -> ChangeStats:
    """How many changes the session has: total, added, modified, deleted."""
    return get_change_stats_by_session(db, [session.id]).get(session.id, ChangeStats())


def count_session_changes(db: DbSession, session: Session, change_type: str | None = None) -> int:
    """Number of the session's changes, or of those of one type."""
    query = select(func.count()).select_from(SessionChange)
    query = query.where(SessionChange.session_pk == session.id)
    if change_type is not None:
        query = query.where(SessionChange.change_type == _check_type(change_type))
    return int(db.scalar(query) or 0)


def get_change_stats_by_session(
    db: DbSession, session_pks: Sequence[int]
) -> dict[int, ChangeStats]:
    """Stats of several sessions (by primary key) in one query; absent ones have none."""
    if not session_pks:
        return {}
    rows = db.execute(
        select(SessionChange.session_pk, SessionChange.change_type, func.count())
        .where(SessionChange.session_pk.in_(session_pks))
        .group_by(SessionChange.session_pk, SessionChange.change_type)
    )
    counts: dict[int, dict[str, int]] = {}
    for pk, change_type, count in rows:
        counts.setdefault(pk, {})[change_type] = int(count)
    return {
        pk: ChangeStats(
            total=sum(c.values()),
            added=c.get(ChangeType.ADDED, 0),
            modified=c.get(ChangeType.MODIFIED, 0),
            deleted=c.get(ChangeType.DELETED, 0),
        )
        for pk, c in counts.items()
    }


def create_session_changes(db: DbSession, session: Session, changes: Iterable[NewChange]) -> int:
    """Insert ``changes`` for a session that has its landing position: all or none.

    Rows go in batches (``BATCH_ROWS`` rows or ``BATCH_BYTES`` of content) so that an
    iterable that produces contents lazily keeps memory bounded. Raises ``ValueError`` on an
    invalid change; then no row of the call remains (a savepoint is rolled back).
    """
    return create_changes_for_sessions(db, [(session, changes)])[0]


def create_changes_for_sessions(
    db: DbSession, sessions: Iterable[tuple[Session, Iterable[NewChange]]]
) -> list[int]:
    """``create_session_changes`` for several sessions at once, sharing the batches (one
    INSERT for many small sessions); returns how many changes each got."""
    counts: list[int] = []
    with db.begin_nested():
        batch: list[dict[str, Any]] = []
        batch_bytes = 0
        for session, changes in sessions:
            if session.landing_position is None:
                raise ValueError(f"session {session.session_id} has no landing position")
            counts.append(0)
            for change in changes:
                batch.append(_row(session, change))
                batch_bytes += len(change.content or b"")
                counts[-1] += 1
                if len(batch) >= BATCH_ROWS or batch_bytes >= BATCH_BYTES:
                    db.execute(insert(SessionChange), batch)
                    batch, batch_bytes = [], 0
        if batch:
            db.execute(insert(SessionChange), batch)
    return counts


def _row(session: Session, change: NewChange) -> dict[str, Any]:
    change_type = _check_type(change.change_type)
    raw = from_wire(change.file_path, change.raw_path or b"")
    try:
        validate_path(raw)
    except InvalidPath as exc:
        raise ValueError(str(exc)) from exc
    has_content = change.content is not None
    has_key = bool(change.storage_key)
    if change_type == ChangeType.DELETED and (has_content or has_key):
        raise ValueError(f"deletion of {change.file_path} carries content")
    if change_type != ChangeType.DELETED and has_content == has_key:
        raise ValueError(f"{change.file_path}: need exactly one of content and storage_key")
    return {
        "session_pk": session.id,
        "project_id": session.project_id,
        "landing_position": session.landing_position,
        "file_path": change.file_path,
        "path_key": path_key(raw),
        "raw_path": change.raw_path or None,
        "change_type": change_type,
        "content": change.content,
        "storage_key": change.storage_key or None,
        "size": change.size,
        "sha256": change.sha256,
        "mode": change.mode,
        "meta": change.metadata,
    }


def _check_type(change_type: str) -> str:
    if change_type not in frozenset(ChangeType):
        raise ValueError(f"unknown change type {change_type!r} (added, modified, deleted)")
    return change_type
