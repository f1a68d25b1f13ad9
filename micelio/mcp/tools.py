"""What each MCP tool does: the same workflow and client calls as the CLI's commands, with
an answer of text and structured content. Nothing here re-implements a command's logic.

===================  ==============================================  ======================
tool                 the CLI's call                                  ``mic`` command
===================  ==============================================  ======================
start_session        ``workflow.check_startable``, ``start_session``  ``session start``
add_note             ``MicClient.add_message`` (role, author)         ``session note``
record_decision      ``MicClient.add_decision``                       ``session decide``
land_session         ``workflow.pending``, ``workflow.land``          ``session land``
abandon_session      ``MicClient.abandon_session``, ``forget_session``  ``session abandon``
log                  ``MicClient.log`` (``Log`` RPC)                  ``log``
blame                ``MicClient.blame`` (``Blame`` RPC)              ``blame``
read_file            ``MicClient.read_file`` (``ReadFile`` RPC)       ``cat``
search_sessions      ``MicClient.iter_sessions`` (``ListSessions``)   ``session list``
show_session         ``get_session``, ``iter_changes``                ``session show``
session_status       ``workdir.status.status``                        ``status``
diff                 ``workdir.compare.working_diff``                 ``diff``
sync                 ``workflow.settle_ended``, ``workdir.sync.run``   ``sync``
===================  ==============================================  ======================

Tools that change or read the directory as a whole (start, land, abandon, sync, status, diff)
take ``checkout.lock``: one at a time, as one terminal would run them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from micelio.client import (
    MicClient,
    blame_line_to_dict,
    log_entry_to_dict,
    session_to_dict,
)
from micelio.mcp import text
from micelio.mcp.checkout import Checkout
from micelio.vocabulary import MessageRole
from micelio.workdir import compare, workflow
from micelio.workdir import status as status_
from micelio.workdir import sync as sync_
from micelio.workdir.errors import WorkdirError
from micelio.workdir.state import State

#: ``read_file`` returns at most this much of a file (an agent's context is the limit).
MAX_READ_BYTES = 1024 * 1024
#: ``show_session`` lists at most this many changes (the totals are always whole).
MAX_CHANGES_SHOWN = 1000
#: ``search_sessions`` answers at most this many sessions (as ``mic session list``).
SEARCH_LIMIT = 50
#: git's rule for binary content: a NUL byte in the first 8000 bytes.
BINARY_PROBE = 8000
#: ``diff`` answers at most this much diff text (the per-file counts are always whole).
MAX_DIFF_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Answer:
    """A tool's result: ``text`` for the agent to read, ``data`` for clients that use
    structured content."""

    text: str
    data: dict[str, Any] = field(default_factory=dict)


def as_json(answer: Answer) -> str:
    """The structured content as a resource's JSON text."""
    return json.dumps(answer.data, ensure_ascii=False, indent=2)


def _connected(checkout: Checkout) -> tuple[MicClient, State]:
    state = checkout.state()
    return checkout.connect(state), state


# --- the session of the checkout --------------------------------------------------------------


def start_session(checkout: Checkout, goal: str) -> Answer:
    with checkout.lock:
        state = checkout.state()
        workflow.check_startable(checkout.root, state, state.organization, state.project)
        with checkout.connect(state) as mic:
            session = workflow.start_session(
                mic, checkout.root, state, state.organization, state.project, goal
            )
    return Answer(
        f"started session {session.session_id} on {session.organization}/{session.project} "
        f"at position {session.base_position}",
        session_to_dict(session),
    )


def add_note(checkout: Checkout, content: str, role: str, author: str) -> Answer:
    mic, state = _connected(checkout)
    with mic:
        session_id = workflow.active_session(state)
        updated = mic.add_message(session_id, content, role=MessageRole(role), author=author)
    return Answer(
        f"noted as {role} {author} ({updated.message_count} messages)",
        {"session_id": session_id, "message_count": updated.message_count},
    )


def record_decision(checkout: Checkout, decision: str, reasoning: str) -> Answer:
    mic, state = _connected(checkout)
    with mic:
        session_id = workflow.active_session(state)
        updated = mic.add_decision(session_id, decision, reasoning=reasoning)
    return Answer(
        f"decided ({updated.decision_count} decisions)",
        {"session_id": session_id, "decision_count": updated.decision_count},
    )


def land_session(checkout: Checkout) -> Answer:
    with checkout.lock:
        state = checkout.state()
        session_id = workflow.active_session(state)
        old_base = state.base_position
        with checkout.connect(state) as mic:
            result = workflow.pending(mic, checkout.root, state)
            done = workflow.land(mic, checkout.root, state, result)
    landed = done.result
    words = (
        f"landed session {session_id} at position {landed.landing_position} "
        f"({landed.changes} changes)"
    )
    if done.synced:
        words += f"; updated {done.synced} files landed by other sessions since {old_base}"
    return Answer(
        words,
        {
            "session_id": session_id,
            "landing_position": landed.landing_position,
            "changes": landed.changes,
            "bytes_inline": landed.bytes_inline,
            "bytes_stored": landed.bytes_stored,
            "synced": done.synced,
        },
    )


def abandon_session(checkout: Checkout, reason: str) -> Answer:
    with checkout.lock:
        mic, state = _connected(checkout)
        with mic:
            session_id = workflow.active_session(state)
            updated = mic.abandon_session(session_id, reason=reason)
        workflow.forget_session(checkout.root, session_id)
    return Answer(f"abandoned session {session_id}", session_to_dict(updated))


def session_status(checkout: Checkout) -> Answer:
    """The checkout's session, base and head, pending changes and conflicts (``mic status``)."""
    with checkout.lock:
        state = checkout.state()
        with checkout.connect(state) as mic:
            st = status_.status(mic, checkout.root, state)
    data = status_.status_to_dict(st)
    return Answer(text.status_text(data), data)


def diff(checkout: Checkout, path: str | None) -> Answer:
    """The pending changes as unified diffs against the base (``mic diff [PATH]``)."""
    wanted = [checkout.path(path)] if path else []
    with checkout.lock:
        state = checkout.state()
        with checkout.connect(state) as mic:
            found = compare.working_diff(mic, checkout.root, state, wanted)
    body = b"".join(line + b"\n" for d in found for _, line in d.lines)
    truncated = len(body) > MAX_DIFF_BYTES
    shown = body[:MAX_DIFF_BYTES].decode("utf-8", "replace")
    files = [
        {"file_path": d.name, "added": d.added, "deleted": d.deleted, "binary": d.binary}
        for d in found
    ]
    if not found:
        words = "no changes" + (f" under {path}" if path else "")
    else:
        words = shown + (f"\n[truncated at {MAX_DIFF_BYTES} bytes]" if truncated else "")
    return Answer(words, {"files": files, "diff": shown, "truncated": truncated})


def sync(checkout: Checkout) -> Answer:
    """Bring the checkout to the head, merging its local edits (``mic sync``). Conflicts are
    this tool's answer, with their paths, not an error: the agent fixes the files and runs
    ``mic resolve`` (or ``mic sync --abort``)."""
    with checkout.lock:
        state = checkout.state()
        with checkout.connect(state) as mic:
            state, note = workflow.settle_ended(mic, checkout.root, state)
            report = sync_.run(mic, checkout.root, state, None)
    if report is None:
        data = sync_.unchanged_dict(state.base_position, state.session_id)
    else:
        data = sync_.journal_to_dict(report.journal, report.resumed)
    data["note"] = note
    return Answer(text.sync_text(data), data)


def current_session(checkout: Checkout) -> Answer:
    """The checkout's active session, whole (``mic://session/current``)."""
    state = checkout.state()
    if not state.session_id:
        return Answer(
            f"no active session in {state.ref} at position {state.base_position}",
            {"session": None, "base_position": state.base_position},
        )
    return _shown(checkout.connect(state), state.session_id)


# --- history ----------------------------------------------------------------------------------


def log(checkout: Checkout, path: str | None, limit: int) -> Answer:
    raw = checkout.path(path) if path else b""
    mic, state = _connected(checkout)
    with mic:
        entries = [
            log_entry_to_dict(e)
            for e in mic.log(state.organization, state.project, raw, limit=limit)
        ]
    return Answer(text.log_lines(entries), {"entries": entries})


def blame(checkout: Checkout, path: str) -> Answer:
    raw = _file(checkout, path)
    mic, state = _connected(checkout)
    with mic:
        lines = [blame_line_to_dict(b) for b in mic.blame(state.organization, state.project, raw)]
    return Answer(text.blame_lines(lines), {"path": path, "lines": lines})


def read_file(checkout: Checkout, path: str, at: int | None) -> Answer:
    raw = _file(checkout, path)
    mic, state = _connected(checkout)
    content = bytearray()
    with mic:
        chunks = mic.read_file(state.organization, state.project, raw, position=at)
        for chunk in chunks:
            content += chunk
            if len(content) > MAX_READ_BYTES:
                break  # leaving the stream cancels it on the server
    truncated = len(content) > MAX_READ_BYTES
    del content[MAX_READ_BYTES:]
    where = f" at position {at}" if at is not None else ""
    data: dict[str, Any] = {"path": path, "at": at, "truncated": truncated}
    if b"\x00" in content[:BINARY_PROBE]:
        return Answer(
            f"{path}{where} is a binary file: read_file shows text only",
            {**data, "binary": True, "text": None},
        )
    body = content.decode("utf-8", "replace")
    note = f"\n[truncated at {MAX_READ_BYTES} bytes]" if truncated else ""
    return Answer(body + note, {**data, "binary": False, "text": body})


def search_sessions(checkout: Checkout, text_: str | None, path: str | None) -> Answer:
    glob = (path or "").strip() or None
    mic, state = _connected(checkout)
    with mic:
        found = [
            session_to_dict(s)
            for s in mic.iter_sessions(
                state.organization,
                state.project,
                path_glob=glob,
                text=text_ or None,
                limit=SEARCH_LIMIT,
            )
        ]
    for s in found:  # a listing carries no conversations: say so rather than show it empty
        del s["conversation"], s["decisions"]
    return Answer(text.session_lines(found), {"sessions": found})


def show_session(checkout: Checkout, session_id: str) -> Answer:
    mic, _ = _connected(checkout)
    return _shown(mic, session_id)


def project_log(checkout: Checkout, limit: int = 50) -> Answer:
    """The project's latest landed sessions (``mic://project/log``)."""
    return log(checkout, None, limit)


def _shown(mic: MicClient, session_id: str) -> Answer:
    with mic:
        session = mic.get_session(session_id)
        changes = list(islice(mic.iter_changes(session_id), MAX_CHANGES_SHOWN))
    data = session_to_dict(session, changes)
    data["changes_shown"] = len(changes)
    return Answer(text.session_text(data), data)


def _file(checkout: Checkout, path: str) -> bytes:
    raw = checkout.path(path)
    if not raw:
        raise WorkdirError(f"{path or '.'} is a folder, not a file")
    return raw
