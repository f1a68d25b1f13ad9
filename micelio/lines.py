"""Line sequences compared the way diffs start: the common ends first (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress, count
from operator import ne


def common_ends(old: Sequence[bytes], new: Sequence[bytes]) -> tuple[int, int]:
    """``(head, tail)``: how many lines ``old`` and ``new`` share at their start and, after
    those, at their end. Only the middles need a diff, which keeps a diff of a long file with
    one edit near-linear (``difflib`` is quadratic in what it is given)."""
    limit = min(len(old), len(new))
    # The first index where the lines differ, found by C iterators (map, compress): a Python
    # loop over every shared line cost blame a third of its time.
    head = next(compress(count(), map(ne, old, new)), limit)
    tail = next(compress(count(), map(ne, reversed(old), reversed(new))), limit)
    return head, min(tail, limit - head)
