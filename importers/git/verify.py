"""`mic verify`: the project's tree at every imported session equals its Git tree.

Deliberately independent of the importer's own change mapping: Git's side comes from
``git diff-tree`` between consecutive session boundaries, mic's side from the changes the server
stored, so a bug in the mapping cannot hide itself. By induction from the empty tree, equal
change sets at every boundary mean equal trees at every landing position; the head is then
compared in full as well.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from importers.git import walk
from importers.git.blobs import BlobReader
from importers.git.records import MODE_GITLINK

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
    def ok(self) -> bool:
        return self.difference is None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "sessions": self.sessions,
            "checked_changes": self.checked_paths,
            "last_commit": self.last_commit,
            "commits_behind": self.commits_behind,
            "difference": self.difference,
        }


def empty_tree(git_dir: Path) -> str:
    out = subprocess.run(
        ["git", "--git-dir", str(git_dir), "hash-object", "-t", "tree", "/dev/null"],
        capture_output=True,
        check=True,
    )
    return out.stdout.decode().strip()


def diff_tree(git_dir: Path, old: str, new: str) -> Iterator[tuple[bytes, str, int, str]]:
    """(path, status letter, new mode, new oid) for every path that differs, recursively."""
    proc = subprocess.Popen(
        ["git", "--git-dir", str(git_dir), "diff-tree", "-r", "-z", "--no-renames",
         "--no-abbrev", old, new],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    fields = proc.stdout.read().split(b"\0")
    if proc.wait() != 0:
        raise RuntimeError(f"git diff-tree {old} {new} failed")
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if not meta.startswith(b":"):
            continue
        _old_mode, new_mode, _old_oid, new_oid, status = meta[1:].split(b" ")
        yield path, status.decode()[:1], int(new_mode, 8), new_oid.decode()


def ls_tree(git_dir: Path, commit: str) -> Iterator[tuple[bytes, int, str]]:
    out = subprocess.run(
        ["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-z", "--full-tree", commit],
        capture_output=True,
        check=True,
    ).stdout
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
        if mode == MODE_GITLINK:
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
    _resolved, tip = walk.resolve_ref(git_dir, ref)
    chain = walk.first_parent_chain(git_dir, tip)
    order = {oid: i for i, oid in enumerate(chain)}
    previous = empty_tree(git_dir)
    previous_index = -1
    expected_position = 1
    with BlobReader(git_dir) as blobs:
        content = GitContent(blobs)
        for session in mic.landed_sessions():
            where = f"position {session.landing_position} (session {session.session_id})"
            if session.landing_position != expected_position:
                report.difference = f"{where}: expected position {expected_position}"
                return report
            expected_position += 1
            if not session.external_id.startswith("git:"):
                report.difference = f"{where} was not imported from git"
                return report
            commit = session.external_id[4:]
            index = order.get(commit)
            if index is None or index <= previous_index:
                report.difference = (
                    f"{where}: commit {commit[:12]} is not next on the first-parent history"
                )
                return report
            expected: dict[bytes, ChangeKey] = {}
            for path, status, mode, oid in diff_tree(git_dir, previous, commit):
                if status == "D":
                    expected[path] = ("deleted", 0, "", 0)
                else:
                    sha, size = content.digest(mode, oid)
                    kind = "added" if status == "A" else "modified"
                    expected[path] = (kind, mode, sha, size)
            for change in mic.changes(session.session_id):
                want = expected.pop(change.path, None)
                got: ChangeKey = (change.change_type, change.mode, change.sha256, change.size)
                if want is None:
                    report.difference = (
                        f"{where}: mic has a change to {_display(change.path)!r} "
                        f"that git does not have at {commit[:12]}"
                    )
                    return report
                if want != got:
                    report.difference = (
                        f"{where}: {_display(change.path)!r} differs at {commit[:12]}: "
                        f"mic {_describe(got)}, git {_describe(want)}"
                    )
                    return report
                if deep and change.change_type != "deleted":
                    h = hashlib.sha256()
                    for chunk in mic.read_change(session.session_id, change.path):
                        h.update(chunk)
                    if h.hexdigest() != want[2]:
                        report.difference = (
                            f"{where}: stored content of {_display(change.path)!r} does not "
                            f"hash to its sha256"
                        )
                        return report
                report.checked_paths += 1
            if expected:
                path = min(expected)
                report.difference = (
                    f"{where}: git changes {_display(path)!r} at {commit[:12]} "
                    f"but mic has no such change"
                )
                return report
            previous, previous_index = commit, index
            report.sessions += 1
            report.last_commit = commit
        if report.last_commit is not None:
            report.difference = _compare_head(mic, git_dir, report.last_commit, content)
        report.commits_behind = len(chain) - 1 - previous_index
    return report


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
    if kind == "deleted":
        return "deleted"
    return f"{kind} mode {mode:o}, {size} bytes, sha256 {sha[:12]}"
