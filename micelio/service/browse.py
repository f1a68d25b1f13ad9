"""Reading a project's record: session listings, a file's history, the timeline, search, and
one change beside the version it replaced. The gRPC servicers and the web viewer both read here.

Listings are keyset-paginated on the session's primary key (creation order), so a page costs
the same at the start or the end of 100,000 sessions; a file's history is keyset-paginated on
the landing position through the ``(project_id, file_path, landing_position)`` index.

Text search ignores case for every script, the same on both databases: SQLite folds with
Python's ``str.casefold`` (registered on each connection, ``database/engine.py``), PostgreSQL
with ICU's full case mapping (``lower(upper(...))``), whatever the database's own locale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, exists, func, literal, or_, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import load_only

from micelio.database import api
from micelio.database.engine import Database
from micelio.database.models import (
    Organization,
    Project,
    Session,
    SessionChange,
    SessionMessage,
)
from micelio.service import globs, limits, lookup, pagination
from micelio.service.auth import Principal, require_org
from micelio.service.content import wire_path
from micelio.service.errors import InvalidArgument, PermissionDenied
from micelio.service.views import (
    ChangeStats,
    ChangeView,
    Page,
    SessionView,
    change_view,
    session_view,
)
from micelio.vocabulary import ChangeType, SessionStatus, TokenRole

#: Past this many matches a capped count says "N+" instead of counting every match.
COUNT_CAP = 1000
GOAL_PREVIEW = 300
#: ICU's root locale: folds every script, present in any PostgreSQL built with ICU.
PG_FOLD_COLLATION = "und-x-icu"


@dataclass(frozen=True)
class SessionFilter:
    """Which sessions a listing shows, and in which order.

    ``text`` matches the goal or any message of the conversation, ignoring case; ``path_glob``
    matches a changed path (rules in ``service/globs.py``). The keyset (``after``/``before``,
    a session id) starts the page after, or ends it before, that session in display order.
    """

    organization: str = ""
    project: str = ""
    status: str = ""
    path_glob: str = ""
    text: str = ""
    oldest_first: bool = False
    after: str = ""
    before: str = ""


@dataclass(frozen=True)
class SessionRow:
    """A session as a listing shows it: goal preview, author, stats; no conversation."""

    session_id: str
    goal: str
    status: str
    started_at: datetime
    landed_at: datetime | None
    landing_position: int
    author: str
    stats: ChangeStats


@dataclass(frozen=True)
class SessionListPage:
    rows: list[SessionRow]
    total: int
    total_capped: bool  # total is a lower bound: counting stopped at COUNT_CAP
    previous_key: str  # session id for ``before``; "" on the first page
    next_key: str  # session id for ``after``; "" on the last page


@dataclass(frozen=True)
class ProjectRow:
    handle: str
    name: str
    head_position: int
    counts: dict[str, int]  # status -> sessions


@dataclass(frozen=True)
class HistoryRow:
    session_id: str
    goal: str
    landing_position: int
    landed_at: datetime | None
    change_type: str
    size: int
    metadata: dict[str, Any]


@dataclass(frozen=True)
class HistoryPage:
    rows: list[HistoryRow]
    next_before: int  # landing position for ``before=``; 0 on the last page


@dataclass(frozen=True)
class TimelinePoint:
    session_id: str
    goal: str
    landing_position: int
    landed_at: datetime
    changes: int


@dataclass(frozen=True)
class Timeline:
    points: list[TimelinePoint]
    head: int
    first: int  # window of landing positions shown: first..last
    last: int


@dataclass(frozen=True)
class Version:
    """One version of a path: the change that set it and where it landed."""

    session_id: str
    landing_position: int
    change: ChangeView


@dataclass(frozen=True)
class ChangeDetail:
    organization: str
    project: str
    session_id: str
    landing_position: int
    change: ChangeView
    # The path's version just before this session landed (for a rename's addition: the
    # version of the path it was renamed from).
    previous: Version | None


def author_of(metadata: dict[str, Any]) -> str:
    """Who wrote an imported session (its first source commit's author), else metadata's
    ``author`` if a client set one; "" when unknown."""
    commits = metadata.get("commits")
    if isinstance(commits, list) and commits and isinstance(commits[0], dict):
        author = commits[0].get("author")
        if isinstance(author, dict):
            name, email = str(author.get("name") or ""), str(author.get("email") or "")
            return f"{name} <{email}>" if email else name
    author = metadata.get("author")
    return author if isinstance(author, str) else ""


class BrowseService:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- projects -----------------------------------------------------------------------------

    def projects(self, principal: Principal, organization: str) -> list[ProjectRow]:
        """The organization's projects with their session counts by status."""
        require_org(principal, organization, TokenRole.READ, "read projects")
        with self._db.read() as db:
            org = lookup.organization(db, organization)
            projects = list(
                db.scalars(
                    select(Project)
                    .where(Project.organization_id == org.id)
                    .order_by(Project.handle)
                )
            )
            counts: dict[int, dict[str, int]] = {}
            if projects:
                rows = db.execute(
                    select(Session.project_id, Session.status, func.count())
                    .where(Session.project_id.in_([p.id for p in projects]))
                    .group_by(Session.project_id, Session.status)
                )
                for project_id, status, count in rows:
                    counts.setdefault(project_id, {})[status] = int(count)
            return [
                ProjectRow(p.handle, p.name, p.head_position, counts.get(p.id, {}))
                for p in projects
            ]

    # --- session listings ---------------------------------------------------------------------

    def list_page(
        self, principal: Principal, where: SessionFilter, page_size: int, page_token: str
    ) -> Page:
        """Sessions for ``ListSessions``: an opaque page token, an exact total. A session too
        big for an answer comes brief (no conversation, decisions or metadata), and a page
        ends early rather than grow past ``limits.PAGE_BYTES``.

        Without an organization, a server-wide token lists every organization's sessions and
        an organization's token its own."""
        organization = self._scope(principal, where)
        size = pagination.page_size(page_size, 50, 1000)
        scope = pagination.scope_digest(
            organization,
            where.project,
            where.status,
            where.path_glob,
            where.text,
            where.oldest_first,
        )
        after = pagination.decode(page_token, scope)
        if after is not None and not isinstance(after, int):
            raise InvalidArgument("malformed page token")
        with self._db.read() as db:
            query = self._filtered(db, organization, where)
            total = self._count(db, query, cap=None)
            keyset = self._keyset(query, where.oldest_first, after=after, size=size)
            sessions = list(db.scalars(keyset))
            more = len(sessions) > size
            sessions = sessions[:size]
            handles = {
                pk: (org, proj)
                for pk, org, proj in db.execute(
                    select(Project.id, Organization.handle, Project.handle)
                    .join(Organization, Organization.id == Project.organization_id)
                    .where(Project.id.in_({s.project_id for s in sessions}))
                ).tuples()
            }
            stats = api.get_change_stats_by_session(db, [s.id for s in sessions])
            # A page stays small whatever its sessions hold: a big session is brief (GetSession
            # has it whole) and the page ends before it grows past limits.PAGE_BYTES.
            views: list[SessionView] = []
            used = 0
            for index, s in enumerate(sessions):
                # A listing carries no conversation: its goal and metadata count.
                full = limits.answer_bytes(s.goal, 0, s.meta)
                brief = full > limits.FULL_ANSWER_BYTES
                cost = limits.brief_bytes(s.goal) if brief else full
                if views and used + cost > limits.PAGE_BYTES:
                    sessions, more = sessions[:index], True
                    break
                used += cost
                stat = stats.get(s.id, ChangeStats())
                views.append(session_view(s, *handles[s.project_id], stat, brief=brief))
        token = pagination.encode(scope, sessions[-1].id) if more and sessions else ""
        return Page(sessions=views, next_page_token=token, total=total)

    def list_sessions(
        self, principal: Principal, where: SessionFilter, *, size: int = 50
    ) -> SessionListPage:
        """One project's sessions as listing rows, a page in display order (newest first unless
        ``oldest_first``): the first, the one after ``where.after`` or before ``where.before``.
        A text or path filter counts at most ``COUNT_CAP`` matches."""
        require_org(principal, where.organization, TokenRole.READ, "read sessions")
        if not where.project:
            raise InvalidArgument("project is required")
        with self._db.read() as db:
            query = self._filtered(db, where.organization, where)
            query = query.options(
                # A listing shows no conversation or decisions: do not load them.
                load_only(
                    Session.session_id,
                    Session.goal,
                    Session.status,
                    Session.started_at,
                    Session.landed_at,
                    Session.landing_position,
                    Session.meta,
                )
            )
            capped = bool(where.text or where.path_glob)
            total = self._count(db, query, cap=COUNT_CAP if capped else None)
            key = where.after or where.before
            pk = None
            if key:
                # Found among the project's sessions, not the filtered ones: a key that has
                # left the filter since (an active session landed) still places the page.
                project_id = lookup.project(db, where.organization, where.project).id
                pk = db.scalar(
                    select(Session.id).where(
                        Session.session_id == key, Session.project_id == project_id
                    )
                )
                if pk is None:
                    raise InvalidArgument(f"unknown page key {key!r}")
            # "before" walks the display order backwards from the key.
            forward = where.oldest_first != bool(where.before)
            sessions = list(db.scalars(self._keyset(query, forward, after=pk, size=size)))
            more = len(sessions) > size
            sessions = sessions[:size]
            if where.before:
                sessions.reverse()
            stats = api.get_change_stats_by_session(db, [s.id for s in sessions])
        rows = [
            SessionRow(
                session_id=s.session_id,
                goal=s.goal[:GOAL_PREVIEW],
                status=s.status,
                started_at=s.started_at,
                landed_at=s.landed_at,
                landing_position=s.landing_position or 0,
                author=author_of(s.meta),
                stats=stats.get(s.id, ChangeStats()),
            )
            for s in sessions
        ]
        first_id = rows[0].session_id if rows else ""
        last_id = rows[-1].session_id if rows else ""
        if where.before:
            previous_key, next_key = (first_id if more else ""), last_id
        else:
            previous_key = first_id if where.after else ""
            next_key = last_id if more else ""
        return SessionListPage(
            rows,
            min(total, COUNT_CAP) if capped else total,
            total > COUNT_CAP and capped,
            previous_key,
            next_key,
        )

    def _scope(self, principal: Principal, where: SessionFilter) -> str:
        """The organization a listing reads (checked against the token); "" for all."""
        organization = where.organization
        if not principal.server_wide:
            if organization and organization != principal.organization:
                raise PermissionDenied(
                    f"a token of organization {principal.organization!r} cannot list sessions "
                    f"of {organization!r}"
                )
            organization = principal.organization or ""
        if where.project and not organization:
            raise InvalidArgument("a project filter needs its organization")
        return organization

    def _filtered(self, db: DbSession, organization: str, where: SessionFilter) -> Select[Session]:
        if where.status and where.status not in frozenset(SessionStatus):
            raise InvalidArgument(f"unknown status {where.status!r}")
        query = select(Session)
        if where.project:
            query = query.where(
                Session.project_id == lookup.project(db, organization, where.project).id
            )
        elif organization:
            org = lookup.organization(db, organization)
            project_ids = select(Project.id).where(Project.organization_id == org.id)
            query = query.where(Session.project_id.in_(project_ids.scalar_subquery()))
        if where.status:
            query = query.where(Session.status == where.status)
        if where.text:
            query = query.where(self._text_clause(where.text))
        if where.path_glob:
            query = query.where(self._path_clause(db, where.path_glob))
        return query

    @staticmethod
    def _keyset(
        query: Select[Session], forward: bool, *, after: int | None, size: int
    ) -> Select[Session]:
        """At most ``size + 1`` sessions past primary key ``after`` (the extra one: "more")."""
        if after is not None:
            query = query.where(Session.id > after if forward else Session.id < after)
        order = Session.id.asc() if forward else Session.id.desc()
        return query.order_by(order).limit(size + 1)

    @staticmethod
    def _count(db: DbSession, query: Select[Session], *, cap: int | None) -> int:
        ids = query.with_only_columns(Session.id).order_by(None)
        if cap is not None:
            # A text or path filter scans: stop counting once the answer is "many".
            ids = ids.limit(cap + 1)
        return int(db.scalar(select(func.count()).select_from(ids.subquery())) or 0)

    def _fold(self, value: ColumnElement[Any]) -> ColumnElement[str]:
        """``value`` with case folded for every script (see the module's docstring)."""
        if self._db.is_sqlite:
            return func.casefold(value)
        return func.lower(func.upper(value.collate(PG_FOLD_COLLATION)))

    def _contains(self, value: ColumnElement[Any], text: str) -> ColumnElement[bool]:
        """``value`` contains ``text``, ignoring case: both sides folded the same way."""
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        needle = self._fold(literal(f"%{escaped}%", Text))
        return self._fold(value).like(needle, escape="\\")

    def _text_clause(self, text: str) -> ColumnElement[bool]:
        """The goal or any conversation message's content contains ``text``, ignoring case."""
        in_goal = self._contains(Session.goal.expression, text)
        # Messages are rows (service/conversation.py): an indexed probe per session.
        in_messages: ColumnElement[bool] = exists(
            select(1)
            .select_from(SessionMessage)
            .where(
                SessionMessage.session_pk == Session.id,
                self._contains(SessionMessage.content.expression, text),
            )
        )
        return or_(in_goal, in_messages)

    def _path_clause(self, db: DbSession, text: str) -> ColumnElement[bool]:
        """The session changed a path matching the glob ``text``."""
        glob = globs.parse(text)
        conditions: list[ColumnElement[bool]] = [SessionChange.session_pk == Session.id]
        if self._db.is_sqlite:
            # Python's matcher (linear time), on this transaction's connection.
            driver = db.connection().connection.driver_connection
            assert driver is not None
            driver.create_function("mic_glob", 2, globs.matches, deterministic=True)
            conditions.append(func.mic_glob(text, SessionChange.file_path) == 1)
            prefix = glob.literal_prefix()
            if prefix and ord(prefix[-1]) < 0x10FFFF:
                # SQLite compares text bytewise: a range on the (session_pk, file_path) index
                # leaves the matcher only the rows under the prefix.
                upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
                conditions += [SessionChange.file_path >= prefix, SessionChange.file_path < upper]
        else:
            conditions.append(SessionChange.file_path.regexp_match(glob.regex()))
        return exists().where(*conditions)

    # --- history of a path --------------------------------------------------------------------

    def file_history(
        self,
        principal: Principal,
        organization: str,
        project: str,
        file_path: str,
        *,
        before: int = 0,
        size: int = 100,
    ) -> HistoryPage:
        """Every landed session that changed ``file_path``, newest first."""
        require_org(principal, organization, TokenRole.READ, "read projects")
        path = _wire_path(file_path)
        with self._db.read() as db:
            proj = lookup.project(db, organization, project)
            query = (
                select(
                    Session.session_id,
                    func.substr(Session.goal, 1, GOAL_PREVIEW),
                    SessionChange.landing_position,
                    Session.landed_at,
                    SessionChange.change_type,
                    SessionChange.size,
                    SessionChange.meta,
                )
                .join(Session, Session.id == SessionChange.session_pk)
                .where(SessionChange.project_id == proj.id, SessionChange.file_path == path)
            )
            if before:
                query = query.where(SessionChange.landing_position < before)
            query = query.order_by(SessionChange.landing_position.desc()).limit(size + 1)
            rows = [HistoryRow(*row) for row in db.execute(query).tuples()]
        more = len(rows) > size
        rows = rows[:size]
        return HistoryPage(rows, rows[-1].landing_position if more else 0)

    # --- timeline -----------------------------------------------------------------------------

    def timeline(
        self,
        principal: Principal,
        organization: str,
        project: str,
        *,
        last: int = 0,
        span: int = 500,
    ) -> Timeline:
        """Landed sessions at positions ``last - span + 1 .. last`` (``last`` 0: the head)."""
        require_org(principal, organization, TokenRole.READ, "read projects")
        with self._db.read() as db:
            proj = lookup.project(db, organization, project)
            head = proj.head_position
            last = min(last, head) if last > 0 else head
            first = max(1, last - span + 1)
            sessions = db.execute(
                select(
                    Session.session_id,
                    func.substr(Session.goal, 1, GOAL_PREVIEW),
                    Session.landing_position,
                    Session.landed_at,
                )
                .where(
                    Session.project_id == proj.id,
                    Session.status == SessionStatus.LANDED,
                    Session.landing_position.between(first, last),
                )
                .order_by(Session.landing_position)
            ).tuples()
            counts = {
                position: int(count)
                for position, count in db.execute(
                    select(SessionChange.landing_position, func.count())
                    .where(
                        SessionChange.project_id == proj.id,
                        SessionChange.landing_position.between(first, last),
                    )
                    .group_by(SessionChange.landing_position)
                ).tuples()
            }
            points = [
                TimelinePoint(sid, goal, pos or 0, landed_at, counts.get(pos or 0, 0))
                for sid, goal, pos, landed_at in sessions
                if landed_at is not None
            ]
        return Timeline(points, head, first, last)

    # --- one change ---------------------------------------------------------------------------

    def change(self, principal: Principal, session_id: str, file_path: str) -> ChangeDetail:
        """A session's change of ``file_path`` and the version it replaced."""
        path = _wire_path(file_path)
        with self._db.read() as db:
            session, org, project = lookup.session(db, session_id)
            require_org(principal, org, TokenRole.READ, "read sessions")
            row = lookup.change(db, session, path)
            previous = None
            # A rename's addition compares with the version it was renamed from.
            before = path
            renamed_from = row.meta.get("renamed_from")
            if row.change_type == ChangeType.ADDED and isinstance(renamed_from, str):
                before = renamed_from
            if session.landing_position:
                found = db.execute(
                    select(SessionChange, Session.session_id)
                    .join(Session, Session.id == SessionChange.session_pk)
                    .where(
                        SessionChange.project_id == session.project_id,
                        SessionChange.file_path == before,
                        SessionChange.landing_position < session.landing_position,
                    )
                    .order_by(SessionChange.landing_position.desc())
                    .limit(1)
                ).first()
                if found is not None:
                    change, previous_id = found
                    previous = Version(previous_id, change.landing_position, change_view(change))
            return ChangeDetail(
                organization=org,
                project=project,
                session_id=session_id,
                landing_position=session.landing_position or 0,
                change=change_view(row),
                previous=previous,
            )


def _wire_path(file_path: str) -> str:
    return wire_path(file_path, b"")
