"""The request stream of ``LandSession``: a header, then each change's header and chunks.

Everything here is a generator: a change's content is read only when gRPC is ready to send
it (gRPC waits for each message to be sent before asking for the next), so memory stays at
about one message whatever the size of the session. Consecutive items share a message up
to ``REQUEST_BYTES``: every gRPC message has a fixed cost, which small changes would pay
one by one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from micelio import paths, structs
from micelio.client import convert
from micelio.client.errors import LandingError
from micelio.client.models import Decision, Message
from micelio.v1 import micelio_pb2 as pb
from micelio.vocabulary import ChangeType, FileMode

CHUNK_SIZE = 1 << 20  # the protocol's maximum content chunk
#: A request message takes items up to about this many bytes, and ends with its landing.
REQUEST_BYTES = 1 << 20

Content = bytes | bytearray | memoryview | os.PathLike[str] | Iterable[bytes] | None


@dataclass(frozen=True, slots=True)
class Change:
    """One change to land.

    ``path``: the file's path, bytes (exact, e.g. from Git or ``os.fsencode``) or text.
    ``content``: bytes; a file system path (``pathlib.Path``: read in chunks when sent; for a
    symlink mode the link's target); or an iterable of byte chunks, which needs ``size``.
    Deletions carry no content. ``size`` is checked against what the content yields.
    """

    path: bytes | str
    change_type: ChangeType | str
    content: Content = None
    mode: int = FileMode.FILE
    size: int | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class NewSession:
    """The ``create`` form of a landing: start and land in one atomic step (importers)."""

    organization: str
    project: str
    goal: str
    session_id: str | None = None
    conversation: tuple[Message, ...] | list[Message] = ()
    decisions: tuple[Decision, ...] | list[Decision] = ()
    metadata: Mapping[str, Any] | None = None
    base_position: int | None = None  # None: the project head when the landing commits


@dataclass(frozen=True, slots=True)
class Landing:
    """One session of ``MicClient.land_many``: the arguments of ``MicClient.land``."""

    changes: Iterable[Change]
    session_id: str | None = None
    create: NewSession | None = None
    conversation: tuple[Message, ...] | list[Message] = ()
    decisions: tuple[Decision, ...] | list[Decision] = ()
    metadata: Mapping[str, Any] | None = None
    landed_at: datetime | None = None
    started_at: datetime | None = None
    external_id: str | None = None

    def header(self) -> pb.LandHeader:
        return land_header(
            session_id=self.session_id,
            create=self.create,
            conversation=self.conversation,
            decisions=self.decisions,
            metadata=self.metadata,
            landed_at=self.landed_at,
            started_at=self.started_at,
            external_id=self.external_id,
        )


@dataclass(slots=True)
class LandProgress:
    """Counters of what was sent so far, handed to the ``progress`` callback."""

    changes: int = 0
    bytes: int = 0
    path: str = ""


class _StreamAborted(Exception):
    """Raised into gRPC's request thread so that it cancels the call: nothing lands."""


class _QuietAborts(logging.Filter):
    # gRPC logs a traceback when a request iterator raises; ours raise on purpose (the real
    # error is re-raised to the caller), so that record is dropped.
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, _StreamAborted)


logging.getLogger("grpc._channel").addFilter(_QuietAborts())


def path_bytes(path: bytes | str) -> bytes:
    """The exact bytes of a path (text from ``os.fsdecode`` round-trips too)."""
    return path if isinstance(path, bytes) else path.encode("utf-8", "surrogateescape")


def land_header(
    *,
    session_id: str | None,
    create: NewSession | None,
    conversation: Iterable[Message],
    decisions: Iterable[Decision],
    metadata: Mapping[str, Any] | None,
    landed_at: datetime | None,
    started_at: datetime | None,
    external_id: str | None,
) -> pb.LandHeader:
    if (session_id is None) == (create is None):
        raise ValueError("land needs exactly one of session_id or create")
    header = pb.LandHeader(
        session_id=session_id or "",
        conversation=[convert.message_to_pb(m) for m in conversation],
        decisions=[convert.decision_to_pb(d) for d in decisions],
        metadata=structs.from_mapping(metadata),
        external_id=external_id or "",
    )
    if create is not None:
        header.create.CopyFrom(
            convert.start_request(
                create.organization,
                create.project,
                create.goal,
                session_id=create.session_id,
                conversation=create.conversation,
                decisions=create.decisions,
                metadata=create.metadata,
                base_position=create.base_position,
            )
        )
    if landed_at is not None:
        header.landed_at.CopyFrom(convert.time_to_pb(landed_at))
    if started_at is not None:
        header.started_at.CopyFrom(convert.time_to_pb(started_at))
    return header


def pack_items(
    items: Iterable[tuple[pb.LandItem, int]],
) -> Generator[pb.LandSessionRequest, None, None]:
    """Request messages of consecutive ``(item, size)``: each fills up to ``REQUEST_BYTES``
    (an item larger than that travels alone)."""
    request = pb.LandSessionRequest()
    size = 0
    for item, item_size in items:
        if request.items and size + item_size > REQUEST_BYTES:
            yield request
            request, size = pb.LandSessionRequest(), 0
        request.items.append(item)
        size += item_size
    if request.items:
        yield request


class RequestStream:
    """Iterator of ``LandSessionRequest``; remembers why it stopped early, if it did."""

    def __init__(
        self,
        header: pb.LandHeader,
        changes: Iterable[Change],
        *,
        chunk_size: int = CHUNK_SIZE,
        progress: Callable[[LandProgress], None] | None = None,
    ) -> None:
        self._header = header
        self._changes = changes
        self._chunk_size = max(1, min(chunk_size, CHUNK_SIZE))
        self._progress = progress
        self.sent = LandProgress()
        self.error: BaseException | None = None  # what ended the stream early, if anything
        self._iterator = self._generate()

    def __iter__(self) -> RequestStream:
        return self

    def __next__(self) -> pb.LandSessionRequest:
        try:
            return next(self._iterator)
        except StopIteration:
            raise
        except BaseException as exc:  # keep it for the caller, cancel the call
            self.error = exc
            raise _StreamAborted(str(exc)) from exc

    def close(self) -> None:
        """Close the content being read, if the call ended before the stream did."""
        # ValueError: still running in gRPC's thread, which stops with the call.
        with contextlib.suppress(ValueError):
            self._iterator.close()

    def _generate(self) -> Generator[pb.LandSessionRequest, None, None]:
        return pack_items(self._items())

    def _items(self) -> Iterator[tuple[pb.LandItem, int]]:
        """The landing's items, each with its approximate size on the wire."""
        yield pb.LandItem(header=self._header), self._header.ByteSize()
        for change in self._changes:
            yield from self._change_items(change)

    def _tick(self, path: str, nbytes: int, changes: int = 0) -> None:
        self.sent.bytes += nbytes
        self.sent.changes += changes
        self.sent.path = path
        if self._progress is not None:
            self._progress(self.sent)

    def _change_items(self, change: Change) -> Iterator[tuple[pb.LandItem, int]]:
        raw = path_bytes(change.path)
        paths.validate_path(raw)  # fail before sending anything, with the rule it breaks
        file_path, raw_path = paths.to_wire(raw)
        kind = ChangeType(change.change_type)
        header = pb.ChangeHeader(
            file_path=file_path,
            raw_path=raw_path or b"",
            change_type=convert.kind_to_pb(kind),
            metadata=structs.from_mapping(change.metadata),
        )
        if kind is ChangeType.DELETED:
            yield pb.LandItem(change=header), header.ByteSize()
            self._tick(file_path, 0, changes=1)
            return
        header.mode = change.mode or FileMode.FILE
        with _ContentReader(change) as (size, chunks):
            header.size = size
            yield pb.LandItem(change=header), header.ByteSize()
            self._tick(file_path, 0, changes=1)
            sent = 0
            for chunk in chunks:
                for start in range(0, len(chunk), self._chunk_size):
                    piece = bytes(chunk[start : start + self._chunk_size])
                    sent += len(piece)
                    if sent > size:
                        raise LandingError(f"{file_path}: content is larger than {size} bytes")
                    yield pb.LandItem(chunk=pb.ContentChunk(data=piece)), len(piece)
                    self._tick(file_path, len(piece))
            if sent != size:
                raise LandingError(f"{file_path}: content has {sent} bytes, expected {size}")


class _ContentReader:
    """(size, chunks) of a change's content; a file is opened once and closed after sending."""

    def __init__(self, change: Change) -> None:
        self._change = change
        self._file: Any = None

    def __enter__(self) -> tuple[int, Iterable[bytes]]:
        change, content = self._change, self._change.content
        if content is None:
            content = b""
        if isinstance(content, bytes | bytearray | memoryview):
            data = bytes(content)
            return _checked(change, len(data)), (data,) if data else ()
        if isinstance(content, os.PathLike):
            return self._open_path(os.fspath(content))
        if isinstance(content, str):
            raise TypeError("Change.content is a str: pass bytes, or a pathlib.Path for a file")
        if change.size is None:
            raise ValueError(f"{change.path!r}: an iterable content needs Change.size")
        return change.size, content

    def _open_path(self, path: str) -> tuple[int, Iterable[bytes]]:
        change = self._change
        if (change.mode & 0o170000) == (FileMode.SYMLINK & 0o170000):
            target = os.fsencode(os.readlink(path))
            return _checked(change, len(target)), (target,) if target else ()
        # O_NOFOLLOW: a file that became a symlink since it was scanned is not followed.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        self._file = os.fdopen(fd, "rb", buffering=0)
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LandingError(f"{path}: not a regular file")
        size = _checked(change, info.st_size)
        return size, _read_chunks(self._file, size, path)

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()


def _checked(change: Change, size: int) -> int:
    if change.size is not None and change.size != size:
        raise LandingError(f"{change.path!r}: has {size} bytes, expected {change.size}")
    return size


def _read_chunks(file: Any, size: int, name: str) -> Iterator[bytes]:
    remaining = size
    while remaining > 0:
        data = file.read(min(CHUNK_SIZE, remaining))
        if not data:
            raise LandingError(f"{name}: file shrank while it was being sent")
        remaining -= len(data)
        yield data
    if file.read(1):
        raise LandingError(f"{name}: file grew while it was being sent")


class ManyRequestStream:
    """The request stream of ``LandSessions``: each landing's header and changes in turn."""

    def __init__(self, landings: Iterable[Landing], *, chunk_size: int = CHUNK_SIZE) -> None:
        self._landings = iter(landings)
        self._chunk_size = chunk_size
        self._current: RequestStream | None = None
        self._error: BaseException | None = None

    @property
    def error(self) -> BaseException | None:
        """What ended the stream early, if anything (a landing or a change that raised)."""
        if self._error is None and self._current is not None:
            return self._current.error
        return self._error

    def __iter__(self) -> ManyRequestStream:
        return self

    def __next__(self) -> pb.LandSessionRequest:
        while True:
            if self._current is None:
                try:
                    landing = next(self._landings)
                    header = landing.header()
                except StopIteration:
                    raise
                except BaseException as exc:
                    self._error = exc
                    raise _StreamAborted(str(exc)) from exc
                self._current = RequestStream(header, landing.changes, chunk_size=self._chunk_size)
            try:
                return next(self._current)
            except StopIteration:
                self._current = None

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
