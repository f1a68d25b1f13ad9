"""Sessions outside landing: start, read, abandon, notes and decisions (listing: ``browse``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from micelio import paths
from micelio.config import DEFAULT_MAX_CONVERSATION_BYTES
from micelio.database import api
from micelio.database.engine import Database
from micelio.database.models import Project, Session, utcnow
from micelio.service import conversation, limits, lookup, pagination
from micelio.service.auth import Principal, require_org
from micelio.service.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from micelio.service.views import (
    ChangePage,
    Decision,
    Identity,
    Message,
    SessionView,
    StartRequest,
    change_view,
    session_view,
)
from micelio.vocabulary import ChangeType, SessionStatus, TokenRole


def new_session_id() -> str:
    return "ses_" + uuid.uuid4().hex


def check_start(
    principal: Principal,
    request: StartRequest,
    max_conversation_bytes: int = DEFAULT_MAX_CONVERSATION_BYTES,
) -> str:
    """Validate a start request (also used by create-and-land); return the session id."""
    limits.check_handle("organization", request.organization)
    limits.check_handle("project", request.project)
    limits.check_text("goal", request.goal, limits.MAX_GOAL, required=True)
    limits.check_messages(request.conversation)
    limits.check_decisions(request.decisions)
    limits.check_metadata("session", request.metadata)
    conversation.check_room(
        0,
        conversation.size_of(request.conversation, request.decisions, principal.identity),
        max_conversation_bytes,
    )
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
    actor: Identity | None = None,
) -> tuple[Session, Project]:
    """A new active session row (added to ``db``, without its conversation: the caller
    appends ``request``'s with ``conversation.append`` once the row is flushed) in the
    request's project (``project``: that project, already loaded by the caller).
    ``check_exists=False`` leaves a taken session id to the unique index (an IntegrityError
    at flush). ``actor``: the verified identity that starts it."""
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
        meta=dict(request.metadata),
        status=SessionStatus.ACTIVE,
        started_at=now,
        base_position=base,
        conversation_bytes=0,
        message_count=0,
        decision_count=0,
        started_by_token_id=actor.token_id if actor else None,
        started_by=actor.description if actor else None,
    )
    db.add(session)
    return session, project


def require_steward(principal: Principal, session: Session, org: str, action: str) -> None:
    """Who may act on an active session beyond reading it: the token that started it, or an
    admin of its organization (or a server-wide admin). A session whose starter was not
    recorded (started before identities were kept) is left to admins."""
    require_org(principal, org, TokenRole.WRITE, action)
    if principal.has_role(TokenRole.ADMIN):
        return
    if session.started_by_token_id is None or session.started_by_token_id != principal.token_id:
        starter = (
            f"token {session.started_by_token_id}"
            if session.started_by_token_id is not None
            else "an unrecorded token"
        )
        raise PermissionDenied(
            f"session {session.session_id} was started by {starter}: only that token or an "
            f"admin of {org!r} can {action}"
        )


class SessionService:
    def __init__(
        self, db: Database, *, max_conversation_bytes: int = DEFAULT_MAX_CONVERSATION_BYTES
    ) -> None:
        self._db = db
        self._max_conversation = max_conversation_bytes

    def start(self, principal: Principal, request: StartRequest) -> SessionView:
        session_id = check_start(principal, request, self._max_conversation)
        try:
            with self._db.write() as db:
                now = utcnow()
                session, _ = build_session(db, request, session_id, now, actor=principal.identity)
                conversation.append(
                    db,
                    [
                        conversation.Append(
                            session, request.conversation, request.decisions, principal.identity
                        )
                    ],
                    now,
                    self._max_conversation,
                )
                db.flush()
                messages, decisions = conversation.load(db, session.id)
        except IntegrityError:
            raise AlreadyExists(
                f"session {session_id!r} already exists", session_id=session_id
            ) from None
        return session_view(
            session,
            request.organization,
            request.project,
            api.ChangeStats(),
            conversation=messages,
            decisions=decisions,
        )

    def get(self, principal: Principal, session_id: str) -> SessionView:
        with self._db.read() as db:
            session, org, project = lookup.session(db, session_id)
            require_org(principal, org, TokenRole.READ, "read sessions")
            return _full_view(db, session, org, project)

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
            return _full_view(db, session, organization, project)

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
        token = pagination.encode(scope, changes[-1].path_key) if more else ""
        return ChangePage(changes=[change_view(c) for c in changes], next_page_token=token)

    def abandon(self, principal: Principal, session_id: str, reason: str = "") -> SessionView:
        limits.check_text("reason", reason, limits.MAX_REASON)

        def apply(db: DbSession, session: Session) -> tuple[list[Message], list[Decision]]:
            session.status = SessionStatus.ABANDONED
            session.abandoned_at = utcnow()
            session.abandoned_by_token_id = principal.token_id
            session.abandoned_by = principal.description
            if reason:
                session.meta = {**session.meta, "abandon_reason": reason}
            return conversation.load(db, session.id)

        return self._update_active(principal, session_id, "abandon sessions", apply)

    def rebase(self, principal: Principal, session_id: str, position: int) -> SessionView:
        """Move an active session's base to ``position`` (0..head): the client has merged
        what landed in between, so the landing's conflict check starts from there."""
        if position < 0:
            raise InvalidArgument("base_position must be >= 0")

        def apply(db: DbSession, session: Session) -> tuple[list[Message], list[Decision]]:
            head = db.scalar(select(Project.head_position).where(Project.id == session.project_id))
            if head is None or position > head:
                raise InvalidArgument(f"base_position {position} is beyond the head ({head})")
            session.base_position = position
            return conversation.load(db, session.id)

        return self._update_active(principal, session_id, "rebase sessions", apply)

    def add_message(self, principal: Principal, session_id: str, message: Message) -> SessionView:
        limits.check_messages([message])
        return self._append(principal, session_id, "add messages", [message], [])

    def add_decision(
        self, principal: Principal, session_id: str, decision: Decision
    ) -> SessionView:
        limits.check_decisions([decision])
        return self._append(principal, session_id, "record decisions", [], [decision])

    def _append(
        self,
        principal: Principal,
        session_id: str,
        action: str,
        messages: list[Message],
        decisions: list[Decision],
    ) -> SessionView:
        """One INSERT and the session's counters: the same cost at any conversation length.
        The answer carries only what was appended (with its server time and token)."""
        conversation.check_room(
            0,
            conversation.size_of(messages, decisions, principal.identity),
            self._max_conversation,
            session_id,
        )

        def apply(db: DbSession, session: Session) -> tuple[list[Message], list[Decision]]:
            now = utcnow()
            conversation.append(
                db,
                [conversation.Append(session, messages, decisions, principal.identity)],
                now,
                self._max_conversation,
            )
            stamped = Identity(principal.token_id, principal.description)
            return (
                [_stamp_message(m, now, stamped) for m in messages],
                [_stamp_decision(d, now, stamped) for d in decisions],
            )

        return self._update_active(principal, session_id, action, apply)

    def _update_active(
        self,
        principal: Principal,
        session_id: str,
        action: str,
        apply: Callable[[DbSession, Session], tuple[list[Message], list[Decision]]],
    ) -> SessionView:
        with self._db.write() as db:
            # Row lock: concurrent appends on PostgreSQL must not lose each other's counts.
            session, org, project = lookup.session(db, session_id, for_update=True)
            require_org(principal, org, TokenRole.WRITE, action)
            if session.status != SessionStatus.ACTIVE:
                raise FailedPrecondition(
                    f"session {session_id} is {session.status}: cannot {action}"
                )
            require_steward(principal, session, org, action)
            messages, decisions = apply(db, session)
            db.flush()
            return session_view(
                session,
                org,
                project,
                api.ChangeStats(),
                conversation=messages,
                decisions=decisions,
            )


def _full_view(db: DbSession, session: Session, org: str, project: str) -> SessionView:
    messages, decisions = conversation.load(db, session.id)
    return session_view(
        session,
        org,
        project,
        api.get_session_change_stats(db, session),
        conversation=messages,
        decisions=decisions,
    )


def _stamp_message(message: Message, now: datetime, token: Identity) -> Message:
    return Message(
        role=message.role,
        content=message.content,
        author=message.author,
        at=message.at or now,
        reference=message.reference,
        token=token,
    )


def _stamp_decision(decision: Decision, now: datetime, token: Identity) -> Decision:
    return Decision(
        decision=decision.decision, reasoning=decision.reasoning, at=decision.at or now, token=token
    )
