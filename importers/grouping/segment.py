"""Content-only segmentation: the pair model proposes cuts, the run model withdraws the cuts
whose two sides read as one pull request, until no cut changes (at most ``MAX_ROUNDS``)."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence

import numpy as np

from importers.history import Commit

from .model import BoundaryModel, GroupingModel
from .runs import History, history_of, run_features
from .sessions import Span

# Each round can only join runs, so rounds stop on their own; more than a few rarely change a
# cut, and the bound keeps the cost linear in the commits.
MAX_ROUNDS = 5


def provisional_cuts(
    prob: np.ndarray, runs: Sequence[tuple[int, int]], threshold: float
) -> list[int]:
    """Commits that start a session inside a run (``prob`` at the gap before them is at least
    ``threshold``), sorted; a run's own first commit is not listed."""
    return [i + 1 for start, end in runs for i in range(start, end - 1) if prob[i] >= threshold]


def settle_cuts(
    history: History,
    prob: np.ndarray,
    cuts: Sequence[int],
    fixed: Collection[int],
    model: BoundaryModel,
) -> list[int]:
    """Withdraw the ``cuts`` that the run model scores below its threshold; the ``fixed`` cuts
    (edges that other signals settled) stay and only bound the runs compared."""
    current = sorted(set(cuts) | set(fixed))
    for _ in range(MAX_ROUNDS):
        if not current:
            break
        p = model.probability(run_features(history, prob, current))
        keep = [c for c, q in zip(current, p, strict=True) if c in fixed or q >= model.threshold]
        if len(keep) == len(current):
            break
        current = keep
    return current


def segment(
    commits: Sequence[Commit],
    prob: np.ndarray,
    runs: Sequence[tuple[int, int]],
    model: GroupingModel,
    history: History | None = None,
) -> list[int]:
    """Every commit that starts a session (runs' starts included, 0 excluded), sorted."""
    n = len(commits)
    fixed = {e for start, end in runs for e in (start, end) if 0 < e < n}
    cuts = provisional_cuts(prob, runs, model.pair.threshold)
    return settle_cuts(history or history_of(commits), prob, cuts, fixed, model.runs)


def spans_of(prob: np.ndarray, start: int, end: int, cuts: Sequence[int]) -> list[Span]:
    """The ``cluster`` spans of ``[start, end)`` cut before each of ``cuts`` inside it.

    A session's score is its mean confidence over the pair decisions that shape it: its inner
    gaps (not cut: ``1 - p``) and its edges inside the run (cut: ``p``).
    """
    bounds = [start, *(c for c in cuts if start < c < end), end]
    spans: list[Span] = []
    for s, e in itertools.pairwise(bounds):
        votes = [1.0 - prob[i] for i in range(s, e - 1)]
        if s > start:
            votes.append(prob[s - 1])
        if e < end:
            votes.append(prob[e - 1])
        score = round(float(np.mean(votes)), 4) if votes else 1.0
        spans.append(Span(s, e, "cluster", score))
    return spans
