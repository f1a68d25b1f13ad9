"""``merge_file``: every row of the decision table in ``micelio.workdir.conflicts``."""

from __future__ import annotations

from micelio.vocabulary import ConflictKind, FileMode
from micelio.workdir.conflicts import Outcome, Version, is_binary, merge_file
from micelio.workdir.merge import Labels

LABELS = Labels("session ses_01 (base @3)", "head @5")
F, X, L, G = FileMode.FILE, FileMode.EXECUTABLE, FileMode.SYMLINK, FileMode.GITLINK
BASE = Version(F, b"a\nb\nc\nd\ne\n")


def edit(version: Version, old: bytes, new: bytes) -> Version:
    return Version(version.mode, version.data.replace(old, new))


def test_one_side_unchanged_takes_the_other() -> None:
    theirs = edit(BASE, b"b\n", b"B\n")
    assert merge_file(BASE, BASE, theirs, LABELS) == Outcome(theirs)
    assert merge_file(BASE, theirs, BASE, LABELS) == Outcome(theirs)
    assert merge_file(BASE, BASE, None, LABELS) == Outcome(None)
    assert merge_file(BASE, None, BASE, LABELS) == Outcome(None)
    assert merge_file(None, None, theirs, LABELS) == Outcome(theirs)


def test_both_the_same() -> None:
    same = edit(BASE, b"c\n", b"C\n")
    assert merge_file(BASE, same, same, LABELS) == Outcome(same)
    assert merge_file(BASE, None, None, LABELS) == Outcome(None)
    assert merge_file(None, same, same, LABELS) == Outcome(same)


def test_text_both_modified_merges_lines() -> None:
    out = merge_file(BASE, edit(BASE, b"a\n", b"A\n"), edit(BASE, b"e\n", b"E\n"), LABELS)
    assert out == Outcome(Version(F, b"A\nb\nc\nd\nE\n"))
    out = merge_file(BASE, edit(BASE, b"c\n", b"1\n"), edit(BASE, b"c\n", b"2\n"), LABELS)
    assert out.conflicts == (ConflictKind.CONTENT,)
    assert out.result == Version(
        F,
        b"a\nb\n<<<<<<< session ses_01 (base @3)\n1\n=======\n2\n>>>>>>> head @5\nd\ne\n",
    )


def test_add_add() -> None:
    assert merge_file(None, BASE, BASE, LABELS) == Outcome(BASE)
    out = merge_file(None, Version(F, b"x\nsame\n"), Version(F, b"y\nsame\n"), LABELS)
    assert out.conflicts == (ConflictKind.ADD_ADD,)
    assert out.result == Version(
        F, b"<<<<<<< session ses_01 (base @3)\nx\n=======\ny\n>>>>>>> head @5\nsame\n"
    )


def test_modify_delete_keeps_the_modified_version() -> None:
    modified = edit(BASE, b"b\n", b"B\n")
    assert merge_file(BASE, modified, None, LABELS) == Outcome(
        modified, (ConflictKind.MODIFY_DELETE,)
    )
    assert merge_file(BASE, None, modified, LABELS) == Outcome(
        modified, (ConflictKind.DELETE_MODIFY,)
    )


def test_binary_keeps_ours_and_theirs_beside_it() -> None:
    base, ours, theirs = Version(F, b"\0base"), Version(F, b"\0ours"), Version(F, b"\0theirs")
    assert is_binary(base.data) and not is_binary(b"x" * 8000 + b"\0")
    assert merge_file(base, ours, theirs, LABELS) == Outcome(ours, (ConflictKind.BINARY,), theirs)
    # Text on our side does not make a binary theirs mergeable.
    text = Version(F, b"text\n")
    assert merge_file(BASE, text, theirs, LABELS) == Outcome(text, (ConflictKind.BINARY,), theirs)


def test_symlinks() -> None:
    base, ours, theirs = Version(L, b"target"), Version(L, b"mine"), Version(L, b"yours")
    assert merge_file(base, ours, base, LABELS) == Outcome(ours)
    assert merge_file(base, ours, theirs, LABELS) == Outcome(ours, (ConflictKind.SYMLINK,), theirs)
    # A file on one side, a symlink on the other: distinct types, ours stays.
    assert merge_file(BASE, ours, edit(BASE, b"a", b"A"), LABELS) == Outcome(
        ours, (ConflictKind.SYMLINK,), edit(BASE, b"a", b"A")
    )
    assert merge_file(None, BASE, theirs, LABELS) == Outcome(BASE, (ConflictKind.SYMLINK,), theirs)


def test_gitlinks() -> None:
    base, ours, theirs = Version(G, b"1" * 40), Version(G, b"2" * 40), Version(G, b"3" * 40)
    assert merge_file(base, ours, theirs, LABELS) == Outcome(ours, (ConflictKind.SUBMODULE,))
    assert merge_file(None, BASE, theirs, LABELS) == Outcome(BASE, (ConflictKind.SUBMODULE,))


def test_mode_and_content_merge_apart() -> None:
    executable = Version(X, BASE.data)
    edited = edit(BASE, b"d\n", b"D\n")
    assert merge_file(BASE, executable, edited, LABELS) == Outcome(Version(X, edited.data))
    assert merge_file(BASE, edited, executable, LABELS) == Outcome(Version(X, edited.data))
    # Both made it executable and edited apart.
    ours = Version(X, edit(BASE, b"a\n", b"A\n").data)
    theirs = Version(X, edited.data)
    assert merge_file(BASE, ours, theirs, LABELS) == Outcome(Version(X, b"A\nb\nc\nD\ne\n"))


def test_mode_conflict_when_both_added_with_different_modes() -> None:
    out = merge_file(None, Version(X, b"same\n"), Version(F, b"same\n"), LABELS)
    assert out == Outcome(Version(X, b"same\n"), (ConflictKind.MODE,))
    out = merge_file(None, Version(X, b"1\n"), Version(F, b"2\n"), LABELS)
    assert out.conflicts == (ConflictKind.MODE, ConflictKind.ADD_ADD)
    assert out.result is not None and out.result.mode == X


def test_a_file_that_was_a_symlink_merges_against_an_empty_base() -> None:
    base = Version(L, b"target")
    out = merge_file(base, Version(F, b"x\n"), Version(F, b"y\n"), LABELS)
    assert out.conflicts == (ConflictKind.ADD_ADD,)


def test_no_outcome_loses_a_side() -> None:
    """Whatever the three versions: ours is the result, inside it, or beside it; a clean merge
    takes both sides (it is the same with the sides swapped); a conflict keeps theirs in the
    markers, beside ours, or is one that names it (a deletion, a gitlink)."""
    versions = [
        None,
        BASE,
        edit(BASE, b"a", b"A"),
        Version(X, BASE.data),
        Version(F, b"\0bin"),
        Version(L, b"t"),
        Version(G, b"c" * 40),
    ]
    marker = b"<<<<<<< session ses_01"
    named = {ConflictKind.MODIFY_DELETE, ConflictKind.SUBMODULE}
    for base in versions:
        for ours in versions:
            for theirs in versions:
                out = merge_file(base, ours, theirs, LABELS)
                case = (base, ours, theirs, out)
                if out.clean:
                    assert out == merge_file(base, theirs, ours, LABELS), case
                    continue
                assert out.result is not None, case
                if ours is not None and ours != base:
                    assert out.result.data == ours.data or marker in out.result.data, case
                if theirs is not None and theirs != base:
                    assert (
                        out.result.data == theirs.data
                        or marker in out.result.data
                        or out.theirs_aside == theirs
                        or named & set(out.conflicts)
                    ), case
