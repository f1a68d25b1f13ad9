"""Renames with edits, found by git's own similarity detection (``git diff-tree -M``).

Exact renames (the same object under a new path) pair without git
(:func:`importers.git.mapping.pair_renames`). A session whose net change still has an
unpaired addition and an unpaired deletion asks git once, between the commit before its first
one and its last: git's similarity estimate, with its default threshold of 50%, decides, so
mic shows the renames that ``git log -M`` shows for the same range. Sessions without such a
pair, the vast majority, cost nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from importers.git.gitcmd import RepoPath, run_git
from importers.git.mapping import PlannedChange
from importers.git.records import Commit

#: Past this many candidate paths on either side git skips similarity (its default limit).
RENAME_LIMIT = 1000

Rename = tuple[bytes, bytes, int]  # old path, new path, similarity in percent


def session_renames(
    repo: RepoPath, commits: Sequence[Commit], changes: list[PlannedChange], empty_tree: str
) -> list[PlannedChange]:
    """``changes`` (the net change of ``commits``) with the renames git finds marked."""
    if not _has_candidates(changes):
        return changes
    first, last = commits[0], commits[-1]
    before = first.parents[0] if first.parents else empty_tree
    return pair_similar(changes, similar_renames(repo, before, last.oid))


def similar_renames(repo: RepoPath, old: str, new: str) -> list[Rename]:
    """The renames git detects between two commits (or trees), exact ones included."""
    out = run_git(repo, ["diff-tree", "-r", "-z", "--raw", "--no-abbrev", "-M",
                         f"-l{RENAME_LIMIT}", "--diff-filter=R", old, new, "--"])
    tokens = iter(out.split(b"\0"))
    renames: list[Rename] = []
    for token in tokens:
        if not token.startswith(b":"):
            continue  # the trailing empty token
        status = token.rsplit(b" ", 1)[1]
        source, target = next(tokens), next(tokens)
        renames.append((source, target, int(status[1:] or b"100")))
    return renames


def pair_similar(changes: list[PlannedChange], renames: Iterable[Rename]) -> list[PlannedChange]:
    """Mark the renames whose two sides are an unpaired deletion and an unpaired addition of
    ``changes``; pairs that exact pairing already made stay as they are."""
    deleted = {c.path for c in changes if c.change_type == "deleted" and c.renamed_to is None}
    added = {c.path for c in changes if c.change_type == "added" and c.renamed_from is None}
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
        if change.change_type == "deleted" and change.path in sources:
            target, score = sources[change.path]
            out.append(replace(change, renamed_to=target, similarity=score))
        elif change.change_type == "added" and change.path in targets:
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
            (c.change_type == "deleted" and c.renamed_to is None)
            or (c.change_type == "added" and c.renamed_from is None)
        )
    }
    return unpaired == {"added", "deleted"}
