"""A session's conversation and decisions: rows of their own, appended with one INSERT each
(so an append costs the same at any length), counted against the conversation limit, and
read back in order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session as DbSession

from micelio.database.models import Session, SessionDecision, SessionMessage
from micelio.service.errors import ResourceExhausted
from micelio.service.views import Decision, Identity, Message, decision_view, message_view

#: What each message or decision counts beyond its texts: its time, its token's id and the
#: protocol's framing. With the token's description counted too, the limit bounds the size
#: of the session's answer, not only of what clients wrote.
ITEM_OVERHEAD = 64


def _utf8(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def message_bytes(message: Message, actor: Identity | None = None) -> int:
    texts = (message.role, message.content, message.author, message.reference)
    return sum(map(_utf8, texts)) + _item(actor)


def decision_bytes(decision: Decision, actor: Identity | None = None) -> int:
    return _utf8(decision.decision) + _utf8(decision.reasoning) + _item(actor)


def _item(actor: Identity | None) -> int:
    return ITEM_OVERHEAD + (_utf8(actor.description) if actor else 0)


def size_of(
    messages: Iterable[Message], decisions: Iterable[Decision], actor: Identity | None = None
) -> int:
    """What ``messages`` and ``decisions`` added by ``actor`` count against the limit."""
    return sum(message_bytes(m, actor) for m in messages) + sum(
        decision_bytes(d, actor) for d in decisions
    )


def check_room(held: int, adding: int, limit: int, session_id: str = "") -> None:
    """RESOURCE_EXHAUSTED when ``adding`` bytes to the ``held`` ones would pass ``limit``."""
    if held + adding > limit:
        which = f"session {session_id}'s" if session_id else "the session's"
        raise ResourceExhausted(
            f"{which} conversation would reach {held + adding:,} bytes: the limit is "
            f"{limit:,} (max_conversation_bytes); nothing was stored"
        )


@dataclass(frozen=True)
class Append:
    """What one session receives: its new messages and decisions, and who adds them."""

    session: Session
    messages: Sequence[Message]
    decisions: Sequence[Decision]
    actor: Identity | None


def append(db: DbSession, appends: Sequence[Append], now: datetime, limit: int) -> None:
    """Bump each session's counters, flush, and insert the rows of every append: two INSERTs
    in all. RESOURCE_EXHAUSTED before anything when one would pass ``limit``. Sessions not
    yet inserted get their counters in their own INSERT (call this before their flush)."""
    sizes = [size_of(item.messages, item.decisions, item.actor) for item in appends]
    for item, size in zip(appends, sizes, strict=True):
        if size:
            check_room(item.session.conversation_bytes or 0, size, limit, item.session.session_id)
    for item, size in zip(appends, sizes, strict=True):
        if size:
            session = item.session
            session.conversation_bytes = (session.conversation_bytes or 0) + size
            session.message_count = (session.message_count or 0) + len(item.messages)
            session.decision_count = (session.decision_count or 0) + len(item.decisions)
    db.flush()  # the sessions' ids (and a taken session id fails here, on its index)
    message_rows: list[dict[str, Any]] = []
    decision_rows: list[dict[str, Any]] = []
    for item in appends:
        token_id = item.actor.token_id if item.actor else None
        token_description = item.actor.description if item.actor else None
        message_rows += (
            {
                "session_pk": item.session.id,
                "role": m.role,
                "content": m.content,
                "author": m.author,
                "reference": m.reference,
                "at": m.at or now,
                "token_id": token_id,
                "token_description": token_description,
            }
            for m in item.messages
        )
        decision_rows += (
            {
                "session_pk": item.session.id,
                "decision": d.decision,
                "reasoning": d.reasoning,
                "at": d.at or now,
                "token_id": token_id,
                "token_description": token_description,
            }
            for d in item.decisions
        )
    # Core inserts of the tables (not the ORM's bulk path): an import lands thousands of
    # messages per group, and nothing needs their objects back.
    if message_rows:
        db.execute(insert(_table(SessionMessage)), message_rows)
    if decision_rows:
        db.execute(insert(_table(SessionDecision)), decision_rows)


def _table(model: type[SessionMessage] | type[SessionDecision]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)  # a declarative model maps one Table
    return table


def load(db: DbSession, session_pk: int) -> tuple[list[Message], list[Decision]]:
    """The session's conversation and decisions, in the order they were added."""
    messages = db.scalars(
        select(SessionMessage)
        .where(SessionMessage.session_pk == session_pk)
        .order_by(SessionMessage.id)
    )
    decisions = db.scalars(
        select(SessionDecision)
        .where(SessionDecision.session_pk == session_pk)
        .order_by(SessionDecision.id)
    )
    return [message_view(m) for m in messages], [decision_view(d) for d in decisions]
