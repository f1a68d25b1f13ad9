"""Landing a session: receive the stream, then commit it in one short transaction.

The order of events (docs/architecture.md, "Landing"):

1. the header is checked against the database (session active, permissions, external id)
   before any content is accepted, so a doomed landing fails before its upload;
2. changes are received (``ingest.Receiver``): nothing touches the database;
3. one transaction locks the project row, re-checks the session, inserts the change rows in
   batches, detects conflicts, assigns ``head + 1`` and bumps the head. A crash anywhere
   leaves the session either landed with all its changes or still active with none;
4. a failure deletes the objects this landing wrote.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from micelio.database import api
from micelio.database.engine import Database
from micelio.database.models import STATUS_ACTIVE, STATUS_LANDED, Project, Session, utcnow
from micelio.database.tree import conflicting_paths, versions_at
from micelio.service import limits, lookup
from micelio.service.auth import WRITE, Principal, require_org
from micelio.service.errors import (
    AlreadyExists,
    Cancelled,
    Conflict,
    FailedPrecondition,
    InvalidArgument,
)
from micelio.service.ingest import IncomingChange, Peekable, Receiver
from micelio.service.sessions import build_session, check_start, new_session_id
from micelio.service.views import (
    Decision,
    LandResult,
    Message,
    StartRequest,
    decision_to_json,
    message_to_json,
    session_view,
)
from micelio.storage import ObjectStore

#: Line counts against the previous version only for texts up to this size (cheap enough).
DIFF_MAX_BYTES = 64 * 1024
#: How long after the end of a landing stream a cancellation may still be reported.
CANCEL_GRACE_S = 0.005
#: Paths whose previous versions are loaded at once for line counts.
_DIFF_BATCH = 100
#: (lines_added, lines_deleted)
_LineCounts = tuple[int, int]
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
class _Target:
    session_id: str
    organization: str
    project: str
    project_id: int
    create: StartRequest | None


class Lander:
    def __init__(
        self,
        db: Database,
        store: ObjectStore,
        *,
        inline_threshold: int,
        spool_dir: Path | None = None,
    ) -> None:
        self._db = db
        self._store = store
        self._threshold = inline_threshold
        self._spool_dir = spool_dir
        # Two concurrent landings of one session would write the same object keys: the loser
        # would delete the winner's objects. One landing per session id at a time (per server).
        self._in_flight: set[str] = set()
        self._in_flight_lock = threading.Lock()

    def land(
        self,
        principal: Principal,
        items: Iterator[Any],
        *,
        client_alive: Callable[[], bool] = lambda: True,
        ended: Callable[[], bool] = lambda: False,
    ) -> LandResult:
        """``items``: a ``LandHeaderIn``, then ``ChangeHeaderIn``s each followed by ``bytes``
        chunks. Any exception (including the client going away) stores nothing.

        ``client_alive`` is asked just before the commit: a transport may report a cancelled
        stream as a plain end of stream first and the cancellation a moment later (gRPC does),
        and a cancelled landing must not land what it had sent so far."""
        stream = Peekable(items)
        try:
            header = next(stream)
        except StopIteration:
            raise InvalidArgument("empty landing stream: send a LandHeader first") from None
        if not isinstance(header, LandHeaderIn):
            raise InvalidArgument("a landing stream must start with a LandHeader")
        if header.create is not None and not header.create.session_id:
            header.create.session_id = new_session_id()
        session_id = header.create.session_id if header.create is not None else header.session_id
        # Checked inside the exclusive section: a landing that finished just before must be
        # seen as landed here, before this one writes (and on failure deletes) the same keys.
        with self._exclusive(session_id):
            target = self._check_header(principal, header)
            receiver = Receiver(self._store, target.session_id, self._threshold, self._spool_dir)
            try:
                receiver.receive(stream)
                stream_end = time.monotonic()
                counts = self._line_counts(target, receiver)
                # A session ended by the next one's header is complete: no grace to wait.
                alive = None if ended() else client_alive
                return self._commit(header, target, receiver, counts, alive, stream_end)
            except BaseException:
                receiver.discard()
                raise
            finally:
                receiver.close()

    def land_many(
        self,
        principal: Principal,
        items: Iterator[Any],
        *,
        client_alive: Callable[[], bool] = lambda: True,
    ) -> Iterator[LandResult]:
        """Land consecutive sessions of one stream, each atomically, answering each in turn:
        every ``LandHeaderIn`` after the first ends the session before it."""
        stream = Peekable(items)
        for first in stream:
            stream.push_back(first)
            session = _OneSession(stream)
            yield self.land(
                principal, session, client_alive=client_alive, ended=session.is_ended
            )

    @contextmanager
    def _exclusive(self, session_id: str) -> Iterator[None]:
        with self._in_flight_lock:
            if session_id in self._in_flight:
                raise FailedPrecondition(f"session {session_id} is already being landed")
            self._in_flight.add(session_id)
        try:
            yield
        finally:
            with self._in_flight_lock:
                self._in_flight.discard(session_id)

    # -- 1. the header -------------------------------------------------------------------

    def _check_header(self, principal: Principal, header: LandHeaderIn) -> _Target:
        limits.check_messages(header.conversation)
        limits.check_decisions(header.decisions)
        limits.check_metadata("session", header.metadata)
        limits.check_external_id(header.external_id)
        if header.create is not None and header.session_id:
            raise InvalidArgument("LandHeader: set either session_id or create, not both")
        with self._db.read() as db:
            if header.create is not None:
                request = header.create
                session_id = check_start(principal, request)
                project = lookup.project(db, request.organization, request.project)
                if db.scalar(select(Session.id).where(Session.session_id == session_id)):
                    raise AlreadyExists(
                        f"session {session_id!r} already exists", session_id=session_id
                    )
                target = _Target(
                    session_id, request.organization, request.project, project.id, request
                )
            else:
                if not header.session_id:
                    raise InvalidArgument("LandHeader: session_id (or create) is required")
                session, org, project_handle = lookup.session(db, header.session_id)
                require_org(principal, org, WRITE, "land sessions")
                _check_active(session)
                target = _Target(session.session_id, org, project_handle, session.project_id, None)
            if header.external_id:
                _check_external_id(db, target.project_id, header.external_id, target.session_id)
        return target

    # -- 3a. line counts against the previous versions (read-only, before the lock) ------

    def _line_counts(self, target: _Target, receiver: Receiver) -> dict[str, _LineCounts]:
        """Line counts of modified/deleted paths against their current version, computed in
        batches so that at most ``_DIFF_BATCH`` previous contents are in memory at once. A
        concurrent landing of one of these paths is a conflict anyway, so the head read here
        is the version this landing replaces."""
        wanted = [c for c in receiver.changes if c.change_type != "added" and not c.binary]
        counts: dict[str, _LineCounts] = {}
        if not wanted:
            return counts
        with self._db.read() as db:
            head = db.scalar(select(Project.head_position).where(Project.id == target.project_id))
            for start in range(0, len(wanted), _DIFF_BATCH):
                batch = wanted[start : start + _DIFF_BATCH]
                found = versions_at(
                    db,
                    target.project_id,
                    [c.file_path for c in batch],
                    head or 0,
                    with_content=True,
                )
                for change in batch:
                    previous = found.get(change.file_path)
                    if previous is None or previous.meta.get("binary"):
                        continue
                    if change.change_type == "deleted":
                        counts[change.file_path] = (0, int(previous.meta.get("lines", 0) or 0))
                    elif (
                        change.inline
                        and change.size <= DIFF_MAX_BYTES
                        and previous.content is not None
                        and previous.size <= DIFF_MAX_BYTES
                    ):
                        new = receiver.read_spooled(change)
                        counts[change.file_path] = _line_delta(previous.content, new)
                db.expunge_all()  # drop the batch's contents before loading the next
        return counts

    # -- 3b. the transaction ---------------------------------------------------------------

    def _commit(
        self,
        header: LandHeaderIn,
        target: _Target,
        receiver: Receiver,
        counts: dict[str, _LineCounts],
        client_alive: Callable[[], bool] | None,
        stream_end: float,
    ) -> LandResult:
        now = utcnow()
        try:
            with self._db.write() as db:
                # The project row is the landing lock: PostgreSQL row lock; on SQLite the
                # transaction already holds the database's write lock (BEGIN IMMEDIATE).
                project = db.scalars(
                    select(Project).where(Project.id == target.project_id).with_for_update()
                ).one()
                session = self._session_for_commit(db, target, project, now)
                # An external id taken since the header's check fails on its unique index.
                position = project.head_position + 1
                _apply_header(session, header, now)
                session.status = STATUS_LANDED
                session.landed_at = header.landed_at or now
                session.landing_position = position
                db.flush()
                rows = _new_changes(receiver, counts)
                count = api.create_session_changes(db, session, rows)
                if session.base_position < project.head_position:
                    clashes = conflicting_paths(db, project.id, session.id, session.base_position)
                    if clashes:
                        raise _conflict(session, clashes)
                project.head_position = position
                db.flush()
                if client_alive is not None and not _still_wanted(client_alive, stream_end):
                    raise Cancelled("the client cancelled the landing: nothing was stored")
                stats = _stats(receiver.changes)
                view = session_view(session, target.organization, target.project, stats)
        except IntegrityError as exc:
            raise _integrity_error(exc, target, header) from None
        return LandResult(
            session=view,
            landing_position=position,
            changes=count,
            bytes_inline=receiver.bytes_inline,
            bytes_stored=receiver.bytes_stored,
        )

    def _session_for_commit(
        self, db: DbSession, target: _Target, project: Project, now: datetime
    ) -> Session:
        if target.create is not None:
            session, _ = build_session(db, target.create, target.session_id, now, project)
            return session
        session = db.scalars(
            select(Session).where(Session.session_id == target.session_id).with_for_update()
        ).one()
        _check_active(session)
        return session


class _OneSession:
    """The items of the session at the head of a stream, leaving the next header in it.

    ``ended``: the next header arrived, so this session is complete for sure (no need to
    wait for a cancellation that a plain end of stream might turn out to be)."""

    def __init__(self, stream: Peekable) -> None:
        self._stream = stream
        self._started = False
        self.ended = False

    def __iter__(self) -> _OneSession:
        return self

    def is_ended(self) -> bool:
        return self.ended

    def __next__(self) -> Any:
        if self.ended:
            raise StopIteration
        item = next(self._stream)
        if self._started and isinstance(item, LandHeaderIn):
            self._stream.push_back(item)
            self.ended = True
            raise StopIteration
        self._started = True
        return item


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


def _check_active(session: Session) -> None:
    if session.status != STATUS_ACTIVE:
        raise FailedPrecondition(
            f"session {session.session_id} is {session.status}: only an active session lands",
            session_id=session.session_id,
        )


def _check_external_id(db: DbSession, project_id: int, external_id: str, session_id: str) -> None:
    holder = db.scalar(
        select(Session.session_id).where(
            Session.project_id == project_id, Session.external_id == external_id
        )
    )
    if holder is not None:
        raise AlreadyExists(
            f"external id {external_id!r} already belongs to session {holder}",
            session_id=holder,
        )


def _apply_header(session: Session, header: LandHeaderIn, now: datetime) -> None:
    if header.conversation:
        session.conversation = [
            *session.conversation,
            *(message_to_json(m, now) for m in header.conversation),
        ]
    if header.decisions:
        session.decisions = [
            *session.decisions,
            *(decision_to_json(d, now) for d in header.decisions),
        ]
    if header.metadata:
        session.meta = {**session.meta, **header.metadata}
    if header.started_at is not None:
        session.started_at = header.started_at
    if header.external_id:
        session.external_id = header.external_id


def _new_changes(receiver: Receiver, counts: dict[str, _LineCounts]) -> Iterator[api.NewChange]:
    for change, content in receiver.iter_spooled():
        yield api.NewChange(
            file_path=change.file_path,
            change_type=change.change_type,
            raw_path=change.raw_path,
            content=content if change.change_type != "deleted" else None,
            storage_key=change.storage_key,
            size=change.size,
            sha256=change.sha256,
            mode=change.mode,
            metadata=_change_metadata(change, counts.get(change.file_path)),
        )


def _change_metadata(change: IncomingChange, counts: _LineCounts | None) -> dict[str, Any]:
    """Client metadata, overridden by what the server knows for sure (size, sha256, mode,
    binary, lines). Line counts: the client's when it sent them (importers know the real
    diff), else computed: against the previous version for small texts, else whole files."""
    meta = dict(change.client_metadata)
    if change.change_type == "deleted":
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


def _line_delta(old: bytes, new: bytes) -> tuple[int, int]:
    """Lines added and deleted as multisets: exact for edits, cheap (linear), and only
    blind to lines that merely moved."""
    before = Counter(old.splitlines())
    after = Counter(new.splitlines())
    return sum((after - before).values()), sum((before - after).values())


def _stats(changes: list[IncomingChange]) -> api.ChangeStats:
    kinds = Counter(c.change_type for c in changes)
    return api.ChangeStats(
        total=len(changes),
        added=kinds["added"],
        modified=kinds["modified"],
        deleted=kinds["deleted"],
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


def _integrity_error(exc: IntegrityError, target: _Target, header: LandHeaderIn) -> Exception:
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
