"""The diff between two positions (``ContentService.Diff``, `mic diff --from N --to M`).

The trees at both positions are compared by (sha256, mode); the contents of the paths that
differ are read in batches (one read transaction per side and batch) and compared by the pure
``micelio.diffs``, the same code as the client's working-directory diff. Work is bounded per
call (``DiffLimits``): a file larger than 2 MiB on either side is named without hunks
(``omitted``); past 10,000 differing files or 64 MiB of contents read, the stream ends with
a ``Cut`` saying how many files are left, as `git diff` would have no reason to, but a shared
server must.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from micelio import paths
from micelio.database.engine import Database
from micelio.database.tree import FileRow, iter_tree
from micelio.diffs import Compared, Cut, PathDiff, Side, compare
from micelio.service import globs as globs_
from micelio.service.auth import Principal
from micelio.service.content import ContentService, wire_key
from micelio.service.errors import InvalidArgument

MIB = 1024 * 1024
#: Paths and pathspecs one request may name.
MAX_PATHS = 1_000
MAX_GLOBS = 100


@dataclass(frozen=True, slots=True)
class DiffLimits:
    """What one ``Diff`` call may cost (docs/architecture.md, "Diffs between positions")."""

    #: Each side of a file diffed: a larger file is named with ``omitted`` (difflib is
    #: quadratic in the worst case, and the hunks must fit a message).
    file_bytes: int = 2 * MIB
    #: Differing files per call, and bytes of contents read per call.
    files: int = 10_000
    call_bytes: int = 64 * MIB
    #: Contents held at once: a batch of files is read until its sizes reach this.
    batch_bytes: int = 8 * MIB


@dataclass(frozen=True, slots=True)
class Entry:
    """A file of a tree, as far as a diff needs it."""

    path: bytes
    mode: int
    size: int
    sha256: str | None


def selected(path: bytes, wanted: Sequence[bytes], patterns: Sequence[globs_.Glob]) -> bool:
    """Whether ``path`` is under one of ``wanted`` (exact files or folders) and matches one of
    ``patterns`` (git pathspecs, ``service/globs.py``); an empty list selects everything."""
    if wanted and not any(path == w or path.startswith(w + b"/") for w in wanted):
        return False
    return not patterns or any(g.matches(paths.display(path)) for g in patterns)


def differing(
    old: dict[str, Entry],
    new: dict[str, Entry],
    wanted: Sequence[bytes],
    patterns: Sequence[globs_.Glob],
) -> list[str]:
    """Keys of the selected paths that differ (added, deleted, other content or mode), in
    the order of their bytes (git's order)."""
    keys = [
        k
        for k in old.keys() | new.keys()
        if (
            k not in old
            or k not in new
            or (old[k].sha256, old[k].mode) != (new[k].sha256, new[k].mode)
        )
        and selected((old.get(k) or new[k]).path, wanted, patterns)
    ]
    return sorted(keys, key=lambda k: (old.get(k) or new[k]).path)


def _too_large(old: Entry | None, new: Entry | None, limit: int) -> Compared:
    return Compared(
        old.mode if old else None,
        new.mode if new else None,
        old.size if old else 0,
        new.size if new else 0,
        same=False,
        binary=False,
        added=0,
        deleted=0,
        hunks=[],
        omitted=f"too large to diff on the server (over {_size(limit)})",
    )


class DiffService:
    def __init__(
        self, db: Database, content: ContentService, limits: DiffLimits | None = None
    ) -> None:
        self._db = db
        self._content = content
        self.limits = limits or DiffLimits()

    def diff(
        self,
        principal: Principal,
        organization: str,
        project: str,
        from_position: int | None,
        to_position: int | None,
        wanted: Sequence[tuple[str, bytes]] = (),
        patterns: Sequence[str] = (),
    ) -> tuple[int, int, Iterator[PathDiff | Cut]]:
        """``(from, to, stream)``: to None is the head, from None the position before ``to``.
        Checks happen now; the stream reads in its own transactions."""
        if len(wanted) > MAX_PATHS:
            raise InvalidArgument(f"too many paths: {len(wanted)} (at most {MAX_PATHS})")
        if len(patterns) > MAX_GLOBS:
            raise InvalidArgument(f"too many pathspecs: {len(patterns)} (at most {MAX_GLOBS})")
        exact = [paths.key_to_raw(wire_key(f, r)[1]) for f, r in wanted]
        parsed = [globs_.parse(p) for p in patterns]  # InvalidArgument when malformed
        project_id, to = self._content.resolve_position(
            principal, organization, project, to_position
        )
        if from_position is None:
            start = max(0, to - 1)
        else:
            _, start = self._content.resolve_position(
                principal, organization, project, from_position
            )
        return start, to, self._stream(project_id, start, to, exact, parsed)

    def _tree(self, project_id: int, position: int) -> dict[str, Entry]:
        with self._db.read() as db:
            tree = {}
            for row in iter_tree(db, project_id, position):
                raw = paths.from_wire(row.file_path, row.raw_path or b"")
                tree[paths.path_key(raw)] = Entry(raw, row.mode, row.size, row.sha256)
            return tree

    def _stream(
        self,
        project_id: int,
        start: int,
        to: int,
        wanted: Sequence[bytes],
        patterns: Sequence[globs_.Glob],
    ) -> Iterator[PathDiff | Cut]:
        old = self._tree(project_id, start)
        new = self._tree(project_id, to)
        keys = differing(old, new, wanted, patterns)
        limits = self.limits
        cut = None
        if len(keys) > limits.files:
            cut = Cut(len(keys) - limits.files, f"more than {limits.files:,} files differ")
            keys = keys[: limits.files]
        budget = limits.call_bytes
        batch: list[str] = []
        batch_bytes = 0
        for index, key in enumerate(keys):
            o, n = old.get(key), new.get(key)
            # a file too large is not read: it costs the budget nothing
            size = (
                0
                if _largest(o, n) > limits.file_bytes
                else (o.size if o else 0) + (n.size if n else 0)
            )
            if size > budget:
                yield from self._batch(project_id, start, to, batch, old, new)
                yield Cut(
                    len(keys) - index + (cut.files_left if cut else 0),
                    f"more than {_size(limits.call_bytes)} of contents to compare",
                )
                return
            budget -= size
            batch.append(key)
            batch_bytes += size
            if batch_bytes >= limits.batch_bytes:
                yield from self._batch(project_id, start, to, batch, old, new)
                batch, batch_bytes = [], 0
        yield from self._batch(project_id, start, to, batch, old, new)
        if cut is not None:
            yield cut

    def _batch(
        self,
        project_id: int,
        start: int,
        to: int,
        keys: list[str],
        old: dict[str, Entry],
        new: dict[str, Entry],
    ) -> Iterator[PathDiff]:
        """The diffs of ``keys``, in order: contents of both sides read, then compared."""
        small = {k for k in keys if _largest(old.get(k), new.get(k)) <= self.limits.file_bytes}
        olds = self._contents(project_id, start, [k for k in small if k in old])
        news = self._contents(project_id, to, [k for k in small if k in new])
        for key in keys:
            o, n = old.get(key), new.get(key)
            path = o.path if o is not None else new[key].path
            if key in small:
                yield PathDiff(path, compare(olds.get(key), news.get(key)))
            else:
                yield PathDiff(path, _too_large(o, n, self.limits.file_bytes))

    def _contents(self, project_id: int, position: int, keys: list[str]) -> dict[str, Side]:
        found: dict[str, Side] = {}
        if not keys:
            return found
        row: FileRow | None = None
        chunks: list[bytes] = []
        for item in self._content.stream_files(project_id, position, sorted(keys)):
            if isinstance(item, bytes):
                chunks.append(item)
                continue
            if row is not None:
                found[_key(row)] = Side(b"".join(chunks), row.mode)
            row, chunks = item, []
        if row is not None:
            found[_key(row)] = Side(b"".join(chunks), row.mode)
        return found


def _size(n: int) -> str:
    return f"{n // MIB} MiB" if n % MIB == 0 else f"{n:,} bytes"


def _largest(old: Entry | None, new: Entry | None) -> int:
    return max(old.size if old else 0, new.size if new else 0)


def _key(row: FileRow) -> str:
    return paths.path_key(paths.from_wire(row.file_path, row.raw_path or b""))
