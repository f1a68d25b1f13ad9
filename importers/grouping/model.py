"""The shipped boundary model: logistic regression over pair features, read from JSON.

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

MODEL_PATH = Path(__file__).with_name("model.json")
FORMAT = "mic-grouping-boundary/1"


@dataclass(frozen=True)
class BoundaryModel:
    """P(boundary between commit i and i + 1) = sigmoid(w . standardized(x) + b)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    intercept: float
    threshold: float  # cut where the probability is at least this
    meta: dict[str, Any]

    def probability(self, x: np.ndarray) -> np.ndarray:
        if x.shape[0] == 0:
            return np.zeros(0)
        z = ((x - self.mean) / self.scale) @ self.weights + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0))), dtype=np.float64)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "threshold": self.threshold,
            "intercept": self.intercept,
            "features": [
                {"name": n, "mean": float(m), "scale": float(s), "weight": float(w)}
                for n, m, s, w in zip(
                    self.features, self.mean, self.scale, self.weights, strict=True
                )
            ],
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BoundaryModel:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} model: format={data.get('format')!r}")
        rows = data["features"]
        return cls(
            features=tuple(r["name"] for r in rows),
            mean=np.array([r["mean"] for r in rows], dtype=float),
            scale=np.array([r["scale"] for r in rows], dtype=float),
            weights=np.array([r["weight"] for r in rows], dtype=float),
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            meta=dict(data.get("meta", {})),
        )


@cache
def shipped() -> BoundaryModel:
    """The model in ``model.json``, checked against the features this code computes."""
    model = BoundaryModel.from_json(json.loads(MODEL_PATH.read_text(encoding="utf-8")))
    if model.features != FEATURES:
        raise RuntimeError(
            f"{MODEL_PATH.name} was fitted on other features than features.py computes; "
            "regenerate it with: python -m importers.grouping.train"
        )
    return model
