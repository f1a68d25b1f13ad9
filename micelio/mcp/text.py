"""How results read for an agent: short plain text, one item a line, beside the structured
content (the JSON shapes of ``mic ... --json``, docs/cli-json.md). Pure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: How much of a goal a listing line shows.
GOAL_WIDTH = 80


def first_line(text: str, width: int = GOAL_WIDTH) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= width else line[: width - 1] + "…"


def who(identity: dict[str, Any] | None) -> str:
    """``token 7 (ci bot)``, as ``mic session show`` names a verified identity."""
    if identity is None:
        return "unrecorded"
    description = identity.get("description") or ""
    return f"token {identity['token_id']}" + (f" ({description})" if description else "")


def counts(stats: dict[str, int]) -> str:
    return f"+{stats['added']} ~{stats['modified']} -{stats['deleted']}"


def log_lines(entries: Iterable[dict[str, Any]]) -> str:
    lines = [
        f"@{e['position']} {e['session_id']} {e['landed_at'] or '-'} {who(e['landed_by'])} "
        f"{counts(e['stats'])} {first_line(e['goal'])}"
        + (f" [as {e['path']}]" if e.get("path") else "")
        for e in entries
    ]
    return "\n".join(lines) or "no sessions"


def session_lines(sessions: Iterable[dict[str, Any]]) -> str:
    lines = [
        f"{s['landing_position'] or '-'} {s['session_id']} {s['status']} "
        f"{s['stats']['total']} files {first_line(s['goal'])}"
        for s in sessions
    ]
    return "\n".join(lines) or "no sessions"


def blame_lines(lines: Iterable[dict[str, Any]]) -> str:
    out = [
        f"@{b['position']} {b['session_id'][:12]} {first_line(b['goal'], 30)} "
        f"{b['line']:>5}) {b['text']}"
        for b in lines
    ]
    return "\n".join(out) or "(empty file)"


_MARK = {"added": "A", "modified": "M", "deleted": "D"}


def session_text(session: dict[str, Any]) -> str:
    """A whole session as ``mic session show`` prints it: goal, state, conversation,
    decisions and changes."""
    where = (
        f"landed at position {session['landing_position']}"
        if session["landing_position"]
        else f"based on position {session['base_position']}"
    )
    out = [
        session["goal"],
        f"session {session['session_id']} {session['organization']}/{session['project']} "
        f"{session['status']}, {where}",
        f"started by {who(session['started_by'])}",
        "",
        "conversation:",
    ]
    for m in session["conversation"]:
        author = f" {m['author']} (claimed)" if m["author"] else ""
        out.append(f"  {m['role']}{author} [{who(m['token'])}]: {m['content']}")
    if not session["conversation"]:
        out.append("  no messages")
    out.append("decisions:")
    for d in session["decisions"]:
        out.append(f"  - {d['decision']} [{who(d['token'])}]")
        if d["reasoning"]:
            out.append(f"    why: {d['reasoning']}")
    if not session["decisions"]:
        out.append("  no decisions")
    stats = session["stats"]
    out.append(
        f"changes: {stats['total']} ({stats['added']} added, {stats['modified']} modified, "
        f"{stats['deleted']} deleted)"
    )
    for c in session.get("changes", ()):
        out.append(f"  {_MARK.get(c['change_type'], '?')} {c['file_path']}")
    if session.get("changes_shown") is not None and session["changes_shown"] < stats["total"]:
        out.append(f"  ... {stats['total'] - session['changes_shown']} more")
    return "\n".join(out)


def status_text(st: dict[str, Any]) -> str:
    """``mic status``'s report from its JSON shape."""
    where = f"{st['organization']}/{st['project']} at position {st['base_position']}"
    if st["behind"]:
        where += f" (head {st['head_position']}: {st['behind']} behind; `sync` brings it)"
    else:
        where += " (the head)"
    out = [where, f"session {st['session_id']}" if st["session_id"] else "no active session"]
    if st["changes"]:
        c = st["counts"]
        out.append(
            f"pending changes: {c['added']} added, {c['modified']} modified, {c['deleted']} deleted"
        )
        out += [f"  {_MARK[c['change_type']]} {c['file_path']}" for c in st["changes"]]
    else:
        out.append("no pending changes")
    if st["conflicts"]:
        out.append(f"conflicts ({len(st['conflicts'])}): fix them, then `mic resolve PATH`")
        out += [f"  C {p}" for p in st["conflicts"]]
    else:
        out.append("no conflicts")
    out += [f"  cannot land {i['file_path']}: {i['reason']}" for i in st["invalid"]]
    return "\n".join(out)


def sync_text(report: dict[str, Any]) -> str:
    """What a sync did (the shape of ``mic sync --json``), conflicts with their paths."""
    out = [f"note: {report['note']}"] if report.get("note") else []
    if report["from_position"] == report["to_position"] and not report["resumed"]:
        out.append(f"already at position {report['to_position']}")
        return "\n".join(out)
    what = "finished the sync" if report["resumed"] else "synced"
    out.append(
        f"{what} from position {report['from_position']} to {report['to_position']}: "
        f"{report['updated']} written, {report['deleted']} deleted, "
        f"{len(report['merged'])} merged"
    )
    out += [f"  merged    {p}" for p in report["merged"]]
    out += [
        f"  kept      {m['file_path']} as {m['to']} (a landed file takes its place)"
        for m in report["moved_aside"]
    ]
    for c in report["conflicts"]:
        sides = f"; see {', '.join(c['side_files'])}" if c["side_files"] else ""
        out.append(f"  conflict  {c['file_path']} ({', '.join(c['kinds'])}){sides}")
    if report["conflicts"]:
        out.append(
            f"conflicts in {len(report['conflicts'])} paths: fix them, then "
            "`mic resolve PATH...` (or `mic sync --abort`); the session cannot land until then"
        )
    return "\n".join(out)
