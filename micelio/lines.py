"""Line sequences compared the way diffs start: the common ends first (pure)."""

from __future__ import annotations

from collections.abc import Sequence


def common_ends(old: Sequence[bytes], new: Sequence[bytes]) -> tuple[int, int]:
    """``(head, tail)``: how many lines ``old`` and ``new`` share at their start and, after
    those, at their end. Only the middles need a diff, which keeps a diff of a long file with
    one edit near-linear (``difflib`` is quadratic in what it is given)."""
    head = 0
    limit = min(len(old), len(new))
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return head, tail
