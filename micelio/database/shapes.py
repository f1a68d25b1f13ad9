"""Queries behind the tree-shape checks of a landing (``service/tree_shape.py``): which paths
are files at a position, which files lie under some folders, what changed after a position.

Paths are path keys (``paths.path_key``: a path's bytes, reversibly, so that ``/`` still
separates folders). Each is an indexed lookup on ``(project_id, path_key, landing_position)``:
equality for files; for folders a range on SQLite (text compares bytewise there) and ``LIKE
'folder/%'`` on PostgreSQL (exact in every collation, an index range when the database's
collation is C).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence

from sqlalchemy import BigInteger, ColumnElement, Integer, Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session as DbSession

from micelio.database.models import SessionChange
from micelio.database.tree import escape_like, live_at

#: Folders asked about in one query.
FOLDER_BATCH = 200


def live_files(db: DbSession, project_id: int, path_keys: Sequence[str], position: int) -> set[str]:
    """The paths among ``path_keys`` that are entries of the tree at ``position``."""
    return live_at(db, project_id, path_keys, position)


def files_under(db: DbSession, project_id: int, folders: Sequence[str], position: int) -> set[str]:
    """The entries of the tree at ``position`` that lie under one of ``folders``."""
    seen: set[str] = set()
    sqlite = db.get_bind().dialect.name == "sqlite"
    for start in range(0, len(folders), FOLDER_BATCH):
        batch = folders[start : start + FOLDER_BATCH]
        params: dict[str, object] = {"project_id": project_id, "position": position}
        for i, folder in enumerate(batch):
            if sqlite:
                # Every "folder/..." sorts in ["folder/", "folder0"): "0" follows "/" in ASCII.
                params[f"lo{i}"], params[f"hi{i}"] = folder + "/", folder + "0"
            else:
                params[f"like{i}"] = escape_like(folder) + "/%"
        seen.update(db.scalars(_under_query(sqlite, len(batch)), params))
    return live_at(db, project_id, sorted(seen), position) if seen else set()


@functools.lru_cache(maxsize=64)
def _under_query(sqlite: bool, folders: int) -> Select[tuple[str]]:
    """The path keys of changes at or before ``:position`` under ``folders`` folders, built
    once per count: building the statement costs more than an indexed range runs."""
    column = SessionChange.__table__.c.path_key
    ranges: list[ColumnElement[bool]] = [
        and_(column >= bindparam(f"lo{i}"), column < bindparam(f"hi{i}"))
        if sqlite
        else column.like(bindparam(f"like{i}"), escape="\\")
        for i in range(folders)
    ]
    table = SessionChange.__table__
    return (
        select(column)
        .where(
            table.c.project_id == bindparam("project_id", type_=Integer),
            table.c.landing_position <= bindparam("position", type_=BigInteger),
            or_(*ranges),
        )
        .distinct()
    )


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
