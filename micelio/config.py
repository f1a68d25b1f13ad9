"""Server settings and default locations. Pure: reads the environment, touches no files."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

#: Contents strictly smaller than this many bytes are stored inline in the database.
DEFAULT_INLINE_THRESHOLD = 100 * 1024
DEFAULT_LISTEN = "127.0.0.1:7420"
#: Worker threads of the gRPC server: every open stream (a landing, a tree) holds one.
DEFAULT_MAX_WORKERS = 64

# -- Landing limits (docs/deployment.md, "Limits"): beyond each, INVALID_ARGUMENT, nothing stored.
#: Changes one session may carry: bounds the rows one landing transaction writes (and so how
#: long it holds the project's lock) and the server's memory while receiving it.
DEFAULT_MAX_SESSION_CHANGES = 100_000
#: Content bytes one session may carry (inline and stored together).
DEFAULT_MAX_SESSION_BYTES = 10 * 1024**3
#: Inline content bytes one landing may spool (memory up to 8 MiB, then DATA_DIR/tmp).
DEFAULT_MAX_SPOOL_BYTES = 1024**3
#: A session's conversation and decisions (bytes of their texts, plus 64 per message or
#: decision): with 1 MiB of metadata, GetSession's answer stays within the 16 MiB a mic client
#: receives. Also the most it may be set to.
DEFAULT_MAX_CONVERSATION_BYTES = 8 * 1024**2

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
    # -- Landing limits (see the DEFAULT_MAX_* above and docs/deployment.md, "Limits").
    max_session_changes: int = DEFAULT_MAX_SESSION_CHANGES
    max_session_bytes: int = DEFAULT_MAX_SESSION_BYTES
    max_spool_bytes: int = DEFAULT_MAX_SPOOL_BYTES
    max_conversation_bytes: int = DEFAULT_MAX_CONVERSATION_BYTES

    @property
    def resolved_db_url(self) -> str:
        return self.db_url or default_db_url(self.data_dir)

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or default_storage_url(self.data_dir)
