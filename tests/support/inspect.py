"""Looking behind a server's back: its database rows and stored objects (for atomicity tests)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from micelio.testing import MicServer

_COUNT_ROWS = (
    "SELECT count(*) FROM session_changes c JOIN sessions s ON s.id = c.session_pk "
    "WHERE s.session_id = {param}"
)


def change_rows(server: MicServer, session_id: str) -> int:
    """Rows in session_changes for a session, straight from the server's database."""
    if server.db_url is None:
        db = server.data_dir / "mic.db"
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return int(conn.execute(_COUNT_ROWS.format(param="?"), (session_id,)).fetchone()[0])
    import psycopg

    dsn = server.db_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        row = conn.execute(_COUNT_ROWS.format(param="%s"), (session_id,)).fetchone()
        return int(row[0]) if row else 0


def stored_objects(server: MicServer, session_id: str) -> list[str]:
    """Object keys under ``sessions/{session_id}/`` in the server's local store
    (temporary upload files included: a failed write must not leave them either)."""
    if server.storage_url is not None:
        raise NotImplementedError("stored_objects reads local stores only")
    root = server.data_dir / "objects" / "sessions" / session_id
    if not root.exists():
        return []
    return sorted(
        str(p.relative_to(server.data_dir / "objects")) for p in root.rglob("*") if p.is_file()
    )


def spool_files(server: MicServer) -> list[Path]:
    """Landing spool files left in DATA_DIR/tmp (there should be none between landings)."""
    tmp = server.data_dir / "tmp"
    return sorted(p for p in tmp.iterdir()) if tmp.exists() else []
