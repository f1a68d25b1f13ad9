"""``mic sync``: bring a working directory, local edits and all, to another position.

The shell around the pure merge (``conflicts.merge_trees``): fetch the trees at the base and the
target, scan the local edits, read the contents both sides changed, merge, then write the result
through a journal (``syncstate``) so that a sync cut short is finished or undone, never left
half-done. The active session stays; the server moves its base (``RebaseSession``).

Order of the writes (``plan_ops``): deletions first, then local files in the way are moved
aside, then writes. A file leaves before a folder takes its name, and the other way round.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from micelio import paths
from micelio.client import FailedPrecondition, MicClient, NotFound
from micelio.vocabulary import ChangeType, FileMode
from micelio.workdir import syncstate
from micelio.workdir.conflicts import Action, TreeMergePlan, Version, merge_trees
from micelio.workdir.errors import WorkdirError
from micelio.workdir.files import (
    TreeWriter,
    local_path,
    open_root,
    parent_dirs,
    place_file,
    remove_file,
)
from micelio.workdir.files import write_file as write_one
from micelio.workdir.merge import Labels
from micelio.workdir.scan import ScanResult, TreeFile, scan
from micelio.workdir.state import (
    MANIFEST_FILE,
    MIC_DIR,
    STATE_FILE,
    State,
    load_manifest,
    load_state,
    save_manifest,
    save_state,
)
from micelio.workdir.syncstate import ConflictRecord, Journal, Op, OpKind
from micelio.workdir.trees import tree_at

READ_BATCH = 10_000  # paths per ReadFiles call (the server's limit)
ASIDE = b".mine"  # a local file in the way of a landed one goes to PATH.mine
# A test hook: the sync kills itself (SIGKILL) once this many operations are applied, to
# check that a sync cut short is resumed or aborted (tests/cli/test_sync_interrupted.py).
KILL_HOOK = "MIC_SYNC_KILL_AFTER_OPS"


@dataclass(frozen=True, slots=True)
class _BaseFile:
    """A file of the base position that an abort puts back (a ``TreeFile``)."""

    path: bytes
    mode: FileMode
    sha256: str
    size: int = 0


class SyncInProgress(WorkdirError):
    """A sync was cut short here (or left conflicts): finish, resolve or abort it first."""


@dataclass(frozen=True, slots=True)
class SyncReport:
    journal: Journal
    resumed: bool = False

    def count(self, kind: OpKind) -> int:
        return sum(1 for op in self.journal.ops if op.kind == kind)


def journal_to_dict(journal: Journal, resumed: bool) -> dict[str, Any]:
    """A sync's outcome: the shape of ``mic sync --json`` (docs/cli-json.md), which the MCP
    ``sync`` tool answers too."""
    side = {s for c in journal.conflicts for s in c.side_files}
    return {
        "from_position": journal.from_position,
        "to_position": journal.to_position,
        "session_id": journal.session_id,
        "resumed": resumed,
        "updated": sum(1 for o in journal.ops if o.kind == OpKind.WRITE and o.path not in side),
        "deleted": sum(1 for o in journal.ops if o.kind == OpKind.DELETE),
        "merged": [paths.display(p) for p in journal.merged],
        "moved_aside": [
            {"file_path": paths.display(a), "to": paths.display(b)} for a, b in journal.moved
        ],
        "conflicts": [
            {
                "file_path": paths.display(c.path),
                "kinds": [str(k) for k in c.kinds],
                "side_files": [paths.display(s) for s in c.side_files],
            }
            for c in journal.conflicts
        ],
    }


def unchanged_dict(position: int, session_id: str | None) -> dict[str, Any]:
    """``journal_to_dict``'s shape for a directory already at the position asked."""
    return journal_to_dict(Journal(position, position, session_id), resumed=False)


# --- pure planning ----------------------------------------------------------------------------


def _placeholder(entry: TreeFile) -> Version:
    """A base version whose content is not needed: only a side's *own* unchanged version is
    compared with it, and a real file cannot carry this NUL-led text by accident."""
    return Version(FileMode(entry.mode), b"\0mic-base:" + entry.sha256.encode())


def their_changes(
    base: Mapping[bytes, TreeFile], target: Mapping[bytes, TreeFile]
) -> dict[bytes, TreeFile | None]:
    """Paths the target changed from the base: path → its entry there, None when deleted."""
    out: dict[bytes, TreeFile | None] = {p: None for p in base if p not in target}
    for path, entry in target.items():
        old = base.get(path)
        if old is None or old.sha256 != entry.sha256 or old.mode != entry.mode:
            out[path] = entry
    return out


def labels(session_id: str | None, base: int, target: int, head: int) -> Labels:
    """Markers name the session and the positions: ``session ses_… (base @3)``, ``head @7``."""
    ours = f"session {session_id} (base @{base})" if session_id else f"local (base @{base})"
    return Labels(ours, f"head @{target}" if target == head else f"@{target}", f"base @{base}")


def plan_ops(
    plan: TreeMergePlan,
    moves: Mapping[bytes, bytes],
    existing: Iterable[bytes],
    unedited: Mapping[bytes, TreeFile] | None = None,
) -> tuple[list[Op], dict[int, Version]]:
    """The operations of a merge plan, in order, and the version each write writes.
    ``moves``: local files or folders in the way (path → where they go); ``existing``: paths
    that hold a file now (backed up before they are replaced or deleted), but those in
    ``unedited``: tracked files as the base has them, restored from the server on abort."""
    have = set(existing) - set(moves)
    unedited = unedited or {}

    def op(kind: OpKind, path: bytes, **more: Any) -> Op:
        base = unedited.get(path) if path in have else None
        if base is not None:
            more.update(base_sha256=base.sha256, base_mode=FileMode(base.mode))
        return Op(kind, path, backup=path in have and base is None, **more)

    ops = [op(OpKind.DELETE, p.path) for p in plan.paths if p.action == Action.DELETE]
    ops.extend(Op(OpKind.MOVE, src, to=dst) for src, dst in sorted(moves.items()))
    writes = [(s.path, s.version) for p in plan.paths for s in p.side_files]
    writes += [(p.path, p.version) for p in plan.paths if p.action == Action.WRITE and p.version]
    versions: dict[int, Version] = {}
    for path, version in sorted(writes, key=lambda w: w[0]):
        versions[len(ops)] = version
        ops.append(op(OpKind.WRITE, path, mode=version.mode))
    return ops, versions


def conflict_records(plan: TreeMergePlan) -> list[ConflictRecord]:
    return [
        ConflictRecord(p.path, p.conflicts, tuple(s.path for s in p.side_files))
        for p in plan.conflicted
    ]


def _free(path: bytes, taken: set[bytes], root: Path) -> bytes:
    name, n = path + ASIDE, 0
    while name in taken or os.path.lexists(local_path(root, name)):
        n += 1
        name = path + ASIDE + b"~%d" % n
    taken.add(name)
    return name


# --- the directory ----------------------------------------------------------------------------


def _lstat(root: Path, path: bytes) -> os.stat_result | None:
    try:
        return os.lstat(local_path(root, path))
    except (FileNotFoundError, NotADirectoryError):
        return None


def _files_under(root: Path, path: bytes) -> Iterable[bytes]:
    base = local_path(root, path)
    for dirpath, dirnames, filenames in os.walk(base):
        rel = os.path.relpath(dirpath, base)
        here = path if rel == b"." else path + b"/" + rel
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            yield here + b"/" + name


def obstructions(
    root: Path, writes: Iterable[bytes], deletes: set[bytes], known: set[bytes]
) -> dict[bytes, bytes]:
    """Local files or folders that a write would overwrite or cannot pass, which the scan did
    not see (ignored here) and nothing deletes: each goes aside to ``PATH.mine`` rather than
    be lost (git refuses: "untracked working tree files would be overwritten")."""
    writes = sorted(set(writes))
    taken = set(writes) | {d for w in writes for d in parent_dirs(w)} | known
    moves: dict[bytes, bytes] = {}
    for path in writes:
        blocked = False
        for directory in parent_dirs(path):
            if directory in moves:
                blocked = True
                break
            info = _lstat(root, directory)
            if info is None:
                blocked = True  # nothing below exists yet
                break
            if stat.S_ISDIR(info.st_mode):
                continue
            if directory not in deletes:
                moves[directory] = _free(directory, taken, root)
            blocked = True
            break
        if blocked:
            continue
        info = _lstat(root, path)
        if info is None:
            continue
        if stat.S_ISDIR(info.st_mode):
            if any(f not in deletes for f in _files_under(root, path)):
                moves[path] = _free(path, taken, root)
        elif path not in known and path not in deletes:
            moves[path] = _free(path, taken, root)
    return moves


def read_local(root: Path, path: bytes, mode: FileMode) -> bytes:
    full = local_path(root, path)
    if mode == FileMode.SYMLINK:
        return os.readlink(full)
    fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        return f.read()


def fetch_contents(
    mic: MicClient, state: State, position: int, entries: Iterable[TreeFile]
) -> dict[bytes, Version]:
    """The versions of ``entries`` (files of the tree at ``position``) over one ``ReadFiles``
    stream per 10,000 paths, not a call per file; a gitlink's version is its commit."""
    found: dict[bytes, Version] = {}
    wanted = []
    for entry in entries:
        mode = FileMode(entry.mode)
        if mode == FileMode.GITLINK:  # no content: the commit is all there is
            found[entry.path] = Version(mode, entry.sha256.encode())
        else:
            wanted.append(entry.path)
    wanted = sorted(set(wanted))
    for start in range(0, len(wanted), READ_BATCH):
        batch = wanted[start : start + READ_BATCH]
        for item in mic.read_files(state.organization, state.project, batch, position=position):
            found[item.entry.path] = Version(FileMode(item.entry.mode), b"".join(item.chunks))
    missing = [p for p in wanted if p not in found]
    if missing:
        raise NotFound(f"{paths.display(missing[0])} is not in position {position}")
    return found


def delete_path(root_fd: int, root: Path, path: bytes) -> None:
    """Remove a file; a folder there means the deletion was applied and a write followed."""
    info = _lstat(root, path)
    if info is not None and not stat.S_ISDIR(info.st_mode):
        remove_file(root_fd, path)


def move_aside(root: Path, path: bytes, to: bytes) -> None:
    src, dst = local_path(root, path), local_path(root, to)
    if os.path.lexists(src) and not os.path.lexists(dst):
        os.rename(src, dst)


# --- a sync -----------------------------------------------------------------------------------


def prepare(mic: MicClient, root: Path, state: State, position: int | None) -> Journal | None:
    """Merge and stage a sync to ``position`` (None: the head), and write its journal; None
    when the directory is already there. Nothing in the directory changes yet."""
    head = mic.get_project(state.organization, state.project).head_position
    target = head if position is None else position
    if not 0 <= target <= head:
        raise NotFound(f"position {target} does not exist (head is {head})")
    if target == state.base_position:
        return None

    def tree(position: int) -> dict[bytes, TreeFile]:
        files = tree_at(mic, root, state.organization, state.project, position)
        return {f.path: f for f in files}

    # Trees come from ``.mic/trees/`` (the base's is there since the checkout); the target's,
    # fetched once and cached for the commands after the sync, streams in while the
    # directory is scanned.
    with ThreadPoolExecutor(1) as pool:
        later = pool.submit(tree, target)
        base = tree(state.base_position)
        result = scan(root, base.values(), manifest=load_manifest(root))
        goal = later.result()
    ours: dict[bytes, Version | None] = {
        c.path: None
        if c.kind == ChangeType.DELETED
        else Version(c.mode, read_local(root, c.path, c.mode))
        for c in result.changes
    }
    changed = their_changes(base, goal)
    theirs: dict[bytes, Version | None] = dict.fromkeys(changed)
    theirs.update(fetch_contents(mic, state, target, (e for e in changed.values() if e)))
    both = [base[p] for p in ours.keys() & changed.keys() if p in base]
    base_versions = {p: _placeholder(e) for p, e in base.items()}
    base_versions.update(fetch_contents(mic, state, state.base_position, both))
    plan = merge_trees(
        base_versions, ours, theirs, labels(state.session_id, state.base_position, target, head)
    )
    return stage(root, state, target, plan, result, base, ours.keys() & changed.keys())


def stage(
    root: Path,
    state: State,
    target: int,
    plan: TreeMergePlan,
    result: ScanResult,
    base: Mapping[bytes, TreeFile],
    both: set[bytes],
) -> Journal:
    """Stage every new content and the directory's state under ``.mic/sync/``, then write the
    journal: from then on the sync can be finished or undone. (Each file the sync replaces or
    deletes is renamed to ``backup/N`` as its operation runs.)"""
    writes = [s.path for p in plan.paths for s in p.side_files]
    writes += [p.path for p in plan.paths if p.action == Action.WRITE]
    deletes = {p.path for p in plan.paths if p.action == Action.DELETE}
    moves = obstructions(root, writes, deletes, set(result.files))
    edited = {c.path for c in result.changes}
    existing = [
        p for p in [*writes, *deletes] if (i := _lstat(root, p)) and not stat.S_ISDIR(i.st_mode)
    ]
    unedited = {p: e for p, e in base.items() if p not in edited and e.mode != FileMode.GITLINK}
    ops, versions = plan_ops(plan, moves, existing, unedited)
    syncstate.clear(root)  # a staging cut short before its journal: nothing was applied
    directory = syncstate.sync_dir(root)
    (directory / syncstate.BACKUP).mkdir(parents=True)
    for name in (STATE_FILE, MANIFEST_FILE):
        with contextlib.suppress(FileNotFoundError):
            shutil.copy2(root / MIC_DIR / name, directory / name)
    offset = 0
    with open(directory / syncstate.STAGED, "wb") as pack:
        for index, op in enumerate(ops):
            if op.kind == OpKind.WRITE:
                data = versions[index].data
                pack.write(data)
                ops[index] = replace(op, offset=offset, size=len(data))
                offset += len(data)
    journal = Journal(
        from_position=state.base_position,
        to_position=target,
        session_id=state.session_id,
        ops=ops,
        conflicts=conflict_records(plan),
        merged=sorted(
            p.path
            for p in plan.paths
            if p.path in both and not p.conflicts and p.action == Action.WRITE
        ),
    )
    syncstate.save_journal(root, journal)
    return journal


def _set_aside(root: Path, path: bytes, backup: bytes) -> None:
    """Rename the file at ``path`` to its backup, once: where a write or a deletion would
    unlink it anyway, so a backup costs nothing more (a folder there: already applied)."""
    info = _lstat(root, path)
    if info is not None and not stat.S_ISDIR(info.st_mode) and not os.path.lexists(backup):
        os.rename(local_path(root, path), backup)


def apply(mic: MicClient, root: Path, state: State, journal: Journal) -> Journal:
    """Apply the journal's operations from the first not yet applied, then record the new
    base here and on the server. Each operation can run again after a kill."""
    directory = syncstate.sync_dir(root)
    start = syncstate.applied(root)
    kill_after = int(os.environ.get(KILL_HOOK) or -1)
    manifest = load_manifest(root)
    with (
        open_root(root) as root_fd,
        open(directory / syncstate.STAGED, "rb") as pack,
        syncstate.progress_log(root) as progress,
        contextlib.ExitStack() as stack,
    ):
        writer: TreeWriter | None = None
        for index in range(start, len(journal.ops)):
            op = journal.ops[index]
            manifest.files.pop(op.path, None)
            if op.backup:
                _set_aside(root, op.path, os.fsencode(directory / syncstate.BACKUP / str(index)))
            if op.kind == OpKind.DELETE:
                delete_path(root_fd, root, op.path)
            elif op.kind == OpKind.MOVE:
                move_aside(root, op.path, op.to)
            else:
                if writer is None:
                    # The writes come last (``plan_ops``): no deletion or move removes a
                    # folder the writer holds open. Each folder is opened once, not per file.
                    writer = stack.enter_context(TreeWriter(root_fd))
                data = os.pread(pack.fileno(), op.size, op.offset)
                manifest.files[op.path] = writer.write(op.path, op.mode, [data])
            progress.write(f"{index}\n")
            progress.flush()
            if index + 1 == kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
    for op in journal.ops[:start]:
        manifest.files.pop(op.path, None)  # applied by an earlier run: hashed again
    if journal.session_id:
        mic.rebase_session(journal.session_id, journal.to_position)
    state.base_position = journal.to_position
    save_manifest(root, manifest)
    save_state(root, state)
    journal = replace(journal, done=True)
    if journal.conflicts:
        syncstate.save_journal(root, journal)
    else:
        syncstate.clear(root)
    return journal


def run(mic: MicClient, root: Path, state: State, position: int | None) -> SyncReport | None:
    """Sync to ``position`` (None: head), or finish the sync cut short here; None when the
    directory is already there."""
    journal = syncstate.load_journal(root)
    if journal is not None:
        if journal.done:
            names = ", ".join(
                p.decode("utf-8", "backslashreplace") for p in syncstate.conflicted(root)
            )
            raise SyncInProgress(
                f"the last sync left conflicts in {names}: fix them and run `mic resolve PATH`, "
                "or `mic sync --abort`"
            )
        return SyncReport(apply(mic, root, state, journal), resumed=True)
    journal = prepare(mic, root, state, position)
    if journal is None:
        return None
    return SyncReport(apply(mic, root, state, journal))


def abort(mic: MicClient, root: Path) -> Journal:
    """Undo the sync here, finished or cut short: every file back as it was, the base too."""
    journal = syncstate.load_journal(root)
    if journal is None:
        raise WorkdirError("no sync to abort here")
    if journal.session_id:
        with contextlib.suppress(FailedPrecondition):  # landed or abandoned since: base moot
            mic.rebase_session(journal.session_id, journal.from_position)
    directory = syncstate.sync_dir(root)
    # The operation after the last recorded one may have been under way when it stopped.
    upto = len(journal.ops) if journal.done else min(syncstate.applied(root) + 1, len(journal.ops))
    state = load_state(root)
    if state is None:
        raise WorkdirError(f"no .mic/state.json in {root}")
    restore = fetch_contents(
        mic,
        state,
        journal.from_position,
        [
            _BaseFile(op.path, op.base_mode, op.base_sha256)
            for op in journal.ops[:upto]
            if op.base_sha256
        ],
    )
    with open_root(root) as root_fd:
        for index in reversed(range(upto)):
            op = journal.ops[index]
            backup = os.fsencode(directory / syncstate.BACKUP / str(index))
            if op.kind == OpKind.MOVE:
                if os.path.lexists(local_path(root, op.to)) and not os.path.lexists(
                    local_path(root, op.path)
                ):
                    os.rename(local_path(root, op.to), local_path(root, op.path))
                continue
            if op.kind == OpKind.WRITE:
                if op.backup and not os.path.lexists(backup):
                    continue  # not begun: the file there is still the one from before
                delete_path(root_fd, root, op.path)
            if op.base_sha256 and not os.path.lexists(local_path(root, op.path)):
                version = restore[op.path]
                write_one(root_fd, op.path, version.mode, [version.data], op.base_sha256)
            if (
                op.backup
                and os.path.lexists(backup)
                and not os.path.lexists(local_path(root, op.path))
            ):
                place_file(root_fd, op.path, backup)
    for name in (STATE_FILE, MANIFEST_FILE):
        with contextlib.suppress(FileNotFoundError):
            os.replace(directory / name, root / MIC_DIR / name)
    syncstate.clear(root)
    return journal
