"""Plain, typed records of what the server answers: no protobuf beyond this package."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from micelio.vocabulary import ChangeType, FileMode, SessionStatus, TokenRole

if TYPE_CHECKING:  # difflib is not for every command's start-up
    from micelio.diffs import Cut, PathDiff

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Identity:
    """Who acted, as the server verified it: the acting token's id and description."""

    token_id: int
    description: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    """One entry of a session's conversation. ``at`` unset: the server's time. ``author`` is
    what the client claims; ``token`` (set by the server only) who really added it."""

    role: str
    content: str
    author: str = ""
    at: datetime | None = None
    reference: str = ""  # what the message is about, e.g. "commit:<id>"
    token: Identity | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    decision: str
    reasoning: str = ""
    at: datetime | None = None
    token: Identity | None = None


@dataclass(frozen=True, slots=True)
class ChangeStats:
    total: int = 0
    added: int = 0
    modified: int = 0
    deleted: int = 0


@dataclass(frozen=True, slots=True)
class Session:
    session_id: str
    organization: str
    project: str
    goal: str
    status: SessionStatus
    conversation: tuple[Message, ...] = ()
    decisions: tuple[Decision, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None
    landed_at: datetime | None = None
    abandoned_at: datetime | None = None
    base_position: int = 0
    landing_position: int | None = None  # None while not landed
    stats: ChangeStats = ChangeStats()
    external_id: str | None = None
    started_by: Identity | None = None  # verified identities (None: not recorded)
    landed_by: Identity | None = None
    abandoned_by: Identity | None = None
    message_count: int = 0
    decision_count: int = 0


@dataclass(frozen=True, slots=True)
class SessionChange:
    file_path: str  # display form; see ``path`` for the exact bytes
    change_type: ChangeType
    size: int
    mode: int  # 0 when the protocol leaves it unset
    sha256: str | None  # None for deletions
    storage_key: str | None  # None when the content is inline (or a deletion)
    metadata: dict[str, Any] = field(default_factory=dict)
    path: bytes = b""  # exact bytes of the path


@dataclass(frozen=True, slots=True)
class TreeEntry:
    """A file of a project at a position (the ``workdir.TreeFile`` protocol)."""

    path: bytes
    file_path: str
    mode: FileMode
    size: int
    sha256: str
    session_id: str
    landing_position: int


@dataclass(frozen=True, slots=True)
class FileContent:
    """A file of ``MicClient.read_files``: its entry and its content's chunks, which come off
    the one stream: read them before the next file (what is left unread is skipped)."""

    entry: TreeEntry
    chunks: Iterator[bytes]


@dataclass(frozen=True, slots=True)
class LogEntry:
    """A landed session as ``mic log`` shows it."""

    position: int
    session_id: str
    goal: str
    landed_at: datetime | None
    landed_by: Identity | None
    stats: ChangeStats
    file_path: str = ""  # with a path: its name in this session (renames change it)


@dataclass(frozen=True, slots=True)
class PositionsDiff:
    """The server's diff between two positions: the files that differ, in path order, and
    where a cap stopped it (None: complete)."""

    from_position: int
    to_position: int
    files: list[PathDiff]
    cut: Cut | None = None


@dataclass(frozen=True, slots=True)
class BlameLine:
    """One line of a file and the landed session that last changed it."""

    line: int  # 1-based
    text: bytes  # without its newline
    position: int
    session_id: str
    goal: str


@dataclass(frozen=True, slots=True)
class Organization:
    handle: str
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Project:
    organization: str
    handle: str
    name: str
    head_position: int
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as ``mic token list`` shows it (never its secret)."""

    id: int
    organization: str | None  # None: server-wide
    role: TokenRole
    description: str
    created_at: datetime | None = None
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CreatedToken:
    token: str  # shown once: the server keeps only its hash
    organization: str | None
    role: TokenRole
    info: TokenInfo | None = None


@dataclass(frozen=True, slots=True)
class LandResult:
    session: Session
    landing_position: int
    changes: int
    bytes_inline: int
    bytes_stored: int


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a paginated list; ``next_page_token`` is empty on the last page."""

    items: list[T]
    next_page_token: str
    total: int | None = None


@dataclass(frozen=True, slots=True)
class ProjectArchive:
    """A Git bundle an import stored for its project (``mic export git`` restores them)."""

    seq: int
    kind: str
    size: int
    sha256: str
    refs: dict[str, Any]
    created_at: datetime | None = None
    created_by: str = ""
