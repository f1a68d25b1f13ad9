"""Evaluate session grouping on the development corpora.

    .venv/bin/python bench/grouping_eval.py [--corpora DIR] [--skip-cv]

Prints, for each corpus: the baselines, the shipped ``cluster`` model's B3-F1/ARI, the
cross-corpus figures (fitted on the other corpus only, scored on this one), and the time to
plan 12,000 commits (the corpora concatenated and repeated) with each strategy.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from importers.grouping import plan_sessions, plan_spans
from importers.grouping.corpus import (
    Corpus,
    load_corpora,
    score_sessions,
    session_index,
)
from importers.grouping.train import cross_corpus, pairs_of

DAY = 24 * 3600


def _one_per_commit(c: Corpus) -> list[int]:
    return list(range(len(c.commits)))


def _same_author_day(c: Corpus) -> list[int]:
    out = [0]
    for a, b in itertools.pairwise(c.commits):
        same = a.author.email == b.author.email and abs(b.author.time - a.author.time) < DAY
        out.append(out[-1] + (0 if same else 1))
    return out


def _strategy(c: Corpus, strategy: str) -> list[int]:
    spans = plan_spans(c.commits, strategy)
    return session_index([(s.start, s.end) for s in spans], len(c.commits))


def _row(name: str, scores: tuple[float, float], extra: str = "") -> None:
    print(f"  {name:44s} B3-F1 {scores[0]:.3f}  ARI {scores[1]:.3f}{extra}")


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--corpora", type=Path, default=None)
    ap.add_argument("--skip-cv", action="store_true", help="skip the cross-corpus refits")
    args = ap.parse_args()

    corpora = load_corpora(args.corpora)
    cv = {} if args.skip_cv else cross_corpus([pairs_of(c) for c in corpora])
    for c in corpora:
        n_pr = sum(label.startswith("pr") for label in c.labels)
        print(
            f"{c.name}: {len(c.commits)} commits, {n_pr} brought in by pull requests "
            f"({len({x for x in c.labels if x.startswith('pr')})} pull requests)"
        )
        _row("baseline: one session per commit", score_sessions(c.labels, _one_per_commit(c)))
        _row(
            "baseline: same author and < 24 h apart", score_sessions(c.labels, _same_author_day(c))
        )
        _row("strategy auto (shipped model)", score_sessions(c.labels, _strategy(c, "auto")))
        _row("strategy cluster (shipped model)", score_sessions(c.labels, _strategy(c, "cluster")))
        if c.name in cv:
            src, threshold, f1, ari = cv[c.name]
            _row(f"cluster fitted on {src} only", (f1, ari), f"  (threshold {threshold})")

    pool = [x for c in corpora for x in c.commits]
    commits = (pool * (12_000 // len(pool) + 1))[:12_000]
    print(f"time to plan {len(commits)} commits (corpora concatenated and repeated):")
    for strategy in ("commit", "merge", "cluster", "auto"):
        t0 = time.perf_counter()
        sessions = plan_sessions(commits, strategy)
        dt = time.perf_counter() - t0
        print(f"  {strategy:8s} {dt:6.2f} s  ({len(sessions)} sessions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
