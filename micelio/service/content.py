"""Reading history: the tree at a position, a file at a position, a session's change."""

from __future__ import annotations

from collections.abc import Iterator

from micelio import paths
from micelio.database.engine import Database
from micelio.database.models import SessionChange
from micelio.database.tree import TreeRow, iter_tree, version_at
from micelio.service import lookup
from micelio.service.auth import Principal, require_org
from micelio.service.errors import DataLoss, InvalidArgument, NotFound, Unavailable
from micelio.storage import READ_CHUNK, ObjectNotFound, ObjectStore, StorageError
from micelio.vocabulary import ChangeType, TokenRole


def wire_path(file_path: str, raw_path: bytes) -> str:
    """The stored ``file_path`` of a requested path, after validating it."""
    raw = paths.from_wire(file_path, raw_path)
    try:
        paths.validate_path(raw)
    except paths.InvalidPath as exc:
        raise InvalidArgument(f"invalid path: {exc}") from exc
    return paths.to_wire(raw)[0]


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
        path = wire_path(file_path, raw_path)
        project_id, at = self.resolve_position(principal, organization, project, position)
        with self._db.read() as db:
            change = version_at(db, project_id, path, at)
            if change is None:
                raise NotFound(f"{path} does not exist in {organization}/{project} at {at}")
            return self._content(change)

    def read_change(
        self, principal: Principal, session_id: str, file_path: str, raw_path: bytes
    ) -> Iterator[bytes]:
        path = wire_path(file_path, raw_path)
        with self._db.read() as db:
            session, org, _ = lookup.session(db, session_id)
            require_org(principal, org, TokenRole.READ, "read sessions")
            change = lookup.change(db, session, path)
            if change.change_type == ChangeType.DELETED:
                raise NotFound(f"session {session_id} deletes {path}: it has no content")
            return self._content(change)

    def _content(self, change: SessionChange) -> Iterator[bytes]:
        """Chunks of a change's content (call inside the transaction that loaded it)."""
        if change.storage_key:
            return self._stored(change.storage_key, change.file_path)
        content = change.content or b""
        return iter([content[i : i + READ_CHUNK] for i in range(0, len(content), READ_CHUNK)])

    def _stored(self, key: str, file_path: str) -> Iterator[bytes]:
        try:
            chunks = self._store.open_read(key)
        except ObjectNotFound as exc:
            raise DataLoss(f"content of {file_path} is missing from object storage") from exc
        except StorageError as exc:
            raise Unavailable(f"object storage failed for {file_path}: {exc}") from exc
        try:
            yield from chunks
        except StorageError as exc:
            raise Unavailable(f"object storage failed for {file_path}: {exc}") from exc
