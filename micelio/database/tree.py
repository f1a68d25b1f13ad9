"""Queries over a project's history: the tree at a position, a file's version, conflicts.

Each relies on the denormalised ``(project_id, path_key, landing_position)`` index of
``session_changes``: a path's version at position P is its change with the greatest landing
position <= P, unless that change is a deletion.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Integer, Select, bindparam, case, func, null, select
from sqlalchemy.orm import Session as DbSession

from micelio.database.models import Session, SessionChange
from micelio.vocabulary import ChangeType

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
        under = path_prefix + "/"
        scope.append(SessionChange.file_path.like(escape_like(under) + "%", escape="\\"))
        # SQLite's LIKE ignores the case of ASCII letters: "SRC/x" is not under "src".
        scope.append(func.substr(SessionChange.file_path, 1, len(under)) == under)
    ranked = (
        select(
            SessionChange.id,
            func.row_number()
            .over(
                partition_by=SessionChange.path_key,
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
        .where(ranked.c.rank == 1, SessionChange.change_type != ChangeType.DELETED)
        .order_by(SessionChange.file_path, SessionChange.path_key)
        .execution_options(yield_per=TREE_FETCH)
    )
    for row in db.execute(query):
        yield TreeRow(*row)


#: Inline contents up to this size come along with a ``FileRow``; larger ones are loaded one
#: at a time (``inline_content``), so a batch of rows holds at most FILE_FETCH times this.
ROW_CONTENT_MAX = 256 * 1024
FILE_FETCH = 64


class FileRow(NamedTuple):
    """A file of a tree with what it takes to read its content."""

    id: int
    file_path: str
    raw_path: bytes | None
    mode: int
    size: int
    sha256: str | None
    session_id: str
    landing_position: int
    storage_key: str | None
    content: bytes | None  # inline and <= ROW_CONTENT_MAX; else None


def iter_files(
    db: DbSession, project_id: int, position: int, path_keys: Sequence[str] | None = None
) -> Iterator[FileRow]:
    """The files of a project after ``position`` (only ``path_keys``, absent ones skipped, when
    given), in path order within each batch of keys, streamed ``FILE_FETCH`` rows at a time."""
    batches: list[Sequence[str] | None] = (
        [None]
        if path_keys is None
        else [path_keys[i : i + _IN_BATCH] for i in range(0, len(path_keys), _IN_BATCH)]
    )
    change = SessionChange
    for batch in batches:
        scope = [change.project_id == project_id, change.landing_position <= position]
        if batch is not None:
            scope.append(change.path_key.in_(batch))
        ranked = (
            select(
                change.id,
                func.row_number()
                .over(partition_by=change.path_key, order_by=change.landing_position.desc())
                .label("rank"),
            )
            .where(*scope)
            .subquery()
        )
        small = case((change.size <= ROW_CONTENT_MAX, change.content), else_=null())
        query = (
            select(
                change.id,
                change.file_path,
                change.raw_path,
                change.mode,
                change.size,
                change.sha256,
                Session.session_id,
                change.landing_position,
                change.storage_key,
                small,
            )
            .join(ranked, ranked.c.id == change.id)
            .join(Session, Session.id == change.session_pk)
            .where(ranked.c.rank == 1, change.change_type != ChangeType.DELETED)
            .order_by(change.file_path, change.path_key)
            .execution_options(yield_per=FILE_FETCH)
        )
        for row in db.execute(query):
            yield FileRow(*row)


def inline_content(db: DbSession, change_id: int) -> bytes:
    """The inline content of one change row (for those beyond ``ROW_CONTENT_MAX``)."""
    return db.scalar(select(SessionChange.content).where(SessionChange.id == change_id)) or b""


def version_at(
    db: DbSession, project_id: int, path_key: str, position: int, *, display: bool = False
) -> SessionChange | None:
    """The change that set the path ``path_key`` as of ``position`` (None if absent or
    deleted). ``display``: ``path_key`` is a display text (``file_path``) instead, for
    callers that only have that (the web viewer's links)."""
    column = SessionChange.file_path if display else SessionChange.path_key
    change = db.scalars(
        select(SessionChange)
        .where(
            SessionChange.project_id == project_id,
            column == path_key,
            SessionChange.landing_position <= position,
        )
        .order_by(SessionChange.landing_position.desc())
        .limit(1)
    ).first()
    if change is None or change.change_type == ChangeType.DELETED:
        return None
    return change


class VersionRow(NamedTuple):
    path_key: str
    size: int
    #: Inline content, only when asked for and at most ``max_content`` bytes; else None.
    content: bytes | None
    meta: dict[str, Any]


def _versions_query(*, content: bool, meta: bool) -> Select[Any]:
    """The latest change of each of ``:keys`` at or before ``:position``, built once: a
    landing asks this for every session, and building the statement (the alias of a wide
    table above all) cost more than running it."""
    change = SessionChange.__table__
    # Correlated on purpose: the outer scan stays within the versions of these paths and the
    # inner one is an index seek. (A join against a grouped subquery made SQLite scan every
    # change of the project, which made each landing slower than the one before.)
    later = change.alias("later")
    latest = (
        select(func.max(later.c.landing_position))
        .where(
            later.c.project_id == change.c.project_id,
            later.c.path_key == change.c.path_key,
            later.c.landing_position <= bindparam("position", type_=BigInteger),
        )
        .scalar_subquery()
    )
    data = (
        case(
            (change.c.size <= bindparam("max_content", type_=BigInteger), change.c.content),
            else_=null(),
        )
        if content
        else null()
    )
    return select(
        change.c.path_key,
        change.c.change_type,
        change.c.size,
        data,
        change.c.metadata if meta else null(),
    ).where(
        change.c.project_id == bindparam("project_id", type_=Integer),
        change.c.path_key.in_(bindparam("keys", expanding=True)),
        change.c.landing_position == latest,
    )


_VERSIONS = _versions_query(content=False, meta=True)
_VERSIONS_WITH_CONTENT = _versions_query(content=True, meta=True)
_LIVE = _versions_query(content=False, meta=False)


def versions_at(
    db: DbSession,
    project_id: int,
    path_keys: Sequence[str],
    position: int,
    *,
    max_content: int = -1,
) -> dict[str, VersionRow]:
    """The versions of many paths (by ``path_key``) as of ``position``, a few queries in all
    (deleted and absent paths omitted); inline contents up to ``max_content`` bytes come
    along (none for -1)."""
    found: dict[str, VersionRow] = {}
    query = _VERSIONS_WITH_CONTENT if max_content >= 0 else _VERSIONS
    for start in range(0, len(path_keys), _IN_BATCH):
        params = {
            "project_id": project_id,
            "position": position,
            "keys": list(path_keys[start : start + _IN_BATCH]),
            "max_content": max_content,
        }
        for key, change_type, size, data, meta in db.execute(query, params):
            if change_type != ChangeType.DELETED:
                found[key] = VersionRow(key, size, data, meta or {})
    return found


def live_at(db: DbSession, project_id: int, path_keys: Sequence[str], position: int) -> set[str]:
    """The paths among ``path_keys`` that are entries of the tree at ``position`` (what
    ``versions_at`` finds, without reading their sizes, contents and metadata)."""
    found: set[str] = set()
    for start in range(0, len(path_keys), _IN_BATCH):
        params = {
            "project_id": project_id,
            "position": position,
            "keys": list(path_keys[start : start + _IN_BATCH]),
        }
        for key, change_type, _, _, _ in db.execute(_LIVE, params):
            if change_type != ChangeType.DELETED:
                found.add(key)
    return found


def conflicting_paths(
    db: DbSession, project_id: int, session_pk: int, base_position: int, position: int
) -> list[str]:
    """Paths of session ``session_pk`` (rows already inserted, landing at ``position``) that a
    session landed after ``base_position`` and before it also changed (paths are compared by
    their bytes; the display texts are returned)."""
    mine = SessionChange.__table__.alias("mine")
    other = SessionChange.__table__.alias("other")
    query = (
        select(other.c.file_path)
        .join(
            mine,
            (mine.c.project_id == other.c.project_id) & (mine.c.path_key == other.c.path_key),
        )
        .where(
            mine.c.session_pk == session_pk,
            other.c.project_id == project_id,
            other.c.session_pk != session_pk,
            other.c.landing_position > base_position,
            other.c.landing_position < position,
        )
        .distinct()
        .order_by(other.c.file_path)
    )
    return list(db.scalars(query))
