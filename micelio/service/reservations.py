"""Upload reservations: one upload at a time writes under ``sessions/{session_id}/``.

A landing takes its session id's reservation before the first byte of a stored (large)
content, and only if the id is free: no session holds it (for a new session), or the session
is still active (for a started one). Any other upload of that id is refused with
ALREADY_EXISTS before it stores anything, so it can neither overwrite nor, on failure, delete
the objects of another session. The committing transaction deletes the row together with
inserting the change rows; a failed landing deletes its objects, then its row. Sessions
without stored contents (most imported ones) never pay for a reservation.

A holder is ``{server id}:{random}``: a server that starts again knows the reservations of
its previous run are dead, and ``mic server gc`` takes over those not touched for a while.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from micelio.database.engine import Database
from micelio.database.models import Session, UploadReservation, utcnow
from micelio.service.errors import AlreadyExists, FailedPrecondition
from micelio.vocabulary import SessionStatus

#: A holder refreshes ``touched_at`` at most this often, when it starts another content.
TOUCH_EVERY_S = 60.0


def new_holder(server_id: str) -> str:
    return f"{server_id}:{secrets.token_hex(8)}"


def take(db: Database, session_id: str, holder: str, *, new_session: bool) -> None:
    """Reserve ``session_id`` for ``holder``, or raise ALREADY_EXISTS / FAILED_PRECONDITION."""
    try:
        with db.write() as tx:
            tx.add(UploadReservation(session_id=session_id, holder=holder))
            tx.flush()
            status = tx.scalar(select(Session.status).where(Session.session_id == session_id))
            if new_session and status is not None:
                raise AlreadyExists(f"session {session_id!r} already exists", session_id=session_id)
            if not new_session and status != SessionStatus.ACTIVE:
                raise FailedPrecondition(
                    f"session {session_id} is {status}: only an active session lands",
                    session_id=session_id,
                )
    except IntegrityError:
        raise AlreadyExists(
            f"session {session_id!r} is being landed by another upload", session_id=session_id
        ) from None


def grab(db: Database, session_id: str, holder: str) -> bool:
    """Reserve ``session_id`` whatever its sessions (garbage collection); False if taken."""
    try:
        with db.write() as tx:
            tx.add(UploadReservation(session_id=session_id, holder=holder))
    except IntegrityError:
        return False
    return True


def take_over(db: Database, session_id: str, old_holder: str, holder: str) -> bool:
    """Move a (dead) reservation to ``holder``, if ``old_holder`` still has it."""
    with db.write() as tx:
        moved = tx.execute(
            update(UploadReservation)
            .where(
                UploadReservation.session_id == session_id,
                UploadReservation.holder == old_holder,
            )
            .values(holder=holder, touched_at=utcnow())
        )
    return bool(getattr(moved, "rowcount", 0))


def touch(db: Database, session_id: str, holder: str) -> None:
    with db.write() as tx:
        tx.execute(
            update(UploadReservation)
            .where(UploadReservation.session_id == session_id, UploadReservation.holder == holder)
            .values(touched_at=utcnow())
        )


def release(db: Database, session_id: str, holder: str) -> None:
    with db.write() as tx:
        release_in(tx, session_id, holder)


def release_in(tx: DbSession, session_id: str, holder: str) -> bool:
    """Delete the reservation in the caller's transaction; False if ``holder`` lost it."""
    gone = tx.execute(
        delete(UploadReservation).where(
            UploadReservation.session_id == session_id, UploadReservation.holder == holder
        )
    )
    return bool(getattr(gone, "rowcount", 0))


def held(db: Database) -> list[tuple[str, str, datetime]]:
    """Every reservation: ``(session_id, holder, touched_at)``."""
    with db.read() as tx:
        rows = tx.execute(
            select(
                UploadReservation.session_id,
                UploadReservation.holder,
                UploadReservation.touched_at,
            )
        )
        return [(row[0], row[1], row[2]) for row in rows]


class Reservation:
    """The reservation of one landing, taken lazily by ``before_store``."""

    def __init__(self, db: Database, session_id: str, holder: str, *, new_session: bool) -> None:
        self._db = db
        self.session_id = session_id
        self.holder = holder
        self._new_session = new_session
        self.taken = False
        self._touched = 0.0

    def before_store(self) -> None:
        now = time.monotonic()
        if not self.taken:
            take(self._db, self.session_id, self.holder, new_session=self._new_session)
            self.taken = True
        elif now - self._touched >= TOUCH_EVERY_S:
            touch(self._db, self.session_id, self.holder)
        else:
            return
        self._touched = now

    def release(self) -> None:
        if self.taken:
            release(self._db, self.session_id, self.holder)
            self.taken = False
