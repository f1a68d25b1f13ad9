"""Content-only segmentation: cut a run of commits where the boundary model says so."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from importers.history import Commit

from .features import pair_features
from .model import BoundaryModel, shipped
from .sessions import Span


def boundary_probabilities(
    commits: Sequence[Commit], model: BoundaryModel | None = None
) -> np.ndarray:
    """P(boundary) for each adjacent pair of ``commits`` (length ``len(commits) - 1``)."""
    model = model or shipped()
    return model.probability(pair_features(commits))


def cut_run(prob: np.ndarray, start: int, end: int, threshold: float) -> list[Span]:
    """Split ``[start, end)`` at every gap ``i`` (between ``i`` and ``i + 1``) with
    ``prob[i] >= threshold``.

    A session's score is its mean confidence over the decisions that shape it: its inner
    gaps (not cut: ``1 - p``) and its edges inside the run (cut: ``p``).
    """
    cuts = [i + 1 for i in range(start, end - 1) if prob[i] >= threshold]
    bounds = [start, *cuts, end]
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
