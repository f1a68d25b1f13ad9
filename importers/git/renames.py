"""Renames with edits, found by git's own similarity detection (``git diff-tree -M``).

Exact renames (the same object under a new path) pair without git
(:func:`importers.git.mapping.pair_renames`). A session whose net change still has an
unpaired addition and an unpaired deletion asks git, between the commit before its first
one and its last: git's similarity estimate, with its default threshold of 50%, decides, so
mic shows the renames that ``git log -M`` shows for the same range. Sessions without such a
pair, the vast majority, cost nothing; the others share one long-lived ``diff-tree --stdin``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from importers.git.gitcmd import ClosedOnExit, GitError, GitProcess, RepoPath, run_git
from importers.git.mapping import PlannedChange
from importers.history import Commit
from micelio.vocabulary import ChangeType

#: Past this many candidate paths on either side git skips similarity (its default limit).
RENAME_LIMIT = 1000
_DIFF_ARGS = ("-r", "-z", "--raw", "--no-abbrev", "-M", f"-l{RENAME_LIMIT}", "--diff-filter=R")

Rename = tuple[bytes, bytes, int]  # old path, new path, similarity in percent


class RenameFinder(ClosedOnExit):
    """Answers "which renames does git see between these commits" from one long-lived
    ``git diff-tree --stdin``, started at the first question; a context manager.

    ``--stdin`` reads "NEW OLD" lines and answers each with NEW's id (``--always``), then its
    entries, flushing after each. An answer has no end marker, so each question is followed by
    a second one, ``anchor`` (a commit known to exist) against itself, whose answer marks the
    end of the first. git skips a line whose NEW it cannot read, and dies on an unreadable
    OLD: the anchor's answer coming first, or the end of its output, is then an error, never
    a wait.
    """

    def __init__(self, repo: RepoPath, empty_tree: str, anchor: str) -> None:
        self.repo = repo
        self.empty_tree = empty_tree
        self.anchor = anchor
        self._process: GitProcess | None = None
        self._tokens: Iterator[bytes] | None = None

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process = self._tokens = None

    def session_renames(
        self, commits: Sequence[Commit], changes: list[PlannedChange]
    ) -> list[PlannedChange]:
        """``changes`` (the net change of ``commits``) with the renames git finds marked."""
        if not _has_candidates(changes):
            return changes
        first, last = commits[0], commits[-1]
        if not first.parents:  # a root: diff against the empty tree, once per history
            return pair_similar(changes, similar_renames(self.repo, self.empty_tree, last.oid))
        return pair_similar(changes, self.renames(first.parents[0], last.oid))

    def renames(self, old: str, new: str) -> list[Rename]:
        """The renames git detects between two commits, exact ones included."""
        process, tokens = self._started()
        assert process.stdin is not None
        # The anchor exists: when NEW is the anchor only OLD can fail, and git dies of that.
        try:
            process.stdin.write(f"{new} {old}\n{self.anchor} {self.anchor}\n".encode("ascii"))
            process.stdin.flush()
            if next(tokens) == new.encode("ascii"):
                renames: list[Rename] = []
                for token in tokens:
                    if not token.startswith(b":"):  # the marker's answer
                        return renames
                    renames.append(_rename(token, next(tokens), next(tokens)))
        except (OSError, StopIteration):
            pass
        code, stderr = process.proc.poll(), process.stderr_text()
        self.close()
        raise GitError(["diff-tree", "--stdin", *_DIFF_ARGS], -1 if code is None else code, stderr)

    def _started(self) -> tuple[GitProcess, Iterator[bytes]]:
        if self._process is None or self._tokens is None:
            self._process = GitProcess(
                self.repo,
                ["diff-tree", "--stdin", "--always", *_DIFF_ARGS],
                stdin=subprocess.PIPE,
            )
            self._tokens = _tokens(self._process)
        return self._process, self._tokens


def similar_renames(repo: RepoPath, old: str, new: str) -> list[Rename]:
    """The renames git detects between two commits (or trees), exact ones included."""
    out = run_git(repo, ["diff-tree", *_DIFF_ARGS, old, new, "--"])
    tokens = iter(out.split(b"\0"))
    return [
        _rename(token, next(tokens), next(tokens)) for token in tokens if token.startswith(b":")
    ]


def _rename(meta: bytes, source: bytes, target: bytes) -> Rename:
    status = meta.rsplit(b" ", 1)[1]  # R and the score: R086
    return source, target, int(status[1:] or b"100")


def _tokens(process: GitProcess) -> Iterator[bytes]:
    """NUL-terminated tokens as soon as git has written them (never waiting for more)."""
    rest = b""
    while True:
        chunk = process.stdout.read1(1 << 16)  # type: ignore[attr-defined]
        if not chunk:
            return
        parts = (rest + chunk).split(b"\0")
        rest = parts.pop()
        yield from parts


def pair_similar(changes: list[PlannedChange], renames: Iterable[Rename]) -> list[PlannedChange]:
    """Mark the renames whose two sides are an unpaired deletion and an unpaired addition of
    ``changes``; pairs that exact pairing already made stay as they are."""
    deleted = {
        c.path for c in changes if c.change_type == ChangeType.DELETED and c.renamed_to is None
    }
    added = {
        c.path for c in changes if c.change_type == ChangeType.ADDED and c.renamed_from is None
    }
    targets: dict[bytes, tuple[bytes, int]] = {}
    sources: dict[bytes, tuple[bytes, int]] = {}
    for source, target, score in renames:
        taken = source in sources or target in targets
        if source in deleted and target in added and not taken:
            sources[source] = (target, score)
            targets[target] = (source, score)
    if not sources:
        return changes
    out: list[PlannedChange] = []
    for change in changes:
        if change.change_type == ChangeType.DELETED and change.path in sources:
            target, score = sources[change.path]
            out.append(replace(change, renamed_to=target, similarity=score))
        elif change.change_type == ChangeType.ADDED and change.path in targets:
            source, score = targets[change.path]
            out.append(replace(change, renamed_from=source, similarity=score))
        else:
            out.append(change)
    return out


def _has_candidates(changes: Iterable[PlannedChange]) -> bool:
    unpaired = {
        c.change_type
        for c in changes
        if c.kind != "gitlink"
        and (
            (c.change_type == ChangeType.DELETED and c.renamed_to is None)
            or (c.change_type == ChangeType.ADDED and c.renamed_from is None)
        )
    }
    return unpaired == {ChangeType.ADDED, ChangeType.DELETED}
