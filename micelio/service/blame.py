"""Blame as a pure function: which version of a file each of its lines comes from.

Each version is diffed against the one before (lines split on ``\\n`` only, as git does); a
line that the diff keeps has the origin of its counterpart in the older version, every other
line the origin of the version that wrote it.

Two walks give the same answer, because they compose the same pairwise diffs:

* ``backward`` walks newest to oldest as ``git blame`` does, following only the lines whose
  origin is still unknown; it stops as soon as every line has one (older versions are then
  never read), and skips the diff of a pair whose changed middle holds none of those lines.
* ``step`` carries a known state forwards through newer versions: how a cached blame catches
  up with later versions without walking back again.

A diff costs the lines it does not share: the common head and tail of the two versions are
matched first (``micelio.lines``), and only the middle goes to ``SequenceMatcher``: cydifflib's,
a compiled port of ``difflib``'s with the same answers (checked against it in
``tests/server/test_history.py``), five times faster on a version's lines.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import add

from cydifflib import SequenceMatcher

from micelio.lines import common_ends

#: Git's heuristic: a NUL in the first 8000 bytes makes a file binary.
BINARY_PROBE = 8000

#: ``(start, stop, delta)``: lines ``start`` to ``stop`` of a version are lines ``+ delta`` of
#: the version before it.
Segment = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class BlameState:
    """The newest version seen so far: its lines and the origin (a caller's id) of each."""

    lines: tuple[bytes, ...] = ()
    origins: tuple[int, ...] = ()


def is_binary(content: bytes) -> bool:
    return b"\x00" in content[:BINARY_PROBE]


def split_lines(content: bytes) -> tuple[bytes, ...]:
    """Lines without their ``\\n``; a final line without one is still a line."""
    if not content:
        return ()
    lines = content.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return tuple(lines)


def _middle_blocks(
    old: Sequence[bytes], new: Sequence[bytes], head: int, tail: int
) -> list[tuple[int, int, int]]:
    """The matching blocks ``(old index, new index, size)`` of the two middles, in whole-file
    indices; none when one middle is empty."""
    old_mid, new_mid = old[head : len(old) - tail], new[head : len(new) - tail]
    if not old_mid or not new_mid:
        return []
    matcher = SequenceMatcher(None, old_mid, new_mid, autojunk=False)
    blocks: list[tuple[int, int, int]] = matcher.get_matching_blocks()
    return [(head + a, head + b, size) for a, b, size in blocks if size]


def step(state: BlameState, content: bytes, origin: int) -> BlameState:
    """``state`` carried through the next version ``content``, which ``origin`` wrote."""
    old, new = state.lines, split_lines(content)
    if old == new:
        return state
    head, tail = common_ends(old, new)
    origins = list(state.origins[:head])
    middle = [origin] * (len(new) - tail - head)
    for a, b, size in _middle_blocks(old, new, head, tail):
        middle[b - head : b - head + size] = state.origins[a : a + size]
    origins += middle
    origins += state.origins[len(old) - tail :] if tail else ()
    return BlameState(new, tuple(origins))


def blame(versions: Iterable[tuple[int, bytes]]) -> BlameState:
    """Each line of the last version with the origin of the version that last changed it;
    ``versions`` are ``(origin, content)`` pairs, oldest first."""
    state = BlameState()
    for origin, content in versions:
        state = step(state, content, origin)
    return state


def _kept(old: Sequence[bytes], new: Sequence[bytes], live: list[int]) -> list[Segment]:
    """The runs of ``new`` that the diff from ``old`` keeps, as ``(start, stop, delta)``: line
    ``j`` of ``new`` with ``start <= j < stop`` is line ``j + delta`` of ``old``; lines in no
    run are ``new``'s own. The middle is diffed only when one of the ``live`` lines (sorted)
    falls in it: late in a walk most pairs differ only where no line is still followed."""
    head, tail = common_ends(old, new)
    end = len(new) - tail
    runs = [(0, head, 0)]
    if bisect_left(live, head) != bisect_left(live, end):
        runs += [(b, b + size, a - b) for a, b, size in _middle_blocks(old, new, head, tail)]
    runs.append((end, len(new), len(old) - len(new)))
    return runs


def backward(versions: Iterable[tuple[int, bytes]]) -> BlameState:
    """The same answer as ``blame`` of the reversed ``versions``, given newest first and
    consumed only as far as a line's origin is still unknown."""
    walk = iter(versions)
    first = next(walk, None)
    if first is None:
        return BlameState()
    origin, content = first
    newest = current = split_lines(content)
    origins = [origin] * len(newest)
    # The lines still to attribute: where each sits in ``current`` (ascending) and in
    # ``newest``. A step moves them run by run (slices and C-level adds, no loop over the
    # lines); only the lines between runs, each once in the whole walk, are visited alone.
    at, final = list(range(len(newest))), list(range(len(newest)))
    while at:  # an older version is read only while a line still needs its origin
        pair = next(walk, None)
        if pair is None:
            break
        older_origin, older_content = pair
        older = split_lines(older_content)
        if older != current:
            kept_at: list[int] = []
            kept_final: list[int] = []
            done = 0
            for start, stop, delta in _kept(older, current, at):
                low = bisect_left(at, start, done)
                high = bisect_left(at, stop, low)
                for index in final[done:low]:  # between runs: written by ``current``
                    origins[index] = origin
                moved = at[low:high]
                kept_at += map(add, moved, repeat(delta, len(moved))) if delta else moved
                kept_final += final[low:high]
                done = high
            for index in final[done:]:
                origins[index] = origin
            at, final = kept_at, kept_final
        current, origin = older, older_origin
    for index in final:
        origins[index] = origin
    return BlameState(newest, tuple(origins))
