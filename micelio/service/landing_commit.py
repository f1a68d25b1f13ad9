"""Committing received landings: one short transaction for a group of sessions of one project.

The transaction locks the project row, gives each session of the group the next landing
position in order, inserts their change rows, checks conflicts and bumps the head. The
group lands as a whole or not at all; ``Lander`` retries a failed group one session at a
time, so that every session still gets its own verdict.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from micelio.config import DEFAULT_MAX_CONVERSATION_BYTES
from micelio.database import api, shapes
from micelio.database.engine import Database
from micelio.database.models import Project, Session, utcnow
from micelio.database.tree import conflicting_paths, versions_at
from micelio.service import conversation, reservations, tree_shape
from micelio.service import limits as limits_
from micelio.service.errors import (
    AlreadyExists,
    Cancelled,
    Conflict,
    FailedPrecondition,
    Unavailable,
)
from micelio.service.ingest import ChangeLog, IncomingChange, Receiver
from micelio.service.line_counts import DIFF_MAX_BYTES, LineCounts, Previous, group_line_counts
from micelio.service.reservations import Reservation
from micelio.service.sessions import build_session
from micelio.service.tree_shape import Shape
from micelio.service.views import (
    Decision,
    Identity,
    LandResult,
    Message,
    StartRequest,
    session_view,
)
from micelio.vocabulary import ChangeType, SessionStatus

#: A landing whose tree shape was checked this many positions before the head is checked
#: again against the head, rather than against everything that landed since.
RECHECK_AFTER = 1000
#: ``Received.checked_at`` of a landing whose tree shape must be checked whole at its commit.
UNCHECKED = -1
#: How long after the end of a landing stream a cancellation may still be reported.
CANCEL_GRACE_S = 0.005
#: Conflicting paths named in the error message (all travel in trailing metadata up to 1000).
SHOWN_CONFLICTS = 20


@dataclass
class LandHeaderIn:
    session_id: str = ""
    create: StartRequest | None = None
    conversation: list[Message] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    landed_at: datetime | None = None
    started_at: datetime | None = None
    external_id: str = ""


@dataclass
class Target:
    session_id: str
    organization: str
    project: str
    project_id: int
    create: StartRequest | None
    actor: Identity | None = None  # the verified token that lands (and starts, with create)
    max_conversation_bytes: int = DEFAULT_MAX_CONVERSATION_BYTES


@dataclass
class Received:
    """A landing whose stream was received in full, waiting for its commit.

    ``ended``: the stream went on with another landing, so this one is complete for sure
    (a plain end of stream may still turn out to be a cancellation)."""

    header: LandHeaderIn
    target: Target
    receiver: Receiver
    stream_end: float
    ended: bool = False
    #: The session id's upload reservation (taken only if a content went to object storage).
    reservation: Reservation | None = None
    #: The tree entries and deletions it lands, checked against the tree at ``checked_at``.
    shape: Shape = field(default_factory=lambda: Shape(set(), set()))
    checked_at: int = 0


def commit_group(
    database: Database,
    group: Sequence[Received],
    client_alive: Callable[[], bool] | None,
    *,
    brief: bool = False,
    landed_cache: tree_shape.LandedCache | None = None,
) -> list[LandResult]:
    """Land ``group`` (consecutive landings into one project) in one transaction; ``brief``
    results carry the sessions without conversation, decisions and metadata (so does any
    result whose session is too big for an answer, ``limits.FULL_ANSWER_BYTES``).

    ``client_alive`` is asked just before COMMIT when the last landing is not known to be
    complete: a transport may report a cancelled stream as a plain end of stream first and
    the cancellation a moment later (gRPC does), and a cancelled landing must not land.

    ``landed_cache``: a stream's changes landed since its checks, carried to its next group."""
    now = utcnow()
    try:
        with database.write() as db:
            # The project row is the landing lock: PostgreSQL row lock; on SQLite the
            # transaction already holds the database's write lock (BEGIN IMMEDIATE).
            project = db.scalars(
                select(Project).where(Project.id == group[0].target.project_id).with_for_update()
            ).one()
            head_before = project.head_position
            sessions = []
            for item in group:
                session = _session_for_commit(db, item.target, project, now)
                position = project.head_position + 1
                _apply_header(session, item.header)
                session.status = SessionStatus.LANDED
                session.landed_at = item.header.landed_at or now
                session.landing_position = position
                if item.target.actor is not None:
                    session.landed_by_token_id = item.target.actor.token_id
                    session.landed_by = item.target.actor.description
                project.head_position = position
                sessions.append(session)
            _check_shapes(db, project.id, head_before, group, landed_cache)
            # One flush (in ``append``) inserts the group's new sessions together, with their
            # conversation counters, then two INSERTs their messages and decisions. A session
            # id or external id already taken (since the header's check, or not checked:
            # LandSessions) fails at that flush on its unique index.
            conversation.append(
                db,
                [_append_of(item, session) for item, session in zip(group, sessions, strict=True)],
                now,
                group[0].target.max_conversation_bytes,
            )
            counts = group_line_counts(
                [item.receiver for item in group],
                lambda paths: _previous_versions(db, project.id, paths, head_before),
            )
            inserted = api.create_changes_for_sessions(
                db,
                [
                    (session, _new_changes(item.receiver, session_counts))
                    for item, session, session_counts in zip(group, sessions, counts, strict=True)
                ],
            )
            results = []
            for item, session, count in zip(group, sessions, inserted, strict=True):
                receiver = item.receiver
                position = session.landing_position or 0
                if session.base_position < position - 1:
                    clashes = conflicting_paths(
                        db, project.id, session.id, session.base_position, position
                    )
                    if clashes:
                        raise _conflict(session, clashes)
                # Built before COMMIT, and small whatever the session holds (brief when big):
                # an answer that cannot reach the client must not follow a landing that did.
                big = (
                    limits_.answer_bytes(session.goal, session.conversation_bytes, session.meta)
                    > limits_.FULL_ANSWER_BYTES
                )
                view = session_view(
                    session,
                    item.target.organization,
                    item.target.project,
                    _stats(receiver.changes),
                    brief=brief or big,
                    **({} if brief or big else _conversation_of(db, session)),
                )
                results.append(
                    LandResult(
                        session=view,
                        landing_position=position,
                        changes=count,
                        bytes_inline=receiver.bytes_inline,
                        bytes_stored=receiver.bytes_stored,
                    )
                )
            for item in group:
                _release_reservation(db, item)
            db.flush()
            last = group[-1]
            if (
                client_alive is not None
                and not last.ended
                and not _still_wanted(client_alive, last.stream_end)
            ):
                raise Cancelled("the client cancelled the landing: nothing was stored")
    except BaseException as exc:
        if landed_cache is not None:  # it holds the changes of a group that did not land
            landed_cache.landed = None
        if isinstance(exc, IntegrityError):
            raise _integrity_error(exc, group) from None
        raise
    return results


def _release_reservation(db: DbSession, item: Received) -> None:
    """Delete the landing's reservation in its commit: the objects become the session's."""
    held = item.reservation
    if held is None or not held.taken:
        return
    if not reservations.release_in(db, held.session_id, held.holder):
        # Only `mic server gc` takes a reservation away (after it went stale): it may have
        # deleted this landing's objects, so the landing must not commit rows naming them.
        raise Unavailable(
            f"session {held.session_id}: the upload's reservation expired; land it again"
        )


def _check_shapes(
    db: DbSession,
    project_id: int,
    head: int,
    group: Sequence[Received],
    cache: tree_shape.LandedCache | None = None,
) -> None:
    """Each landing's tree shape against what landed since its check (``tree_shape``): the
    changes after its checked position, and the landings before it in the group. One
    checked too long ago, or whose check against the tree found clashes, is checked against
    the tree at the head instead, less what the landings before it in the group delete: a
    stream's next landing arrives before the one that makes room for it has committed.

    With a ``cache`` that starts at or before every check of the group, only the changes it
    lacks are read (changes landed before a check are in the tree it was checked against:
    one that clashes was refused there or left for the whole check)."""
    near = [item for item in group if _near(head, item)]
    since = min((item.checked_at for item in near), default=head)
    if cache is not None and cache.landed is not None and cache.since <= since:
        landed = cache.landed
        if head > cache.upto:
            landed.apply(shapes.changes_after(db, project_id, cache.upto, head))
    else:
        landed = tree_shape.landed_after(db, project_id, since, head)
        if cache is not None:
            cache.since = since
    in_group = tree_shape.Landed()
    gone: set[str] = set()  # paths that the landings before this one in the group delete
    for index, item in enumerate(group):
        if _near(head, item):
            clashes = landed.clashes(item.shape)
        else:
            shape = item.shape
            clashes = [
                (entry, under)
                for entry, under in tree_shape.against_tree(db, project_id, head, shape)
                # The side of the clash that is in the tree, not in this landing.
                if (under if shape.is_entry(entry) else entry) not in gone
            ]
            clashes += in_group.clashes(shape)
        if clashes:
            raise tree_shape.refuse(clashes)
        changes = item.receiver.changes
        if cache is not None or index + 1 < len(group):  # what the next landings meet
            landed.apply((c.path_key, c.change_type) for c in changes)
        if index + 1 < len(group):
            in_group.apply((c.path_key, c.change_type) for c in changes)
            for change in changes:
                if change.change_type == ChangeType.DELETED:
                    gone.add(change.path_key)
                else:
                    gone.discard(change.path_key)
    if cache is not None:
        keep = len(landed.live) <= tree_shape.MODEL_ENTRIES
        cache.landed = landed if keep else None
        cache.upto = head + len(group)


def _near(head: int, item: Received) -> bool:
    """Whether ``item``'s check holds up to ``checked_at``, so only what landed since counts."""
    return item.checked_at >= 0 and head - item.checked_at <= RECHECK_AFTER


def _session_for_commit(db: DbSession, target: Target, project: Project, now: datetime) -> Session:
    if target.create is not None:
        # The header's check saw the id free; a landing that took it since fails on the
        # unique index at flush.
        session, _ = build_session(
            db,
            target.create,
            target.session_id,
            now,
            project,
            check_exists=False,
            actor=target.actor,
        )
        return session
    with db.no_autoflush:
        session = db.scalars(
            select(Session).where(Session.session_id == target.session_id).with_for_update()
        ).one()
    check_active(session)
    return session


def _previous_versions(
    db: DbSession, project_id: int, paths: list[str], position: int
) -> dict[str, Previous]:
    rows = versions_at(db, project_id, paths, position, max_content=DIFF_MAX_BYTES)
    return {
        path: Previous(
            binary=bool(row.meta.get("binary")),
            lines=int(row.meta.get("lines", 0) or 0),
            content=row.content,
        )
        for path, row in rows.items()
    }


def _still_wanted(client_alive: Callable[[], bool], stream_end: float) -> bool:
    """Whether the client still wants this landing, asked at the last moment before COMMIT.

    gRPC reports a cancelled client stream first as an ordinary end of stream and the
    cancellation a moment later, from another thread. Waiting until ``CANCEL_GRACE_S`` after
    the stream's end (mostly overlapped by the transaction's work) lets that news arrive: in
    a test of 1,000 streams cut right after their last change, none landed with the grace and
    about 2% did without it.
    """
    deadline = stream_end + CANCEL_GRACE_S
    while client_alive():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return True
        time.sleep(min(remaining, 0.0005))
    return False


def check_active(session: Session) -> None:
    if session.status != SessionStatus.ACTIVE:
        raise FailedPrecondition(
            f"session {session.session_id} is {session.status}: only an active session lands",
            session_id=session.session_id,
        )


def _append_of(item: Received, session: Session) -> conversation.Append:
    """What a landing adds to its session's conversation: a created session's own, then the
    header's."""
    create = item.target.create
    return conversation.Append(
        session,
        [*(create.conversation if create else ()), *item.header.conversation],
        [*(create.decisions if create else ()), *item.header.decisions],
        item.target.actor,
    )


def _conversation_of(db: DbSession, session: Session) -> dict[str, Any]:
    messages, decisions = conversation.load(db, session.id)
    return {"conversation": messages, "decisions": decisions}


def _apply_header(session: Session, header: LandHeaderIn) -> None:
    """The header's metadata (checked merged: each part alone was checked on arrival) and
    times (its conversation: ``conversation.append``)."""
    if header.metadata:
        session.meta = limits_.check_metadata("merged session", {**session.meta, **header.metadata})
    if header.started_at is not None:
        session.started_at = header.started_at
    if header.external_id:
        session.external_id = header.external_id


def _new_changes(receiver: Receiver, counts: dict[str, LineCounts]) -> Iterator[api.NewChange]:
    for change, content in receiver.iter_spooled():
        yield api.NewChange(
            file_path=change.file_path,
            change_type=change.change_type,
            raw_path=change.raw_path,
            content=content if change.change_type != ChangeType.DELETED else None,
            storage_key=change.storage_key,
            size=change.size,
            sha256=change.sha256,
            mode=change.mode,
            metadata=_change_metadata(change, counts.get(change.path_key)),
        )


def _change_metadata(change: IncomingChange, counts: LineCounts | None) -> dict[str, Any]:
    """Client metadata, overridden by what the server knows for sure (size, sha256, mode,
    binary, lines). Line counts: the client's when it sent them (importers know the real
    diff), else computed: against the previous version for small texts, else whole files."""
    meta = dict(change.client_metadata or {})
    if change.change_type == ChangeType.DELETED:
        meta.update(size=0, mode=0)
        added, deleted = counts or (0, 0)
    else:
        meta.update(
            size=change.size,
            sha256=change.sha256,
            mode=change.mode,
            binary=change.binary,
            lines=change.lines,
        )
        added, deleted = counts or (change.lines, 0)
    meta.setdefault("lines_added", added)
    meta.setdefault("lines_deleted", deleted)
    return meta


def _stats(changes: ChangeLog) -> api.ChangeStats:
    kinds = changes.kinds
    return api.ChangeStats(
        total=kinds.total(),
        added=kinds[ChangeType.ADDED],
        modified=kinds[ChangeType.MODIFIED],
        deleted=kinds[ChangeType.DELETED],
    )


def _conflict(session: Session, clashes: list[str]) -> Conflict:
    shown: list[str] = []
    for path in clashes[:SHOWN_CONFLICTS]:
        if sum(map(len, shown)) + len(path) > 600:  # the message stays one readable line
            break
        shown.append(path)
    rest = len(clashes) - len(shown)
    more = f" and {rest} more" if rest else ""
    return Conflict(
        f"conflict: sessions landed after position {session.base_position} changed "
        f"{', '.join(shown)}{more}",
        conflicting_paths=clashes,
    )


def _integrity_error(exc: IntegrityError, group: Sequence[Received]) -> Exception:
    """The error of a lone landing; a group's is only a signal to retry one at a time."""
    if len(group) != 1:
        return exc
    header, target = group[0].header, group[0].target
    text = str(exc.orig).lower()
    if "external_id" in text and header.external_id:
        return AlreadyExists(
            f"external id {header.external_id!r} already belongs to another session"
        )
    if "session_id" in text:
        return AlreadyExists(
            f"session {target.session_id!r} already exists", session_id=target.session_id
        )
    return exc
