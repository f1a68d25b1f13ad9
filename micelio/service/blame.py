"""Blame as a pure function: which version of a file each of its lines comes from.

The versions arrive oldest first; each is diffed against the one before (lines split on
``\\n`` only, as git does) and every line that the diff keeps carries its origin on, every
other line takes the new version's. That is git blame's attribution seen from the other end
(git walks newest to oldest and hands unchanged lines to the parent); walking forwards lets
the caller stream the versions in one pass and hold only two of them at a time.

A diff costs the lines it does not share: the common head and tail of the two versions are
matched first in linear time, and ``difflib.SequenceMatcher`` only sees the middle (a typical
version changes a few lines of thousands, so thousands of versions stay cheap).
"""

from __future__ import annotations

from collections.abc import Iterable
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


def step(state: BlameState, content: bytes, origin: int) -> BlameState:
    """``state`` carried through the next version ``content``, which ``origin`` wrote."""
    old, new = state.lines, split_lines(content)
    if old == new:
        return state
    head, tail = common_ends(old, new)
    origins = list(state.origins[:head])
    old_mid, new_mid = old[head : len(old) - tail], new[head : len(new) - tail]
    middle = [origin] * len(new_mid)
    if old_mid and new_mid:
        matcher = SequenceMatcher(None, old_mid, new_mid, autojunk=False)
        for a, b, size in matcher.get_matching_blocks():
            middle[b : b + size] = state.origins[head + a : head + a + size]
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
