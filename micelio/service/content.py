"""Reading history: the tree at a position, a file at a position, a session's change."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from micelio import paths
from micelio.database.engine import Database
from micelio.database.models import SessionChange
from micelio.database.tree import (
    FileRow,
    TreeRow,
    inline_content,
    iter_files,
    iter_tree,
    version_at,
)
from micelio.service import lookup
from micelio.service.auth import Principal, require_org
from micelio.service.errors import InvalidArgument, NotFound
from micelio.service.stored import storage_failure, verified
from micelio.storage import READ_CHUNK, ObjectStore, StorageError
from micelio.vocabulary import ChangeType, FileMode, TokenRole

#: Paths one ``ReadFiles`` call may name (a whole tree is asked for with ``whole_tree``).
MAX_READ_PATHS = 10_000


def wire_path(file_path: str, raw_path: bytes) -> str:
    """The stored ``file_path`` of a requested path, after validating it."""
    raw = paths.from_wire(file_path, raw_path)
    try:
        paths.validate_path(raw)
    except paths.InvalidPath as exc:
        raise InvalidArgument(f"invalid path: {exc}") from exc
    return paths.to_wire(raw)[0]


def wire_key(file_path: str, raw_path: bytes) -> tuple[str, str]:
    """``(display text, path key)`` of a requested path, after validating it."""
    raw = paths.from_wire(file_path, raw_path)
    try:
        paths.validate_path(raw)
    except paths.InvalidPath as exc:
        raise InvalidArgument(f"invalid path: {exc}") from exc
    return paths.display(raw), paths.path_key(raw)


class ContentService:
    def __init__(self, db: Database, store: ObjectStore) -> None:
        self._db = db
        self._store = store

    def resolve_position(
        self, principal: Principal, organization: str, project: str, position: int | None
    ) -> tuple[int, int]:
        """``(project_id, position)``: None or -1 means the head; beyond the head: NotFound."""
        require_org(principal, organization, TokenRole.READ, "read projects")
        with self._db.read() as db:
            proj = lookup.project(db, organization, project)
            if position is None or position == -1:
                return proj.id, proj.head_position
            if position < 0:
                raise InvalidArgument(f"invalid position {position}")
            if position > proj.head_position:
                raise NotFound(
                    f"position {position} does not exist in {organization}/{project} "
                    f"(head is {proj.head_position})"
                )
            return proj.id, position

    def tree(
        self,
        principal: Principal,
        organization: str,
        project: str,
        position: int | None,
        path_prefix: str = "",
    ) -> Iterator[TreeRow]:
        """Checks happen now; the returned iterator streams from its own read transaction."""
        prefix = path_prefix.strip("/")
        if prefix:
            prefix = wire_path(prefix, b"")
        project_id, at = self.resolve_position(principal, organization, project, position)
        return self._stream_tree(project_id, at, prefix)

    def _stream_tree(self, project_id: int, position: int, prefix: str) -> Iterator[TreeRow]:
        with self._db.read() as db:
            yield from iter_tree(db, project_id, position, prefix)

    def read_file(
        self,
        principal: Principal,
        organization: str,
        project: str,
        file_path: str,
        raw_path: bytes,
        position: int | None,
    ) -> Iterator[bytes]:
        path, key = wire_key(file_path, raw_path)
        project_id, at = self.resolve_position(principal, organization, project, position)
        with self._db.read() as db:
            change = version_at(db, project_id, key, at)
            if change is None and not raw_path:
                # Only a display text was sent (web links): a non-UTF-8 path shown that way.
                change = version_at(db, project_id, path, at, display=True)
            if change is None:
                raise NotFound(f"{path} does not exist in {organization}/{project} at {at}")
            return self._content(change)

    def read_files(
        self,
        principal: Principal,
        organization: str,
        project: str,
        position: int | None,
        wanted: Sequence[tuple[str, bytes]] | None,
        *,
        entries_only: bool = False,
    ) -> tuple[int, Iterator[FileRow | bytes]]:
        """``(position, stream)``: each file of the tree at ``position`` (``wanted`` None) or of
        the ``wanted`` paths that exist there, as its row followed by its content's chunks
        (none for a gitlink; none at all with ``entries_only``). Checks happen now; the
        stream reads in its own transaction and holds at most one batch of rows and one chunk
        (see ``database.tree.iter_files``)."""
        keys: list[str] | None = None
        if wanted is not None:
            if len(wanted) > MAX_READ_PATHS:
                raise InvalidArgument(
                    f"too many paths in one call: {len(wanted)} (at most {MAX_READ_PATHS})"
                )
            keys = sorted({wire_key(file_path, raw)[1] for file_path, raw in wanted})
        project_id, at = self.resolve_position(principal, organization, project, position)
        return at, self.stream_files(project_id, at, keys, entries_only)

    def stream_files(
        self, project_id: int, position: int, keys: list[str] | None, entries_only: bool = False
    ) -> Iterator[FileRow | bytes]:
        """Rows and checked chunks of ``keys`` (None: the whole tree) at ``position``, for a
        caller that has checked the principal (``resolve_position``)."""
        if keys == []:
            return
        with self._db.read() as db:
            for row in iter_files(db, project_id, position, keys):
                yield row
                if entries_only or row.mode == FileMode.GITLINK:
                    continue
                what = f"reading {row.file_path}"
                if row.storage_key:
                    try:
                        chunks = self._store.open_read(row.storage_key)
                    except StorageError as exc:
                        raise storage_failure(exc, what) from exc
                else:
                    data = row.content if row.content is not None else b""
                    if row.content is None and row.size:
                        data = inline_content(db, row.id)
                    chunks = iter(
                        [data[i : i + READ_CHUNK] for i in range(0, len(data), READ_CHUNK)]
                    )
                yield from verified(chunks, row.size, row.sha256, what)

    def read_change(
        self, principal: Principal, session_id: str, file_path: str, raw_path: bytes
    ) -> Iterator[bytes]:
        path, key = wire_key(file_path, raw_path)
        with self._db.read() as db:
            session, org, _ = lookup.session(db, session_id)
            require_org(principal, org, TokenRole.READ, "read sessions")
            change = lookup.change_by_key(db, session, key, path, display_too=not raw_path)
            if change.change_type == ChangeType.DELETED:
                raise NotFound(f"session {session_id} deletes {path}: it has no content")
            return self._content(change)

    def _content(self, change: SessionChange) -> Iterator[bytes]:
        """Chunks of a change's content, checked against the row's size and sha256 (DATA_LOSS
        rather than other bytes); call inside the transaction that loaded it."""
        what = f"reading {change.file_path}"
        if change.storage_key:
            try:
                chunks = self._store.open_read(change.storage_key)
            except StorageError as exc:
                raise storage_failure(exc, what) from exc
        else:
            content = change.content or b""
            chunks = iter([content[i : i + READ_CHUNK] for i in range(0, len(content), READ_CHUNK)])
        return verified(chunks, change.size, change.sha256, what)
