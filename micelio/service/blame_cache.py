"""Blames already computed, by the change row of the version they blame.

A landed version never changes, and neither does the history before it, so the blame of the
version a change row wrote is fixed once computed: asking again (the web's blame page, a
second ``mic blame``) answers from here, and a blame a few landings later carries a cached
one forwards instead of walking back through every version. Least recently used entries go
first once the lines held pass a byte budget.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from micelio.service.blame import BlameState

#: What the cache may hold, counted as the bytes of its lines plus ``LINE_OVERHEAD`` each.
DEFAULT_BUDGET = 64 * 1024 * 1024
#: Rough cost of a line beyond its bytes: its bytes object and its slot in two tuples.
LINE_OVERHEAD = 64


def cost(state: BlameState) -> int:
    return sum(map(len, state.lines)) + LINE_OVERHEAD * (len(state.lines) + 1)


class BlameCache:
    """A thread-safe LRU map ``change_pk -> BlameState`` bounded by ``budget`` bytes."""

    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self._budget = budget
        self._held = 0
        self._entries: OrderedDict[int, tuple[BlameState, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, change_pk: int) -> BlameState | None:
        with self._lock:
            entry = self._entries.get(change_pk)
            if entry is None:
                return None
            self._entries.move_to_end(change_pk)
            return entry[0]

    def put(self, change_pk: int, state: BlameState) -> None:
        size = cost(state)
        if size > self._budget:
            return  # one huge file would evict everything for itself
        with self._lock:
            old = self._entries.pop(change_pk, None)
            if old is not None:
                self._held -= old[1]
            self._entries[change_pk] = (state, size)
            self._held += size
            while self._held > self._budget:
                _, (_, freed) = self._entries.popitem(last=False)
                self._held -= freed
