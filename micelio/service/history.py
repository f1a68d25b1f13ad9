"""History at the terminal: ``mic log`` and ``mic blame``, computed here for every front end.

A path's history follows renames back as ``git log --follow`` does: an addition whose
metadata names ``renamed_from`` continues with that path, before the rename's position.
Blame walks the same chain back from the version asked, through the pure
``service/blame.py``, reading a batch of contents at a time and no further than a line still
needs its session; a blame computed once is kept (``service/blame_cache.py``) and carried
forwards when a later version is asked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, islice

from micelio.database import api
from micelio.database import history as queries
from micelio.database.engine import Database
from micelio.database.history import LandedSession, PathChange
from micelio.service import blame as blamer
from micelio.service.auth import Principal
from micelio.service.blame_cache import BlameCache
from micelio.service.content import ContentService, wire_key
from micelio.service.errors import InvalidArgument, NotFound
from micelio.service.stored import storage_failure, verified
from micelio.service.views import ChangeStats, Identity, identity
from micelio.storage import ObjectStore, StorageError
from micelio.vocabulary import ChangeType

#: Rows per query while walking a path's history or the project's sessions.
PAGE = 500
#: Versions whose contents are read together while blaming.
CONTENT_BATCH = 64
#: How many versions a cached blame may be carried forwards rather than blamed anew.
CATCH_UP = 256
MAX_LOG_LIMIT = 1_000_000


@dataclass(frozen=True)
class LogEntry:
    position: int
    session_id: str
    goal: str
    landed_at: datetime | None
    landed_by: Identity | None
    stats: ChangeStats
    file_path: str  # the followed path's name in this session ("" for a whole-project log)


@dataclass(frozen=True)
class BlameOrigin:
    position: int
    session_id: str
    goal: str


@dataclass(frozen=True)
class BlameResult:
    file_path: str
    position: int  # the position blamed at
    origins: list[BlameOrigin]
    lines: list[tuple[int, bytes]]  # (index into origins, text without its newline)


ChangesOf = Callable[[str, int], Iterable[PathChange]]


def follow(changes_of: ChangesOf, file_path: str, upto: int) -> Iterator[PathChange]:
    """The changes of ``file_path`` at or before ``upto``, newest first, continuing with the
    path a rename came from (before the rename's position). ``changes_of(path, before)``
    yields a path's changes below ``before``, newest first."""
    path, before = file_path, upto + 1
    while True:
        for change in changes_of(path, before):
            yield change
            source = change.meta.get("renamed_from")
            if change.change_type == ChangeType.ADDED and isinstance(source, str) and source:
                path, before = source, change.position
                break
        else:
            return


def lineage(changes: Iterable[PathChange]) -> list[PathChange]:
    """The versions that make the file as it is at the first change: newest first, up to its
    creation (an addition that is no rename); empty when that first change deletes it."""
    return list(walk_lineage(changes))


def walk_lineage(changes: Iterable[PathChange]) -> Iterator[PathChange]:
    """``lineage``, lazily: a blame that stops early reads no further."""
    for change in changes:
        if change.change_type == ChangeType.DELETED:
            return
        yield change
        if change.change_type == ChangeType.ADDED and not change.meta.get("renamed_from"):
            return


def distinct(versions: Iterable[PathChange]) -> Iterator[PathChange]:
    """``versions`` (newest first) but those with the bytes of the one before them (a pure
    rename, a mode change): they change no line, and the older one keeps the lines' origin."""
    last: PathChange | None = None
    for version in versions:
        if last is not None and last.sha256 != version.sha256:
            yield last
        last = version
    if last is not None:
        yield last


class HistoryService:
    def __init__(self, db: Database, store: ObjectStore, content: ContentService) -> None:
        self._db = db
        self._store = store
        self._content = content  # its position rule: None or -1 the head, beyond it NotFound
        self._cache = BlameCache()

    def _changes_of(self, project_id: int) -> ChangesOf:
        def changes_of(path: str, before: int) -> Iterator[PathChange]:
            while before > 0:
                with self._db.read() as db:
                    page = queries.path_changes(db, project_id, path, before, PAGE)
                yield from page
                if len(page) < PAGE:
                    return
                before = page[-1].position

        return changes_of

    # --- log ----------------------------------------------------------------------------------

    def log(
        self,
        principal: Principal,
        organization: str,
        project: str,
        *,
        file_path: str = "",
        raw_path: bytes = b"",
        limit: int = 0,
        position: int | None = None,
    ) -> Iterator[LogEntry]:
        """Landed sessions at or before ``position`` (head), newest first; with a path only
        those that changed it, following renames. ``limit`` 0: all."""
        if limit < 0:
            raise InvalidArgument(f"invalid limit {limit}")
        project_id, at = self._content.resolve_position(principal, organization, project, position)
        limit = limit or MAX_LOG_LIMIT
        path = wire_key(file_path, raw_path)[0] if file_path or raw_path else ""
        return self._log(project_id, at, path, limit)

    def _log(self, project_id: int, at: int, path: str, limit: int) -> Iterator[LogEntry]:
        if path:
            rows: Iterator[tuple[int, str]] = (
                (c.session_pk, c.file_path) for c in follow(self._changes_of(project_id), path, at)
            )
        else:
            rows = ((s.session_pk, "") for s in self._sessions(project_id, at))
        batch: list[tuple[int, str]] = []
        for count, row in enumerate(rows, 1):
            batch.append(row)
            if len(batch) >= PAGE or count >= limit:
                yield from self._entries(batch)
                batch = []
            if count >= limit:
                return
        yield from self._entries(batch)

    def _sessions(self, project_id: int, at: int) -> Iterator[LandedSession]:
        before = at + 1
        while before > 1:
            with self._db.read() as db:
                page = queries.landed_sessions(db, project_id, before, PAGE)
            yield from page
            if len(page) < PAGE:
                return
            before = page[-1].position

    def _entries(self, batch: list[tuple[int, str]]) -> list[LogEntry]:
        if not batch:
            return []
        pks = [pk for pk, _ in batch]
        with self._db.read() as db:
            sessions = queries.sessions_by_pk(db, pks)
            stats = api.get_change_stats_by_session(db, pks)
        return [
            LogEntry(
                position=s.position,
                session_id=s.session_id,
                goal=s.goal,
                landed_at=s.landed_at,
                landed_by=identity(s.landed_by_token_id, s.landed_by),
                stats=stats.get(pk, ChangeStats()),
                file_path=path,
            )
            for pk, path in batch
            for s in [sessions[pk]]
        ]

    # --- blame --------------------------------------------------------------------------------

    def blame(
        self,
        principal: Principal,
        organization: str,
        project: str,
        file_path: str,
        raw_path: bytes,
        position: int | None,
    ) -> BlameResult:
        """Each line of the file at ``position`` (head) with the session that last changed it."""
        path = wire_key(file_path, raw_path)[0]
        project_id, at = self._content.resolve_position(principal, organization, project, position)
        walk = distinct(walk_lineage(follow(self._changes_of(project_id), path, at)))
        # The newest versions first, up to one whose blame is cached (the version itself:
        # asked again; an older one: carried forwards through the few after it).
        newer: list[PathChange] = []
        cached: blamer.BlameState | None = None
        for version in walk:
            newer.append(version)
            cached = self._cache.get(version.change_pk)
            if cached is not None or len(newer) > CATCH_UP:
                break
        if not newer:
            raise NotFound(f"{path} does not exist in {organization}/{project} at {at}")
        newest = newer[0].change_pk
        if cached is None:
            state = blamer.backward(self._read(path, chain(newer, walk), newest))
        else:
            state = cached
            for origin, content in self._read(path, reversed(newer[:-1]), newest):
                state = blamer.step(state, content, origin)
        self._cache.put(newest, state)
        return self._result(path, at, state)

    def _read(
        self, path: str, versions: Iterable[PathChange], newest: int
    ) -> Iterator[tuple[int, bytes]]:
        """``(session_pk, content)`` of ``versions`` in their order, read a batch at a time
        and only as far as the consumer goes; the ``newest`` version must be text."""
        walk = iter(versions)
        while chunk := list(islice(walk, CONTENT_BATCH)):
            contents = self._contents(chunk)
            for version in chunk:
                content = contents[version.change_pk]
                if version.change_pk == newest and blamer.is_binary(content):
                    raise InvalidArgument(f"{path} is a binary file: blame shows text files only")
                yield version.session_pk, content

    def _contents(self, versions: list[PathChange]) -> dict[int, bytes]:
        with self._db.read() as db:
            inline = queries.inline_contents(db, [v.change_pk for v in versions])
        out: dict[int, bytes] = {}
        for v in versions:
            what = f"reading {v.file_path} at {v.position}"
            if v.storage_key:
                try:
                    chunks = self._store.open_read(v.storage_key)
                except StorageError as exc:
                    raise storage_failure(exc, what) from exc
            else:
                chunks = iter([inline.get(v.change_pk) or b""])
            out[v.change_pk] = b"".join(verified(chunks, v.size, v.sha256, what))
        return out

    def _result(self, path: str, at: int, state: blamer.BlameState) -> BlameResult:
        pks = list(dict.fromkeys(state.origins))
        with self._db.read() as db:
            sessions = queries.sessions_by_pk(db, pks)
        index = {pk: i for i, pk in enumerate(pks)}
        origins = [
            BlameOrigin(sessions[pk].position, sessions[pk].session_id, sessions[pk].goal)
            for pk in pks
        ]
        lines = [(index[pk], text) for pk, text in zip(state.origins, state.lines, strict=True)]
        return BlameResult(path, at, origins, lines)
