"""A native session's commit and note (``importers/git/export_format.py``, pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from importers.git import export_format as fmt
from micelio.client import Decision, Identity, Message, Session
from micelio.vocabulary import SessionStatus

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def session(**kwargs: object) -> Session:
    values: dict[str, object] = {
        "session_id": "ses_1",
        "organization": "o",
        "project": "p",
        "goal": "Add rate limiting",
        "status": SessionStatus.LANDED,
        "landing_position": 7,
        "started_at": AT,
        "landed_at": AT,
        "landed_by": Identity(3, "ci <bot>\n"),
        "conversation": tuple(Message("human", f"line {k}\nmore", "ann") for k in range(5)),
        "decisions": (Decision("Use a token bucket", "bursty clients\nsecond"),),
    }
    values.update(kwargs)
    return Session(**values)  # type: ignore[arg-type]


def test_the_message_is_goal_summary_and_trailers() -> None:
    message = fmt.commit_message(session()).decode()
    assert message.startswith("Add rate limiting\n\nConversation: 5 messages")
    assert "- human: line 0\n" in message and "- ... 2 more\n" in message
    assert "Decisions:\n- Use a token bucket (why: bursty clients)\n" in message
    assert message.endswith("\n\nMic-Session: ses_1\nMic-Position: 7\n")
    assert fmt.trailers(message.encode()) == {"Mic-Session": "ses_1", "Mic-Position": "7"}
    assert fmt.commit_message(session()) == fmt.commit_message(session())


def test_idents_are_safe_and_nul_never_reaches_git() -> None:
    assert fmt.ident(Identity(3, "ci <bot>\n"), AT) == b"ci bot <token-3@mic> 1772366400 +0000"
    assert fmt.ident(None, None) == b"mic <unknown@mic> 0 +0000"
    assert fmt.ident(Identity(9, " "), AT).startswith(b"token 9 <token-9@mic>")
    assert b"\0" not in fmt.commit_message(session(goal="a\0b"))
    assert b"\0" not in fmt.note_text(session(goal="a\0b"))


def test_paths_are_quoted_only_when_fast_import_needs_it() -> None:
    assert fmt.quote_path(b"a b/caf\xe9") == b"a b/caf\xe9"
    assert fmt.quote_path(b'"x') == b'"\\"x"'
    assert fmt.quote_path(b"a\nb\\c\x01") == b'"a\\nb\\\\c\\001"'


def test_the_note_holds_the_whole_conversation() -> None:
    note = fmt.note_text(session()).decode()
    assert note.count("line ") == 5 and "more" in note
    assert "- Use a token bucket\n  bursty clients\n  second" in note
