"""``merge_lines``: markers, labels, line ends, and the properties every merge keeps."""

from __future__ import annotations

import random

import pytest

from micelio.workdir.merge import Labels, merge_lines, split_lines

LABELS = Labels("session ses_01 (base @12)", "head @15", "base @12")
BASE = b"one\ntwo\nthree\nfour\nfive\nsix\nseven\n"


def test_edits_apart_merge_silently() -> None:
    ours = BASE.replace(b"two\n", b"TWO\n")
    theirs = BASE.replace(b"six\n", b"SIX\n")
    result = merge_lines(BASE, ours, theirs, LABELS)
    assert result.clean
    assert result.data == b"one\nTWO\nthree\nfour\nfive\nSIX\nseven\n"


def test_overlapping_edits_leave_labelled_markers() -> None:
    ours = BASE.replace(b"four\n", b"FOUR (ours)\n")
    theirs = BASE.replace(b"four\n", b"FOUR (theirs)\n")
    result = merge_lines(BASE, ours, theirs, LABELS)
    assert not result.clean
    assert result.data == (
        b"one\ntwo\nthree\n"
        b"<<<<<<< session ses_01 (base @12)\nFOUR (ours)\n=======\nFOUR (theirs)\n"
        b">>>>>>> head @15\n"
        b"five\nsix\nseven\n"
    )
    [region] = result.conflicts
    assert (region.line, region.ours, region.base, region.theirs) == (
        3,
        b"FOUR (ours)\n",
        b"four\n",
        b"FOUR (theirs)\n",
    )


def test_diff3_style_shows_the_base() -> None:
    ours = BASE.replace(b"four\n", b"4\n")
    theirs = BASE.replace(b"four\n", b"IV\n")
    result = merge_lines(BASE, ours, theirs, LABELS, style="diff3")
    assert b"<<<<<<< session ses_01 (base @12)\n4\n||||||| base @12\nfour\n=======\nIV\n" in (
        result.data
    )
    assert result.data.endswith(b">>>>>>> head @15\nfive\nsix\nseven\n")


def test_adjacent_edits_conflict_as_in_git() -> None:
    # git counts edits of neighbouring lines as one overlapping region.
    ours = BASE.replace(b"three\n", b"3\n")
    theirs = BASE.replace(b"four\n", b"4\n")
    result = merge_lines(BASE, ours, theirs, LABELS)
    assert not result.clean
    assert b"<<<<<<< session ses_01 (base @12)\n3\nfour\n=======\nthree\n4\n>>>>>>>" in (
        result.data
    )


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    both = BASE.replace(b"four\n", b"FOUR\n").replace(b"six\n", b"")
    result = merge_lines(BASE, both, both, LABELS)
    assert result.clean and result.data == both


def test_a_conflict_narrows_to_the_lines_that_differ() -> None:
    # Both rewrote lines 2-6, agreeing on all but one: only that one is in markers.
    ours = b"one\nA\nB\nC\nD\nE\nseven\n"
    theirs = b"one\nA\nB\nX\nD\nE\nseven\n"
    result = merge_lines(BASE, ours, theirs, LABELS)
    assert result.data == (
        b"one\nA\nB\n<<<<<<< session ses_01 (base @12)\nC\n=======\nX\n>>>>>>> head @15\n"
        b"D\nE\nseven\n"
    )


def test_crlf_markers_follow_the_files() -> None:
    base = b"a\r\nb\r\nc\r\n"
    result = merge_lines(base, b"a\r\nB\r\nc\r\n", b"a\r\nX\r\nc\r\n", Labels("o", "t"))
    assert result.data == b"a\r\n<<<<<<< o\r\nB\r\n=======\r\nX\r\n>>>>>>> t\r\nc\r\n"


def test_a_last_line_without_newline_gets_one_inside_markers() -> None:
    result = merge_lines(b"a\nb", b"a\nB", b"a\nX", Labels("o", "t"))
    assert result.data == b"a\n<<<<<<< o\nB\n=======\nX\n>>>>>>> t\n"
    # Adding the final newline is itself a change of the last line.
    result = merge_lines(b"a\nb", b"a\nb\n", b"a\nX", Labels("o", "t"))
    assert result.data == b"a\n<<<<<<< o\nb\n=======\nX\n>>>>>>> t\n"


def test_a_missing_final_newline_on_one_side_merges_like_any_edit() -> None:
    result = merge_lines(BASE, BASE.rstrip(b"\n"), BASE.replace(b"one", b"ONE"), LABELS)
    assert result.clean and result.data == BASE.replace(b"one", b"ONE").rstrip(b"\n")


def test_a_lone_carriage_return_does_not_split_a_line() -> None:
    assert split_lines(b"a\rb\nc") == [b"a\rb\n", b"c"]
    assert split_lines(b"") == []
    assert split_lines(b"\n\n") == [b"\n", b"\n"]


def test_empty_base_and_empty_sides() -> None:
    assert merge_lines(b"", b"", b"new\n", LABELS).data == b"new\n"
    result = merge_lines(b"", b"mine\n", b"yours\n", Labels("o", "t"))
    assert result.data == b"<<<<<<< o\nmine\n=======\nyours\n>>>>>>> t\n"
    assert merge_lines(BASE, b"", BASE, LABELS).data == b""


def random_text(rng: random.Random) -> bytes:
    words = [b"a\n", b"b\n", b"c\n", b"}\n", b"\n", b"d\r\n", b"e"]
    return b"".join(rng.choice(words) for _ in range(rng.randint(0, 8)))


@pytest.mark.parametrize("seed", range(200))
def test_properties(seed: int) -> None:
    """Merging with an unchanged side returns the other exactly; merging a version with
    itself returns it; any merge without conflicts has no markers of its own making."""
    rng = random.Random(seed)
    base, side = random_text(rng), random_text(rng)
    assert merge_lines(base, base, side, LABELS).data == side
    assert merge_lines(base, side, base, LABELS).data == side
    assert merge_lines(base, side, side, LABELS) == merge_lines(base, side, side, LABELS)
    assert merge_lines(base, side, side, LABELS).data == side
    assert merge_lines(base, side, side, LABELS).clean
    other = random_text(rng)
    result = merge_lines(base, side, other, LABELS)
    assert result.clean == (b"<<<<<<< " + LABELS.ours.encode() not in result.data)


def test_a_conflict_that_swallows_a_later_change() -> None:
    # Ours deleted lines 1-2, theirs 2-3: one conflict. git computes a start before line 0
    # here (merge.py's _append); the answer is still git's.
    base = b"line 1\nline 2\nline 3\n"
    result = merge_lines(base, b"line 3\n", b"line 1\n", Labels("ours", "theirs"))
    assert result.data == b"<<<<<<< ours\nline 3\n=======\nline 1\n>>>>>>> theirs\n"
