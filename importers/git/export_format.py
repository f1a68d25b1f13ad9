"""What a native session looks like in Git (pure): its commit's idents and message, its note,
and the lines of ``git fast-import`` that write it.

Everything here is a function of the session alone (no clock, no machine, no configuration),
so two exports of the same sessions anywhere give the same bytes, hence the same commit ids.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from micelio.client import Identity, Session

SESSION_TRAILER = "Mic-Session"
POSITION_TRAILER = "Mic-Position"
NOTES_REF = "refs/notes/mic"
SUMMARY_MESSAGES = 3  # conversation messages quoted in a commit message
SUMMARY_DECISIONS = 5
SUMMARY_WIDTH = 72
_TRAILER = re.compile(rb"^(Mic-Session|Mic-Position): *(\S+) *$", re.MULTILINE)
_IDENT_UNSAFE = re.compile(r"[<>\n\r\0]")


def epoch(at: datetime | None) -> int:
    """Seconds since the epoch, 0 for a missing time (an old row)."""
    if at is None:
        return 0
    return int((at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp())


def ident(identity: Identity | None, at: datetime | None) -> bytes:
    """``Name <email> seconds +0000``: the token that landed the session, as recorded."""
    if identity is None:
        name, email = "mic", "unknown@mic"
    else:
        name = _IDENT_UNSAFE.sub("", identity.description).strip() or f"token {identity.token_id}"
        email = f"token-{identity.token_id}@mic"
    return f"{name} <{email}> {epoch(at)} +0000".encode()


def _line(text: str, width: int = SUMMARY_WIDTH) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first if len(first) <= width else first[: width - 3] + "..."


def commit_message(session: Session) -> bytes:
    """The goal, a short summary of the conversation and decisions, and the trailers."""
    goal = session.goal.strip() or f"session {session.session_id}"
    parts = [goal]
    summary: list[str] = []
    if session.conversation:
        count = len(session.conversation)
        summary.append(
            f"Conversation: {count} message{'s' if count != 1 else ''} "
            f"(in full: git notes --ref=mic show)"
        )
        summary += [
            f"- {m.role}: {_line(m.content)}" for m in session.conversation[:SUMMARY_MESSAGES]
        ]
        if count > SUMMARY_MESSAGES:
            summary.append(f"- ... {count - SUMMARY_MESSAGES} more")
    if session.decisions:
        summary.append("Decisions:")
        for d in session.decisions[:SUMMARY_DECISIONS]:
            why = f" (why: {_line(d.reasoning, 48)})" if d.reasoning.strip() else ""
            summary.append(f"- {_line(d.decision)}{why}")
        if len(session.decisions) > SUMMARY_DECISIONS:
            summary.append(f"- ... {len(session.decisions) - SUMMARY_DECISIONS} more")
    if summary:
        parts.append("\n".join(summary))
    parts.append(
        f"{SESSION_TRAILER}: {session.session_id}\n{POSITION_TRAILER}: {session.landing_position}"
    )
    return _text("\n\n".join(parts) + "\n")


def _text(text: str) -> bytes:
    """UTF-8 without NUL: git objects cannot hold one in a message (fsck's nulInCommit)."""
    return text.replace("\0", "\\0").encode("utf-8", "surrogatepass")


def _iso(at: datetime | None) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z") if at else "-"


def _who(identity: Identity | None) -> str:
    return f"{identity.description} (token {identity.token_id})" if identity else "-"


def note_text(session: Session) -> bytes:
    """The whole conversation and every decision, for ``refs/notes/mic``."""
    lines = [
        f"Session {session.session_id} at position {session.landing_position}",
        f"Goal: {session.goal}",
        f"Started: {_iso(session.started_at)} by {_who(session.started_by)}",
        f"Landed: {_iso(session.landed_at)} by {_who(session.landed_by)}",
        "",
        f"## Conversation ({len(session.conversation)})",
    ]
    for m in session.conversation:
        head = f"[{m.role}] {m.author or _who(m.token)} at {_iso(m.at)}"
        lines += [head + (f" ({m.reference})" if m.reference else ""), m.content, ""]
    lines.append(f"## Decisions ({len(session.decisions)})")
    for d in session.decisions:
        lines += [f"- {d.decision}", *(f"  {r}" for r in d.reasoning.splitlines()), ""]
    return _text("\n".join(lines).rstrip("\n") + "\n")


def trailers(message: bytes) -> dict[str, str]:
    """The ``Mic-Session`` and ``Mic-Position`` trailers of a commit message (last wins)."""
    paragraphs = message.rstrip(b"\n").split(b"\n\n")
    return {
        key.decode(): value.decode("utf-8", "replace")
        for key, value in _TRAILER.findall(paragraphs[-1])
    }


def quote_path(path: bytes) -> bytes:
    """A path as ``git fast-import`` reads it: C-quoted when it must be, raw otherwise."""
    if b"\n" not in path and not path.startswith(b'"'):
        return path
    out = bytearray(b'"')
    for byte in path:
        if byte in (0x22, 0x5C):
            out += b"\\" + bytes([byte])
        elif byte == 0x0A:
            out += b"\\n"
        elif byte < 0x20 or byte == 0x7F:
            out += b"\\%03o" % byte
        else:
            out.append(byte)
    return bytes(out + b'"')


def data(payload: bytes) -> bytes:
    """A fast-import ``data`` block of exact length."""
    return b"data %d\n%s\n" % (len(payload), payload)
