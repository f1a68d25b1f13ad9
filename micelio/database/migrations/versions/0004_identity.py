"""Identities and tokens: who started, landed and abandoned a session, the token of each
message and decision (now rows of their own instead of JSON lists on the session), and token
expiry, last use and revocation.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 500  # sessions moved per round: bounded memory whatever the conversations' size
_ITEM_OVERHEAD = 64  # as service/conversation.py counts each message and decision


def upgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(
            sa.Column("conversation_bytes", sa.BigInteger(), nullable=False, server_default="0")
        )
        for count in ("message_count", "decision_count"):
            batch.add_column(sa.Column(count, sa.BigInteger(), nullable=False, server_default="0"))
        for action in ("started", "landed", "abandoned"):
            batch.add_column(sa.Column(f"{action}_by_token_id", sa.BigInteger(), nullable=True))
            batch.add_column(sa.Column(f"{action}_by", sa.Text(), nullable=True))
    op.create_table(
        "session_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_pk", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=True),
        sa.Column("token_description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_pk"],
            ["sessions.id"],
            name=op.f("fk_session_messages_session_pk_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_messages")),
    )
    op.create_index(
        op.f("ix_session_messages_session_pk_id"), "session_messages", ["session_pk", "id"]
    )
    op.create_table(
        "session_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_pk", sa.Integer(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("reasoning", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=True),
        sa.Column("token_description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_pk"],
            ["sessions.id"],
            name=op.f("fk_session_decisions_session_pk_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_decisions")),
    )
    op.create_index(
        op.f("ix_session_decisions_session_pk_id"), "session_decisions", ["session_pk", "id"]
    )
    _move_conversations()
    # Plain DROP COLUMN (SQLite >= 3.35), not a batch: a batch recreates the table, and on
    # SQLite dropping the old one cascades to the rows just moved. The counters keep their
    # server default "0": the models do not compare server defaults.
    op.drop_column("sessions", "conversation")
    op.drop_column("sessions", "decisions")


def _move_conversations() -> None:
    """The JSON lists become rows, in order, with the session's byte count."""
    conn = op.get_bind()
    sessions = sa.table(
        "sessions",
        sa.column("id", sa.Integer()),
        sa.column("conversation", sa.JSON()),
        sa.column("decisions", sa.JSON()),
        sa.column("conversation_bytes", sa.BigInteger()),
        sa.column("message_count", sa.BigInteger()),
        sa.column("decision_count", sa.BigInteger()),
    )
    messages = sa.table(
        "session_messages",
        *(sa.column(n) for n in ("session_pk", "role", "content", "author", "reference")),
        sa.column("at", sa.DateTime(timezone=True)),
    )
    decisions = sa.table(
        "session_decisions",
        *(sa.column(n) for n in ("session_pk", "decision", "reasoning")),
        sa.column("at", sa.DateTime(timezone=True)),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(sessions.c.id, sessions.c.conversation, sessions.c.decisions)
            .where(sessions.c.id > last)
            .order_by(sessions.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        for pk, conversation, decided in rows:
            m_rows = [_message(pk, m) for m in conversation or []]
            d_rows = [_decision(pk, d) for d in decided or []]
            if m_rows:
                conn.execute(messages.insert(), m_rows)
            if d_rows:
                conn.execute(decisions.insert(), d_rows)
            size = sum(_size(r["role"], r["content"], r["author"], r["reference"]) for r in m_rows)
            size += sum(_size(r["decision"], r["reasoning"]) for r in d_rows)
            size += _ITEM_OVERHEAD * (len(m_rows) + len(d_rows))
            if m_rows or d_rows:
                conn.execute(
                    sessions.update()
                    .where(sessions.c.id == pk)
                    .values(
                        conversation_bytes=size,
                        message_count=len(m_rows),
                        decision_count=len(d_rows),
                    )
                )
        last = rows[-1][0]


def _size(*texts: str) -> int:
    return sum(len(t.encode("utf-8", "surrogatepass")) for t in texts)


def _message(pk: int, m: dict[str, Any]) -> dict[str, Any]:
    return {
        "session_pk": pk,
        "role": str(m.get("role", "")),
        "content": str(m.get("content", "")),
        "author": str(m.get("author", "")),
        "reference": str(m.get("reference", "")),
        "at": _time(m.get("at")),
    }


def _decision(pk: int, d: dict[str, Any]) -> dict[str, Any]:
    return {
        "session_pk": pk,
        "decision": str(d.get("decision", "")),
        "reasoning": str(d.get("reasoning", "")),
        "at": _time(d.get("at")),
    }


def _time(value: Any) -> datetime:
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.now(UTC)
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def _restore_conversations() -> None:
    """The rows back into the JSON lists (without their tokens: 0002 keeps none)."""
    conn = op.get_bind()
    sessions = sa.table(
        "sessions",
        sa.column("id", sa.Integer()),
        sa.column("conversation", sa.JSON()),
        sa.column("decisions", sa.JSON()),
    )
    messages = sa.table(
        "session_messages",
        *(sa.column(n) for n in ("id", "session_pk", "role", "content", "author", "reference")),
        sa.column("at", sa.DateTime(timezone=True)),
    )
    decisions = sa.table(
        "session_decisions",
        *(sa.column(n) for n in ("id", "session_pk", "decision", "reasoning")),
        sa.column("at", sa.DateTime(timezone=True)),
    )
    pks = conn.execute(
        sa.select(messages.c.session_pk).union(sa.select(decisions.c.session_pk))
    ).scalars()
    for pk in list(pks):
        convo = []
        for m in conn.execute(
            sa.select(messages).where(messages.c.session_pk == pk).order_by(messages.c.id)
        ).mappings():
            item = {"role": m["role"], "content": m["content"]}
            item |= {k: m[k] for k in ("author", "reference") if m[k]}
            convo.append(item | {"at": _iso(m["at"])})
        decided = [
            {"decision": d["decision"], "reasoning": d["reasoning"], "at": _iso(d["at"])}
            for d in conn.execute(
                sa.select(decisions).where(decisions.c.session_pk == pk).order_by(decisions.c.id)
            ).mappings()
        ]
        conn.execute(
            sessions.update()
            .where(sessions.c.id == pk)
            .values(conversation=convo, decisions=decided)
        )


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return str(value)


def downgrade() -> None:
    # Plain ALTERs: a batch would recreate "sessions", and on SQLite dropping the old table
    # cascades to its changes.
    op.add_column(
        "sessions", sa.Column("conversation", sa.JSON(), nullable=False, server_default="[]")
    )
    op.add_column(
        "sessions", sa.Column("decisions", sa.JSON(), nullable=False, server_default="[]")
    )
    _restore_conversations()
    op.drop_index(op.f("ix_session_decisions_session_pk_id"), table_name="session_decisions")
    op.drop_table("session_decisions")
    op.drop_index(op.f("ix_session_messages_session_pk_id"), table_name="session_messages")
    op.drop_table("session_messages")
    for column in ("conversation_bytes", "message_count", "decision_count"):
        op.drop_column("sessions", column)
    for action in ("started", "landed", "abandoned"):
        op.drop_column("sessions", f"{action}_by_token_id")
        op.drop_column("sessions", f"{action}_by")
    for column in ("expires_at", "last_used_at", "revoked_at"):
        op.drop_column("tokens", column)
