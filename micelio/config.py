"""Server settings and default locations. Pure: reads the environment, touches no files."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

#: Contents strictly smaller than this many bytes are stored inline in the database.
DEFAULT_INLINE_THRESHOLD = 100 * 1024
DEFAULT_LISTEN = "127.0.0.1:7420"
#: Worker threads of the gRPC server for unary calls (streams and health have their own).
DEFAULT_MAX_WORKERS = 64

# --- Bounded work per client (docs/deployment.md, "Limits"): streams, idle waits. ---------
#: Seconds a call may keep the server waiting on its client (a request message it does not
#: send, a response it does not take) before it is cancelled (CANCELLED).
DEFAULT_STREAM_IDLE_TIMEOUT = 60.0
#: Streaming calls (landings, trees, file reads) served at once by the whole server; each holds
#: a thread of its own pool. Beyond: RESOURCE_EXHAUSTED at once.
DEFAULT_MAX_STREAMS = 64
#: ... by the tokens of one organization, and by one token.
DEFAULT_MAX_STREAMS_PER_ORG = 24
DEFAULT_MAX_STREAMS_PER_TOKEN = 16
#: Unary calls in flight at once for one organization, and for one token.
DEFAULT_MAX_CALLS_PER_ORG = 32
DEFAULT_MAX_CALLS_PER_TOKEN = 16

#: An upload reservation untouched for this long belongs to a dead upload (``mic server gc``).
DEFAULT_UPLOAD_STALE_AFTER = 3600.0

# --- Identities and conversations (tokens, who did what) -------------------------------------
#: Bytes (UTF-8) of a session's conversation and decisions together: message role, content,
#: author and reference, decision and reasoning. An append beyond it answers
#: RESOURCE_EXHAUSTED and stores nothing. 16 MiB keeps a whole session well inside one gRPC
#: message (64 MiB) with its metadata.
DEFAULT_MAX_CONVERSATION_BYTES = 16 * 1024 * 1024
#: The most it may be set to: a whole session (conversation, 1 MiB of metadata, goal) must fit
#: the server's 64 MiB answers.
MAX_CONVERSATION_SETTING = 32 * 1024 * 1024

# -- Landing limits (docs/deployment.md, "Limits"): beyond each, INVALID_ARGUMENT, nothing stored.
#: Changes one session may carry: bounds the rows one landing transaction writes (and so how
#: long it holds the project's lock) and the server's memory while receiving it.
DEFAULT_MAX_SESSION_CHANGES = 100_000
#: Content bytes one session may carry (inline and stored together).
DEFAULT_MAX_SESSION_BYTES = 10 * 1024**3
#: Inline content bytes one landing may spool (memory up to 8 MiB, then DATA_DIR/tmp).
DEFAULT_MAX_SPOOL_BYTES = 1024**3
#: Bytes of one Git bundle an import archives for its project (``mic export git``).
DEFAULT_MAX_ARCHIVE_BYTES = 16 * 1024**3

DB_FILE = "mic.db"
OBJECTS_DIR = "objects"
ADMIN_TOKEN_FILE = "admin.token"
SERVER_INFO_FILE = "server.json"


def default_data_dir() -> Path:
    """``$MIC_DATA_DIR``, else ``$XDG_DATA_HOME/mic``, else ``~/.local/share/mic``."""
    explicit = os.environ.get("MIC_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg).expanduser() / "mic"
    return Path.home() / ".local" / "share" / "mic"


def admin_token_path(data_dir: Path) -> Path:
    """Where a server keeps its bootstrap admin token (mode 0600)."""
    return data_dir / ADMIN_TOKEN_FILE


def server_info_path(data_dir: Path) -> Path:
    """``{"address": "HOST:PORT", "pid": N}`` of the server serving this data dir."""
    return data_dir / SERVER_INFO_FILE


def default_db_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / DB_FILE).resolve()}"


def default_storage_url(data_dir: Path) -> str:
    return (data_dir / OBJECTS_DIR).resolve().as_uri()


@dataclass(frozen=True)
class ServerConfig:
    """Everything ``serve`` needs; unset URLs default to files inside ``data_dir``."""

    data_dir: Path = field(default_factory=default_data_dir)
    listen: str = DEFAULT_LISTEN
    db_url: str | None = None
    storage_url: str | None = None
    inline_threshold: int = DEFAULT_INLINE_THRESHOLD
    max_workers: int = DEFAULT_MAX_WORKERS
    # --- Bounded work per client (defaults above; docs/deployment.md "Limits") ---
    stream_idle_timeout: float = DEFAULT_STREAM_IDLE_TIMEOUT
    max_streams: int = DEFAULT_MAX_STREAMS
    max_streams_per_org: int = DEFAULT_MAX_STREAMS_PER_ORG
    max_streams_per_token: int = DEFAULT_MAX_STREAMS_PER_TOKEN
    max_calls_per_org: int = DEFAULT_MAX_CALLS_PER_ORG
    max_calls_per_token: int = DEFAULT_MAX_CALLS_PER_TOKEN

    # --- Sources of batch jobs (micelio/sources.py; docs/deployment.md "Sources of batch
    # jobs"). A job's repositories are read by workers on the job's behalf, so what a token
    # may name is the server's decision, checked at CreateJob (PERMISSION_DENIED) and again by
    # the worker before it reads. Default: nothing for organization tokens.
    #: Directories whose repositories (symlinks and ``..`` resolved) jobs may name as paths.
    allowed_source_roots: tuple[str, ...] = ()
    #: ``SCHEME://HOST[:PORT]/PATH-GLOB`` patterns of the URLs jobs may name.
    allowed_source_urls: tuple[str, ...] = ()
    #: Server-wide tokens (minted only by a server-wide admin: the operator's) may name any
    #: source, unless this is set.
    restrict_server_wide_sources: bool = False

    # --- Stored contents' integrity (docs/deployment.md, "Stored contents") ---
    #: Seconds after which an upload reservation nobody touched is collected as dead (a
    #: live upload touches its reservation each minute while it stores contents).
    upload_stale_after: float = DEFAULT_UPLOAD_STALE_AFTER

    # --- Landing limits (the DEFAULT_MAX_* above; docs/deployment.md, "Limits") ---
    max_session_changes: int = DEFAULT_MAX_SESSION_CHANGES
    max_session_bytes: int = DEFAULT_MAX_SESSION_BYTES
    max_spool_bytes: int = DEFAULT_MAX_SPOOL_BYTES
    max_conversation_bytes: int = DEFAULT_MAX_CONVERSATION_BYTES
    #: One project archive (a Git bundle of an import run): RESOURCE_EXHAUSTED beyond.
    max_archive_bytes: int = DEFAULT_MAX_ARCHIVE_BYTES

    @property
    def resolved_db_url(self) -> str:
        return self.db_url or default_db_url(self.data_dir)

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or default_storage_url(self.data_dir)
