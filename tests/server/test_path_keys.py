"""A path's identity is its bytes: ``paths.path_key`` and the migration that keys old rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from micelio import paths
from micelio.database.engine import Database
from micelio.database.migrate import upgrade

CASES = {
    b"a/b.txt": "a/b.txt",
    "\u00e9t\u00e9/x".encode(): "\u00e9t\u00e9/x",
    b"w\xff": "w%FF",
    b"w\\xff": "w\\xff",
    b"100%": "100%25",
    b"%FF": "%25FF",
    b"\xe9t\xe9.bin": "%E9t%E9.bin",
    b"\xed\xa0\x80": "%ED%A0%80",  # an encoded surrogate is not UTF-8 either
}


@pytest.mark.parametrize("raw", list(CASES))
def test_path_key_is_reversible_and_unambiguous(raw: bytes) -> None:
    key = paths.path_key(raw)
    assert key == CASES[raw]
    assert paths.key_to_raw(key) == raw
    assert key.encode("utf-8")  # always valid text: a database column and an object key


def test_every_byte_string_has_its_own_key() -> None:
    raws = [bytes([a, b]) for a in range(1, 256) for b in (0x25, 0x41, 0xFF)]
    assert len({paths.path_key(raw) for raw in raws}) == len(raws)


def test_storage_keys_use_the_path_key() -> None:
    assert paths.storage_key("s1", b"d/\xe9.bin") == "sessions/s1/changes/d/%E9.bin"
    assert paths.storage_key("s1", b"a/b.txt") == "sessions/s1/changes/a/b.txt"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("postgres_cluster").create_database()
    db = Database(url)
    upgrade(db.engine, "0002")
    yield db
    db.dispose()


def test_migration_keys_existing_rows(old_db: Database) -> None:
    with old_db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO organizations (id, handle, created_at) VALUES (1, 'o', :t)"),
            {"t": "2026-01-01 00:00:00"},
        )
        conn.execute(
            text(
                "INSERT INTO projects (id, organization_id, handle, name, head_position, "
                "created_at) VALUES (1, 1, 'p', 'p', 1, :t)"
            ),
            {"t": "2026-01-01 00:00:00"},
        )
        conn.execute(
            text(
                "INSERT INTO sessions (id, session_id, project_id, goal, conversation, decisions, "
                "metadata, status, started_at, base_position, landing_position) VALUES "
                "(1, 's1', 1, 'g', '[]', '[]', '{}', 'landed', :t, 0, 1)"
            ),
            {"t": "2026-01-01 00:00:00"},
        )
        for row_id, file_path, raw in ((1, "a%b.txt", None), (2, "w\\xff", b"w\xff")):
            conn.execute(
                text(
                    "INSERT INTO session_changes (id, session_pk, project_id, landing_position, "
                    "file_path, raw_path, change_type, size, mode, metadata) VALUES "
                    "(:id, 1, 1, 1, :path, :raw, 'deleted', 0, 0, '{}')"
                ),
                {"id": row_id, "path": file_path, "raw": raw},
            )
    upgrade(old_db.engine)
    with old_db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, path_key FROM session_changes")).all()
        keys = {int(row[0]): str(row[1]) for row in rows}
        assert keys == {1: "a%25b.txt", 2: "w%FF"}
        # The text path that shares the raw one's display is a row of its own now.
        conn.execute(
            text(
                "INSERT INTO session_changes (id, session_pk, project_id, landing_position, "
                "file_path, path_key, change_type, size, mode, metadata) VALUES "
                "(3, 1, 1, 1, 'w\\xff', 'w\\xff', 'deleted', 0, 0, '{}')"
            )
        )
