"""Fit the grouping model on the development corpora and write ``model.json``.

    python -m importers.grouping.train [--corpora DIR] [--out PATH] [--cv] [--compare]

Pair model: training pairs are the adjacent pairs whose two commits a pull request brought in
(their truth is known; a lone commit's "session of one" is an artifact of a direct push). It
is a standardized logistic regression; its cut threshold is the one that maximizes B3-F1 over
out-of-fold predictions (contiguous folds within each corpus). ARI is not used to choose it:
it is dominated by the few largest pull requests, which makes it a noisy selector.

Run model (stacked on the pair model, as in stacked generalization): its rows are the
provisional cuts that the *out-of-fold* pair probabilities make, so it learns from the cuts
the pair model really makes on commits it did not see; truth is whether the two commits at
the cut came from different pull requests. It withdraws a cut only when that is unlikely
(``MERGE_BELOW``): a cut wrongly kept costs little B3-F1, two pull requests wrongly joined
cost more.

The output is deterministic for the same corpora and library versions.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler

from .corpus import CORPUS_NAMES, Corpus, load_corpora, score_sessions
from .features import FEATURES, bags_of, pair_features
from .model import MODEL_PATH, BoundaryModel, GroupingModel
from .runs import RUN_FEATURES, History, history_of, run_features
from .segment import provisional_cuts, segment

C = 0.3  # inverse L2 strength; 0.1-1 score alike in cross-corpus runs, the middle is kept
FOLDS = 5
THRESHOLDS = tuple(round(0.3 + 0.025 * k, 3) for k in range(21))  # 0.30 .. 0.80
# A provisional cut is withdrawn when the run model gives it less than this. Fixed rather than
# fitted: the run model's rows come from the training corpora themselves, so a threshold
# chosen on them would be chosen in sample. One constant for every history, read off the mean
# of the leave-one-corpus-out runs (0.05: no cut withdrawn; 0.1 best; 0.2 joins too much).
MERGE_BELOW = 0.1


@dataclass(frozen=True)
class Pairs:
    """A corpus as training rows: features, boundary truth, and which rows are trainable."""

    corpus: Corpus
    x: np.ndarray
    boundary: np.ndarray  # 1 where the two commits belong to different truth groups
    trainable: np.ndarray  # both commits of the pair came from pull requests
    history: History  # the matrices the run features read


def pairs_of(corpus: Corpus) -> Pairs:
    labels = corpus.labels
    bags = bags_of(corpus.commits)
    x = pair_features(corpus.commits, bags)
    boundary = np.array([a != b for a, b in itertools.pairwise(labels)], dtype=int)
    trainable = np.array(
        [a.startswith("pr") and b.startswith("pr") for a, b in itertools.pairwise(labels)]
    )
    return Pairs(corpus, x, boundary, trainable, history_of(corpus.commits, bags))


def _sig(x: float) -> float:
    return float(f"{x:.6g}")  # short, stable JSON; scores are measured on the rounded model


def fit(
    x: np.ndarray,
    y: np.ndarray,
    threshold: float = 0.5,
    c: float = C,
    features: tuple[str, ...] = FEATURES,
) -> BoundaryModel:
    """A logistic regression on standardized ``x``, rounded as it will be shipped."""
    scaler = StandardScaler().fit(x)
    lr = LogisticRegression(C=c, max_iter=10_000).fit(scaler.transform(x), y)
    return BoundaryModel(
        features=features,
        mean=np.array([_sig(v) for v in scaler.mean_]),
        scale=np.array([_sig(v) for v in scaler.scale_]),
        weights=np.array([_sig(v) for v in lr.coef_[0]]),
        intercept=_sig(float(lr.intercept_[0])),
        threshold=threshold,
    )


def _trainset(
    parts: Sequence[Pairs],
    masks: Sequence[np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for k, p in enumerate(parts):
        m = p.trainable if masks is None else p.trainable & masks[k]
        xs.append(p.x[m])
        ys.append(p.boundary[m])
    return np.vstack(xs), np.concatenate(ys)


def cut_scores(prob: np.ndarray, labels: Sequence[str], threshold: float) -> tuple[float, float]:
    """(B3-F1, ARI) of cutting a whole corpus at ``prob >= threshold``."""
    session = np.concatenate([[0], np.cumsum(prob >= threshold)])
    return score_sessions(labels, session.tolist())


def out_of_fold(parts: Sequence[Pairs], c: float = C) -> list[np.ndarray]:
    """Boundary probabilities for every pair of every corpus, each from a model that did not
    see that pair's fold (contiguous folds within each corpus; other corpora in full)."""
    out = [np.zeros(len(p.boundary)) for p in parts]
    for k, p in enumerate(parts):
        for train_idx, test_idx in KFold(FOLDS).split(p.x):
            masks = [np.ones(len(q.boundary), dtype=bool) for q in parts]
            masks[k] = np.zeros(len(p.boundary), dtype=bool)
            masks[k][train_idx] = True
            model = fit(*_trainset(parts, masks), c=c)
            out[k][test_idx] = model.probability(p.x[test_idx])
    return out


def choose_threshold(parts: Sequence[Pairs], probs: Sequence[np.ndarray]) -> float:
    """The threshold with the best B3-F1 averaged over the corpora (ties: nearest 0.5)."""

    def objective(t: float) -> float:
        return float(
            np.mean(
                [
                    round(cut_scores(pr, p.corpus.labels, t)[0], 3)
                    for p, pr in zip(parts, probs, strict=True)
                ]
            )
        )

    return max(THRESHOLDS, key=lambda t: (objective(t), -abs(t - 0.5)))


def run_rows(p: Pairs, prob: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Run-model rows of one corpus: its provisional cuts under ``prob`` whose two commits
    came from pull requests, and whether those are different pull requests."""
    n = len(p.corpus.commits)
    cuts = provisional_cuts(prob, [(0, n)], threshold)
    labels = p.corpus.labels
    keep = [k for k, c in enumerate(cuts) if p.trainable[c - 1]]
    x = run_features(p.history, prob, cuts)[keep]
    y = np.array([labels[cuts[k] - 1] != labels[cuts[k]] for k in keep], dtype=int)
    return x, y


def train(parts: Sequence[Pairs], c: float = C) -> GroupingModel:
    """Fit on all ``parts``: the pair model with a threshold chosen out of fold, and the run
    model on the out-of-fold provisional cuts."""
    oof = out_of_fold(parts, c)
    threshold = choose_threshold(parts, oof)
    pair = fit(*_trainset(parts), threshold=threshold, c=c)
    rows = [run_rows(p, pr, threshold) for p, pr in zip(parts, oof, strict=True)]
    runs = fit(
        np.vstack([x for x, _ in rows]),
        np.concatenate([y for _, y in rows]),
        threshold=MERGE_BELOW,
        c=c,
        features=RUN_FEATURES,
    )
    meta: dict[str, object] = {
        "trained_on": {
            p.corpus.name: {
                "commits": len(p.corpus.commits),
                "pairs": int(p.trainable.sum()),
                "cuts": len(y),
            }
            for p, (_, y) in zip(parts, rows, strict=True)
        },
        "C": c,
        "folds": FOLDS,
        "threshold_grid": [THRESHOLDS[0], THRESHOLDS[-1]],
        "sklearn": sklearn.__version__,
    }
    return GroupingModel(pair, runs, meta)


def scores(model: GroupingModel, p: Pairs) -> tuple[tuple[float, float], tuple[float, float]]:
    """(pair model alone, pair and run models) as (B3-F1, ARI) of grouping a whole corpus."""
    n = len(p.corpus.commits)
    prob = model.pair.probability(p.x)
    cuts = segment(p.corpus.commits, prob, [(0, n)], model, p.history)
    session = np.zeros(n, dtype=int)
    session[np.asarray(cuts, dtype=int)] = 1
    full = score_sessions(p.corpus.labels, np.cumsum(session).tolist())
    return cut_scores(prob, p.corpus.labels, model.pair.threshold), full


@dataclass(frozen=True)
class Held:
    """A corpus scored by a model fitted on the other corpora only."""

    trained_on: str
    threshold: float
    pair: tuple[float, float]  # (B3-F1, ARI) of the pair model alone
    full: tuple[float, float]  # with the run model


def cross_corpus(parts: Sequence[Pairs], c: float = C) -> dict[str, Held]:
    """Leave one corpus out: for each corpus, the scores of a model fitted on the others."""
    out: dict[str, Held] = {}
    for k, p in enumerate(parts):
        rest = [q for j, q in enumerate(parts) if j != k]
        model = train(rest, c)
        pair, full = scores(model, p)
        out[p.corpus.name] = Held(
            "+".join(q.corpus.name for q in rest), model.pair.threshold, pair, full
        )
    return out


def compare_learners(parts: Sequence[Pairs]) -> None:
    """Cross-corpus B3-F1/ARI of the candidate learners at fixed thresholds (the numbers
    behind choosing the logistic regression)."""
    from sklearn.ensemble import GradientBoostingClassifier  # only for this report

    def gb(x: np.ndarray, y: np.ndarray) -> GradientBoostingClassifier:
        return GradientBoostingClassifier(
            n_estimators=100, learning_rate=0.1, max_depth=3, random_state=0
        ).fit(x, y)

    for k, p in enumerate(parts):
        rest = [q for j, q in enumerate(parts) if j != k]
        x, y = _trainset(rest)
        lr = fit(x, y).probability(p.x)
        trees = gb(x, y).predict_proba(p.x)[:, 1]
        for name, prob in (
            ("logistic", lr),
            ("boosted trees", trees),
            ("mean of both", (lr + trees) / 2),
        ):
            cells = " ".join(
                f"{t:.2f}:{f:.3f}/{a:.3f}"
                for t in (0.4, 0.5, 0.6)
                for f, a in [cut_scores(prob, p.corpus.labels, t)]
            )
            print(f"  {p.corpus.name:6s} {name:14s} {cells}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m importers.grouping.train",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--corpora", type=Path, default=None, help="directory of *.jsonl corpora")
    ap.add_argument("--out", type=Path, default=MODEL_PATH, help="where to write the model")
    ap.add_argument("--cv", action="store_true", help="also report cross-corpus validation")
    ap.add_argument("--compare", action="store_true", help="also compare learners")
    args = ap.parse_args(argv)

    parts = [pairs_of(c) for c in load_corpora(args.corpora, CORPUS_NAMES)]
    model = train(parts)
    digest = hashlib.sha256()
    for p in parts:
        for label in p.corpus.labels:
            digest.update(label.encode())
    model.meta["labels_sha256"] = digest.hexdigest()[:16]
    args.out.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} (pair threshold {model.pair.threshold})")
    for p in parts:
        f1, ari = scores(model, p)[1]
        print(f"  shipped model on {p.corpus.name}: B3-F1 {f1:.3f} ARI {ari:.3f}")
    if args.cv:
        for name, h in cross_corpus(parts).items():
            print(
                f"  trained on {h.trained_on} only, scored on {name}: threshold {h.threshold} "
                f"B3-F1 {h.full[0]:.3f} ARI {h.full[1]:.3f}"
            )
    if args.compare:
        compare_learners(parts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
