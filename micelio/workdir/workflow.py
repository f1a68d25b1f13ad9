"""What the session commands do to a working directory, through a ``MicClient``.

Checking out, starting a session, landing it and bringing in what other sessions landed
meanwhile: the commands parse and print, this module does the work (as dulwich's ``porcelain``
sits between its command line and its repository code); ``mic sync`` itself is ``workdir.sync``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from micelio import paths
from micelio.client import (
    Change,
    LandProgress,
    LandResult,
    MicClient,
    Session,
    SessionChange,
    TreeEntry,
)
from micelio.vocabulary import ChangeType, FileMode, SessionStatus
from micelio.workdir.errors import WorkdirError
from micelio.workdir.files import TreeWriter, local_path, open_root
from micelio.workdir.scan import FileChange, ScanResult, TreeFile, scan
from micelio.workdir.state import (
    MODES,
    FileRecord,
    Manifest,
    State,
    find_root,
    load_manifest,
    load_state,
    save_manifest,
    save_state,
)
from micelio.workdir.trees import CachedFile, load_tree, save_tree, tree_at

# Paths per ReadFiles call (the server's limit).
READ_BATCH = 10_000


class UnlandablePaths(WorkdirError):
    """Files here that no session can carry (invalid names): rename them or ignore them."""


@dataclass(frozen=True, slots=True)
class Landed:
    """A landing made from this directory; ``synced`` files came from other sessions;
    ``moved``: local files in their way, moved aside (path, new path)."""

    result: LandResult
    synced: int
    moved: tuple[tuple[bytes, bytes], ...] = ()


# --- where we are -----------------------------------------------------------------------------


def locate(start: Path) -> tuple[Path | None, State | None]:
    """The working directory at or above ``start`` and its state (None, None outside one)."""
    root = find_root(start)
    return root, load_state(root) if root else None


def current(start: Path) -> tuple[Path, State]:
    """The working directory at or above ``start``; an error outside one."""
    root, state = locate(start)
    if root is None or state is None:
        raise WorkdirError(
            "not a mic working directory (no .mic/ here or above): "
            "use `mic session start` or `mic checkout`"
        )
    return root, state


def active_session(state: State) -> str:
    if not state.session_id:
        raise WorkdirError("no active session here: start one with `mic session start`")
    return state.session_id


# --- checkout ---------------------------------------------------------------------------------


def fetch_files(
    mic: MicClient,
    root_fd: int,
    organization: str,
    project: str,
    position: int,
    entries: Iterable[TreeFile] | None,
    manifest: Manifest,
    on_file: Callable[[TreeEntry], None] | None = None,
) -> list[TreeEntry]:
    """Write ``entries`` (of the tree at ``position``; None: the whole tree) below
    ``root_fd``, recording each in ``manifest``; returns the entries written. Contents come
    over one ``ReadFiles`` stream per 10,000 files; every path is validated and no write
    follows a symlink (see ``files``)."""
    wanted = None if entries is None else sorted({e.path for e in entries})
    batches: list[list[bytes] | None] = (
        [None]
        if wanted is None
        else [wanted[i : i + READ_BATCH] for i in range(0, len(wanted), READ_BATCH)]
    )
    written: list[TreeEntry] = []
    with TreeWriter(root_fd) as writer:
        for batch in batches:
            for item in mic.read_files(organization, project, batch, position=position):
                entry = item.entry
                manifest.files[entry.path] = writer.write(
                    entry.path, entry.mode, item.chunks, entry.sha256
                )
                written.append(entry)
                if on_file is not None:
                    on_file(entry)
    return written


def cached(entries: Iterable[TreeEntry]) -> list[CachedFile]:
    return [CachedFile(e.path, e.mode, e.size, e.sha256) for e in entries]


def base_tree(mic: MicClient, root: Path, state: State) -> list[CachedFile]:
    """The tree at the directory's base: from ``.mic/trees/`` once it has been fetched."""
    return tree_at(mic, root, state.organization, state.project, state.base_position)


def advance_tree(root: Path, base: int, changes: Iterable[SessionChange], position: int) -> None:
    """Cache the tree at ``position`` when it is the cached ``base`` plus only the session
    landed there, whose ``changes`` are given (no one else landed in between): no tree to
    fetch after one's own land."""
    tree = load_tree(root, base) if position == base + 1 else None
    if tree is None:
        return
    files = {f.path: f for f in tree}
    for change in changes:
        if change.change_type == ChangeType.DELETED:
            files.pop(change.path, None)
        elif change.mode in MODES and change.sha256:
            files[change.path] = CachedFile(
                change.path, MODES[change.mode], change.size, change.sha256
            )
        else:
            return  # not enough to know the file: the tree will be fetched when needed
    save_tree(root, position, sorted(files.values(), key=lambda f: f.path))


def prepare_checkout(directory: Path) -> Path:
    """Make ``directory`` (new or empty) ready for a checkout; returns it resolved."""
    if directory.exists() and not directory.is_dir():
        raise WorkdirError(f"{directory} exists and is not a directory")
    if directory.is_dir() and any(directory.iterdir()):
        raise WorkdirError(f"{directory} is not empty: check out into a new directory")
    directory.mkdir(parents=True, exist_ok=True)
    return directory.resolve()


def checkout(
    mic: MicClient,
    root: Path,
    organization: str,
    project: str,
    position: int,
    on_file: Callable[[TreeEntry], None] | None = None,
) -> list[TreeEntry]:
    """Write the tree at ``position`` into the prepared ``root`` and record it (its tree
    cached in ``.mic/trees/``); returns its entries."""
    manifest = Manifest()
    with open_root(root) as root_fd:
        entries = fetch_files(
            mic, root_fd, organization, project, position, None, manifest, on_file
        )
    save_tree(root, position, cached(entries))
    save_state(root, State(organization, project, position, server=mic.address))
    # The manifest is written last: its mtime tells "racy" entries apart (see ``refresh``).
    save_manifest(root, manifest)
    return entries


# --- start ------------------------------------------------------------------------------------


def check_startable(root: Path, state: State | None, organization: str, project: str) -> None:
    """Refuse a second session, or a session of another project, in one directory."""
    if state is None:
        return
    if state.session_id:
        raise WorkdirError(
            f"session {state.session_id} is already active in {root}: land or abandon it first"
        )
    if (state.organization, state.project) != (organization, project):
        raise WorkdirError(f"{root} is a checkout of {state.ref}, not {organization}/{project}")


def start_session(
    mic: MicClient, root: Path, state: State | None, organization: str, project: str, goal: str
) -> Session:
    """Start a session on the directory's base (after ``check_startable``) and record it as
    the directory's active session."""
    if state is not None:
        base = state.base_position
    else:
        # Without a checkout the directory is taken as the project's content: at a head
        # with files, every file missing here would land as a deletion.
        base = mic.get_project(organization, project).head_position
        if base > 0:
            raise WorkdirError(
                f"{root} is not a checkout of {organization}/{project}, which has landed "
                f"sessions (head {base}): run `mic checkout {organization}/{project} DIR` "
                "and start there"
            )
    session = mic.start_session(organization, project, goal, base_position=base)
    save_state(
        root,
        State(
            organization,
            project,
            session.base_position,
            server=mic.address,
            session_id=session.session_id,
        ),
    )
    return session


def forget_session(start: Path, session_id: str) -> None:
    """Clear ``session_id`` from the working directory here, if it is its active one."""
    root, state = locate(start)
    if root and state and state.session_id == session_id:
        state.session_id = None
        save_state(root, state)


def adopt_session(mic: MicClient, root: Path, state: State, session_id: str) -> Session:
    """Make an active session started elsewhere this directory's active session: a checkout
    of its project at its base, with no active session of its own and no sync under way."""
    session = mic.get_session(session_id)
    if session.status != SessionStatus.ACTIVE:
        raise WorkdirError(f"session {session_id} is {session.status}: only an active one")
    if (session.organization, session.project) != (state.organization, state.project):
        raise WorkdirError(
            f"session {session_id} belongs to {session.organization}/{session.project}; "
            f"{root} is a checkout of {state.ref}"
        )
    if state.session_id and state.session_id != session_id:
        raise WorkdirError(
            f"session {state.session_id} is already active in {root}: land or abandon it first"
        )
    check_no_sync(root)
    if session.base_position != state.base_position:
        # The session's changes are whatever this directory holds against its base: the two
        # bases must be one. A sync brings the directory there, local edits and all.
        raise WorkdirError(
            f"session {session_id} bases on position {session.base_position} and this "
            f"checkout is at {state.base_position}: run `mic sync --at {session.base_position}` "
            "first (after resuming, `mic sync` brings both to the head)"
        )
    state.session_id = session_id
    save_state(root, state)
    return session


# --- land -------------------------------------------------------------------------------------


def explain_conflict(mic: MicClient, state: State, clashes: Iterable[str]) -> str:
    """Which sessions (position, goal) changed which of ``clashes`` since the base, and what
    to do: the server's conflict names paths, its log names the sessions."""
    shown, rest = [], 0
    for n, path in enumerate(clashes):
        if n >= 5:
            rest += 1
            continue
        who = []
        for entry in mic.log(state.organization, state.project, path, limit=50):
            if entry.position <= state.base_position:
                break
            goal = entry.goal.splitlines()[0][:60] if entry.goal else ""
            who.append(f"@{entry.position} {entry.session_id} {goal!r}")
        shown.append(f"{path} by {', '.join(reversed(who)) or 'a later session'}")
    more = f"; and {rest} more paths" if rest else ""
    return (
        f"conflict: sessions landed after position {state.base_position} changed "
        f"{'; '.join(shown)}{more}: run `mic sync` to merge them, then land again"
    )


def pending(mic: MicClient, root: Path, state: State) -> ScanResult:
    """The changes of the directory against its base position (its tree fetched once)."""
    manifest = load_manifest(root)
    tree = base_tree(mic, root, state)
    result = scan(root, tree, manifest=manifest)
    refresh(root, manifest, tree, result)
    return result


def refresh(root: Path, manifest: Manifest, tree: Iterable[CachedFile], result: ScanResult) -> None:
    """Record in the manifest the files a scan had to hash and found as in the base (racy or
    unknown ones), as `git status` refreshes its index: the next scan need not hash them.

    Only files equal to the base are recorded: the manifest keeps what mic wrote or landed.
    A file hashed in the same clock tick as this write stays racy and is hashed next time.
    """
    if not result.hashed:
        return
    base = {f.path: f for f in tree}
    fresh = 0
    for path in result.hashed:
        local = result.files[path]
        known = base.get(path)
        if local.sha256 is None or known is None or local.sha256 != known.sha256:
            continue
        manifest.files[path] = FileRecord(local.sha256, local.mode, local.size, local.mtime_ns)
        fresh += 1
    if fresh:
        save_manifest(root, manifest)


def to_change(root: Path, change: FileChange) -> Change:
    """A scanned change as the client sends it."""
    if change.kind == ChangeType.DELETED:
        return Change(change.path, ChangeType.DELETED)
    local = local_path(root, change.path)
    if change.mode == FileMode.SYMLINK:
        return Change(
            change.path, change.kind, os.readlink(local), mode=change.mode, size=change.size
        )
    # A Path: read in chunks while sending, and checked against the size the scan saw.
    return Change(
        change.path, change.kind, Path(os.fsdecode(local)), mode=change.mode, size=change.size
    )


def land(
    mic: MicClient,
    root: Path,
    state: State,
    result: ScanResult,
    *,
    progress: Callable[[LandProgress], None] | None = None,
) -> Landed:
    """Land the active session with the scanned ``result``, then bring the directory to the
    landing position."""
    session_id = active_session(state)
    check_no_sync(root)
    recover_if_ended(mic, root, state, result)
    if result.invalid:
        path, reason = result.invalid[0]
        more = f" (and {len(result.invalid) - 1} more)" if len(result.invalid) > 1 else ""
        raise UnlandablePaths(
            f"cannot land {paths.display(path)}: {reason}{more}; rename it or add it to .micignore"
        )
    changes: Iterator[Change] = (to_change(root, c) for c in result.changes)
    base = state.base_position
    landed = mic.land(changes, session_id=session_id, progress=progress)
    sent = list(mic.iter_changes(session_id))  # as stored: their sha256s
    synced, moved = after_land(
        mic, root, state, result, landed.landing_position, session_id, stored=sent
    )
    advance_tree(root, base, sent, landed.landing_position)
    return Landed(landed, synced, moved)


def check_no_sync(root: Path) -> None:
    """Refuse to land while a sync is cut short or its conflicts are unresolved."""
    # Imported here: the merge machinery is not needed by `mic status` or a plain land.
    from micelio.workdir import sync as sync_
    from micelio.workdir import syncstate

    journal = syncstate.load_journal(root)
    if journal is None:
        return
    if not journal.done:
        raise sync_.SyncInProgress(
            "a sync was cut short here: run `mic sync` to finish it or `mic sync --abort`"
        )
    shown = ", ".join(paths.display(p) for p in syncstate.conflicted(root)[:10])
    raise sync_.SyncInProgress(
        f"unresolved conflicts in {shown}: fix them and run `mic resolve PATH`, "
        "or `mic sync --abort`"
    )


def settle_ended(mic: MicClient, root: Path, state: State) -> tuple[State, str | None]:
    """Before a sync: a session here that is no longer active (a landing whose catch-up was
    cut short, or a session ended elsewhere) is recorded as such first. Returns the state to
    sync from and what was found (a note to show), if anything."""
    if not state.session_id or mic.get_session(state.session_id).status == SessionStatus.ACTIVE:
        return state, None
    note = None
    try:
        recover_if_ended(mic, root, state, pending(mic, root, state))
    except WorkdirError as exc:
        note = str(exc)
    _, state = current(root)
    return state, note


def recover_if_ended(mic: MicClient, root: Path, state: State, result: ScanResult) -> None:
    """A session that is no longer active (landed by a run that died before recording it,
    or abandoned elsewhere) is cleared from this directory, with an error saying so."""
    session_id = active_session(state)
    session = mic.get_session(session_id)
    if session.status == SessionStatus.ACTIVE:
        return
    if session.landing_position:
        after_land(mic, root, state, result, session.landing_position, session_id, verified=False)
        raise WorkdirError(
            f"session {session_id} was already landed at position "
            f"{session.landing_position}; this directory now bases on it"
        )
    state.session_id = None
    save_state(root, state)
    raise WorkdirError(f"session {session_id} is {session.status}; cleared it from this directory")


def after_land(
    mic: MicClient,
    root: Path,
    state: State,
    result: ScanResult,
    position: int,
    session_id: str,
    *,
    verified: bool = True,
    stored: Iterable[SessionChange] | None = None,
) -> tuple[int, tuple[tuple[bytes, bytes], ...]]:
    """Record the new base and manifest; bring in what others landed since the old base.

    ``verified``: the files sent are those of ``result`` (false when recovering a landing
    made by an earlier run: they are then left out of the manifest, to be hashed again).
    ``stored``: the session's changes as the server stored them, if the caller has them.
    Returns how many files the catch-up wrote or removed, and the local files it moved aside.

    The manifest is updated in place for the files sent, as `git commit` updates its index:
    every other file it records is as the scan found it (a record it holds is checked
    against the file's stat before use), so 20,000 records need not be rebuilt per land.
    """
    sent = {c.path for c in result.changes}
    manifest = load_manifest(root)
    if verified:
        changes = stored if stored is not None else mic.iter_changes(session_id)
        known = {c.path: c.sha256 for c in changes if c.sha256}
    else:
        known = {}
    for path in manifest.files.keys() - result.files.keys():
        del manifest.files[path]  # no longer a file mic tracks here (ignored, nested, gone)
    for path in result.files.keys() - manifest.files.keys() - sent:
        f = result.files[path]
        if f.sha256:  # hashed by the scan (``refresh`` records most of these already)
            manifest.files[path] = FileRecord(f.sha256, f.mode, f.size, f.mtime_ns)
    for path in sent:
        local = result.files.get(path)
        sha = known.get(path)
        if local is None or not sha:
            manifest.files.pop(path, None)  # deleted here, or to be hashed again
        else:
            manifest.files[path] = FileRecord(sha, local.mode, local.size, local.mtime_ns)
    synced, moved = 0, tuple[tuple[bytes, bytes], ...]()
    if position > state.base_position + 1:
        # Sessions landed between our base and us: the server checked they touched none of
        # our paths, so their files are brought in as they are at our landing position.
        synced, moved = sync(mic, root, state, manifest, result, sent, position)
    state.session_id = None
    state.base_position = position
    save_state(root, state)
    save_manifest(root, manifest)
    return synced, moved


def sync(
    mic: MicClient,
    root: Path,
    state: State,
    manifest: Manifest,
    result: ScanResult,
    sent: set[bytes],
    position: int,
) -> tuple[int, tuple[tuple[bytes, bytes], ...]]:
    """Bring the files of the tree at ``position`` that this directory did not send; returns
    how many were written or removed, and the local files moved out of their way.

    Deletions go first, then local files in the way (ignored here, so not in ``result``)
    move aside to ``PATH.mine``, then the writes: a file turned folder (or back) is applied in
    that order, and nothing local is overwritten."""
    from micelio.workdir import sync as sync_

    # Packed entries, cached: the directory's next base, which `mic status` compares with.
    tree = {e.path: e for e in tree_at(mic, root, state.organization, state.project, position)}
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
    moves = sync_.obstructions(root, [e.path for e in stale], set(gone), set(result.files))
    with open_root(root) as root_fd:
        for path in gone:
            sync_.delete_path(root_fd, root, path)
            manifest.files.pop(path, None)
        for path, aside in sorted(moves.items()):
            sync_.move_aside(root, path, aside)
            manifest.files.pop(path, None)
        fetch_files(mic, root_fd, state.organization, state.project, position, stale, manifest)
    return len(stale) + len(gone), tuple(sorted(moves.items()))
