"""Hand-built histories for grouping tests."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Protocol

from importers.history import ZERO_OID, Commit, RawChange, Signature

HOUR = 3600
DAY = 24 * HOUR


class _Extent(Protocol):
    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


def oid(seed: object) -> str:
    return hashlib.sha1(repr(seed).encode()).hexdigest()


def make(
    message: str,
    paths: Sequence[str] = (),
    *,
    author: str = "alice",
    t: int = 0,
    parents: Sequence[str] = (),
    brought_in: Sequence[Commit] = (),
    committer: str | None = None,
    seed: object = None,
) -> Commit:
    """A commit; ``t`` is both its author and committer time."""
    who = Signature(author, f"{author}@example.com", t, "+0000")
    by = Signature(committer, f"{committer}@example.com", t, "+0000") if committer else who
    changes = tuple(
        RawChange("M", p.encode(), 0o100644, 0o100644, ZERO_OID, oid((p, t))) for p in paths
    )
    return Commit(
        oid=oid(seed if seed is not None else (message, t, author)),
        parents=tuple(parents),
        tree=oid(("tree", message, t)),
        author=who,
        committer=by,
        message=message,
        message_raw=message.encode(),
        changes=changes,
        brought_in=tuple(brought_in),
    )


def chain(specs: Sequence[dict[str, Any]]) -> list[Commit]:
    """First-parent commits from ``make`` keywords; ``merge_of=k`` adds k side parents."""
    out: list[Commit] = []
    for k, spec in enumerate(specs):
        spec = dict(spec)
        side = [oid(("side", k, j)) for j in range(spec.pop("merge_of", 0))]
        parents = ([out[-1].oid] if out else []) + side
        out.append(make(parents=parents, seed=("chain", k), **spec))
    return out


def covers(sessions: Sequence[_Extent], n: int) -> bool:
    """Sessions are contiguous, non-empty, in order and cover ``range(n)``."""
    at = 0
    for s in sessions:
        if s.start != at or s.end <= s.start:
            return False
        at = s.end
    return at == n


def extents(sessions: Sequence[_Extent]) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s in sessions]
