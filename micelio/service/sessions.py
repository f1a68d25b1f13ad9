"""Sessions outside landing: start, read, abandon, notes and decisions (listing: ``browse``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from micelio import paths
from micelio.database import api
from micelio.database.engine import Database
from micelio.database.models import Project, Session, utcnow
from micelio.service import limits, lookup, pagination
from micelio.service.auth import Principal, require_org
from micelio.service.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from micelio.service.views import (
    ChangePage,
    Decision,
    Message,
    SessionView,
    StartRequest,
    change_view,
    decision_to_json,
    message_to_json,
    session_view,
)
from micelio.vocabulary import ChangeType, SessionStatus, TokenRole


def new_session_id() -> str:
    return "ses_" + uuid.uuid4().hex


def check_start(principal: Principal, request: StartRequest) -> str:
    """Validate a start request (also used by create-and-land); return the session id."""
    limits.check_handle("organization", request.organization)
    limits.check_handle("project", request.project)
    limits.check_text("goal", request.goal, limits.MAX_GOAL, required=True)
    limits.check_messages(request.conversation)
    limits.check_decisions(request.decisions)
    limits.check_metadata("session", request.metadata)
    if request.base_position is not None and request.base_position < -1:
        raise InvalidArgument("base_position must be >= 0 (or -1 for the head)")
    require_org(principal, request.organization, TokenRole.WRITE, "start sessions")
    session_id = request.session_id or new_session_id()
    try:
        paths.validate_session_id(session_id)
    except paths.InvalidPath as exc:
        raise InvalidArgument(str(exc)) from exc
    return session_id


def build_session(
    db: DbSession,
    request: StartRequest,
    session_id: str,
    now: datetime,
    project: Project | None = None,
    *,
    check_exists: bool = True,
) -> tuple[Session, Project]:
    """A new active session row (added to ``db``) in the request's project (``project``:
    that project, already loaded by the caller). ``check_exists=False`` leaves a taken
    session id to the unique index (an IntegrityError at flush)."""
    if project is None:
        project = lookup.project(db, request.organization, request.project)
    base = request.base_position
    if base is None or base == -1:
        base = project.head_position
    elif base > project.head_position:
        raise InvalidArgument(
            f"base_position {base} is beyond the head ({project.head_position}) of "
            f"{request.organization}/{request.project}"
        )
    if check_exists and db.scalar(select(Session.id).where(Session.session_id == session_id)):
        raise AlreadyExists(f"session {session_id!r} already exists", session_id=session_id)
    session = Session(
        session_id=session_id,
        project_id=project.id,
        goal=request.goal,
        conversation=[message_to_json(m, now) for m in request.conversation],
        decisions=[decision_to_json(d, now) for d in request.decisions],
        meta=dict(request.metadata),
        status=SessionStatus.ACTIVE,
        started_at=now,
        base_position=base,
    )
    db.add(session)
    return session, project


class SessionService:
    def __init__(self, db: Database, session_limits: limits.LandingLimits | None = None) -> None:
        self._db = db
        self._limits = session_limits or limits.LandingLimits()

    def start(self, principal: Principal, request: StartRequest) -> SessionView:
        session_id = check_start(principal, request)
        limits.check_conversation_size(
            limits.conversation_bytes(request.conversation, request.decisions),
            self._limits.max_conversation_bytes,
        )
        try:
            with self._db.write() as db:
                session, _ = build_session(db, request, session_id, utcnow())
                db.flush()
        except IntegrityError:
            raise AlreadyExists(
                f"session {session_id!r} already exists", session_id=session_id
            ) from None
        return session_view(session, request.organization, request.project, api.ChangeStats())

    def get(self, principal: Principal, session_id: str) -> SessionView:
        with self._db.read() as db:
            session, org, project = lookup.session(db, session_id)
            require_org(principal, org, TokenRole.READ, "read sessions")
            return session_view(session, org, project, api.get_session_change_stats(db, session))

    def stats(self, principal: Principal, session_id: str) -> api.ChangeStats:
        with self._db.read() as db:
            session, org, _ = lookup.session(db, session_id)
            require_org(principal, org, TokenRole.READ, "read sessions")
            return api.get_session_change_stats(db, session)

    def find(
        self,
        principal: Principal,
        organization: str,
        project: str,
        external_id: str = "",
        *,
        latest: bool = False,
    ) -> SessionView:
        require_org(principal, organization, TokenRole.READ, "read sessions")
        if not latest and not external_id:
            raise InvalidArgument("give an external_id or set latest")
        with self._db.read() as db:
            proj = lookup.project(db, organization, project)
            query = select(Session).where(Session.project_id == proj.id)
            if latest:
                query = query.where(Session.landing_position.is_not(None))
                query = query.order_by(Session.landing_position.desc()).limit(1)
                what = f"no landed session in {organization}/{project}"
            else:
                query = query.where(Session.external_id == external_id)
                what = f"no session with external id {external_id!r} in {organization}/{project}"
            session = db.scalar(query)
            if session is None:
                raise NotFound(what)
            stats = api.get_session_change_stats(db, session)
            return session_view(session, organization, project, stats)

    def list_changes(
        self,
        principal: Principal,
        session_id: str,
        page_size: int,
        page_token: str,
        change_type: str = "",
    ) -> ChangePage:
        if change_type and change_type not in frozenset(ChangeType):
            raise InvalidArgument(f"unknown change type {change_type!r}")
        size = pagination.page_size(page_size, 500, 5000)
        scope = pagination.scope_digest(session_id, change_type)
        after = pagination.decode(page_token, scope)
        if after is not None and not isinstance(after, str):
            raise InvalidArgument("malformed page token")
        with self._db.read() as db:
            session, org, _ = lookup.session(db, session_id)
            require_org(principal, org, TokenRole.READ, "read sessions")
            changes = api.list_session_changes(
                db, session, change_type=change_type or None, after_path=after, limit=size + 1
            )
        more = len(changes) > size
        changes = changes[:size]
        token = pagination.encode(scope, changes[-1].file_path) if more else ""
        return ChangePage(changes=[change_view(c) for c in changes], next_page_token=token)

    def abandon(self, principal: Principal, session_id: str, reason: str = "") -> SessionView:
        limits.check_text("reason", reason, limits.MAX_REASON)

        def apply(session: Session) -> None:
            session.status = SessionStatus.ABANDONED
            session.abandoned_at = utcnow()
            if reason:
                session.meta = {**session.meta, "abandon_reason": reason}

        return self._update_active(principal, session_id, "abandon sessions", apply)

    def add_message(self, principal: Principal, session_id: str, message: Message) -> SessionView:
        limits.check_messages([message])

        def apply(session: Session) -> None:
            session.conversation = [*session.conversation, message_to_json(message, utcnow())]

        return self._update_active(principal, session_id, "add messages", apply)

    def add_decision(
        self, principal: Principal, session_id: str, decision: Decision
    ) -> SessionView:
        limits.check_decisions([decision])

        def apply(session: Session) -> None:
            session.decisions = [*session.decisions, decision_to_json(decision, utcnow())]

        return self._update_active(principal, session_id, "record decisions", apply)

    def _update_active(
        self,
        principal: Principal,
        session_id: str,
        action: str,
        apply: Callable[[Session], None],
    ) -> SessionView:
        with self._db.write() as db:
            # Row lock: concurrent notes on PostgreSQL must not overwrite each other's list.
            session, org, project = lookup.session(db, session_id, for_update=True)
            require_org(principal, org, TokenRole.WRITE, action)
            if session.status != SessionStatus.ACTIVE:
                raise FailedPrecondition(
                    f"session {session_id} is {session.status}: cannot {action}"
                )
            apply(session)
            db.flush()
            return session_view(session, org, project, api.ChangeStats())
