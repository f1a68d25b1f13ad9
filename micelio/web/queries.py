"""Read queries the web viewer needs beyond the RPCs' service layer (same rules, same checks).

Everything here is read-only and checks the principal with ``require_org`` exactly as the
service layer does. Listing is keyset-paginated on the session's primary key (creation order),
so a page costs the same at the start or the end of 100,000 sessions; a file's history is
keyset-paginated on the landing position through the ``(project_id, file_path,
landing_position)`` index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, cast, exists, func, literal, or_, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import load_only

from micelio.database.api import ChangeStats, change_stats_for
from micelio.database.engine import Database
from micelio.database.models import STATUS_LANDED, Project, Session, SessionChange
from micelio.service import lookup
from micelio.service.auth import READ, Principal, require_org
from micelio.service.content import wire_path
from micelio.service.errors import InvalidArgument
from micelio.service.globs import glob_to_regex
from micelio.service.sessions import STATUSES
from micelio.service.views import ChangeView, change_view

#: Past this many matches a filtered list says "N+" instead of counting every match.
COUNT_CAP = 1000
GOAL_PREVIEW = 300


@dataclass(frozen=True)
class ListQuery:
    status: str = ""
    path_glob: str = ""
    text: str = ""
    oldest_first: bool = False


@dataclass(frozen=True)
class SessionRow:
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
    previous_key: str  # session id for ``before=``; "" on the first page
    next_key: str  # session id for ``after=``; "" on the last page


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


def literal_prefix(glob: str) -> str:
    """The fixed leading text every match of an anchored glob starts with ("" if none)."""
    body = glob.strip("/")
    if "/" not in body:
        return ""  # unanchored: matches at any depth
    for index, char in enumerate(body):
        if char in "*?[":
            return body[:index]
    return body


def _contains_folded(column: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    """``column`` contains ``text`` once both went through the database's ``lower()``: the
    same folding on both sides, whatever the database's locale does beyond ASCII."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(func.lower(literal(f"%{escaped}%")), escape="\\")


class WebQueries:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- projects -----------------------------------------------------------------------------

    def projects(self, principal: Principal, organization: str) -> list[ProjectRow]:
        require_org(principal, organization, READ, "read projects")
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

    # --- session lists ------------------------------------------------------------------------

    def list_sessions(
        self,
        principal: Principal,
        organization: str,
        project: str,
        where: ListQuery,
        *,
        after: str = "",
        before: str = "",
        size: int = 50,
    ) -> SessionListPage:
        """A page in display order (newest first unless ``oldest_first``): the first page,
        the page after session ``after``, or the page before session ``before``."""
        require_org(principal, organization, READ, "read sessions")
        if where.status and where.status not in STATUSES:
            raise InvalidArgument(f"unknown status {where.status!r}")
        with self._db.read() as db:
            proj = lookup.project(db, organization, project)
            query = self._filtered(db, proj.id, where)
            total, capped = self._count(db, query, exact=not (where.text or where.path_glob))
            ascending = where.oldest_first
            key = after or before
            if key:
                pk = db.scalar(
                    select(Session.id).where(
                        Session.session_id == key, Session.project_id == proj.id
                    )
                )
                if pk is None:
                    raise InvalidArgument(f"unknown page key {key!r}")
                # "before" walks the display order backwards from the key.
                forward = ascending if after else not ascending
                query = query.where(Session.id > pk if forward else Session.id < pk)
            else:
                forward = ascending
            query = query.order_by(Session.id.asc() if forward else Session.id.desc())
            sessions = list(db.scalars(query.limit(size + 1)))
            more = len(sessions) > size
            sessions = sessions[:size]
            if before:
                sessions.reverse()
            stats = change_stats_for(db, [s.id for s in sessions])
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
        if before:
            previous_key, next_key = (first_id if more else ""), last_id
        else:
            previous_key = first_id if after else ""
            next_key = last_id if more else ""
        return SessionListPage(rows, total, capped, previous_key, next_key)

    def _filtered(self, db: DbSession, project_id: int, where: ListQuery) -> Select[tuple[Session]]:
        query = (
            select(Session)
            .where(Session.project_id == project_id)
            # The list shows no conversation or decisions: do not load them.
            .options(
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
        )
        if where.status:
            query = query.where(Session.status == where.status)
        if where.text:
            query = query.where(self._text_clause(where.text))
        if where.path_glob:
            query = query.where(self._path_clause(where.path_glob))
        return query

    def _count(
        self, db: DbSession, query: Select[tuple[Session]], *, exact: bool
    ) -> tuple[int, bool]:
        ids = query.with_only_columns(Session.id).order_by(None)
        if not exact:
            # A text or path filter scans: stop counting once the answer is "many".
            ids = ids.limit(COUNT_CAP + 1)
        total = int(db.scalar(select(func.count()).select_from(ids.subquery())) or 0)
        if not exact and total > COUNT_CAP:
            return COUNT_CAP, True
        return total, False

    def _text_clause(self, text: str) -> ColumnElement[bool]:
        """Goal or any conversation message's content contains ``text``, ignoring case as the
        database's ``lower()`` does (ASCII on SQLite; the locale's rules on PostgreSQL)."""
        in_goal = _contains_folded(Session.goal, text)
        if self._db.is_sqlite:
            messages = func.json_each(Session.conversation).table_valued("value").alias("m")
            content = func.json_extract(messages.c.value, "$.content")
        else:
            messages = (
                func.json_array_elements(Session.conversation).table_valued("value").alias("m")
            )
            content = messages.c.value.op("->>")("content")
        in_messages = exists(select(1).select_from(messages).where(_contains_folded(content, text)))
        needle = text.lower()
        verbatim = needle.isascii() and needle.isprintable() and not set(needle) & {'"', "\\"}
        if self._db.is_sqlite and verbatim:
            # The stored JSON text holds such a needle verbatim (JSON escapes only quotes,
            # backslashes, controls and non-ASCII): a LIKE on it rules out most sessions
            # without parsing their conversation.
            raw = func.lower(cast(Session.conversation, Text))
            in_messages = raw.contains(needle, autoescape=True) & in_messages
        return or_(in_goal, in_messages)

    def _path_clause(self, glob: str) -> ColumnElement[bool]:
        """The session changed a path matching ``glob``."""
        conditions: list[ColumnElement[bool]] = [
            SessionChange.session_pk == Session.id,
            SessionChange.file_path.regexp_match(glob_to_regex(glob)),
        ]
        prefix = literal_prefix(glob)
        if prefix and self._db.is_sqlite and ord(prefix[-1]) < 0x10FFFF:
            # SQLite compares text bytewise: a range on the (session_pk, file_path) index
            # leaves the regular expression only the rows under the prefix.
            upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
            conditions += [SessionChange.file_path >= prefix, SessionChange.file_path < upper]
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
        require_org(principal, organization, READ, "read projects")
        path = wire_path(file_path, b"")
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
            rows = [HistoryRow(*row) for row in db.execute(query)]
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
        require_org(principal, organization, READ, "read projects")
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
                    Session.status == STATUS_LANDED,
                    Session.landing_position.between(first, last),
                )
                .order_by(Session.landing_position)
            ).all()
            counts = dict(
                db.execute(
                    select(SessionChange.landing_position, func.count())
                    .where(
                        SessionChange.project_id == proj.id,
                        SessionChange.landing_position.between(first, last),
                    )
                    .group_by(SessionChange.landing_position)
                ).all()
            )
        points = [
            TimelinePoint(sid, goal, pos, landed_at, int(counts.get(pos, 0)))
            for sid, goal, pos, landed_at in sessions
            if landed_at is not None
        ]
        return Timeline(points, head, first, last)

    # --- one change ---------------------------------------------------------------------------

    def change(self, principal: Principal, session_id: str, file_path: str) -> ChangeDetail:
        """A session's change of ``file_path`` and the version it replaced."""
        path = wire_path(file_path, b"")
        with self._db.read() as db:
            session, org, project = lookup.session(db, session_id)
            require_org(principal, org, READ, "read sessions")
            row = lookup.change(db, session, path)
            previous = None
            # A rename's addition compares with the version it was renamed from.
            before = path
            if row.change_type == "added" and isinstance(row.meta.get("renamed_from"), str):
                before = row.meta["renamed_from"]
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
