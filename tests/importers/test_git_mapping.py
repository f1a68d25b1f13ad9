"""Folding raw diffs into net change sets, and the tree invariant on every fixture."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from fixtures import build
from importers.git.blobs import BlobReader, BlobStream
from importers.git.land import to_change
from importers.git.mapping import EMPTY_BLOB_OID, PlannedChange, apply, kind_of, net_changes
from importers.git.walk import walk
from micelio.vocabulary import ChangeType, FileMode
from tests.support.git_changes import A1, A2, A3, Entry, F, G, L, X, chain, oid, raw
from tests.support.gitrepo import ls_tree

Summary = tuple[bytes, str, int, str, int, str, str]


def summary(changes: list[PlannedChange]) -> list[Summary]:
    return [(c.path, c.change_type, c.old_mode, c.old_oid, c.mode, c.oid, c.kind) for c in changes]


# Each case: raw changes per commit -> expected (path, type, old mode, old oid, mode, oid, kind).
FOLDING = {
    "added": ([[raw("A", b"p", None, A1)]], [(b"p", "added", 0, "", F, oid(1), "file")]),
    "added then modified": (
        [[raw("A", b"p", None, A1)], [raw("M", b"p", A1, A2)]],
        [(b"p", "added", 0, "", F, oid(2), "file")],
    ),
    "added then deleted": ([[raw("A", b"p", None, A1)], [raw("D", b"p", A1, None)]], []),
    "added, deleted, added": (
        [[raw("A", b"p", None, A1)], [raw("D", b"p", A1, None)], [raw("A", b"p", None, A2)]],
        [(b"p", "added", 0, "", F, oid(2), "file")],
    ),
    "deleted": ([[raw("D", b"p", A1, None)]], [(b"p", "deleted", F, oid(1), 0, "", "file")]),
    "deleted then added back the same": (
        [[raw("D", b"p", A1, None)], [raw("A", b"p", None, A1)]],
        [],
    ),
    "deleted then added different": (
        [[raw("D", b"p", A1, None)], [raw("A", b"p", None, A2)]],
        [(b"p", "modified", F, oid(1), F, oid(2), "file")],
    ),
    "deleted then added as a symlink": (
        [[raw("D", b"p", A1, None)], [raw("A", b"p", None, (L, oid(1)))]],
        [(b"p", "modified", F, oid(1), L, oid(1), "symlink")],
    ),
    "modified twice": (
        [[raw("M", b"p", A1, A2)], [raw("M", b"p", A2, A3)]],
        [(b"p", "modified", F, oid(1), F, oid(3), "file")],
    ),
    "modified and reverted": ([[raw("M", b"p", A1, A2)], [raw("M", b"p", A2, A1)]], []),
    "modified then deleted": (
        [[raw("M", b"p", A1, A2)], [raw("D", b"p", A2, None)]],
        [(b"p", "deleted", F, oid(1), 0, "", "file")],
    ),
    "deleted, added, deleted": (
        [[raw("D", b"p", A1, None)], [raw("A", b"p", None, A2)], [raw("D", b"p", A2, None)]],
        [(b"p", "deleted", F, oid(1), 0, "", "file")],
    ),
    "mode only": (
        [[raw("M", b"p", A1, (X, oid(1)))]],
        [(b"p", "modified", F, oid(1), X, oid(1), "executable")],
    ),
    "mode there and back": (
        [[raw("M", b"p", A1, (X, oid(1)))], [raw("M", b"p", (X, oid(1)), A1)]],
        [],
    ),
    "type change file to symlink": (
        [[raw("T", b"p", A1, (L, oid(2)))]],
        [(b"p", "modified", F, oid(1), L, oid(2), "symlink")],
    ),
    "type change there and back": (
        [[raw("T", b"p", A1, (L, oid(1)))], [raw("T", b"p", (L, oid(1)), A1)]],
        [],
    ),
    "symlink to executable": (
        [[raw("T", b"p", (L, oid(1)), (X, oid(2)))]],
        [(b"p", "modified", L, oid(1), X, oid(2), "executable")],
    ),
    "gitlink added": (
        [[raw("A", b"sub", None, (G, oid(7)))]],
        [(b"sub", "added", 0, "", G, oid(7), "gitlink")],
    ),
    "gitlink bumped twice": (
        [
            [raw("M", b"sub", (G, oid(7)), (G, oid(8)))],
            [raw("M", b"sub", (G, oid(8)), (G, oid(9)))],
        ],
        [(b"sub", "modified", G, oid(7), G, oid(9), "gitlink")],
    ),
    "gitlink replaced by a file": (
        [[raw("D", b"sub", (G, oid(7)), None), raw("A", b"sub", None, A1)]],
        [(b"sub", "modified", G, oid(7), F, oid(1), "file")],
    ),
    "file becomes a directory": (
        [[raw("D", b"a", A1, None), raw("A", b"a/b", None, A2)]],
        [(b"a", "deleted", F, oid(1), 0, "", "file"), (b"a/b", "added", 0, "", F, oid(2), "file")],
    ),
    "file to directory and back": (
        [
            [raw("D", b"a", A1, None), raw("A", b"a/b", None, A2)],
            [raw("D", b"a/b", A2, None), raw("A", b"a", None, A3)],
        ],
        [(b"a", "modified", F, oid(1), F, oid(3), "file")],
    ),
    "directory to file and back to the same": (
        [
            [raw("D", b"a/b", A2, None), raw("A", b"a", None, A1)],
            [raw("D", b"a", A1, None), raw("A", b"a/b", None, A2)],
        ],
        [],
    ),
    "sorted by path bytes": (
        [[raw("A", path, None, A1) for path in (b"b", b"a/z", b"a-", b"\xff")]],
        [
            (b"a-", "added", 0, "", F, oid(1), "file"),
            (b"a/z", "added", 0, "", F, oid(1), "file"),
            (b"b", "added", 0, "", F, oid(1), "file"),
            (b"\xff", "added", 0, "", F, oid(1), "file"),
        ],
    ),
}


@pytest.mark.parametrize("case", FOLDING)
def test_folding(case: str) -> None:
    raw_changes, expected = FOLDING[case]
    assert summary(net_changes(chain(*raw_changes))) == expected


@pytest.mark.parametrize("case", FOLDING)
def test_folding_applies_like_the_commits_one_by_one(case: str) -> None:
    raw_changes, _ = FOLDING[case]
    commits = chain(*raw_changes)
    start: dict[bytes, tuple[int, str]] = {}  # the tree the first commit starts from
    seen: set[bytes] = set()
    for change in (change for commit in commits for change in commit.changes):
        if change.path not in seen and change.old_mode:
            start[change.path] = (change.old_mode, change.old_oid)
        seen.add(change.path)
    one_by_one = start
    for commit in commits:
        one_by_one = apply(one_by_one, net_changes([commit]))
    assert apply(start, net_changes(commits)) == one_by_one


def pairs(changes: list[PlannedChange]) -> set[tuple[bytes, bytes]]:
    return {(c.path, c.renamed_to) for c in changes if c.renamed_to} | {
        (c.renamed_from, c.path) for c in changes if c.renamed_from
    }


def test_exact_rename_pairs_a_deletion_and_an_addition() -> None:
    changes = net_changes(chain([raw("D", b"old", A1, None), raw("A", b"new", None, A1)]))
    assert pairs(changes) == {(b"old", b"new")}
    added, deleted = sorted(changes, key=lambda c: c.change_type)
    assert (deleted.renamed_to, added.renamed_from) == (b"new", b"old")
    assert apply({b"old": A1}, changes) == {b"new": A1}


def test_rename_across_commits_pairs_the_ends() -> None:
    changes = net_changes(
        chain(
            [raw("D", b"x", A1, None), raw("A", b"y", None, A1)],
            [raw("D", b"y", A1, None), raw("A", b"z", None, A1)],
        )
    )
    assert pairs(changes) == {(b"x", b"z")}
    assert [c.path for c in changes] == [b"x", b"z"]


def test_rename_with_an_edit_is_a_deletion_and_an_addition() -> None:
    changes = net_changes(chain([raw("D", b"old", A1, None), raw("A", b"new", None, A2)]))
    assert pairs(changes) == set()


def test_empty_files_are_not_renames() -> None:
    empty = (F, EMPTY_BLOB_OID)
    changes = net_changes(chain([raw("D", b"e1", empty, None), raw("A", b"e2", None, empty)]))
    assert pairs(changes) == set()


def test_twins_pair_by_base_name_one_to_one() -> None:
    changes = net_changes(
        chain(
            [
                raw("D", b"t1", A1, None),
                raw("D", b"t2", A1, None),
                raw("A", b"m/t2", None, A1),
                raw("A", b"m/t1", None, A1),
                raw("A", b"m/t3", None, A1),
            ]
        )
    )
    assert pairs(changes) == {(b"t1", b"m/t1"), (b"t2", b"m/t2")}


def test_rename_may_flip_the_executable_bit_not_the_type() -> None:
    chmod = net_changes(chain([raw("D", b"a", A1, None), raw("A", b"b", None, (X, oid(1)))]))
    assert pairs(chmod) == {(b"a", b"b")}
    link = net_changes(chain([raw("D", b"a", A1, None), raw("A", b"b", None, (L, oid(1)))]))
    assert pairs(link) == set()


def test_commits_must_be_consecutive() -> None:
    a, _b, c = chain([], [], [])
    with pytest.raises(ValueError, match="does not follow"):
        net_changes([a, c])


def test_changes_must_chain() -> None:
    with pytest.raises(ValueError, match="did not leave"):
        net_changes(chain([raw("M", b"p", A1, A2)], [raw("M", b"p", A3, A1)]))


@pytest.mark.parametrize(
    ("tree", "change", "message"),
    [
        ({}, PlannedChange(b"p", ChangeType.DELETED, 0, F, "", oid(1)), "cannot apply deleted"),
        (
            {b"p": A2},
            PlannedChange(b"p", ChangeType.MODIFIED, F, F, oid(3), oid(1)),
            "cannot apply",
        ),
        ({b"p": A1}, PlannedChange(b"p", ChangeType.ADDED, F, 0, oid(1), ""), "it exists"),
        ({b"a": A1}, PlannedChange(b"a/b", ChangeType.ADDED, F, 0, oid(1), ""), "is a file"),
        ({b"a/b": A1}, PlannedChange(b"a", ChangeType.ADDED, F, 0, oid(1), ""), "also a directory"),
        (
            {},
            PlannedChange(b"d", ChangeType.ADDED, FileMode.TREE, 0, oid(1), ""),
            "not a file mode",
        ),
    ],
)
def test_apply_refuses_what_does_not_fit(
    tree: dict[bytes, Entry], change: PlannedChange, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        apply(tree, [change])


def test_apply_does_not_touch_its_input() -> None:
    tree = {b"p": A1}
    apply(tree, [PlannedChange(b"p", ChangeType.DELETED, 0, F, "", oid(1))])
    assert tree == {b"p": A1}


def test_kinds() -> None:
    # Old trees hold modes such as 100664; git goes by the owner's execute bit alone.
    assert [kind_of(m) for m in (F, X, L, G, 0o100664, 0o100744, 0o100655)] == [
        "file",
        "executable",
        "symlink",
        "gitlink",
        "file",
        "executable",
        "file",
    ]


# -- the tree invariant on real histories ------------------------------------------------------


def plans(n: int) -> dict[str, list[range]]:
    """Ways to cut ``n`` commits into sessions."""

    def runs(size: int, offset: int) -> list[range]:
        cuts = [0, *range(offset or size, n, size), n]
        return [range(a, b) for a, b in itertools.pairwise(cuts) if a < b]

    return {
        "one commit per session": runs(1, 0),
        "runs of 3": runs(3, 0),
        "runs of 3 from the second": runs(3, 1),
        "runs of 3 from the third": runs(3, 2),
        "everything at once": [range(n)] if n else [],
    }


@pytest.mark.parametrize("name", build.NAMES)
def test_net_changes_rebuild_every_session_tree(repos: dict[str, Path], name: str) -> None:
    repo = repos[name]
    commits = list(walk(repo))
    trees = [ls_tree(repo, c.oid) for c in commits]
    for plan, sessions in plans(len(commits)).items():
        tree: dict[bytes, tuple[int, str]] = {}
        for run in sessions:
            tree = apply(tree, net_changes(commits[run.start : run.stop]))
            assert tree == trees[run.stop - 1], (plan, run)


def test_fixtures_exercise_renames_and_directory_swaps(repos: dict[str, Path]) -> None:
    commits = list(walk(repos["rename"]))
    everything = net_changes(commits[1:])
    assert pairs(everything) == {
        (b"old.txt", b"new.txt"),
        (b"twin-1.txt", b"moved/twin-1.txt"),
        (b"twin-2.txt", b"moved/twin-2.txt"),
        (b"dir/a.txt", b"renamed-dir/a.txt"),
        (b"dir/b.txt", b"renamed-dir/b.txt"),
        (b"tool", b"bin/tool"),
    }
    swap = net_changes(list(walk(repos["file-to-dir"]))[1:2])
    assert summary(swap)[0][:2] == (b"a", "deleted")


def test_gitlink_content_is_its_commit_id(repos: dict[str, Path]) -> None:
    commits = list(walk(repos["gitlink"]))
    with BlobReader(repos["gitlink"]) as blobs:
        planned = {c.path: c for c in net_changes(commits[:1])}
        assert (planned[b"sub"].kind, planned[b"sub"].size) == ("gitlink", 40)
        sub = to_change(planned[b"sub"], blobs)
        assert (sub.size, sub.content) == (40, build.SUBMODULE_A.encode())
        modules = to_change(planned[b".gitmodules"], blobs)
        assert isinstance(modules.content, BlobStream)
        data = modules.content.read()
        assert modules.size == len(data) and data.startswith(b"[submodule")
        gone = net_changes(commits[:1] + commits[1:])  # all of it: nothing left
        deleted = [c for c in gone if c.change_type == ChangeType.DELETED]
        assert all(to_change(c, blobs).content is None for c in deleted)
