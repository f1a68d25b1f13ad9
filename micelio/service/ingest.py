"""Receiving a landing's changes from the stream, with bounded memory.

Contents below the inline threshold go to one ``SpooledTemporaryFile`` (memory up to
``SPOOL_MEMORY``, then disk); larger ones are streamed straight to the object store at their
key. sha256, size, line count and the binary flag are computed on the way. Nothing touches the
database here, except through ``before_store``: the landing reserves its session id there
before the first stored byte (``service/reservations.py``), so that no upload ever writes over
another session's objects.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, BinaryIO

from micelio import paths
from micelio.service import limits
from micelio.service.errors import InvalidArgument
from micelio.service.stored import storage_failure
from micelio.storage import ObjectStore, StorageError
from micelio.vocabulary import CHANGE_MODES, ChangeType, FileMode

SPOOL_MEMORY = 8 * 1024 * 1024
#: Bytes read at once from a landing's change log.
CHANGE_LOG_READ = 256 * 1024
#: Changes a landing keeps as objects before its change log spills to a file (a few MiB).
CHANGES_IN_MEMORY = 10_000
#: Git's heuristic: a NUL in the first 8000 bytes makes a file binary.
BINARY_PROBE = 8000
_HEX_ID = re.compile(rb"^([0-9a-f]{40}|[0-9a-f]{64})$")


@dataclass
class ChangeHeaderIn:
    """A change header as received; ``change_type`` is "added"/"modified"/"deleted" or the
    text of an unknown value."""

    file_path: str
    raw_path: bytes
    change_type: str
    mode: int
    size: int
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)  # one per change of a landing held until its commit: keep it small
class IncomingChange:
    file_path: str
    raw_path: bytes | None
    path_key: str  # the path's identity (``paths.path_key`` of its bytes)
    change_type: str
    mode: int
    size: int
    client_metadata: dict[str, Any] | None  # None when the client sent none
    sha256: str | None = None
    lines: int = 0
    binary: bool = False
    storage_key: str | None = None
    spool_offset: int = -1  # where its content starts in the spool, -1 if not spooled

    @property
    def inline(self) -> bool:
        return self.spool_offset >= 0


_FIELDS = tuple(f.name for f in fields(IncomingChange))


class ChangeLog:
    """The changes of a landing, in arrival order: objects while they are few, then spilled
    to a temporary file (a million changes would otherwise hold hundreds of MiB until their
    commit, while pickling the few changes of a typical session would cost more than it
    saves).

    Each is appended complete (its content received) and read back by iterating, any number
    of times, also nested (file reads are positioned, ``os.pread``)."""

    def __init__(self, spool_dir: Path | None, *, in_memory: int = CHANGES_IN_MEMORY) -> None:
        self._spool_dir = spool_dir
        self._in_memory = in_memory
        self._memory: list[IncomingChange] | None = []
        self._file: BinaryIO | None = None  # closed by close(), which Receiver.close() calls
        self._count = 0
        self._dirty = False
        self.last: IncomingChange | None = None
        #: How many changes of each type (the session's stats, without reading them back).
        self.kinds: Counter[str] = Counter()

    def append(self, change: IncomingChange) -> None:
        if self._memory is not None:
            self._memory.append(change)
            if len(self._memory) > self._in_memory:
                self._spill()
        else:
            self._write(change)
        self._count += 1
        self.last = change
        self.kinds[change.change_type] += 1

    def _spill(self) -> None:
        directory = None if self._spool_dir is None else str(self._spool_dir)
        self._file = tempfile.TemporaryFile(dir=directory, prefix="mic-changes-")  # noqa: SIM115
        memory, self._memory = self._memory or [], None
        for change in memory:
            self._write(change)

    def _write(self, change: IncomingChange) -> None:
        assert self._file is not None
        record = pickle.dumps(tuple(getattr(change, name) for name in _FIELDS), protocol=5)
        self._file.write(len(record).to_bytes(4, "little") + record)
        self._dirty = True

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[IncomingChange]:
        if self._memory is not None:
            yield from self._memory
            return
        assert self._file is not None
        if self._dirty:
            self._file.flush()
            self._dirty = False
        fd = self._file.fileno()
        offset = 0  # in the file
        buffer = b""
        at = 0  # in the buffer
        for _ in range(self._count):
            while True:
                size = int.from_bytes(buffer[at : at + 4], "little")
                if len(buffer) - at >= 4 and len(buffer) - at >= 4 + size:
                    break
                block = os.pread(fd, CHANGE_LOG_READ, offset)
                if not block:
                    raise OSError("the landing's change log ended early")
                offset += len(block)
                buffer, at = buffer[at:] + block, 0
            yield IncomingChange(*pickle.loads(buffer[at + 4 : at + 4 + size]))
            at += 4 + size

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class Peekable:
    """An iterator of stream items with one item of push-back."""

    def __init__(self, items: Iterator[Any]) -> None:
        self._items = items
        self._back: list[Any] = []

    def __iter__(self) -> Peekable:
        return self

    def __next__(self) -> Any:
        if self._back:
            return self._back.pop()
        return next(self._items)

    def push_back(self, item: Any) -> None:
        self._back.append(item)


class _Digest:
    """Hash, size, newline count and the head of a content, fed chunk by chunk."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()
        self.size = 0
        self.newlines = 0
        self.head = b""
        self.last = b""

    def feed(self, chunk: bytes) -> None:
        self.sha.update(chunk)
        self.size += len(chunk)
        self.newlines += chunk.count(b"\n")
        if len(self.head) < BINARY_PROBE:
            self.head += chunk[: BINARY_PROBE - len(self.head)]
        if chunk:
            self.last = chunk[-1:]

    @property
    def lines(self) -> int:
        return self.newlines + (1 if self.size and self.last != b"\n" else 0)


class Receiver:
    """Collects the changes of one landing; ``close()`` (always) releases the spool, and
    ``discard()`` deletes the objects written so far (after a failure).

    ``before_store`` is called before each content goes to the object store (it reserves the
    session id on the first call, and raises to refuse the upload)."""

    def __init__(
        self,
        store: ObjectStore,
        session_id: str,
        inline_threshold: int,
        spool_dir: Path | None,
        session_limits: limits.LandingLimits | None = None,
        *,
        before_store: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.limits = session_limits or limits.LandingLimits()
        self.before_store = before_store
        self.session_id = session_id
        self.threshold = inline_threshold
        # Closed by close(), which land() always calls.
        self.spool: BinaryIO = tempfile.SpooledTemporaryFile(  # type: ignore[assignment]  # noqa: SIM115
            max_size=SPOOL_MEMORY,
            dir=None if spool_dir is None else str(spool_dir),
            prefix="mic-land-",
        )
        self.changes = ChangeLog(spool_dir)
        self.written_keys: list[str] = []
        self.bytes_inline = 0
        self.bytes_stored = 0
        #: Every path of the landing, and those it deletes (``tree_shape.Shape`` shares them).
        self.paths: set[str] = set()
        self.deleted: set[str] = set()

    def receive(self, items: Peekable) -> None:
        """Consume the rest of the stream: change headers, each followed by its chunks."""
        for item in items:
            if isinstance(item, ChangeHeaderIn):
                self._receive_change(item, items)
            elif isinstance(item, bytes):
                last = self.changes.last
                if last is None:
                    raise InvalidArgument("content chunk before any ChangeHeader")
                raise InvalidArgument(
                    f"{last.file_path}: more content than the declared size {last.size}"
                )
            else:
                raise InvalidArgument("a second LandHeader in the stream")

    def _receive_change(self, header: ChangeHeaderIn, items: Peekable) -> None:
        change = self._check_header(header)
        self._check_limits(change)
        if change.change_type == ChangeType.DELETED:
            self.changes.append(change)
            return
        digest = _Digest()
        content = _content_chunks(items, change, digest)
        if change.size < self.threshold:
            change.spool_offset = self.spool.tell()
            for chunk in content:
                self.spool.write(chunk)
            self.bytes_inline += digest.size
        else:
            key = paths.storage_key(self.session_id, paths.key_to_raw(change.path_key))
            if self.before_store is not None:
                self.before_store()
            # Recorded before writing (and only once this landing owns the session's keys): a
            # failure half-way must still clean this key up.
            self.written_keys.append(key)
            try:
                self.store.put_stream(key, content)
            except StorageError as exc:
                raise storage_failure(exc, f"storing {change.file_path}") from exc
            change.storage_key = key
            self.bytes_stored += digest.size
        if digest.size != change.size:
            raise InvalidArgument(
                f"{change.file_path}: declared size {change.size} but received {digest.size} bytes"
            )
        change.sha256 = digest.sha.hexdigest()
        change.binary = b"\x00" in digest.head
        change.lines = 0 if change.binary else digest.lines
        if change.mode == FileMode.GITLINK and not _HEX_ID.match(digest.head):
            raise InvalidArgument(
                f"{change.file_path}: a gitlink's content must be a 40- or 64-hex commit id"
            )
        self.changes.append(change)

    def _check_limits(self, change: IncomingChange) -> None:
        """The session's limits, judged on declared sizes before any byte is accepted (a
        content of another size is refused anyway)."""
        bounds = self.limits
        if len(self.changes) >= bounds.max_changes:
            raise InvalidArgument(
                f"more than {bounds.max_changes} changes in one session (max_session_changes)"
            )
        total = self.bytes_inline + self.bytes_stored + change.size
        if total > bounds.max_bytes:
            raise InvalidArgument(
                f"{change.file_path}: the session's contents would be {total} bytes, over the "
                f"limit of {bounds.max_bytes} (max_session_bytes)"
            )
        if (
            change.size < self.threshold
            and self.bytes_inline + change.size > bounds.max_spool_bytes
        ):
            raise InvalidArgument(
                f"{change.file_path}: the session's inline contents would be "
                f"{self.bytes_inline + change.size} bytes, over the limit of "
                f"{bounds.max_spool_bytes} (max_spool_bytes)"
            )

    def _check_header(self, header: ChangeHeaderIn) -> IncomingChange:
        raw = paths.from_wire(header.file_path, header.raw_path)
        try:
            paths.validate_path(raw)
        except paths.InvalidPath as exc:
            raise InvalidArgument(f"invalid path: {exc}") from exc
        file_path, raw_path = paths.to_wire(raw)
        key = paths.path_key(raw)
        if header.change_type not in frozenset(ChangeType):
            raise InvalidArgument(
                f"{file_path}: unknown change type {header.change_type} (added, modified, deleted)"
            )
        if key in self.paths:
            raise InvalidArgument(f"{file_path}: two changes for one path in a landing")
        self.paths.add(key)
        if header.change_type == ChangeType.DELETED:
            self.deleted.add(key)
        limits.check_metadata(file_path, header.metadata)
        if header.size < 0:
            raise InvalidArgument(f"{file_path}: negative size")
        mode = header.mode
        if header.change_type == ChangeType.DELETED:
            if header.size:
                raise InvalidArgument(f"{file_path}: a deletion carries no content (size 0)")
            mode = 0
        else:
            mode = mode or FileMode.FILE
            if mode not in CHANGE_MODES:
                raise InvalidArgument(
                    f"{file_path}: mode {mode:o} not allowed (100644, 100755, 120000, 160000)"
                )
            if mode == FileMode.GITLINK and header.size not in (40, 64):
                raise InvalidArgument(f"{file_path}: a gitlink's content is a 40/64-hex id")
        return IncomingChange(
            file_path=file_path,
            raw_path=raw_path or None,
            path_key=key,
            change_type=header.change_type,
            mode=mode,
            size=header.size,
            client_metadata=dict(header.metadata) or None,
        )

    def read_spooled(self, change: IncomingChange) -> bytes:
        """The inline content of a change (random access into the spool)."""
        self.spool.seek(change.spool_offset)
        return self.spool.read(change.size)

    def iter_spooled(self) -> Iterator[tuple[IncomingChange, bytes | None]]:
        """Every change with its inline content (None when stored or deleted), in order:
        the spool is read sequentially, one content at a time."""
        self.spool.seek(0)
        for change in self.changes:
            if change.inline:
                yield change, self.spool.read(change.size)
            else:
                yield change, None

    def discard(self) -> None:
        for key in self.written_keys:
            # Best effort: an orphan object is harmless and a retried landing overwrites it.
            with contextlib.suppress(Exception):
                self.store.delete(key)
        self.written_keys.clear()

    def close(self) -> None:
        self.spool.close()
        self.changes.close()


def _content_chunks(items: Peekable, change: IncomingChange, digest: _Digest) -> Iterator[bytes]:
    """The chunks of one content: until the declared size is reached or a non-chunk item
    comes (pushed back). A chunk that overshoots the declared size is refused."""
    while digest.size < change.size:
        try:
            item = next(items)
        except StopIteration:
            return
        if not isinstance(item, bytes):
            items.push_back(item)
            return
        if len(item) > limits.MAX_CHUNK:
            raise InvalidArgument(
                f"{change.file_path}: a content chunk of {len(item)} bytes, over the limit "
                f"of {limits.MAX_CHUNK}"
            )
        if digest.size + len(item) > change.size:
            raise InvalidArgument(
                f"{change.file_path}: more content than the declared size {change.size}"
            )
        digest.feed(item)
        yield item
