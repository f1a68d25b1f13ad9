"""Queries over a project's history: the tree at a position, a file's version, conflicts.

Each relies on the denormalised ``(project_id, file_path, landing_position)`` index of
``session_changes``: a path's version at position P is its change with the greatest landing
position <= P, unless that change is a deletion.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import undefer

from micelio.database.models import Session, SessionChange

#: Rows fetched per round trip while streaming a tree.
TREE_FETCH = 1000
_IN_BATCH = 500


class TreeRow(NamedTuple):
    file_path: str
    raw_path: bytes | None
    mode: int
    size: int
    sha256: str | None
    session_id: str
    landing_position: int


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def iter_tree(
    db: DbSession, project_id: int, position: int, path_prefix: str = ""
) -> Iterator[TreeRow]:
    """The files of a project after ``position``, in path order, streamed from the database."""
    scope = [SessionChange.project_id == project_id, SessionChange.landing_position <= position]
    if path_prefix:
        scope.append(SessionChange.file_path.like(escape_like(path_prefix) + "/%", escape="\\"))
    ranked = (
        select(
            SessionChange.id,
            func.row_number()
            .over(
                partition_by=SessionChange.file_path,
                order_by=SessionChange.landing_position.desc(),
            )
            .label("rank"),
        )
        .where(*scope)
        .subquery()
    )
    query = (
        select(
            SessionChange.file_path,
            SessionChange.raw_path,
            SessionChange.mode,
            SessionChange.size,
            SessionChange.sha256,
            Session.session_id,
            SessionChange.landing_position,
        )
        .join(ranked, ranked.c.id == SessionChange.id)
        .join(Session, Session.id == SessionChange.session_pk)
        .where(ranked.c.rank == 1, SessionChange.change_type != "deleted")
        .order_by(SessionChange.file_path)
        .execution_options(yield_per=TREE_FETCH)
    )
    for row in db.execute(query):
        yield TreeRow(*row)


def version_at(
    db: DbSession, project_id: int, file_path: str, position: int
) -> SessionChange | None:
    """The change that set ``file_path`` as of ``position`` (None if absent or deleted)."""
    change = db.scalars(
        select(SessionChange)
        .where(
            SessionChange.project_id == project_id,
            SessionChange.file_path == file_path,
            SessionChange.landing_position <= position,
        )
        .order_by(SessionChange.landing_position.desc())
        .limit(1)
    ).first()
    if change is None or change.change_type == "deleted":
        return None
    return change


def versions_at(
    db: DbSession,
    project_id: int,
    file_paths: Sequence[str],
    position: int,
    *,
    with_content: bool = False,
) -> dict[str, SessionChange]:
    """``version_at`` for many paths, a few queries in all (deleted/absent paths omitted)."""
    found: dict[str, SessionChange] = {}
    for start in range(0, len(file_paths), _IN_BATCH):
        chunk = file_paths[start : start + _IN_BATCH]
        # Correlated on purpose: the outer scan stays within the versions of these paths and
        # the inner one is an index seek. (A join against a grouped subquery made SQLite scan
        # every change of the project, which made each landing slower than the one before.)
        later = SessionChange.__table__.alias("later")
        latest = (
            select(func.max(later.c.landing_position))
            .where(
                later.c.project_id == SessionChange.project_id,
                later.c.file_path == SessionChange.file_path,
                later.c.landing_position <= position,
            )
            .scalar_subquery()
        )
        query = select(SessionChange).where(
            SessionChange.project_id == project_id,
            SessionChange.file_path.in_(chunk),
            SessionChange.landing_position == latest,
        )
        if with_content:
            query = query.options(undefer(SessionChange.content))
        for change in db.scalars(query):
            if change.change_type != "deleted":
                found[change.file_path] = change
    return found


def conflicting_paths(
    db: DbSession, project_id: int, session_pk: int, base_position: int
) -> list[str]:
    """Paths of session ``session_pk`` (rows already inserted) that a session landed after
    ``base_position`` also changed."""
    mine = SessionChange.__table__.alias("mine")
    other = SessionChange.__table__.alias("other")
    query = (
        select(other.c.file_path)
        .join(
            mine,
            (mine.c.project_id == other.c.project_id) & (mine.c.file_path == other.c.file_path),
        )
        .where(
            mine.c.session_pk == session_pk,
            other.c.project_id == project_id,
            other.c.session_pk != session_pk,
            other.c.landing_position > base_position,
        )
        .distinct()
        .order_by(other.c.file_path)
    )
    return list(db.scalars(query))
