"""Reading objects through long-lived ``git cat-file --batch`` processes.

One process serves any number of requests; contents are streamed in chunks of at most
:data:`CHUNK_SIZE` bytes straight from the pipe, so a large blob is never held in memory.
"""

from __future__ import annotations

import itertools
import subprocess
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from importers.git.gitcmd import ClosedOnExit, GitProcess, RepoPath

CHUNK_SIZE = 1 << 20  # 1 MiB: the landing protocol's chunk limit
_PIPELINE_BATCH = 256  # names written before reading answers; far below a pipe's 64 KiB


class MissingObject(LookupError):
    """The repository has no object of that name (``<name> missing`` / ``ambiguous``)."""


@dataclass(frozen=True, slots=True)
class ObjectHeader:
    """The answer line of ``cat-file --batch``: ``<oid> <type> <size>``."""

    oid: str
    type: str
    size: int


def read_header(stream: IO[bytes], name: str = "") -> ObjectHeader | None:
    """Read one answer line; ``None`` at end of stream, :class:`MissingObject` if absent."""
    line = stream.readline()
    if not line:
        return None
    parts = line.rstrip(b"\n").split(b" ")
    if len(parts) != 3:
        raise MissingObject(name or line.rstrip(b"\n").decode("utf-8", "replace"))
    return ObjectHeader(parts[0].decode("ascii"), parts[1].decode("ascii"), int(parts[2]))


def read_body(stream: IO[bytes], size: int) -> bytes:
    """Read a whole (small) object body and its terminating newline."""
    data = stream.read(size + 1)
    if len(data) != size + 1:
        raise EOFError("git cat-file ended in the middle of an object")
    return data[:size]


def _skip(stream: IO[bytes], count: int) -> None:
    while count > 0:
        got = len(stream.read(min(count, CHUNK_SIZE)))
        if got == 0:
            raise EOFError("git cat-file ended in the middle of an object")
        count -= got


class BlobStream:
    """The content of one object, readable once, in chunks; closing it skips the rest."""

    def __init__(self, reader: BlobReader, header: ObjectHeader, chunk_size: int) -> None:
        self.oid = header.oid
        self.type = header.type
        self.size = header.size
        self._reader = reader
        self._chunk_size = chunk_size
        self._left = header.size + 1  # content and the newline that ends every answer
        self._interrupted = False

    def __iter__(self) -> Iterator[bytes]:
        while True:
            if self._interrupted:
                raise RuntimeError("this blob stream was interrupted by a later request")
            if self._left <= 1:
                break
            stream = self._reader._stream_for(self)
            chunk = stream.read(min(self._chunk_size, self._left - 1))
            if not chunk:
                raise EOFError("git cat-file ended in the middle of an object")
            self._left -= len(chunk)
            yield chunk
        self.close()

    def read(self) -> bytes:
        return b"".join(self)

    def close(self) -> None:
        """Skip what was not read, so the process is ready for the next request."""
        if self._left > 0 and self._reader._current is self:
            _skip(self._reader._stream_for(self), self._left)
            self._left = 0
            self._reader._current = None

    def __enter__(self) -> BlobStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BlobReader(ClosedOnExit):
    """Object contents from one long-lived ``git cat-file --batch``; a context manager.

    Requests are served in order: asking for a new object first skips what is left of the
    previous stream (which then refuses to continue). ``size`` uses a second, lazily started
    ``--batch-check`` process, so it never disturbs a stream in progress. Not thread-safe:
    one reader per thread.
    """

    def __init__(self, repo: RepoPath) -> None:
        self.repo = repo
        self._batch: GitProcess | None = None
        self._check: GitProcess | None = None
        self._current: BlobStream | None = None
        self._pending: deque[str] = deque()  # names asked ahead (``prefetch``), in order

    def close(self) -> None:
        """End the processes; a stream still open can no longer be read."""
        self._current = None
        self._pending.clear()
        for name in ("_batch", "_check"):
            process: GitProcess | None = getattr(self, name)
            setattr(self, name, None)
            if process is not None:
                process.kill()

    # -- requests ---------------------------------------------------------------------------

    def open(
        self, oid: str, chunk_size: int = CHUNK_SIZE, *, expect: str | None = "blob"
    ) -> BlobStream:
        """Ask for an object now (errors are raised here) and return its unread content."""
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        process = self._process("_batch", "--batch")
        header = self._ask(process, oid)
        stream = BlobStream(self, header, chunk_size)
        self._current = stream
        if expect is not None and header.type != expect:
            stream.close()
            raise ValueError(f"{oid} is a {header.type}, not a {expect}")
        return stream

    def prefetch(self, oids: Iterable[str]) -> None:
        """Ask for objects that ``open`` will ask for next, in this order (at most
        ``_PIPELINE_BATCH``): git looks them up while the earlier ones are read, instead of
        one round trip per object. Asking for anything else first skips their answers."""
        process = self._process("_batch", "--batch")
        self._drop_current()
        self._drain(process)
        names = list(itertools.islice(oids, _PIPELINE_BATCH))
        for oid in names:
            _check_name(oid)
        if names:
            assert process.stdin is not None
            process.stdin.write("".join(f"{oid}\n" for oid in names).encode())
            process.stdin.flush()
            self._pending.extend(names)

    def stream(self, oid: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The blob's content in chunks of at most ``chunk_size`` bytes."""
        return iter(self.open(oid, chunk_size))

    def read(self, oid: str) -> bytes:
        """A whole blob (for small ones: ``stream`` the large)."""
        return self.open(oid).read()

    def read_object(self, oid: str) -> tuple[str, bytes]:
        """``(type, body)`` of a small object of any type (commit, tag, tree)."""
        stream = self.open(oid, expect=None)
        return stream.type, stream.read()

    def read_objects(
        self, oids: Iterable[str], *, missing_ok: bool = False
    ) -> Iterator[tuple[ObjectHeader, bytes]]:
        """Many small objects, pipelined (names are written in batches, then answers read).

        A missing object raises :class:`MissingObject` (after its batch was read), or is left
        out with ``missing_ok``.
        """
        process = self._process("_batch", "--batch")
        self._drop_current()
        self._drain(process)
        assert process.stdin is not None
        batch: list[str] = []
        for oid in oids:
            _check_name(oid)
            batch.append(oid)
            if len(batch) == _PIPELINE_BATCH:
                yield from self._answer_batch(process, batch, missing_ok)
                batch = []
        if batch:
            yield from self._answer_batch(process, batch, missing_ok)

    def size(self, oid: str) -> int:
        """The object's size in bytes, without reading its content."""
        process = self._process("_check", "--batch-check")
        _check_name(oid)
        assert process.stdin is not None
        process.stdin.write(oid.encode() + b"\n")
        process.stdin.flush()
        header = read_header(process.stdout, oid)
        if header is None:
            raise EOFError("git cat-file --batch-check ended")
        return header.size

    # -- plumbing ---------------------------------------------------------------------------

    def _process(self, name: str, mode: str) -> GitProcess:
        process: GitProcess | None = getattr(self, name)
        if process is None:
            process = GitProcess(self.repo, ["cat-file", mode], stdin=subprocess.PIPE)
            setattr(self, name, process)
        return process

    def _drop_current(self) -> None:
        current = self._current
        if current is not None:
            current._interrupted = current._left > 1  # its reader would miss content
            current.close()
            self._current = None

    def _ask(self, process: GitProcess, oid: str) -> ObjectHeader:
        self._drop_current()
        _check_name(oid)
        if self._pending and self._pending[0] == oid:
            self._pending.popleft()  # asked ahead: its answer is next
        else:
            self._drain(process)
            assert process.stdin is not None
            process.stdin.write(oid.encode() + b"\n")
            process.stdin.flush()
        header = read_header(process.stdout, oid)
        if header is None:
            raise EOFError("git cat-file --batch ended: " + _describe(process))
        return header

    def _drain(self, process: GitProcess) -> None:
        """Skip the answers to names asked ahead and not opened."""
        while self._pending:
            oid = self._pending.popleft()
            try:
                header = read_header(process.stdout, oid)
            except MissingObject:  # answered on one line
                continue
            if header is None:
                raise EOFError("git cat-file --batch ended: " + _describe(process))
            _skip(process.stdout, header.size + 1)

    def _answer_batch(
        self, process: GitProcess, batch: list[str], missing_ok: bool
    ) -> Iterator[tuple[ObjectHeader, bytes]]:
        assert process.stdin is not None
        process.stdin.write("".join(f"{oid}\n" for oid in batch).encode())
        process.stdin.flush()
        # Read every answer before yielding any, so a consumer that stops early cannot leave
        # answers in the pipe for the next request.
        answers: list[tuple[ObjectHeader, bytes]] = []
        missing: str | None = None
        for oid in batch:
            try:
                header = read_header(process.stdout, oid)
            except MissingObject:  # answered on one line, no body: keep reading the others
                missing = missing or oid
                continue
            if header is None:
                raise EOFError("git cat-file --batch ended: " + _describe(process))
            answers.append((header, read_body(process.stdout, header.size)))
        if missing is not None and not missing_ok:
            raise MissingObject(missing)
        yield from answers

    def _stream_for(self, blob: BlobStream) -> IO[bytes]:
        if self._current is not blob or self._batch is None:
            raise RuntimeError("this blob stream was interrupted by a later request")
        return self._batch.stdout


def _check_name(oid: str) -> None:
    # A newline would split one request into two and desynchronise the answers.
    if not oid or "\n" in oid or "\0" in oid:
        raise ValueError(f"not an object name: {oid!r}")


def _describe(process: GitProcess) -> str:
    if process.proc.poll() is None:
        return "no answer"
    return process.stderr_text().decode("utf-8", "replace").strip()
