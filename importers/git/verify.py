"""`mic verify`: the project's tree at every imported session equals its Git tree.

Deliberately independent of the importer's own change mapping: Git's side comes from
``git diff-tree`` between consecutive session boundaries, mic's side from the changes the server
stored, so a bug in the mapping cannot hide itself. By induction from the empty tree, equal
change sets at every boundary mean equal trees at every landing position; the head is then
compared in full as well.
"""

from __future__ import annotations

import hashlib
import itertools
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from importers.git import walk
from importers.git.blobs import BlobReader
from importers.git.gitcmd import empty_tree, git_stream, run_git, split_nul
from micelio.vocabulary import ChangeType, FileMode

ChangeKey = tuple[str, int, str, int]  # change_type, mode, sha256, size


@dataclass(frozen=True, slots=True)
class StoredChange:
    path: bytes
    change_type: str
    mode: int
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class ImportedSession:
    session_id: str
    landing_position: int
    external_id: str


class VerifySource(Protocol):
    """What verify reads from mic (the client provides it)."""

    def landed_sessions(self) -> Iterator[ImportedSession]: ...

    def changes(self, session_id: str) -> Iterator[StoredChange]: ...

    def head_tree(self) -> Iterator[StoredChange]: ...

    def read_change(self, session_id: str, path: bytes) -> Iterator[bytes]: ...


@dataclass(slots=True)
class VerifyReport:
    sessions: int = 0
    commits_behind: int = 0
    last_commit: str | None = None
    difference: str | None = None
    checked_paths: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def matches(self) -> bool:
        """Every imported session equals git (newer commits may not be imported yet)."""
        return self.difference is None

    @property
    def ok(self) -> bool:
        """The project is the ref's history, whole: matching and not behind."""
        return self.matches and self.commits_behind == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "matches": self.matches,
            "sessions": self.sessions,
            "checked_changes": self.checked_paths,
            "last_commit": self.last_commit,
            "commits_behind": self.commits_behind,
            "difference": self.difference,
        }


GitEntry = tuple[bytes, str, int, str]  # path, status letter, new mode, new oid


def diff_tree(git_dir: Path, old: str, new: str) -> list[GitEntry]:
    """Every path that differs between two commits (or trees), recursively."""
    out = run_git(git_dir, ["diff-tree", "-r", "-z", "--no-renames", "--no-abbrev", old, new])
    tokens = out.split(b"\0")
    return [
        _entry(meta, path)
        for meta, path in zip(tokens[0::2], tokens[1::2], strict=False)
        if meta.startswith(b":")
    ]


def boundary_diffs(git_dir: Path, pairs: Sequence[tuple[str, str]]) -> Iterator[list[GitEntry]]:
    """``diff_tree(old, new)`` for each ``(old, new)`` commit pair, from one git process.

    ``git diff-tree --stdin`` reads "NEW OLD" lines (a commit and the one to diff it against)
    and answers each with NEW's id (``--always``: even when nothing differs), then its entries.
    """
    if not pairs:
        return
    with git_stream(
        git_dir,
        ["diff-tree", "--stdin", "--always", "-r", "-z", "--no-renames", "--no-abbrev"],
        stdin=subprocess.PIPE,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        stdin = proc.stdin

        def feed() -> None:
            try:
                for old, new in pairs:
                    stdin.write(f"{new} {old}\n".encode())
                stdin.close()
            except (BrokenPipeError, ValueError):
                pass  # the reader stopped early

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        tokens = split_nul(proc.stdout)
        current: list[GitEntry] | None = None
        for token in tokens:
            if token.startswith(b":"):
                if current is None:
                    raise RuntimeError("git diff-tree answered out of order")
                current.append(_entry(token, next(tokens)))
                continue
            if current is not None:
                yield current
            current = []
        if current is not None:
            yield current
        writer.join()


def _entry(meta: bytes, path: bytes) -> GitEntry:
    _old_mode, new_mode, _old_oid, new_oid, status = meta[1:].split(b" ")
    return path, status.decode()[:1], int(new_mode, 8), new_oid.decode()


def ls_tree(git_dir: Path, commit: str) -> Iterator[tuple[bytes, int, str]]:
    out = run_git(git_dir, ["ls-tree", "-r", "-z", "--full-tree", commit])
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, path = entry.split(b"\t", 1)
        mode, _kind, oid = meta.split(b" ")
        yield path, int(mode, 8), oid.decode()


class GitContent:
    """sha256 and size of Git contents as mic stores them (a gitlink's content is its id)."""

    def __init__(self, blobs: BlobReader) -> None:
        self._blobs = blobs
        self._cache: dict[str, tuple[str, int]] = {}

    def digest(self, mode: int, oid: str) -> tuple[str, int]:
        if mode == FileMode.GITLINK:
            data = oid.encode()
            return hashlib.sha256(data).hexdigest(), len(data)
        if oid not in self._cache:
            h = hashlib.sha256()
            size = 0
            for chunk in self._blobs.stream(oid):
                h.update(chunk)
                size += len(chunk)
            self._cache[oid] = (h.hexdigest(), size)
        return self._cache[oid]


def _display(path: bytes) -> str:
    return path.decode("utf-8", "backslashreplace")


def verify(
    mic: VerifySource, git_dir: Path, ref: str | None, *, deep: bool = False
) -> VerifyReport:
    """Check every imported session against Git; stop at the first difference."""
    report = VerifyReport()
    tip = walk.resolve_ref(git_dir, ref).oid
    chain = walk.first_parent_chain(git_dir, tip)
    order = {oid: i for i, oid in enumerate(chain)}
    sessions = list(mic.landed_sessions())
    boundaries: list[str] = []
    for expected_position, session in enumerate(sessions, 1):
        problem = _check_session(session, expected_position, order, boundaries)
        if problem:
            report.difference = problem
            return report
        boundaries.append(session.external_id.removeprefix("git:"))
    previous_index = -1
    with BlobReader(git_dir) as blobs:
        content = GitContent(blobs)
        pairs = list(zip([empty_tree(git_dir), *boundaries], boundaries, strict=False))
        first = [diff_tree(git_dir, *pairs[0])] if pairs else []
        diffs = itertools.chain(first, boundary_diffs(git_dir, pairs[1:]))
        for session, commit, entries in zip(sessions, boundaries, diffs, strict=False):
            where = f"position {session.landing_position} (session {session.session_id})"
            problem = _compare_session(
                mic, session.session_id, commit, entries, content, deep, report
            )
            if problem:
                report.difference = f"{where}: {problem}"
                return report
            previous_index = order[commit]
            report.sessions += 1
            report.last_commit = commit
        if report.last_commit is not None:
            report.difference = _compare_head(mic, git_dir, report.last_commit, content)
    report.commits_behind = len(chain) - 1 - previous_index
    return report


def _check_session(
    session: ImportedSession, position: int, order: dict[str, int], boundaries: list[str]
) -> str | None:
    """Why the session is not the next import of this history, or None when it is."""
    where = f"position {session.landing_position} (session {session.session_id})"
    if session.landing_position != position:
        return f"{where}: expected position {position}"
    if not session.external_id.startswith("git:"):
        return f"{where} was not imported from git"
    commit = session.external_id.removeprefix("git:")
    index = order.get(commit)
    if index is None or (boundaries and index <= order[boundaries[-1]]):
        return f"{where}: commit {commit[:12]} is not next on the first-parent history"
    return None


def _compare_session(
    mic: VerifySource,
    session_id: str,
    commit: str,
    entries: list[GitEntry],
    content: GitContent,
    deep: bool,
    report: VerifyReport,
) -> str | None:
    expected: dict[bytes, ChangeKey] = {}
    for path, status, mode, oid in entries:
        if status == "D":
            expected[path] = (ChangeType.DELETED, 0, "", 0)
        else:
            sha, size = content.digest(mode, oid)
            kind = ChangeType.ADDED if status == "A" else ChangeType.MODIFIED
            expected[path] = (kind, mode, sha, size)
    for change in mic.changes(session_id):
        want = expected.pop(change.path, None)
        got: ChangeKey = (change.change_type, change.mode, change.sha256, change.size)
        if want is None:
            return (
                f"mic has a change to {_display(change.path)!r} that git does not have "
                f"at {commit[:12]}"
            )
        if want != got:
            return (
                f"{_display(change.path)!r} differs at {commit[:12]}: "
                f"mic {_describe(got)}, git {_describe(want)}"
            )
        if deep and change.change_type != ChangeType.DELETED:
            h = hashlib.sha256()
            for chunk in mic.read_change(session_id, change.path):
                h.update(chunk)
            if h.hexdigest() != want[2]:
                return f"stored content of {_display(change.path)!r} does not hash to its sha256"
        report.checked_paths += 1
    if expected:
        missing = _display(min(expected))
        return f"git changes {missing!r} at {commit[:12]} but mic has no such change"
    return None


def _compare_head(mic: VerifySource, git_dir: Path, commit: str, content: GitContent) -> str | None:
    want = {path: (mode, oid) for path, mode, oid in ls_tree(git_dir, commit)}
    for entry in mic.head_tree():
        git_entry = want.pop(entry.path, None)
        if git_entry is None:
            return f"head: mic has {_display(entry.path)!r}, git {commit[:12]} does not"
        mode, oid = git_entry
        sha, size = content.digest(mode, oid)
        if (entry.mode, entry.sha256, entry.size) != (mode, sha, size):
            return f"head: {_display(entry.path)!r} differs from git {commit[:12]}"
    if want:
        return f"head: git {commit[:12]} has {_display(min(want))!r}, mic does not"
    return None


def _describe(key: ChangeKey) -> str:
    kind, mode, sha, size = key
    if kind == ChangeType.DELETED:
        return "deleted"
    return f"{kind} mode {mode:o}, {size} bytes, sha256 {sha[:12]}"
