"""``plan_sessions``: group a first-parent sequence into sessions with one strategy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from importers.history import Commit

from .decisions import decisions_of
from .goals import goal_of
from .identifiers import free_runs, identifier_spans, merge_spans
from .sessions import STRATEGIES, PlannedSession, Span

if TYPE_CHECKING:
    from .model import GroupingModel


def _commit_spans(commits: Sequence[Commit]) -> list[Span]:
    return [Span(i, i + 1, "commit") for i in range(len(commits))]


def _merge_spans(commits: Sequence[Commit]) -> list[Span]:
    return [Span(i, i + 1, "topology" if c.is_merge else "commit") for i, c in enumerate(commits)]


def _cluster(
    commits: Sequence[Commit], runs: Sequence[tuple[int, int]], model: GroupingModel
) -> list[Span]:
    # Features are computed over the whole sequence once so that windows, TF-IDF weights and
    # co-change counts see every commit; each run is then cut on its own gaps only.
    # Imported here: the content model pulls in scikit-learn and scipy (a second or more to
    # load), which the ``commit`` and ``merge`` strategies never use.
    from .features import bags_of, pair_features
    from .runs import history_of
    from .segment import segment, spans_of

    if not runs:
        return []
    if len(commits) == 1:
        return [Span(0, 1, "cluster", 1.0)]
    bags = bags_of(commits)
    prob = model.pair.probability(pair_features(commits, bags))
    cuts = segment(commits, prob, runs, model, history_of(commits, bags))
    out: list[Span] = []
    for start, end in runs:
        out.extend(spans_of(prob, start, end, cuts))
    return out


def _auto_spans(commits: Sequence[Commit], model: GroupingModel) -> list[Span]:
    spans = identifier_spans(commits)
    taken = [False] * len(commits)
    for s in spans:
        for k in range(s.start, s.end):
            taken[k] = True
    spans += merge_spans(commits, taken)
    spans += _cluster(commits, free_runs(len(commits), spans), model)
    return sorted(spans, key=lambda s: s.start)


def plan_spans(
    commits: Sequence[Commit], strategy: str = "auto", model: GroupingModel | None = None
) -> list[Span]:
    """Session extents only (no goals or decisions): what evaluation needs."""
    if strategy not in STRATEGIES:
        raise ValueError(
            f"unknown grouping strategy {strategy!r}; expected one of: {', '.join(STRATEGIES)}"
        )
    if not commits:
        return []
    if strategy in ("cluster", "auto") and model is None:
        from .model import shipped  # lazily: see _cluster

        model = shipped()
    if strategy == "commit":
        spans = _commit_spans(commits)
    elif strategy == "merge":
        spans = _merge_spans(commits)
    elif strategy == "cluster":
        assert model is not None
        spans = _cluster(commits, [(0, len(commits))], model)
    else:
        assert model is not None
        spans = _auto_spans(commits, model)
    _check(spans, len(commits))
    return spans


def _check(spans: Sequence[Span], n: int) -> None:
    at = 0
    for s in spans:
        if s.start != at or s.end <= s.start:
            raise AssertionError(f"sessions must be contiguous and non-empty: {s} after {at}")
        at = s.end
    if at != n:
        raise AssertionError(f"sessions cover {at} of {n} commits")


def plan_sessions(commits: Sequence[Commit], strategy: str = "auto") -> list[PlannedSession]:
    """Group the first-parent ``commits`` (oldest first) into sessions.

    Strategies: ``commit`` (one session per commit), ``merge`` (one per first-parent merge,
    one per direct commit), ``cluster`` (content only, merges ignored), ``auto`` (identifiers,
    then merge topology, then ``cluster`` on what is left).
    """
    spans = plan_spans(commits, strategy)
    out: list[PlannedSession] = []
    for s in spans:
        part = commits[s.start : s.end]
        out.append(
            PlannedSession(s.start, s.end, goal_of(part), s.signal, s.score, decisions_of(part))
        )
    return out
