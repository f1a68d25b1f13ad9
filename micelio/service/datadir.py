"""The server's data directory: private to its user, and the server's identity.

The directory is 0700 and the SQLite database (with its -wal and -shm) 0600, since they hold
every organization's contents and token hashes; existing ones are fixed at each start.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

SERVER_ID_FILE = "server.id"
SPOOL_DIR = "tmp"


def prepare(data_dir: Path) -> None:
    """Create (or fix) the data directory and its spool directory, mode 0700."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    spool = data_dir / SPOOL_DIR
    spool.mkdir(mode=0o700, exist_ok=True)
    spool.chmod(0o700)


def protect_sqlite(db_url: str) -> None:
    """Make a SQLite database file and its -wal/-shm 0600, creating the file empty if needed
    (SQLite gives its -wal and -shm the mode of the database file)."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    path = Path(url.database)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT, 0o600))
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").chmod(0o600)


def server_id(data_dir: Path) -> str:
    """A random id of the server that serves ``data_dir``, kept in ``DATA_DIR/server.id``:
    the holder of its upload reservations, so that its next start knows them dead."""
    path = data_dir / SERVER_ID_FILE
    with contextlib.suppress(FileNotFoundError):
        value = path.read_text().strip()
        if value:
            return value
    value = f"srv-{secrets.token_hex(8)}"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value + "\n")
    os.replace(tmp, path)
    return value
