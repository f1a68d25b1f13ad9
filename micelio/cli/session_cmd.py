"""`mic session start|note|decide|status|land|abandon|show|list`.

The commands that act on "the" session read it from the working directory's ``.mic/``
(searched upwards from the current directory, like Git); ``--session`` names another one.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from micelio import paths, workdir
from micelio.cli.checkout_cmd import fetch_files
from micelio.cli.errors import STATE, USAGE, CliError
from micelio.cli.output import (
    JsonOpt,
    ServerOpt,
    TokenOpt,
    byte_progress,
    connect,
    console,
    err_console,
    print_json,
    split_ref,
    when,
)
from micelio.client import Change, MicClient, Session, Status, session_to_dict

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


class Role(StrEnum):
    human = "human"
    agent = "agent"
    system = "system"


class StatusFilter(StrEnum):
    active = "active"
    landed = "landed"
    abandoned = "abandoned"


# --- the working directory --------------------------------------------------------------------


def _here() -> tuple[Path, workdir.State]:
    root = workdir.find_root(Path.cwd())
    state = workdir.load_state(root) if root else None
    if root is None or state is None:
        raise CliError(
            "not a mic working directory (no .mic/ here or above): "
            "use `mic session start` or `mic checkout`",
            STATE,
        )
    return root, state


def _active(state: workdir.State) -> str:
    if not state.session_id:
        raise CliError("no active session here: start one with `mic session start`", STATE)
    return state.session_id


def _target(session: str | None) -> tuple[str, str | None]:
    """(session id, server recorded by the working directory) for note/decide/abandon/show."""
    if session:
        root = workdir.find_root(Path.cwd())
        state = workdir.load_state(root) if root else None
        return session, state.server if state else None
    _, state = _here()
    return _active(state), state.server


# --- start ------------------------------------------------------------------------------------


@app.command("start")
def start(
    org: Annotated[str, typer.Argument(help="Organization.")],
    project: Annotated[str, typer.Argument(help="Project.")],
    goal: Annotated[str, typer.Argument(help="What this session sets out to do.")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start a session in this directory and print its id."""
    root = workdir.find_root(Path.cwd())
    state = workdir.load_state(root) if root else None
    root = root or Path.cwd().resolve()
    if state is not None:
        if state.session_id:
            raise CliError(
                f"session {state.session_id} is already active in {root}: land or abandon it first",
                STATE,
            )
        if (state.organization, state.project) != (org, project):
            raise CliError(f"{root} is a checkout of {state.ref}, not {org}/{project}", STATE)
    with connect(server, token, fallback=state.server if state else None) as mic:
        if state is not None:
            base = state.base_position
        else:
            # Without a checkout the directory is taken as the project's content: at a head
            # with files, every file missing here would land as a deletion.
            base = mic.get_project(org, project).head_position
            if base > 0:
                raise CliError(
                    f"{root} is not a checkout of {org}/{project}, which has landed sessions "
                    f"(head {base}): run `mic checkout {org}/{project} DIR` and start there",
                    STATE,
                )
        session = mic.start_session(org, project, goal, base_position=base)
        address = mic.address
    workdir.save_state(
        root,
        workdir.State(
            org, project, session.base_position, server=address, session_id=session.session_id
        ),
    )
    if as_json:
        print_json(session_to_dict(session))
    else:
        print(session.session_id)


# --- note, decide, abandon --------------------------------------------------------------------


@app.command("note")
def note(
    text: Annotated[str, typer.Argument(help="The message.")],
    role: Annotated[Role, typer.Option("--role", help="Who says it.")] = Role.human,
    author: Annotated[str, typer.Option("--author", help="Name of the speaker.")] = "",
    session: SessionOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a message to the session's conversation."""
    session_id, recorded = _target(session)
    with connect(server, token, fallback=recorded) as mic:
        updated = mic.add_message(session_id, text, role=role.value, author=author)
    _done(updated, as_json, f"noted ({len(updated.conversation)} messages)")


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
    _done(updated, as_json, f"decided ({len(updated.decisions)} decisions)")


@app.command("abandon")
def abandon(
    reason: Annotated[str, typer.Option("--reason", help="Why it is abandoned.")] = "",
    session: SessionOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Abandon the session: nothing of it lands; the files here stay as they are."""
    session_id, recorded = _target(session)
    with connect(server, token, fallback=recorded) as mic:
        updated = mic.abandon_session(session_id, reason=reason)
    root = workdir.find_root(Path.cwd())
    state = workdir.load_state(root) if root else None
    if root and state and state.session_id == session_id:
        state.session_id = None
        workdir.save_state(root, state)
    _done(updated, as_json, f"abandoned session {session_id}")


def _done(session: Session, as_json: bool, text: str) -> None:
    if as_json:
        print_json(session_to_dict(session))
    else:
        console.print(text)


# --- status -----------------------------------------------------------------------------------


def _scan(mic: MicClient, root: Path, state: workdir.State) -> workdir.ScanResult:
    tree = mic.get_tree(state.organization, state.project, position=state.base_position)
    return workdir.scan(root, tree, manifest=workdir.load_manifest(root))


_MARK = {"added": "A", "modified": "M", "deleted": "D"}


def _changes_json(result: workdir.ScanResult) -> list[dict[str, Any]]:
    return [
        {"file_path": c.display, "change_type": c.kind, "mode": c.mode, "size": c.size}
        for c in result.changes
    ]


@app.command("status")
def status(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """The active session and the pending changes of this directory."""
    root, state = _here()
    with connect(server, token, fallback=state.server) as mic:
        session = mic.get_session(state.session_id) if state.session_id else None
        result = _scan(mic, root, state)
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
            }
        )
        return
    console.print(f"{state.ref} at position {state.base_position}  [dim]{root}[/]")
    if session is None:
        console.print("no active session")
    else:
        console.print(f"session {session.session_id} ({session.status}): {escape(session.goal)}")
        console.print(f"  {len(session.conversation)} messages, {len(session.decisions)} decisions")
    if not result.changes:
        console.print("no pending changes")
    for change in result.changes:
        console.print(f"  {_MARK[change.kind]} {escape(change.display)}")
    for path, reason in result.invalid:
        err_console.print(
            f"  [yellow]cannot land[/] {escape(paths.display(path))}: {escape(reason)}"
        )


# --- land -------------------------------------------------------------------------------------


def _to_change(root: Path, change: workdir.FileChange) -> Change:
    if change.kind == "deleted":
        return Change(change.path, "deleted")
    local = workdir.local_path(root, change.path)
    if change.mode == workdir.MODE_SYMLINK:
        return Change(
            change.path, change.kind, os.readlink(local), mode=change.mode, size=change.size
        )
    # A Path: read in chunks while sending, and checked against the size the scan saw.
    return Change(
        change.path, change.kind, Path(os.fsdecode(local)), mode=change.mode, size=change.size
    )


@app.command("land")
def land(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Send this directory's changes and land the session; prints the landing position."""
    root, state = _here()
    session_id = _active(state)
    old_base = state.base_position
    with connect(server, token, fallback=state.server) as mic:
        result = _scan(mic, root, state)
        _recover_if_ended(mic, root, state, result)
        if result.invalid:
            path, reason = result.invalid[0]
            more = f" (and {len(result.invalid) - 1} more)" if len(result.invalid) > 1 else ""
            raise CliError(
                f"cannot land {paths.display(path)}: {reason}{more}; "
                "rename it or add it to .micignore",
                USAGE,
            )
        changes = (_to_change(root, c) for c in result.changes)
        total = sum(c.size for c in result.changes)
        with byte_progress("landing", total, len(result.changes), enabled=not as_json) as update:
            progress = (lambda sent: update(sent.bytes)) if update else None
            landed = mic.land(changes, session_id=session_id, progress=progress)
        synced = _after_land(mic, root, state, result, landed.landing_position, session_id)
    if as_json:
        print_json(
            {
                "session_id": session_id,
                "landing_position": landed.landing_position,
                "changes": landed.changes,
                "bytes_inline": landed.bytes_inline,
                "bytes_stored": landed.bytes_stored,
                "synced": synced,
            }
        )
        return
    console.print(
        f"landed session {session_id} at position {landed.landing_position} "
        f"({landed.changes} changes)"
    )
    if synced:
        console.print(f"updated {synced} files landed by other sessions since position {old_base}")


def _recover_if_ended(
    mic: MicClient, root: Path, state: workdir.State, result: workdir.ScanResult
) -> None:
    """A session that is no longer active (landed by a run that died before recording it,
    or abandoned elsewhere) is cleared from this directory, with an error saying so."""
    session_id = _active(state)
    session = mic.get_session(session_id)
    if session.status == Status.ACTIVE:
        return
    if session.landing_position:
        _after_land(mic, root, state, result, session.landing_position, session_id, verified=False)
        raise CliError(
            f"session {session_id} was already landed at position "
            f"{session.landing_position}; this directory now bases on it",
            STATE,
        )
    state.session_id = None
    workdir.save_state(root, state)
    raise CliError(
        f"session {session_id} is {session.status}; cleared it from this directory", STATE
    )


def _after_land(
    mic: MicClient,
    root: Path,
    state: workdir.State,
    result: workdir.ScanResult,
    position: int,
    session_id: str,
    *,
    verified: bool = True,
) -> int:
    """Record the new base and manifest; bring in what others landed since the old base.

    ``verified``: the files sent are those of ``result`` (false when recovering a landing
    made by an earlier run: they are then left out of the manifest, to be hashed again).
    Returns how many files the sync wrote or removed.
    """
    sent = {c.path for c in result.changes}
    known = {c.path: c.sha256 for c in mic.iter_changes(session_id) if c.sha256}
    manifest = workdir.Manifest()
    for path, f in result.files.items():
        sha = (known.get(path) if verified else None) if path in sent else f.sha256
        if sha:
            manifest.files[path] = workdir.FileRecord(sha, f.mode, f.size, f.mtime_ns)
    synced = 0
    if position > state.base_position + 1:
        # Sessions landed between our base and us: the server checked they touched none of
        # our paths, so their files are brought in as they are at our landing position.
        synced = _sync(mic, root, state, manifest, result, sent, position)
    state.session_id = None
    state.base_position = position
    workdir.save_state(root, state)
    workdir.save_manifest(root, manifest)
    return synced


def _sync(
    mic: MicClient,
    root: Path,
    state: workdir.State,
    manifest: workdir.Manifest,
    result: workdir.ScanResult,
    sent: set[bytes],
    position: int,
) -> int:
    tree = {e.path: e for e in mic.get_tree(state.organization, state.project, position=position)}
    stale = [
        e
        for p, e in tree.items()
        if p not in sent
        and (
            p not in manifest.files
            or manifest.files[p].sha256 != e.sha256
            or manifest.files[p].mode != e.mode
        )
    ]
    gone = [p for p in result.files if p not in tree and p not in sent]
    with workdir.open_root(root) as root_fd:
        fetch_files(mic, root_fd, state.organization, state.project, position, stale, manifest)
        for path in gone:
            workdir.remove_file(root_fd, path)
            manifest.files.pop(path, None)
    return len(stale) + len(gone)


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
    "project", "conversation": [{"role", "content", "author", "at", "reference"}],
    "decisions": [{"decision", "reasoning", "at"}], "metadata": {...}, "base_position",
    "landing_position", "started_at", "landed_at", "abandoned_at", "external_id",
    "stats": {"total", "added", "modified", "deleted"}, "changes": [{"file_path",
    "change_type", "size", "storage_key", "metadata": {...}}]}. Times are ISO-8601 UTC or
    null; landing_position is null while not landed; storage_key is null when inline.
    """
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
    console.print(f"[bold]{escape(session.goal)}[/]")
    console.print(
        f"session {session.session_id}  {session.organization}/{session.project}  "
        f"{session.status}, {where}"
    )
    console.print(
        f"started {when(session.started_at)}"
        + (f", landed {when(session.landed_at)}" if session.landed_at else "")
        + (f", abandoned {when(session.abandoned_at)}" if session.abandoned_at else "")
    )
    if session.external_id:
        console.print(f"external id {escape(session.external_id)}")
    if session.conversation:
        console.print("\n[bold]conversation[/]")
        for m in session.conversation:
            who = f"{m.role} {m.author}".strip()
            console.print(f"  [cyan]{escape(who)}[/] [dim]{when(m.at)}[/]: {escape(m.content)}")
    if session.decisions:
        console.print("\n[bold]decisions[/]")
        for d in session.decisions:
            console.print(f"  - {escape(d.decision)}")
            if d.reasoning:
                console.print(f"    [dim]why:[/] {escape(d.reasoning)}")
    if session.metadata:
        console.print("\n[bold]metadata[/]")
        for key, value in sorted(session.metadata.items()):
            console.print(f"  {escape(str(key))}: {escape(str(value))}")
    s = session.stats
    console.print(
        f"\n[bold]changes[/] {s.total} ({s.added} added, {s.modified} modified, "
        f"{s.deleted} deleted)"
    )
    for c in changes:
        console.print(
            f"  {_MARK.get(c.change_type, '?')} {escape(c.file_path)}  [dim]{c.size} bytes[/]"
        )


@app.command("list")
def list_(
    ref: Annotated[str, typer.Argument(metavar="ORG/PROJECT", help="The project.")],
    status_: Annotated[
        StatusFilter | None, typer.Option("--status", help="Only sessions with this status.")
    ] = None,
    path: Annotated[
        str | None,
        typer.Option("--path", metavar="GLOB", help="Only sessions that touched a matching path."),
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="Only sessions whose goal contains this text.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 50,
    oldest_first: Annotated[bool, typer.Option("--oldest-first", help="Oldest first.")] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Sessions of a project, newest first. JSON: an array of `show --json` objects without
    "changes"."""
    org, project = split_ref(ref)
    with connect(server, token) as mic:
        sessions = list(
            mic.iter_sessions(
                org,
                project,
                status=status_.value if status_ else None,
                path_glob=path,
                text=text,
                limit=limit,
                oldest_first=oldest_first,
            )
        )
    if as_json:
        print_json([session_to_dict(s) for s in sessions])
        return
    # Plain lines rather than a table: ids stay whole and greppable at any terminal width.
    for s in sessions:
        goal = s.goal.splitlines()[0] if s.goal else ""
        console.print(
            f"{s.landing_position or '-':>5}  {s.session_id}  {s.status:<9} "
            f"{s.stats.total:>6} files  "
            f"{when(s.landed_at or s.abandoned_at or s.started_at)}  {escape(goal)}"
        )
