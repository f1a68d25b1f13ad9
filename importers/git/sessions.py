"""Session drafts: what one imported session says about its commits (pure).

A draft is everything but the file contents: goal, conversation, decisions, metadata, times
and the importer's idempotency key. Texts that are not valid UTF-8 keep their exact bytes in
``*_b64`` fields next to the display text (see README, "Bytes that are not UTF-8").
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from importers.history import Commit, Signature, Tag
from micelio.vocabulary import MessageRole


@dataclass(frozen=True, slots=True)
class Message:
    role: str
    content: str
    author: str
    at: datetime
    reference: str


@dataclass(frozen=True, slots=True)
class DraftDecision:
    decision: str
    reasoning: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SessionDraft:
    session_id: str
    external_id: str
    goal: str
    started_at: datetime
    landed_at: datetime
    conversation: tuple[Message, ...]
    decisions: tuple[DraftDecision, ...]
    metadata: dict[str, Any] = field(default_factory=dict)


def external_id(last_commit: str) -> str:
    """The key that makes landing a session idempotent: its last first-parent commit."""
    return f"git:{last_commit}"


def session_id_for(organization: str, project: str, last_commit: str) -> str:
    """Deterministic, so a retried land overwrites its own objects instead of orphaning them."""
    digest = hashlib.sha256(f"{organization}/{project}\0{last_commit}".encode()).hexdigest()
    return f"git-{digest[:32]}"


def timestamp(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def signature_json(sig: Signature) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": sig.name,
        "email": sig.email,
        "time": sig.time,
        "tz": sig.tz,
        "date": timestamp(sig.time).isoformat().replace("+00:00", "Z"),
    }
    if sig.raw:
        out["raw_b64"] = _b64(sig.raw)
    return out


def message_needs_raw(commit: Commit) -> bool:
    """True when the stored message bytes cannot be rebuilt from the decoded text."""
    return commit.message.encode("utf-8", "surrogatepass") != commit.message_raw


def commit_json(commit: Commit, *, with_message: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": commit.oid,
        "parents": list(commit.parents),
        "tree": commit.tree,
        "author": signature_json(commit.author),
        "committer": signature_json(commit.committer),
        "encoding": commit.encoding,
        "signed": commit.signed,
        "subject": commit.subject,
    }
    if with_message:
        out["message"] = commit.message
    if message_needs_raw(commit):
        out["message_b64"] = _b64(commit.message_raw)
    return out


def tag_json(tag: Tag) -> dict[str, Any]:
    out: dict[str, Any] = {"name": tag.name, "commit": tag.commit, "annotated": tag.annotated}
    if tag.annotated:
        out["message"] = tag.message
        out["tagger"] = signature_json(tag.tagger) if tag.tagger else None
        out["object"] = tag.oid
    return out


def _ident(sig: Signature) -> str:
    return f"{sig.name} <{sig.email}>"


def _commit_message(commit: Commit, role: MessageRole) -> Message:
    return Message(
        role=role,
        content=commit.message,
        author=_ident(commit.author),
        at=timestamp(commit.author.time),
        reference=f"commit:{commit.oid}",
    )


def conversation(commits: Sequence[Commit]) -> tuple[Message, ...]:
    """One message per source commit in order; a merge's brought-in commits come before it."""
    out: list[Message] = []
    for commit in commits:
        out.extend(_commit_message(c, MessageRole.COMMIT) for c in commit.brought_in)
        role = MessageRole.MERGE if commit.is_merge else MessageRole.COMMIT
        out.append(_commit_message(commit, role))
    return tuple(out)


def draft(
    commits: Sequence[Commit],
    *,
    organization: str,
    project: str,
    goal: str,
    decisions: Sequence[tuple[str, str]],
    source: dict[str, Any],
    grouping: dict[str, Any],
    tags: Sequence[Tag] = (),
) -> SessionDraft:
    """The draft of the session made of ``commits`` (consecutive first-parent commits)."""
    first, last = commits[0], commits[-1]
    landed_at = timestamp(last.committer.time)
    metadata: dict[str, Any] = {
        "source": source,
        "grouping": grouping,
        "first_commit": first.oid,
        "last_commit": last.oid,
        "commits": [
            {
                **commit_json(c),
                "brought_in": [commit_json(b, with_message=True) for b in c.brought_in],
            }
            for c in commits
        ],
        "tags": [tag_json(t) for t in tags],
    }
    return SessionDraft(
        session_id=session_id_for(organization, project, last.oid),
        external_id=external_id(last.oid),
        goal=goal,
        started_at=timestamp(first.author.time),
        landed_at=landed_at,
        conversation=conversation(commits),
        decisions=tuple(DraftDecision(d, r, landed_at) for d, r in decisions),
        metadata=metadata,
    )
