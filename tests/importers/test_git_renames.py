"""Renames with edits: git's similarity detection, for what exact pairing leaves over."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from importers.git.gitcmd import GitError, empty_tree
from importers.git.mapping import PlannedChange, net_changes
from importers.git.renames import RenameFinder, pair_similar, similar_renames
from importers.git.walk import walk
from tests.support.git_changes import A1, A2, A3, F, by_subject, chain, oid, raw


def _renamed(changes: Iterable[PlannedChange]) -> dict[bytes, tuple[bytes | None, int | None]]:
    return {
        c.path: (c.renamed_from or c.renamed_to, c.similarity)
        for c in changes
        if c.renamed_from or c.renamed_to
    }


def test_pairs_only_unpaired_deletions_with_unpaired_additions() -> None:
    changes = net_changes(
        chain(
            [
                raw("D", b"exact-old", A1, None),
                raw("A", b"exact-new", None, A1),
                raw("D", b"old", A2, None),
                raw("A", b"new", None, (F, oid(4))),
                raw("D", b"gone", A3, None),
                raw("M", b"kept", A1, A2),
            ]
        )
    )
    renames = [
        (b"exact-old", b"exact-new", 100),  # already paired exactly: unchanged
        (b"old", b"new", 87),
        (b"gone", b"new", 60),  # "new" is taken: pairing is one to one
        (b"kept", b"elsewhere", 90),  # not a deletion and an addition of this change set
    ]
    paired = pair_similar(changes, renames)
    assert _renamed(paired) == {
        b"exact-old": (b"exact-new", 100),
        b"exact-new": (b"exact-old", 100),
        b"old": (b"new", 87),
        b"new": (b"old", 87),
    }
    assert [c.path for c in paired] == [c.path for c in changes]
    assert pair_similar(changes, []) == changes


def test_git_is_not_asked_without_an_unpaired_pair(tmp_path: Path) -> None:
    commits = chain(
        [raw("D", b"old", A1, None), raw("A", b"new", None, A1), raw("A", b"added", None, A2)]
    )
    changes = net_changes(commits)
    # Not a repository: any git call would fail.
    with RenameFinder(tmp_path, "unused", "unused") as finder:
        assert finder.session_renames(commits, changes) == changes


def edited_tip(repo: Path) -> str:
    return list(walk(repo))[-1].oid


def test_rename_with_an_edit_is_paired_with_its_similarity(repos: dict[str, Path]) -> None:
    repo = repos["rename"]
    commits = by_subject(list(walk(repo)))
    empty = empty_tree(repo)

    finder = RenameFinder(repo, empty, edited_tip(repo))
    edited = commits["rename: rename and edit"]
    changes = finder.session_renames([edited], net_changes([edited]))
    renamed = _renamed(changes)
    assert set(renamed) == {b"edit.txt", b"edited.txt"}  # the rewrite stays delete + add
    path, score = renamed[b"edited.txt"]
    assert path == b"edit.txt" and score is not None and 50 <= score < 100
    assert {c.path: c.change_type for c in changes}[b"rewritten.txt"] == "added"

    exact = commits["rename: exact rename"]
    assert _renamed(finder.session_renames([exact], net_changes([exact]))) == {
        b"old.txt": (b"new.txt", 100),
        b"new.txt": (b"old.txt", 100),
    }
    finder.close()


def test_one_git_process_answers_every_question_in_turn(repos: dict[str, Path]) -> None:
    """The long-lived ``diff-tree --stdin`` gives what one-off runs give, question after
    question, empty answers included, and from the root against the empty tree."""
    repo = repos["kitchen-sink"]
    commits = list(walk(repo))
    empty = empty_tree(repo)
    scores = []
    with RenameFinder(repo, empty, commits[-1].oid) as finder:
        for commit in commits[1:]:
            expected = similar_renames(repo, commit.parents[0], commit.oid)
            assert finder.renames(commit.parents[0], commit.oid) == expected, commit.message
            scores += [score for _, _, score in expected]
        whole = finder.renames(commits[1].oid, commits[-1].oid)
    assert whole == similar_renames(repo, commits[1].oid, commits[-1].oid)
    assert 100 in scores and any(score < 100 for score in scores)


def test_a_git_failure_is_an_error_not_a_hang(repos: dict[str, Path]) -> None:
    repo = repos["rename"]
    commits = list(walk(repo))
    head = commits[-1]
    with RenameFinder(repo, empty_tree(repo), head.oid) as finder:
        with pytest.raises(GitError):
            finder.renames(head.oid, "1" * 40)  # NEW unreadable: git skips the line
        with pytest.raises(GitError):
            finder.renames("0" * 40, head.oid)  # OLD unreadable: git dies
        with pytest.raises(GitError):
            finder.renames("0" * 40, commits[1].oid)
        # A new process takes over after each failure.
        assert finder.renames(head.parents[0], head.oid) == similar_renames(
            repo, head.parents[0], head.oid
        )


def test_similar_renames_reads_git_diff_tree(repos: dict[str, Path]) -> None:
    repo = repos["rename"]
    edited = by_subject(list(walk(repo)))["rename: rename and edit"]
    ((source, target, score),) = similar_renames(repo, edited.parents[0], edited.oid)
    assert (source, target) == (b"edit.txt", b"edited.txt") and 50 <= score < 100
