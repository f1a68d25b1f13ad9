"""The shipped grouping model, read from JSON: two standardized logistic regressions.

- ``pair``: P(boundary between commit i and i + 1) from pair features (``features.py``); a
  gap is a provisional cut where it is at least ``pair.threshold``.
- ``runs``: P(the run after a provisional cut is another pull request than the run before
  it) from run features (``runs.py``); a cut whose probability is below ``runs.threshold``
  is withdrawn and the two runs become one.

``model.json`` is written by ``python -m importers.grouping.train``; reading it needs only
``json`` and numpy (nothing is unpickled, no training data is needed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from .features import FEATURES
from .runs import RUN_FEATURES

MODEL_PATH = Path(__file__).with_name("model.json")
FORMAT = "mic-grouping/2"


@dataclass(frozen=True)
class BoundaryModel:
    """P(boundary) = sigmoid(w . standardized(x) + b) over the named feature columns."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    intercept: float
    threshold: float  # the decision threshold on the probability (see the module docstring)

    def probability(self, x: np.ndarray) -> np.ndarray:
        if x.shape[0] == 0:
            return np.zeros(0)
        z = ((x - self.mean) / self.scale) @ self.weights + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0))), dtype=np.float64)

    def to_json(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "intercept": self.intercept,
            "features": [
                {"name": n, "mean": float(m), "scale": float(s), "weight": float(w)}
                for n, m, s, w in zip(
                    self.features, self.mean, self.scale, self.weights, strict=True
                )
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BoundaryModel:
        rows = data["features"]
        return cls(
            features=tuple(r["name"] for r in rows),
            mean=np.array([r["mean"] for r in rows], dtype=float),
            scale=np.array([r["scale"] for r in rows], dtype=float),
            weights=np.array([r["weight"] for r in rows], dtype=float),
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
        )


@dataclass(frozen=True)
class GroupingModel:
    """The pair model that proposes cuts and the run model that withdraws some of them."""

    pair: BoundaryModel
    runs: BoundaryModel
    meta: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "pair": self.pair.to_json(),
            "runs": self.runs.to_json(),
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GroupingModel:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} model: format={data.get('format')!r}")
        return cls(
            pair=BoundaryModel.from_json(data["pair"]),
            runs=BoundaryModel.from_json(data["runs"]),
            meta=dict(data.get("meta", {})),
        )


@cache
def shipped() -> GroupingModel:
    """The model in ``model.json``, checked against the features this code computes."""
    model = GroupingModel.from_json(json.loads(MODEL_PATH.read_text(encoding="utf-8")))
    if model.pair.features != FEATURES or model.runs.features != RUN_FEATURES:
        raise RuntimeError(
            f"{MODEL_PATH.name} was fitted on other features than features.py/runs.py compute; "
            "regenerate it with: python -m importers.grouping.train"
        )
    return model
