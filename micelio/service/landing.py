"""Landing sessions: receive each stream, then commit it in one short transaction.

The order of events (docs/architecture.md, "Landing"):

1. the header is checked against the database (session active, permissions, external id)
   before any content is accepted, so a doomed landing fails before its upload (in a
   ``land_many`` stream, taken session and external ids are left to the commit's unique
   indexes);
2. changes are received (``ingest.Receiver``): nothing touches the database;
3. one transaction (``landing_commit``) locks the project row, re-checks the session, inserts
   the change rows in batches, detects conflicts, assigns ``head + 1`` and bumps the head. A
   crash anywhere leaves the session either landed with all its changes or still active
   with none;
4. a failure deletes the objects this landing wrote.

Before its first stored (large) content, a landing reserves its session id
(``service/reservations.py``): objects are only ever written, and deleted, by the one upload
that holds the id, so a landing of another organization's session id (imported ids are
public) is refused before it stores a byte.

``land_many`` (``LandSessions``) receives in a thread of its own while it commits, and commits
the landings that arrived meanwhile together (a group commit): the per-transaction cost is
paid once per group instead of once per session, and each session still lands atomically.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from micelio.config import DEFAULT_MAX_CONVERSATION_BYTES
from micelio.database.engine import Database
from micelio.database.models import Project, Session
from micelio.service import conversation, limits, lookup, reservations, tree_shape
from micelio.service.auth import Principal, require_org
from micelio.service.errors import AlreadyExists, FailedPrecondition, InvalidArgument
from micelio.service.ingest import Peekable, Receiver
from micelio.service.landing_commit import (
    UNCHECKED,
    LandHeaderIn,
    Received,
    Target,
    check_active,
    commit_group,
)
from micelio.service.sessions import check_start, new_session_id, require_steward
from micelio.service.tree_shape import Shape
from micelio.service.views import LandResult
from micelio.storage import ObjectStore
from micelio.vocabulary import TokenRole

__all__ = ["LandHeaderIn", "Lander"]
log = logging.getLogger(__name__)

#: Received landings waiting for their commit, at most (the receiving thread waits).
QUEUE_SESSIONS = 512
#: ...and the inline content they hold at most (spools keep up to 8 MiB each in memory).
QUEUE_BYTES = 64 * 1024 * 1024
#: ...and the changes they carry at most (each is held in memory until its commit).
QUEUE_CHANGES = 200_000
#: A stream's model of its project's tree moves to the head after this many landings (the
#: commit checks each landing against what landed after its model's position).
MODEL_REFRESH = 64
#: A group commit holds at most this many landings and this much inline content.
GROUP_SESSIONS = 256
GROUP_BYTES = 32 * 1024 * 1024
#: How long a group waits for more landings after its first arrived (unless it is full or
#: the stream ended): a few milliseconds of latency buy a transaction shared by many.
GROUP_LINGER_S = 0.02


class Lander:
    def __init__(
        self,
        db: Database,
        store: ObjectStore,
        *,
        inline_threshold: int,
        spool_dir: Path | None = None,
        server_id: str = "local",
        max_conversation_bytes: int = DEFAULT_MAX_CONVERSATION_BYTES,
        session_limits: limits.LandingLimits | None = None,
    ) -> None:
        self._db = db
        self._server_id = server_id
        self._max_conversation = max_conversation_bytes
        self._limits = session_limits or limits.LandingLimits()
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
    ) -> LandResult:
        """``items``: a ``LandHeaderIn``, then ``ChangeHeaderIn``s each followed by ``bytes``
        chunks. Any exception (including the client going away) stores nothing.

        ``client_alive`` is asked just before the commit: a transport may report a cancelled
        stream as a plain end of stream first and the cancellation a moment later (gRPC does),
        and a cancelled landing must not land what it had sent so far."""
        received = self._receive(principal, items, _StreamContext(self._db, check_unique=True))
        try:
            # Whole unless too big for an answer (then brief): it always reaches the client.
            result = commit_group(self._db, [received], client_alive)
        except BaseException:
            self._release(received, discard=True)
            raise
        self._release(received, discard=False)
        return result[0]

    def land_many(
        self,
        principal: Principal,
        items: Iterator[Any],
        *,
        client_alive: Callable[[], bool] = lambda: True,
    ) -> Generator[list[LandResult], None, None]:
        """Land consecutive sessions of one stream, each atomically: every ``LandHeaderIn``
        after the first ends the session before it. Yields the (brief) results of each
        commit, in stream order. The stream stops at the first failure, which is raised
        after the results of the sessions before it."""
        inbox = _Inbox()
        times = StreamTimes()
        landed_cache = tree_shape.LandedCache()
        receiving = threading.Thread(
            target=self._receive_all,
            args=(principal, Peekable(items), inbox, times),
            name="mic-land-receive",
            daemon=True,
        )
        receiving.start()
        try:
            while group := inbox.take():
                times.groups += 1
                started = time.perf_counter()
                for results in self._commit(group, client_alive, landed_cache):
                    times.commit_s += time.perf_counter() - started
                    times.sessions += len(results)
                    yield results
                    started = time.perf_counter()
            if inbox.error is not None:
                raise inbox.error
        finally:
            for item in inbox.stop():
                self._release(item, discard=True)
            log.info("%s", times.line())

    def _commit(
        self,
        group: list[Received],
        client_alive: Callable[[], bool],
        landed_cache: tree_shape.LandedCache | None = None,
    ) -> Iterator[list[LandResult]]:
        """Commit a group; if it fails, each of its sessions again on its own, in order, up
        to the first that fails, so that the error is that session's own."""
        try:
            results = commit_group(
                self._db, group, client_alive, brief=True, landed_cache=landed_cache
            )
        except Exception:
            if len(group) == 1:
                self._release(group[0], discard=True)
                raise
        except BaseException:
            for item in group:
                self._release(item, discard=True)
            raise
        else:
            for item in group:
                self._release(item, discard=False)
            yield results
            return
        pending = deque(group)
        try:
            while pending:
                alone = commit_group(
                    self._db, [pending[0]], client_alive, brief=True, landed_cache=landed_cache
                )
                self._release(pending.popleft(), discard=False)
                yield alone
        finally:  # a failure, or the caller stopped listening: the rest never lands
            for rest in pending:
                self._release(rest, discard=True)

    # -- 1 and 2: the header, then the changes ---------------------------------------------

    def _receive_all(
        self, principal: Principal, stream: Peekable, inbox: _Inbox, times: StreamTimes
    ) -> None:
        """The receiving thread of ``land_many``: every landing of the stream into ``inbox``."""
        # Two queries per session before its upload would cost more than the upload of a
        # typical imported session; the commit's unique indexes refuse a taken id anyway.
        context = _StreamContext(self._db, check_unique=False, models=True)
        try:
            for first in stream:
                stream.push_back(first)
                one = _OneSession(stream)
                started = time.perf_counter()
                received = self._receive(principal, one, context, times)
                times.receive_s += time.perf_counter() - started
                times.changes += len(received.receiver.changes)
                received.ended = one.ended
                if not inbox.put(received):
                    self._release(received, discard=True)
                    return
        except BaseException as exc:
            inbox.fail(exc)
        else:
            inbox.fail(None)

    def _receive(
        self,
        principal: Principal,
        items: Iterator[Any],
        context: _StreamContext,
        times: StreamTimes | None = None,
    ) -> Received:
        """Check a landing's header, then receive its changes (``_release`` it afterwards)."""
        stream = Peekable(items)
        try:
            header = next(stream)
        except StopIteration:
            raise InvalidArgument("empty landing stream: send a LandHeader first") from None
        if not isinstance(header, LandHeaderIn):
            raise InvalidArgument("a landing stream must start with a LandHeader")
        made_here = header.create is not None and not header.create.session_id
        if header.create is not None and made_here:
            header.create.session_id = new_session_id()
        session_id = header.create.session_id if header.create is not None else header.session_id
        # Checked once this landing is exclusive: a landing that finished just before must be
        # seen as landed here, before this one writes (and on failure deletes) the same keys.
        self._acquire(session_id)
        receiver = None
        reservation = reservations.Reservation(
            self._db,
            session_id,
            reservations.new_holder(self._server_id),
            new_session=header.create is not None,
        )
        try:
            target = self._check_header(principal, header, context, made_here)
            receiver = Receiver(
                self._store,
                target.session_id,
                self._threshold,
                self._spool_dir,
                self._limits,
                before_store=reservation.before_store,
            )
            receiver.receive(stream)
            shape = Shape(receiver.paths, receiver.deleted)
            started = time.perf_counter()
            checked_at = self._check_shape(target.project_id, shape, context)
            if times is not None:
                times.shape_s += time.perf_counter() - started
            return Received(
                header,
                target,
                receiver,
                stream_end=time.monotonic(),
                reservation=reservation,
                shape=shape,
                checked_at=checked_at,
            )
        except BaseException:
            if receiver is not None:
                self._discard(receiver, reservation)
                receiver.close()
            self._release_id(session_id)
            raise

    def _check_shape(self, project_id: int, shape: Shape, context: _StreamContext) -> int:
        """Refuse a tree no checkout can write (``tree_shape``): clashes within the session at
        once; against the tree of a recent position, outside the landing lock, returning that
        position (the commit checks what landed since) or ``UNCHECKED`` when it clashes there.
        Such a landing is checked again at its commit, against the head less what the
        landings committed with it delete: an importer's stream sends the session that turns
        a file into a folder before the one that deleted the file has committed.

        A ``LandSessions`` stream checks against its own model of the tree
        (``tree_shape.TreeModel``), moved to the head every ``MODEL_REFRESH`` landings; a
        single landing, or a stream whose project is too large to model, asks the database."""
        clashes = tree_shape.within(shape)
        if clashes:
            raise tree_shape.refuse(clashes)
        model = context.model(project_id)
        if model is not None:
            return UNCHECKED if model.clashes(shape) else model.position
        with self._db.read() as db:
            head = db.scalar(select(Project.head_position).where(Project.id == project_id)) or 0
            if tree_shape.against_tree(db, project_id, head, shape):
                return UNCHECKED
        return head

    def _release(self, received: Received, *, discard: bool) -> None:
        if discard:
            self._discard(received.receiver, received.reservation)
        elif received.reservation is not None:
            received.reservation.taken = False  # the commit deleted it
        received.receiver.close()
        self._release_id(received.target.session_id)

    @staticmethod
    def _discard(receiver: Receiver, reservation: reservations.Reservation | None) -> None:
        """Delete what this landing stored, then give its session id back (in this order:
        the objects are ours only while we hold the id)."""
        receiver.discard()
        if reservation is not None:
            try:
                reservation.release()
            except Exception:  # the database is down: `mic server gc` takes it over later
                log.warning("cannot release the reservation of %s", reservation.session_id)

    def _acquire(self, session_id: str) -> None:
        with self._in_flight_lock:
            if session_id in self._in_flight:
                raise FailedPrecondition(f"session {session_id} is already being landed")
            self._in_flight.add(session_id)

    def _release_id(self, session_id: str) -> None:
        with self._in_flight_lock:
            self._in_flight.discard(session_id)

    def _check_header(
        self, principal: Principal, header: LandHeaderIn, context: _StreamContext, made_here: bool
    ) -> Target:
        limits.check_messages(header.conversation)
        limits.check_decisions(header.decisions)
        limits.check_metadata("session", header.metadata)
        limits.check_external_id(header.external_id)
        if header.create is not None:
            limits.check_metadata("session", {**header.create.metadata, **header.metadata})
        if header.create is not None and header.session_id:
            raise InvalidArgument("LandHeader: set either session_id or create, not both")
        adding = conversation.size_of(header.conversation, header.decisions, principal.identity)
        if header.create is not None:
            request = header.create
            session_id = check_start(principal, request, self._max_conversation)
            conversation.check_room(
                conversation.size_of(request.conversation, request.decisions, principal.identity),
                adding,
                self._max_conversation,
            )
            project_id = context.project_id(request.organization, request.project)
            target = Target(
                session_id,
                request.organization,
                request.project,
                project_id,
                request,
                principal.identity,
                self._max_conversation,
            )
            if context.check_unique and (header.external_id or not made_here):
                with self._db.read() as db:
                    # Server-made ids are new; a client's own is checked before its upload.
                    if not made_here and db.scalar(
                        select(Session.id).where(Session.session_id == session_id)
                    ):
                        raise AlreadyExists(
                            f"session {session_id!r} already exists", session_id=session_id
                        )
                    if header.external_id:
                        _check_external_id(db, project_id, header.external_id, session_id)
            return target
        if not header.session_id:
            raise InvalidArgument("LandHeader: session_id (or create) is required")
        with self._db.read() as db:
            session, org, project_handle = lookup.session(db, header.session_id)
            require_org(principal, org, TokenRole.WRITE, "land sessions")
            check_active(session)
            require_steward(principal, session, org, "land sessions")
            conversation.check_room(
                session.conversation_bytes, adding, self._max_conversation, session.session_id
            )
            # Checked again at the commit; here, so that a doomed landing fails before its upload.
            if header.metadata:
                limits.check_metadata("merged session", {**session.meta, **header.metadata})
            if header.external_id and context.check_unique:
                _check_external_id(db, session.project_id, header.external_id, session.session_id)
            return Target(
                session.session_id,
                org,
                project_handle,
                session.project_id,
                None,
                principal.identity,
                self._max_conversation,
            )


@dataclass(slots=True)
class StreamTimes:
    """Where a ``LandSessions`` stream spent its time, logged at its end (the import
    benchmark reads it): receiving (waiting for the client included) with the tree-shape
    checks within it, in one thread; committing in another."""

    sessions: int = 0
    changes: int = 0
    groups: int = 0
    receive_s: float = 0.0
    shape_s: float = 0.0
    commit_s: float = 0.0

    def line(self) -> str:
        return (
            f"LandSessions stream: {self.sessions} sessions, {self.changes} changes; "
            f"receive {self.receive_s:.2f} s (shape checks {self.shape_s:.2f} s), "
            f"commit {self.commit_s:.2f} s in {self.groups} groups"
        )


class _OneSession:
    """The items of the session at the head of a stream, leaving the next header in it.

    ``ended``: the next header arrived, so this session is complete for sure."""

    def __init__(self, stream: Peekable) -> None:
        self._stream = stream
        self._started = False
        self.ended = False

    def __iter__(self) -> _OneSession:
        return self

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


class _StreamContext:
    """What the header checks of one landing stream share: project ids by handles (looked
    up once), whether session and external ids are checked for uniqueness before the
    upload or only by the commit's unique indexes, and (``LandSessions``) the stream's
    models of its projects' trees for the shape checks."""

    def __init__(self, db: Database, *, check_unique: bool, models: bool = False) -> None:
        self._db = db
        self._ids: dict[tuple[str, str], int] = {}
        self.check_unique = check_unique
        self._use_models = models
        self._models: dict[int, tree_shape.TreeModel | None] = {}
        self._checks: dict[int, int] = {}

    def project_id(self, organization: str, project: str) -> int:
        key = (organization, project)
        if key not in self._ids:
            with self._db.read() as db:
                self._ids[key] = lookup.project(db, organization, project).id
        return self._ids[key]

    def model(self, project_id: int) -> tree_shape.TreeModel | None:
        """The stream's model of the project's tree, moved to the head every
        ``MODEL_REFRESH`` checks; None when the stream checks by queries."""
        if not self._use_models:
            return None
        checks = self._checks.get(project_id, 0)
        self._checks[project_id] = checks + 1
        if project_id in self._models:
            model = self._models[project_id]
            if model is None or checks % MODEL_REFRESH:
                return model
        else:
            model = None
        with self._db.read() as db:
            head = db.scalar(select(Project.head_position).where(Project.id == project_id)) or 0
            if model is None:
                model = tree_shape.load_model(db, project_id, head)
            elif not tree_shape.advance(db, project_id, model, head):
                model = None
        self._models[project_id] = model
        return model


class _Inbox:
    """Received landings between the receiving thread and the committer, bounded in number
    and in inline bytes; ``take`` hands out the next group to commit."""

    def __init__(self) -> None:
        self._items: deque[Received] = deque()
        self._bytes = 0
        self._changes = 0
        self._finished = False
        self._stopped = False
        self._changed = threading.Condition()
        self.error: BaseException | None = None

    def put(self, item: Received) -> bool:
        """Queue a landing, waiting for room; False once the committer has stopped."""
        with self._changed:
            self._changed.wait_for(
                lambda: (
                    self._stopped
                    or not self._items
                    or (
                        len(self._items) < QUEUE_SESSIONS
                        and self._bytes < QUEUE_BYTES
                        and self._changes < QUEUE_CHANGES
                    )
                )
            )
            if self._stopped:
                return False
            self._items.append(item)
            self._bytes += item.receiver.bytes_inline
            self._changes += len(item.receiver.changes)
            self._changed.notify_all()
            return True

    def fail(self, error: BaseException | None) -> None:
        """The stream ended: cleanly (None), or with the error to raise after the landings
        received before it."""
        with self._changed:
            self.error = error
            self._finished = True
            self._changed.notify_all()

    def take(self) -> list[Received]:
        """The landings waiting now, of one project, at least one; [] at the end."""
        with self._changed:
            self._changed.wait_for(lambda: self._items or self._finished)
            self._changed.wait_for(
                lambda: (
                    self._finished
                    or len(self._items) >= GROUP_SESSIONS
                    or self._bytes >= GROUP_BYTES
                ),
                timeout=GROUP_LINGER_S,
            )
            group: list[Received] = []
            size = 0
            while self._items and len(group) < GROUP_SESSIONS and size < GROUP_BYTES:
                item = self._items[0]
                if group and item.target.project_id != group[0].target.project_id:
                    break
                group.append(self._items.popleft())
                size += item.receiver.bytes_inline
                self._changes -= len(item.receiver.changes)
            self._bytes -= size
            self._changed.notify_all()
            return group

    def stop(self) -> list[Received]:
        """No more landings are accepted; those still waiting are returned (to discard)."""
        with self._changed:
            self._stopped = True
            left = list(self._items)
            self._items.clear()
            self._bytes = 0
            self._changes = 0
            self._changed.notify_all()
            return left


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
