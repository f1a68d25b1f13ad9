"""Queries behind the tree-shape checks of a landing (``service/tree_shape.py``): which paths
are files at a position, which files lie under some folders, what changed after a position.

Paths are path keys (``paths.path_key``: a path's bytes, reversibly, so that ``/`` still
separates folders). Each is an indexed lookup on ``(project_id, path_key, landing_position)``:
equality for files; for folders a range on SQLite (text compares bytewise there) and ``LIKE
'folder/%'`` on PostgreSQL (exact in every collation, an index range when the database's
collation is C).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session as DbSession

from micelio.database.models import SessionChange
from micelio.database.tree import escape_like, versions_at

#: Folders asked about in one query.
FOLDER_BATCH = 200


def live_files(db: DbSession, project_id: int, path_keys: Sequence[str], position: int) -> set[str]:
    """The paths among ``path_keys`` that are entries of the tree at ``position``."""
    return set(versions_at(db, project_id, path_keys, position))


def files_under(db: DbSession, project_id: int, folders: Sequence[str], position: int) -> set[str]:
    """The entries of the tree at ``position`` that lie under one of ``folders``."""
    seen: set[str] = set()
    for start in range(0, len(folders), FOLDER_BATCH):
        batch = folders[start : start + FOLDER_BATCH]
        under = or_(*(_under(db, folder) for folder in batch))
        query = (
            select(SessionChange.path_key)
            .where(
                SessionChange.project_id == project_id,
                SessionChange.landing_position <= position,
                under,
            )
            .distinct()
        )
        seen.update(db.scalars(query))
    return live_files(db, project_id, sorted(seen), position) if seen else set()


def changes_after(
    db: DbSession, project_id: int, after: int, upto: int
) -> Iterator[tuple[str, str]]:
    """``(path_key, change_type)`` of the changes landed at positions in ``(after, upto]``,
    in landing order."""
    query = (
        select(SessionChange.path_key, SessionChange.change_type)
        .where(
            SessionChange.project_id == project_id,
            SessionChange.landing_position > after,
            SessionChange.landing_position <= upto,
        )
        .order_by(SessionChange.landing_position)
    )
    for row in db.execute(query):
        yield row.path_key, row.change_type


def _under(db: DbSession, folder: str) -> ColumnElement[bool]:
    column = SessionChange.path_key
    if db.get_bind().dialect.name == "sqlite":
        # Every "folder/..." sorts in ["folder/", "folder0"): "0" follows "/" in ASCII.
        return and_(column >= folder + "/", column < folder + "0")
    return column.like(escape_like(folder) + "/%", escape="\\")
