"""Migration 0004 moves the JSON conversations of existing sessions into their own rows, in
order, with their byte counts, on SQLite and PostgreSQL; a session too big for the new limit
still reads and lists."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from micelio.database import Database
from micelio.database.migrate import downgrade, upgrade
from micelio.service import conversation
from micelio.service.views import Decision, Message


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database at revision 0002 holding a session whose conversation is JSON."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("postgres_cluster").create_database()
    db = Database(url)
    upgrade(db.engine, "0002")
    messages = [
        {"role": "human", "content": "é" * 10, "author": "ana", "at": "2024-05-01T12:00:00+00:00"},
        {"role": "commit", "content": "fix", "reference": "commit:abc", "at": "2024-05-02T00:00"},
    ]
    decisions = [{"decision": "d", "reasoning": "why", "at": "2024-05-03T00:00:00+00:00"}]
    with db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO organizations (id, handle, created_at) VALUES (1, 'o', :t)"),
            {"t": "2024-01-01 00:00:00"},
        )
        conn.execute(
            text(
                "INSERT INTO projects (id, organization_id, handle, name, head_position, "
                "created_at) VALUES (1, 1, 'p', 'p', 0, :t)"
            ),
            {"t": "2024-01-01 00:00:00"},
        )
        for pk, convo, decided in ((1, messages, decisions), (2, [], [])):
            conn.execute(
                text(
                    "INSERT INTO sessions (id, session_id, project_id, goal, conversation, "
                    "decisions, metadata, status, started_at, base_position) VALUES "
                    "(:pk, :sid, 1, 'g', :c, :d, '{}', 'active', :t, 0)"
                ),
                {
                    "pk": pk,
                    "sid": f"s{pk}",
                    "c": json.dumps(convo),
                    "d": json.dumps(decided),
                    "t": "2024-01-01 00:00:00",
                },
            )
    yield db
    db.dispose()


def test_json_conversations_become_rows(old_db: Database) -> None:
    upgrade(old_db.engine)
    columns = {c["name"] for c in inspect(old_db.engine).get_columns("sessions")}
    assert not {"conversation", "decisions"} & columns
    with old_db.read() as db:
        messages, decisions = conversation.load(db, 1)
        counts = db.execute(
            text(
                "SELECT id, message_count, decision_count, conversation_bytes FROM sessions "
                "ORDER BY id"
            )
        ).all()
        assert conversation.load(db, 2) == ([], [])
    assert [(m.role, m.content, m.author, m.reference) for m in messages] == [
        ("human", "é" * 10, "ana", ""),
        ("commit", "fix", "", "commit:abc"),
    ]
    assert [m.at.isoformat() if m.at else "" for m in messages] == [
        "2024-05-01T12:00:00+00:00",
        "2024-05-02T00:00:00+00:00",
    ]
    assert all(m.token is None for m in messages)  # not recorded before identities
    assert [(d.decision, d.reasoning) for d in decisions] == [("d", "why")]
    expected = conversation.size_of(
        [Message("human", "é" * 10, "ana"), Message("commit", "fix", reference="commit:abc")],
        [Decision("d", "why")],
    )
    assert [tuple(row) for row in counts] == [(1, 2, 1, expected), (2, 0, 0, 0)]


def test_downgrade_puts_them_back(old_db: Database) -> None:
    upgrade(old_db.engine)
    downgrade(old_db.engine, "0002")
    with old_db.engine.connect() as conn:
        rows = conn.execute(text("SELECT conversation, decisions FROM sessions ORDER BY id")).all()
    loaded = [(json.loads(c) if isinstance(c, str) else c, d) for c, d in rows]
    convo, decided = loaded[0]
    assert [m["content"] for m in convo] == ["é" * 10, "fix"]
    assert convo[1]["reference"] == "commit:abc"
    assert (json.loads(decided) if isinstance(decided, str) else decided)[0]["reasoning"] == "why"
