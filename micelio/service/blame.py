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
matched first (``micelio.lines``), and ``difflib.SequenceMatcher`` only sees the middle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from micelio.lines import common_ends

#: Git's heuristic: a NUL in the first 8000 bytes makes a file binary.
BINARY_PROBE = 8000


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
    return [(head + a, head + b, size) for a, b, size in matcher.get_matching_blocks() if size]


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


def _carry(old: Sequence[bytes], new: Sequence[bytes], indices: list[int]) -> list[int]:
    """For each of ``indices`` (ascending lines of ``new``), its line in ``old``, or -1 when
    ``new`` wrote it."""
    if old == new:
        return indices
    head, tail = common_ends(old, new)
    end, shift = len(new) - tail, len(old) - len(new)
    lookup: list[int] = []
    if any(head <= j < end for j in indices):
        lookup = [-1] * (end - head)
        for a, b, size in _middle_blocks(old, new, head, tail):
            lookup[b - head : b - head + size] = range(a, a + size)
    return [j if j < head else j + shift if j >= end else lookup[j - head] for j in indices]


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
    # The lines still to attribute: where each sits in ``current`` and in ``newest``.
    at, final = list(range(len(newest))), list(range(len(newest)))
    while at:  # an older version is read only while a line still needs its origin
        pair = next(walk, None)
        if pair is None:
            break
        older_origin, older_content = pair
        older = split_lines(older_content)
        moved = _carry(older, current, at)
        kept_at: list[int] = []
        kept_final: list[int] = []
        for index, there in zip(final, moved, strict=True):
            if there < 0:
                origins[index] = origin
            else:
                kept_at.append(there)
                kept_final.append(index)
        at, final = kept_at, kept_final
        current, origin = older, older_origin
    for index in final:
        origins[index] = origin
    return BlameState(newest, tuple(origins))
