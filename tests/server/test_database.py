"""Alembic migrations on empty databases, and the context API, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from micelio.database import (
    ChangeStats,
    Database,
    NewChange,
    count_session_changes,
    create_session_changes,
    get_session_change_stats,
    get_session_with_changes,
    list_session_changes,
)
from micelio.database.migrate import current_revision, downgrade, head_revision, upgrade
from micelio.database.models import Base, Organization, Project, Session

TABLES = {"organizations", "projects", "sessions", "session_changes", "tokens"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        url = request.getfixturevalue("postgres_cluster").create_database()
    db = Database(url)
    yield db
    db.dispose()


def test_migrations_on_an_empty_database(empty_db: Database) -> None:
    assert current_revision(empty_db.engine) is None
    upgrade(empty_db.engine)
    assert current_revision(empty_db.engine) == head_revision()
    assert set(inspect(empty_db.engine).get_table_names()) >= TABLES
    with empty_db.engine.connect() as conn:
        # The migrations produce exactly the models' schema.
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    upgrade(empty_db.engine)  # idempotent: a restart migrates nothing
    downgrade(empty_db.engine)
    assert not TABLES & set(inspect(empty_db.engine).get_table_names())


@pytest.fixture
def landed(empty_db: Database) -> Iterator[tuple[Database, Session]]:
    upgrade(empty_db.engine)
    with empty_db.write() as db:
        org = Organization(handle="o")
        db.add(org)
        db.flush()
        project = Project(organization_id=org.id, handle="p", name="p", head_position=1)
        db.add(project)
        db.flush()
        session = Session(
            session_id="s1", project_id=project.id, goal="g", status="landed", landing_position=1
        )
        db.add(session)
        db.flush()
    yield empty_db, session


def _change(path: str, change_type: str = "added", content: bytes | None = b"x") -> NewChange:
    return NewChange(
        file_path=path,
        change_type=change_type,
        content=content,
        size=len(content or b""),
        mode=0o100644 if content is not None else 0,
    )


def test_context_api(landed: tuple[Database, Session]) -> None:
    database, session = landed
    with database.write() as db:
        count = create_session_changes(
            db,
            session,
            [
                _change("b.txt"),
                _change("a.txt", "modified"),
                NewChange(
                    file_path="big.bin",
                    change_type="added",
                    storage_key="sessions/s1/changes/big.bin",
                    size=10**6,
                ),
                _change("gone.txt", "deleted", None),
            ],
        )
        assert count == 4
    with database.read() as db:
        loaded = get_session_with_changes(db, "s1")
        assert loaded is not None
        assert [c.file_path for c in loaded.changes] == ["a.txt", "b.txt", "big.bin", "gone.txt"]
        assert get_session_with_changes(db, "nope") is None
        assert get_session_change_stats(db, session) == ChangeStats(4, 2, 1, 1)
        assert count_session_changes(db, session) == 4
        assert count_session_changes(db, session, change_type="added") == 2
        assert count_session_changes(db, session, change_type="deleted") == 1
        assert [c.file_path for c in list_session_changes(db, session, change_type="added")] == [
            "b.txt",
            "big.bin",
        ]
        page = list_session_changes(db, session, after_path="a.txt", limit=2)
        assert [c.file_path for c in page] == ["b.txt", "big.bin"]
        assert page[0].content == b"x"
        with pytest.raises(ValueError, match="change type"):
            count_session_changes(db, session, change_type="renamed")


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (_change("../x"), ValueError),
        (_change("x", "renamed"), ValueError),
        (_change("x", "deleted", b"content"), ValueError),
        (NewChange(file_path="x", change_type="added"), ValueError),  # neither content nor key
        (_change("a.txt"), IntegrityError),  # duplicate of the first change: the database refuses
    ],
    ids=["path", "type", "deleted-content", "no-content", "duplicate"],
)
def test_create_session_changes_is_all_or_nothing(
    landed: tuple[Database, Session], bad: NewChange, error: type[Exception]
) -> None:
    database, session = landed
    with pytest.raises(error), database.write() as db:
        create_session_changes(db, session, [_change("a.txt"), _change("b.txt"), bad])
    with database.read() as db:
        assert count_session_changes(db, session) == 0
