"""The records a plan is made of."""

from __future__ import annotations

from dataclasses import dataclass

STRATEGIES = ("auto", "commit", "merge", "cluster")
SIGNALS = ("commit", "identifier", "topology", "cluster")


@dataclass(frozen=True, slots=True)
class Decision:
    """A choice stated in a message, with the reason the message gives for it."""

    decision: str
    reasoning: str


@dataclass(frozen=True, slots=True)
class PlannedSession:
    """Commits ``[start, end)`` of the first-parent sequence as one unit of work."""

    start: int  # index into the first-parent sequence, inclusive
    end: int  # exclusive; sessions are contiguous, cover every commit, in order
    goal: str
    signal: str  # one of SIGNALS: what settled this session's boundaries
    score: float | None  # confidence of a "cluster" session's boundaries, None otherwise
    decisions: tuple[Decision, ...]


@dataclass(frozen=True, slots=True)
class Span:
    """A session's extent and what settled it, before goal and decisions are read."""

    start: int
    end: int
    signal: str
    score: float | None = None
