"""Three-way line merge of byte strings, as ``git merge-file`` does it (pure).

A port of git's ``xdiff/xmerge.c`` over two line diffs (base→ours, base→theirs):

* Changes of one side that neither overlap nor touch a change of the other side merge silently;
  changes that overlap, or touch (git counts adjacent edits, and two insertions at one place, as
  a conflict), become one conflict region.
* The same change on both sides is no conflict.
* ``style="merge"`` is git's default (``XDL_MERGE_ZEALOUS_ALNUM``): a conflict is narrowed to
  the lines where ours and theirs really differ, and conflicts separated by at most three
  lines, or by lines without a letter or digit, are joined. ``style="diff3"`` shows the base
  (``|||||||``) and, like git, does not narrow.
* Lines are split after ``\\n``; a last line without one gets one inside a conflict region, and
  markers end in ``\\r\\n`` when the surrounding lines do (git's ``is_cr_needed``).

The line diffs come from ``difflib`` after trimming the common head and tail, as xdiff does.
Where several diffs are equally short (repeated lines), xdiff's Myers diff and its hunk sliding
may choose another one than ``difflib``, and so place a change elsewhere; for every diff that is
unique the output is git's byte for byte (``tests/workdir/test_merge_git.py``).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from micelio.lines import common_ends

MARKER_SIZE = 7

Style = Literal["merge", "diff3"]


@dataclass(frozen=True, slots=True)
class Labels:
    """What the conflict markers name, e.g. ``session ses_… (base @12)`` and ``head @15``."""

    ours: str
    theirs: str
    base: str = "base"


@dataclass(frozen=True, slots=True)
class ConflictRegion:
    """One conflict: its ``<<<<<<<`` line in the result (0-based), and each side's lines."""

    line: int
    ours: bytes
    base: bytes
    theirs: bytes


@dataclass(frozen=True, slots=True)
class MergeResult:
    data: bytes
    conflicts: tuple[ConflictRegion, ...]

    @property
    def clean(self) -> bool:
        return not self.conflicts


@dataclass(frozen=True, slots=True)
class _Change:
    """A hunk of a two-way diff: ``chg1`` lines at ``i1`` of the old file became ``chg2`` lines
    at ``i2`` of the new one (xdiff's ``xdchange_t``)."""

    i1: int
    chg1: int
    i2: int
    chg2: int


@dataclass(slots=True)
class _Merge:
    """A region of the merge (xdiff's ``xdmerge_t``): 0 both (conflict), 1 ours, 2 theirs,
    4 the same change on both sides. Index 0 is the base, 1 ours, 2 theirs."""

    mode: int
    i0: int
    chg0: int
    i1: int
    chg1: int
    i2: int
    chg2: int


def split_lines(data: bytes) -> list[bytes]:
    """xdiff's records: each line with its ``\\n``; the last one may have none. (Not
    ``bytes.splitlines``: that also splits on a lone ``\\r``.)"""
    lines = [line + b"\n" for line in data.split(b"\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def diff_lines(old: Sequence[bytes], new: Sequence[bytes]) -> list[_Change]:
    """The hunks turning ``old`` into ``new``, in order."""
    head, tail = common_ends(old, new)
    a, b = old[head : len(old) - tail], new[head : len(new) - tail]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [
        _Change(head + i1, i2 - i1, head + j1, j2 - j1)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def _append(merges: list[_Merge], new: _Merge) -> None:
    """xdl_append_merge: a region touching the previous one joins it (a conflict if the modes
    differ)."""
    if merges:
        m = merges[-1]
        if new.i1 <= m.i1 + m.chg1 or new.i2 <= m.i2 + m.chg2:
            if new.mode != m.mode:
                m.mode = 0
            # Regions come in order, so the joined one starts where ``m`` does. (git takes the
            # minimum: after a conflict, a trailing change's start, computed from the files'
            # lengths, can fall before line 0, and git then reads before its array.)
            i0, i1, i2 = m.i0, m.i1, m.i2
            m.chg0 = new.i0 + new.chg0 - i0
            m.chg1 = new.i1 + new.chg1 - i1
            m.chg2 = new.i2 + new.chg2 - i2
            m.i0, m.i1, m.i2 = i0, i1, i2
            return
    merges.append(new)


def _regions(
    ours_changes: list[_Change],
    theirs_changes: list[_Change],
    ours: list[bytes],
    theirs: list[bytes],
    n_base: int,
) -> list[_Merge]:
    """xdl_do_merge's walk over both diffs: the regions each side changed, conflicts where
    they overlap or touch."""
    merges: list[_Merge] = []
    x, y = 0, 0
    while x < len(ours_changes) and y < len(theirs_changes):
        c1, c2 = ours_changes[x], theirs_changes[y]
        if c1.i1 + c1.chg1 < c2.i1:
            i2 = c2.i2 - c2.i1 + c1.i1
            _append(merges, _Merge(1, c1.i1, c1.chg1, c1.i2, c1.chg2, i2, c1.chg1))
            x += 1
            continue
        if c2.i1 + c2.chg1 < c1.i1:
            i1 = c1.i2 - c1.i1 + c2.i1
            _append(merges, _Merge(2, c2.i1, c2.chg1, i1, c2.chg1, c2.i2, c2.chg2))
            y += 1
            continue
        same = (
            c1.i1 == c2.i1
            and c1.chg1 == c2.chg1
            and c1.chg2 == c2.chg2
            and ours[c1.i2 : c1.i2 + c1.chg2] == theirs[c2.i2 : c2.i2 + c2.chg2]
        )
        if not same:
            off = c1.i1 - c2.i1
            ffo = off + c1.chg1 - c2.chg1
            i0, i1, i2 = c1.i1, c1.i2, c2.i2
            if off > 0:
                i0 -= off
                i1 -= off
            else:
                i2 += off
            chg0 = c1.i1 + c1.chg1 - i0
            chg1 = c1.i2 + c1.chg2 - i1
            chg2 = c2.i2 + c2.chg2 - i2
            if ffo < 0:
                chg0 -= ffo
                chg1 -= ffo
            else:
                chg2 += ffo
            _append(merges, _Merge(0, i0, chg0, i1, chg1, i2, chg2))
        end1, end2 = c1.i1 + c1.chg1, c2.i1 + c2.chg1
        if end1 >= end2:
            y += 1
        if end2 >= end1:
            x += 1
    for c1 in ours_changes[x:]:
        i2 = c1.i1 + len(theirs) - n_base
        _append(merges, _Merge(1, c1.i1, c1.chg1, c1.i2, c1.chg2, i2, c1.chg1))
    for c2 in theirs_changes[y:]:
        i1 = c2.i1 + len(ours) - n_base
        _append(merges, _Merge(2, c2.i1, c2.chg1, i1, c2.chg1, c2.i2, c2.chg2))
    return merges


def _refine(merges: list[_Merge], ours: list[bytes], theirs: list[bytes]) -> list[_Merge]:
    """xdl_refine_conflicts: narrow each conflict to the hunks of a diff between its two sides;
    none means both made the same change (mode 4)."""
    refined: list[_Merge] = []
    for m in merges:
        if m.mode or not m.chg1 or not m.chg2:
            refined.append(m)
            continue
        hunks = diff_lines(ours[m.i1 : m.i1 + m.chg1], theirs[m.i2 : m.i2 + m.chg2])
        if not hunks:
            m.mode = 4
            refined.append(m)
            continue
        # Like git, the base range of a narrowed conflict stays the whole one (diff3 never
        # narrows, so it is never printed).
        refined.extend(
            _Merge(0, m.i0, m.chg0, m.i1 + h.i1, h.chg1, m.i2 + h.i2, h.chg2) for h in hunks
        )
    return refined


def _has_alnum(lines: Sequence[bytes]) -> bool:
    return any(chr(byte).isascii() and chr(byte).isalnum() for line in lines for byte in line)


def _simplify(merges: list[_Merge], ours: list[bytes]) -> list[_Merge]:
    """xdl_simplify_non_conflicts (ALNUM): join two conflicts separated by at most three lines,
    or only by lines without a letter or digit."""
    out: list[_Merge] = []
    for m in merges:
        prev = out[-1] if out else None
        if prev is not None and prev.mode == 0 and m.mode == 0:
            begin, end = prev.i1 + prev.chg1, m.i1
            if end - begin <= 3 or not _has_alnum(ours[begin:end]):
                prev.chg1 = m.i1 + m.chg1 - prev.i1
                prev.chg2 = m.i2 + m.chg2 - prev.i2
                continue
        out.append(m)
    return out


def _eol_crlf(lines: list[bytes], i: int) -> int:
    """is_eol_crlf: 1 if line ``i`` ends in CRLF, 0 if in LF, -1 if it cannot tell."""
    if i < len(lines) - 1:
        return int(lines[i].endswith(b"\r\n"))
    if not lines:
        return -1
    if lines[i].endswith(b"\n"):
        return int(lines[i].endswith(b"\r\n"))
    if i == 0:
        return -1
    return int(lines[i - 1].endswith(b"\r\n"))


def _needs_cr(m: _Merge, base: list[bytes], ours: list[bytes], theirs: list[bytes]) -> bool:
    """is_cr_needed: CRLF markers when ours, theirs and the base all use CRLF where it shows."""
    needs = _eol_crlf(ours, m.i1 - 1 if m.i1 else 0)
    if needs:
        needs = _eol_crlf(theirs, m.i2 - 1 if m.i2 else 0)
    if needs:
        needs = _eol_crlf(base, 0)
    return needs > 0


def _copy(lines: Sequence[bytes], add_nl: bool, cr: bool) -> bytes:
    """xdl_recs_copy: the lines, and a line end after a last line that has none."""
    out = b"".join(lines)
    if add_nl and lines and not out.endswith(b"\n"):
        out += b"\r\n" if cr else b"\n"
    return out


def _marker(char: bytes, label: str | None, cr: bool) -> bytes:
    name = b" " + label.encode() if label else b""
    return char * MARKER_SIZE + name + (b"\r\n" if cr else b"\n")


def merge_lines(
    base: bytes, ours: bytes, theirs: bytes, labels: Labels, style: Style = "merge"
) -> MergeResult:
    """Merge the changes base→ours and base→theirs, as ``git merge-file -p`` does."""
    base_l, ours_l, theirs_l = split_lines(base), split_lines(ours), split_lines(theirs)
    ours_changes = diff_lines(base_l, ours_l)
    theirs_changes = diff_lines(base_l, theirs_l)
    if not ours_changes:
        return MergeResult(theirs, ())
    if not theirs_changes:
        return MergeResult(ours, ())
    merges = _regions(ours_changes, theirs_changes, ours_l, theirs_l, len(base_l))
    if style == "merge":
        merges = _simplify(_refine(merges, ours_l, theirs_l), ours_l)
    out: list[bytes] = []
    conflicts: list[ConflictRegion] = []
    line = 0  # lines written so far
    i = 0  # the next line of ours to copy

    def emit(chunk: bytes) -> None:
        nonlocal line
        out.append(chunk)
        line += chunk.count(b"\n")

    for m in merges:
        if m.mode not in (0, 1, 2):
            continue  # the same change on both sides: ours already has it
        emit(b"".join(ours_l[i : m.i1]))
        ours_part = ours_l[m.i1 : m.i1 + m.chg1]
        theirs_part = theirs_l[m.i2 : m.i2 + m.chg2]
        if m.mode == 1:
            emit(b"".join(ours_part))
        elif m.mode == 2:
            emit(b"".join(theirs_part))
        else:
            cr = _needs_cr(m, base_l, ours_l, theirs_l)
            base_part = base_l[m.i0 : m.i0 + m.chg0]
            conflicts.append(
                ConflictRegion(
                    line, b"".join(ours_part), b"".join(base_part), b"".join(theirs_part)
                )
            )
            emit(_marker(b"<", labels.ours, cr) + _copy(ours_part, True, cr))
            if style == "diff3":
                emit(_marker(b"|", labels.base, cr) + _copy(base_part, True, cr))
            emit(_marker(b"=", None, cr) + _copy(theirs_part, True, cr))
            emit(_marker(b">", labels.theirs, cr))
        i = m.i1 + m.chg1
    emit(b"".join(ours_l[i:]))
    return MergeResult(b"".join(out), tuple(conflicts))
