"""Fit the boundary model on the development corpora and write ``model.json``.

    python -m importers.grouping.train [--corpora DIR] [--out PATH] [--cv] [--compare]

Training pairs are the adjacent pairs whose two commits a pull request brought in (their
truth is known; a lone commit's "session of one" is an artifact of a direct push). The model
is a standardized logistic regression; its cut threshold is the one that maximizes B3-F1 over
out-of-fold predictions (contiguous folds within each corpus). ARI is not used to choose it:
it is dominated by the few largest pull requests, which makes it a noisy selector. The output
is deterministic for the same corpora and library versions.
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

from .corpus import Corpus, load_corpora, score_sessions
from .features import FEATURES, pair_features
from .model import MODEL_PATH, BoundaryModel

C = 0.3  # inverse L2 strength; 0.1-1 score alike in cross-corpus runs, the middle is kept
FOLDS = 5
THRESHOLDS = tuple(round(0.3 + 0.025 * k, 3) for k in range(21))  # 0.30 .. 0.80


@dataclass(frozen=True)
class Pairs:
    """A corpus as training rows: features, boundary truth, and which rows are trainable."""

    corpus: Corpus
    x: np.ndarray
    boundary: np.ndarray  # 1 where the two commits belong to different truth groups
    trainable: np.ndarray  # both commits of the pair came from pull requests


def pairs_of(corpus: Corpus) -> Pairs:
    labels = corpus.labels
    x = pair_features(corpus.commits)
    boundary = np.array([a != b for a, b in itertools.pairwise(labels)], dtype=int)
    trainable = np.array(
        [a.startswith("pr") and b.startswith("pr") for a, b in itertools.pairwise(labels)]
    )
    return Pairs(corpus, x, boundary, trainable)


def _sig(x: float) -> float:
    return float(f"{x:.6g}")  # short, stable JSON; scores are measured on the rounded model


def fit(
    x: np.ndarray,
    y: np.ndarray,
    threshold: float = 0.5,
    c: float = C,
    meta: dict[str, object] | None = None,
) -> BoundaryModel:
    """A logistic regression on standardized ``x``, rounded as it will be shipped."""
    scaler = StandardScaler().fit(x)
    lr = LogisticRegression(C=c, max_iter=10_000).fit(scaler.transform(x), y)
    return BoundaryModel(
        features=FEATURES,
        mean=np.array([_sig(v) for v in scaler.mean_]),
        scale=np.array([_sig(v) for v in scaler.scale_]),
        weights=np.array([_sig(v) for v in lr.coef_[0]]),
        intercept=_sig(float(lr.intercept_[0])),
        threshold=threshold,
        meta=dict(meta or {}),
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


def train(parts: Sequence[Pairs], c: float = C) -> BoundaryModel:
    """Fit on all ``parts`` with a threshold chosen out of fold on the same ``parts``."""
    threshold = choose_threshold(parts, out_of_fold(parts, c))
    meta: dict[str, object] = {
        "trained_on": {
            p.corpus.name: {"commits": len(p.corpus.commits), "pairs": int(p.trainable.sum())}
            for p in parts
        },
        "C": c,
        "folds": FOLDS,
        "threshold_grid": [THRESHOLDS[0], THRESHOLDS[-1]],
        "sklearn": sklearn.__version__,
    }
    return fit(*_trainset(parts), threshold=threshold, c=c, meta=meta)


def cross_corpus(
    parts: Sequence[Pairs],
    c: float = C,
) -> dict[str, tuple[str, float, float, float]]:
    """For each corpus: (trained on, threshold, B3-F1, ARI) of a model fitted on the others
    only (threshold chosen out of fold on the training corpora)."""
    out: dict[str, tuple[str, float, float, float]] = {}
    for k, p in enumerate(parts):
        rest = [q for j, q in enumerate(parts) if j != k]
        model = train(rest, c)
        f1, ari = cut_scores(model.probability(p.x), p.corpus.labels, model.threshold)
        out[p.corpus.name] = ("+".join(q.corpus.name for q in rest), model.threshold, f1, ari)
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

    parts = [pairs_of(c) for c in load_corpora(args.corpora)]
    model = train(parts)
    digest = hashlib.sha256()
    for p in parts:
        for label in p.corpus.labels:
            digest.update(label.encode())
    model.meta["labels_sha256"] = digest.hexdigest()[:16]
    args.out.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} (threshold {model.threshold})")
    for p in parts:
        f1, ari = cut_scores(model.probability(p.x), p.corpus.labels, model.threshold)
        print(f"  shipped model on {p.corpus.name}: B3-F1 {f1:.3f} ARI {ari:.3f}")
    if args.cv:
        for name, (src, t, f1, ari) in cross_corpus(parts).items():
            print(
                f"  trained on {src} only, scored on {name}: threshold {t} "
                f"B3-F1 {f1:.3f} ARI {ari:.3f}"
            )
    if args.compare:
        compare_learners(parts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
