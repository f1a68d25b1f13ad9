"""`mic session start|note|decide|status|land|abandon|show|list`.

The commands that act on "the" session read it from the working directory's ``.mic/``
(searched upwards from the current directory, like Git); ``--session`` names another one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from micelio import paths
from micelio.cli import output
from micelio.cli.errors import INTERRUPTED, USAGE, CliError
from micelio.cli.output import (
    JsonOpt,
    ServerOpt,
    TokenOpt,
    byte_progress,
    checkout_state,
    connect,
    print_json,
    print_json_array,
    project_ref,
    shown,
    split_ref,
    when,
)
from micelio.vocabulary import NOTE_ROLES, ChangeType, MessageRole, SessionStatus

if TYPE_CHECKING:
    from micelio.client import MicClient, Session
    from micelio.workdir import ScanResult

app = typer.Typer(
    help="Sessions: a goal, a conversation, decisions and changes.", no_args_is_help=True
)

SessionOpt = Annotated[
    str | None,
    typer.Option(
        "--session",
        help="Session id (default: the active session of this directory).",
        show_default=False,
    ),
]


# --- the working directory --------------------------------------------------------------------


def _target(session: str | None) -> tuple[str, str | None]:
    """(session id, server recorded by the working directory) for note/decide/abandon/show."""
    from micelio.workdir import workflow

    if session:
        _, state = workflow.locate(Path.cwd())
        return session, state.server if state else None
    _, state = workflow.current(Path.cwd())
    return workflow.active_session(state), state.server


# --- start ------------------------------------------------------------------------------------


def start_arguments(words: list[str], checkout: tuple[str, str] | None) -> tuple[str, str, str]:
    """(org, project, goal) of ``[ORG/PROJECT] GOAL``: the goal alone inside a checkout
    names the checkout's project; outside one the project must be named."""
    if len(words) == 2:
        org, project = split_ref(words[0])
        return org, project, words[1]
    if len(words) == 1:
        if checkout is None:
            raise CliError(
                "not in a mic checkout: name the project (mic session start ORG/PROJECT GOAL)",
                USAGE,
            )
        return checkout[0], checkout[1], words[0]
    if len(words) == 3 and "/" not in words[0]:
        raise CliError(
            f"the project is one argument now: mic session start {words[0]}/{words[1]} GOAL",
            USAGE,
        )
    raise CliError(f"expected [ORG/PROJECT] GOAL, got {len(words)} arguments", USAGE)


@app.command("start")
def start(
    words: Annotated[
        list[str],
        typer.Argument(
            metavar="[ORG/PROJECT] GOAL",
            help="The project (default: this checkout's) and what the session sets out to do.",
            show_default=False,
        ),
    ],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start a session in this directory and print its id."""
    from micelio.client import session_to_dict
    from micelio.workdir import workflow

    root, state = workflow.locate(Path.cwd())
    root = root or Path.cwd().resolve()
    checkout = (state.organization, state.project) if state else None
    org, project, goal = start_arguments(words, checkout)
    workflow.check_startable(root, state, org, project)
    with connect(server, token, fallback=state.server if state else None) as mic:
        session = workflow.start_session(mic, root, state, org, project, goal)
    if as_json:
        print_json(session_to_dict(session))
    else:
        print(session.session_id)


# --- note, decide, abandon --------------------------------------------------------------------


def _note_role(value: str) -> str:
    if value not in NOTE_ROLES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(NOTE_ROLES)}")
    return value


@app.command("note")
def note(
    text: Annotated[str, typer.Argument(help="The message.")],
    role: Annotated[
        str,
        typer.Option("--role", callback=_note_role, help=f"Who says it: {', '.join(NOTE_ROLES)}."),
    ] = MessageRole.HUMAN,
    author: Annotated[
        str,
        typer.Option(
            "--author",
            help="Name of the speaker, as claimed: shown next to the token the server verified.",
        ),
    ] = "",
    session: SessionOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a message to the session's conversation."""
    session_id, recorded = _target(session)
    with connect(server, token, fallback=recorded) as mic:
        updated = mic.add_message(session_id, text, role=MessageRole(role), author=author)
    _done(updated, as_json, f"noted ({updated.message_count} messages)")


@app.command("decide")
def decide(
    decision: Annotated[str, typer.Argument(help="What was decided.")],
    why: Annotated[str, typer.Option("--why", help="The reasoning behind it.")],
    session: SessionOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a decision and its reasoning."""
    session_id, recorded = _target(session)
    with connect(server, token, fallback=recorded) as mic:
        updated = mic.add_decision(session_id, decision, reasoning=why)
    _done(updated, as_json, f"decided ({updated.decision_count} decisions)")


@app.command("abandon")
def abandon(
    reason: Annotated[str, typer.Option("--reason", help="Why it is abandoned.")] = "",
    session: SessionOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Abandon the session: nothing of it lands; the files here stay as they are."""
    from micelio.workdir import workflow

    session_id, recorded = _target(session)
    with connect(server, token, fallback=recorded) as mic:
        updated = mic.abandon_session(session_id, reason=reason)
    workflow.forget_session(Path.cwd(), session_id)
    _done(updated, as_json, f"abandoned session {session_id}")


def _done(session: Session, as_json: bool, text: str) -> None:
    from micelio.client import session_to_dict

    if as_json:
        print_json(session_to_dict(session))
    else:
        output.console.print(text)


# --- status -----------------------------------------------------------------------------------


_MARK = {ChangeType.ADDED: "A", ChangeType.MODIFIED: "M", ChangeType.DELETED: "D"}


def _changes_json(result: ScanResult) -> list[dict[str, Any]]:

    return [
        {"file_path": c.display, "change_type": c.kind, "mode": c.mode, "size": c.size}
        for c in result.changes
    ]


@app.command("status")
def status(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """The active session, the pending changes of this directory and a sync's conflicts."""
    from micelio.client import session_to_dict
    from micelio.workdir import syncstate, workflow

    root, state = workflow.current(Path.cwd())
    with connect(server, token, fallback=state.server) as mic:
        session = mic.get_session(state.session_id) if state.session_id else None
        result = workflow.pending(mic, root, state)
    conflicts = syncstate.conflicted(root)
    if as_json:
        print_json(
            {
                "root": str(root),
                "organization": state.organization,
                "project": state.project,
                "base_position": state.base_position,
                "session": session_to_dict(session) if session else None,
                "changes": _changes_json(result),
                "invalid": [
                    {"file_path": paths.display(p), "reason": r} for p, r in result.invalid
                ],
                "conflicts": [paths.display(p) for p in conflicts],
            }
        )
        return
    output.console.print(
        f"{state.ref} at position {state.base_position}  [dim]{shown(str(root))}[/]"
    )
    if session is None:
        output.console.print("no active session")
    else:
        output.console.print(
            f"session {session.session_id} ({session.status}): {shown(session.goal)}"
        )
        output.console.print(
            f"  {session.message_count} messages, {session.decision_count} decisions"
        )
    if not result.changes:
        output.console.print("no pending changes")
    for change in result.changes:
        output.console.print(f"  {_MARK[change.kind]} {shown(change.display)}")
    for path, reason in result.invalid:
        output.err_console.print(
            f"  [yellow]cannot land[/] {shown(paths.display(path))}: {shown(reason)}"
        )
    for path in conflicts:
        output.console.print(f"  [red]conflict[/] {shown(paths.display(path))}")
    if conflicts:
        output.console.print(
            "fix the conflicts, then `mic resolve PATH...` (or `mic sync --abort`)"
        )


# --- land -------------------------------------------------------------------------------------


@app.command("land")
def land(
    session: Annotated[
        str | None,
        typer.Option(
            "--session",
            help="Land this active session from this directory (it becomes the directory's "
            "session, as `mic session resume` makes it).",
            show_default=False,
        ),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send this directory's changes and land the session; prints the landing position.

    Refused while a sync's conflicts are unresolved. Behind the head with a conflict, it
    names the sessions that changed the paths: run `mic sync`, then land again."""
    from micelio.client import Conflict
    from micelio.workdir import workflow

    root, state = workflow.current(Path.cwd())
    workflow.check_no_sync(root)
    with connect(server, token, fallback=state.server) as mic:
        if session and session != state.session_id:
            workflow.adopt_session(mic, root, state, session)
        session_id = workflow.active_session(state)
        old_base = state.base_position
        try:
            result = workflow.pending(mic, root, state)
            total = sum(c.size for c in result.changes)
            with byte_progress(
                "landing", total, len(result.changes), enabled=not as_json
            ) as update:
                progress = (lambda sent: update(sent.bytes)) if update else None
                done = workflow.land(mic, root, state, result, progress=progress)
        except KeyboardInterrupt:
            raise CliError(_interrupted_land(mic, session_id), INTERRUPTED) from None
        except Conflict as exc:
            # The same error (exit code, JSON "paths"), saying who changed what and what next.
            explained = workflow.explain_conflict(mic, state, exc.paths)
            raise Conflict(explained, paths=exc.paths) from None
    landed, synced = done.result, done.synced
    if as_json:
        print_json(
            {
                "session_id": session_id,
                "landing_position": landed.landing_position,
                "changes": landed.changes,
                "bytes_inline": landed.bytes_inline,
                "bytes_stored": landed.bytes_stored,
                "synced": synced,
                "moved_aside": [
                    {"file_path": paths.display(a), "to": paths.display(b)} for a, b in done.moved
                ],
            }
        )
        return
    output.console.print(
        f"landed session {session_id} at position {landed.landing_position} "
        f"({landed.changes} changes)"
    )
    for path, aside in done.moved:
        output.console.print(
            f"kept your {shown(paths.display(path))} as {shown(paths.display(aside))}: "
            "a landed session added it"
        )
    if synced:
        output.console.print(
            f"updated {synced} files landed by other sessions since position {old_base}"
        )


def _interrupted_land(mic: MicClient, session_id: str) -> str:
    """What a Ctrl-C during `land` left: the server says whether the session landed (the
    directory's catch-up may be what was interrupted)."""
    mic.timeout = 5.0  # a server that stopped answering must not hold the interrupted user
    try:
        session = mic.get_session(session_id)
    except BaseException:  # a second Ctrl-C, or no server: say what is known
        return f"interrupted: run `mic session status` to see whether {session_id} landed"
    if session.landing_position:
        return (
            f"interrupted: session {session_id} landed at position {session.landing_position}; "
            "run `mic session land` again to finish updating this directory"
        )
    return "interrupted: nothing landed"


@app.command("resume")
def resume(
    session_id: Annotated[str, typer.Argument(metavar="ID", help="An active session's id.")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Adopt an active session started in another directory: this checkout of its project,
    at its base, becomes where it continues (its conversation and decisions stay)."""
    from micelio.workdir import workflow

    root, state = workflow.current(Path.cwd())
    with connect(server, token, fallback=state.server) as mic:
        adopted = workflow.adopt_session(mic, root, state, session_id)
    _done(adopted, as_json, f"resumed session {session_id} here, at position {state.base_position}")


# --- show, list -------------------------------------------------------------------------------


@app.command("show")
def show(
    session_id: Annotated[
        str | None,
        typer.Argument(metavar="[ID]", help="Session id (default: the active session here)."),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A session: goal, conversation, decisions, metadata and changes.

    JSON (stable, see docs/cli-json.md): {"session_id", "goal", "status", "organization",
    "project", "conversation": [{"role", "content", "author", "at", "reference", "token"}],
    "decisions": [{"decision", "reasoning", "at", "token"}], "metadata": {...},
    "base_position", "landing_position", "started_at", "landed_at", "abandoned_at",
    "external_id", "stats": {"total", "added", "modified", "deleted"}, "started_by",
    "landed_by", "abandoned_by" ({"token_id", "description"}: verified; "author" is only
    claimed), "message_count", "decision_count", "changes": [{"file_path",
    "change_type", "size", "storage_key", "metadata": {...}}]}. Times are ISO-8601 UTC or
    null; landing_position is null while not landed; storage_key is null when inline.
    """
    from micelio.client import describe_identity, session_to_dict

    sid, recorded = _target(session_id)
    with connect(server, token, fallback=recorded) as mic:
        session = mic.get_session(sid)
        changes = list(mic.iter_changes(sid))
    if as_json:
        print_json(session_to_dict(session, changes))
        return
    where = (
        f"landed at position {session.landing_position}"
        if session.landing_position
        else f"based on position {session.base_position}"
    )

    def who(identity: Any) -> str:
        return shown(describe_identity(identity))

    output.console.print(f"[bold]{shown(session.goal, multiline=True)}[/]")
    output.console.print(
        f"session {session.session_id}  {session.organization}/{session.project}  "
        f"{session.status}, {where}"
    )
    output.console.print(
        f"started {when(session.started_at)}"
        + (f", landed {when(session.landed_at)}" if session.landed_at else "")
        + (f", abandoned {when(session.abandoned_at)}" if session.abandoned_at else "")
    )
    if session.external_id:
        output.console.print(f"external id {shown(session.external_id)}")
    output.console.print(f"started by {who(session.started_by)}")
    if session.landed_at:
        output.console.print(f"landed by {who(session.landed_by)}")
    if session.abandoned_at:
        output.console.print(f"abandoned by {who(session.abandoned_by)}")
    output.console.print("\n[bold]conversation[/]")
    if not session.conversation:
        output.console.print("  no messages")
    for m in session.conversation:
        # The claimed author beside the verified token: a client cannot forge the latter.
        claimed = f" {m.author} (claimed)" if m.author else ""
        output.console.print(
            f"  [cyan]{shown(m.role + claimed)}[/] [dim]{who(m.token)} {when(m.at)}[/]: "
            f"{shown(m.content, multiline=True)}"
        )
    output.console.print("\n[bold]decisions[/]")
    if not session.decisions:
        output.console.print("  no decisions")
    for d in session.decisions:
        output.console.print(f"  - {shown(d.decision, multiline=True)}  [dim]{who(d.token)}[/]")
        if d.reasoning:
            output.console.print(f"    [dim]why:[/] {shown(d.reasoning, multiline=True)}")
    if session.metadata:
        # JSON, as `--json` shows it: nested values stay readable and copyable (not reprs).
        text = json.dumps(session.metadata, indent=2, ensure_ascii=False, sort_keys=True)
        output.console.print("\n[bold]metadata[/]")
        output.console.print("  " + shown(text, multiline=True).replace("\n", "\n  "))
    st = session.stats
    output.console.print(
        f"\n[bold]changes[/] {st.total} ({st.added} added, {st.modified} modified, "
        f"{st.deleted} deleted)"
    )
    for c in changes:
        output.console.print(
            f"  {_MARK.get(c.change_type, '?')} {shown(c.file_path)}  [dim]{c.size} bytes[/]"
        )


@app.command("list")
def list_(
    ref: Annotated[
        str | None,
        typer.Argument(
            metavar="[ORG/PROJECT]",
            help="The project (default: this checkout's).",
            show_default=False,
        ),
    ] = None,
    status_: Annotated[
        SessionStatus | None, typer.Option("--status", help="Only sessions with this status.")
    ] = None,
    path: Annotated[
        str | None,
        typer.Option(
            "--path",
            metavar="GLOB",
            help="Only sessions that touched a matching path; a directory (src or src/) "
            "matches everything under it, as git pathspecs do.",
        ),
    ] = None,
    text: Annotated[
        str | None,
        typer.Option(
            "--text",
            help="Only sessions whose goal or conversation contains this text (any case).",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 50,
    oldest_first: Annotated[bool, typer.Option("--oldest-first", help="Oldest first.")] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Sessions of a project, newest first. JSON: an array of `show --json` objects without
    "changes"."""
    from micelio.client import session_to_dict

    org, project = project_ref(ref)
    state = checkout_state() if ref is None else None
    with connect(server, token, fallback=state.server if state else None) as mic:
        sessions = list(
            mic.iter_sessions(
                org,
                project,
                status=status_,
                path_glob=path,
                text=text,
                limit=limit,
                oldest_first=oldest_first,
            )
        )
        if as_json:
            # A listing carries no conversations (one big session must not sink a page):
            # each session is read whole, one answer at a time, and printed as it comes.
            print_json_array(session_to_dict(mic.get_session(s.session_id)) for s in sessions)
            return
    if not sessions:
        output.console.print("no sessions")
    # Plain lines rather than a table: ids stay whole and greppable at any terminal width.
    for s in sessions:
        goal = s.goal.splitlines()[0] if s.goal else ""
        output.console.print(
            f"{s.landing_position or '-':>5}  {s.session_id}  {s.status:<9} "
            f"{s.stats.total:>6} files  "
            f"{when(s.landed_at or s.abandoned_at or s.started_at)}  {shown(goal)}"
        )
