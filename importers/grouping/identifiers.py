"""Sessions settled by explicit identifiers and by merge topology.

Identifiers, strongest first: a Gerrit ``Change-Id`` shared by consecutive commits, a pull
request merge ("Merge pull request #N"), a squash-merged commit ("Title (#N)", a whole pull
request on its own), and "Closes/Fixes #N" shared by consecutive commits.
"""

from __future__ import annotations

from collections.abc import Sequence

from importers.history import Commit

from . import text
from .sessions import Span


def _runs(keys: Sequence[object], taken: Sequence[bool], min_len: int) -> list[tuple[int, int]]:
    """Maximal runs of consecutive free commits with the same non-None key."""
    out: list[tuple[int, int]] = []
    i, n = 0, len(keys)
    while i < n:
        if keys[i] is None or taken[i]:
            i += 1
            continue
        j = i + 1
        while j < n and not taken[j] and keys[j] == keys[i]:
            j += 1
        if j - i >= min_len:
            out.append((i, j))
        i = j
    return out


def _linked_runs(sets: Sequence[frozenset[int]], taken: Sequence[bool]) -> list[tuple[int, int]]:
    """Maximal runs of free commits where each shares a number with the next one."""
    out: list[tuple[int, int]] = []
    i, n = 0, len(sets)
    while i < n - 1:
        j = i
        while j + 1 < n and not taken[j] and not taken[j + 1] and sets[j] & sets[j + 1]:
            j += 1
        if j > i:
            out.append((i, j + 1))
            i = j + 1
        else:
            i += 1
    return out


def identifier_spans(commits: Sequence[Commit]) -> list[Span]:
    """Sessions that explicit identifiers settle, sorted; other commits are left out."""
    n = len(commits)
    taken = [False] * n
    spans: list[Span] = []

    def claim(start: int, end: int) -> None:
        spans.append(Span(start, end, "identifier"))
        for k in range(start, end):
            taken[k] = True

    for start, end in _runs([text.change_id(c.message) for c in commits], taken, 2):
        claim(start, end)
    for i, c in enumerate(commits):
        if not taken[i] and c.is_merge and text.pull_request_number(c.message) is not None:
            claim(i, i + 1)
    squash = [None if c.is_merge else text.squash_number(text.subject(c.message)) for c in commits]
    for start, end in _runs(squash, taken, 1):
        claim(start, end)
    closes = [frozenset() if c.is_merge else text.closes_numbers(c.message) for c in commits]
    for start, end in _linked_runs(closes, taken):
        claim(start, end)
    return sorted(spans, key=lambda s: s.start)


def merge_spans(commits: Sequence[Commit], taken: Sequence[bool]) -> list[Span]:
    """One session per free merge commit: its brought-in commits are its story."""
    return [
        Span(i, i + 1, "topology") for i, c in enumerate(commits) if c.is_merge and not taken[i]
    ]


def free_runs(n: int, spans: Sequence[Span]) -> list[tuple[int, int]]:
    """The maximal ``[start, end)`` runs of ``range(n)`` that no span covers."""
    taken = [False] * n
    for s in spans:
        for k in range(s.start, s.end):
            taken[k] = True
    out: list[tuple[int, int]] = []
    i = 0
    while i < n:
        if taken[i]:
            i += 1
            continue
        j = i
        while j < n and not taken[j]:
            j += 1
        out.append((i, j))
        i = j
    return out
