"""Grouping corpora (``/work/shared/corpora/*.jsonl``) as ``Commit`` records, and their scores.

A corpus row is one commit of a linearized history with a truth ``label``: ``pr<N>`` for the
commits pull request N brought in, ``c<k>`` for a lone commit. Loading needs no git, so an
evaluation runs in seconds.
"""

from __future__ import annotations

import collections
import hashlib
import json
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from importers.history import ZERO_OID, Commit, RawChange, Signature

CORPUS_NAMES = ("flask", "click", "werkzeug", "jinja", "pytest")


@dataclass(frozen=True, slots=True)
class Corpus:
    """A history with its truth: ``labels[i]`` is the label of ``commits[i]``."""

    name: str
    commits: tuple[Commit, ...]
    labels: tuple[str, ...]


def default_corpus_dir() -> Path:
    """``shared/corpora`` beside the repository root (``/work/shared`` for ``/work/main``)."""
    return Path(__file__).resolve().parents[3] / "shared" / "corpora"


def _oid(*parts: object) -> str:
    return hashlib.sha1("\0".join(map(str, parts)).encode()).hexdigest()


def _tz(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}{minutes % 60:02d}"


def _changes(name: str, seq: int, raw: Iterable[dict[str, Any]]) -> tuple[RawChange, ...]:
    out: list[RawChange] = []
    for ch in raw:
        mode = int(ch.get("mode") or "100644", 8)
        path = ch["path"].encode("utf-8", "surrogateescape")
        new = _oid(name, seq, ch["path"])
        status = ch["status"]
        if status == "R":  # the walk does not detect renames: a rename is a delete and an add
            old = ch["old_path"].encode("utf-8", "surrogateescape")
            gone = _oid(name, seq, "old", ch["old_path"])
            out.append(RawChange("D", old, mode, 0, gone, ZERO_OID))
            out.append(RawChange("A", path, 0, mode, ZERO_OID, new))
        elif status == "A":
            out.append(RawChange("A", path, 0, mode, ZERO_OID, new))
        elif status == "D":
            out.append(RawChange("D", path, mode, 0, _oid(name, seq, "old", ch["path"]), ZERO_OID))
        else:
            out.append(RawChange("M", path, mode, mode, _oid(name, seq, "old", ch["path"]), new))
    return tuple(out)


def commit_from_row(name: str, row: dict[str, Any], parent: str | None) -> Commit:
    """One corpus row as a ``Commit`` with a synthetic oid and tree."""
    seq = row["seq"]
    author = Signature(
        row["author_name"], row["author_email"], row["author_time"], _tz(row["author_tz"])
    )
    committer = Signature(
        row["committer_name"], row["committer_email"], row["commit_time"], _tz(row["commit_tz"])
    )
    message = row["message"]
    return Commit(
        oid=_oid(name, "commit", seq),
        parents=(parent,) if parent else (),
        tree=_oid(name, "tree", seq),
        author=author,
        committer=committer,
        message=message,
        message_raw=message.encode("utf-8", "surrogateescape"),
        changes=_changes(name, seq, row["changes"]),
    )


def load_corpus(path: Path) -> Corpus:
    """Read a ``.jsonl`` corpus into commits (oldest first) and their truth labels."""
    commits: list[Commit] = []
    labels: list[str] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            commits.append(commit_from_row(path.stem, row, commits[-1].oid if commits else None))
            labels.append(row["label"])
    return Corpus(path.stem, tuple(commits), tuple(labels))


def load_corpora(
    directory: Path | None = None, names: Sequence[str] = CORPUS_NAMES
) -> list[Corpus]:
    base = directory or default_corpus_dir()
    return [load_corpus(base / f"{n}.jsonl") for n in names]


# The two scores of /work/shared/corpora/score.py, copied so scoring needs no path import.
def bcubed(truth: Sequence[Hashable], pred: Sequence[Hashable]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of ``pred`` against ``truth``."""
    t: dict[Hashable, set[int]] = collections.defaultdict(set)
    p: dict[Hashable, set[int]] = collections.defaultdict(set)
    for i, (a, b) in enumerate(zip(truth, pred, strict=True)):
        t[a].add(i)
        p[b].add(i)
    prec = rec = 0.0
    for a, b in zip(truth, pred, strict=True):
        inter = len(t[a] & p[b])
        prec += inter / len(p[b])
        rec += inter / len(t[a])
    n = len(truth)
    prec, rec = prec / n, rec / n
    return prec, rec, 2 * prec * rec / (prec + rec)


def ari(truth: Sequence[Hashable], pred: Sequence[Hashable]) -> float:
    """Adjusted Rand index of ``pred`` against ``truth``."""

    def c2(n: float) -> float:
        return n * (n - 1) / 2

    n = len(truth)
    joint = collections.Counter(zip(truth, pred, strict=True))
    a = collections.Counter(truth)
    b = collections.Counter(pred)
    idx = sum(c2(v) for v in joint.values())
    sa = sum(c2(v) for v in a.values())
    sb = sum(c2(v) for v in b.values())
    expected = sa * sb / c2(n)
    top = (sa + sb) / 2
    return 1.0 if top == expected else (idx - expected) / (top - expected)


def score_sessions(labels: Sequence[str], session_of: Sequence[int]) -> tuple[float, float]:
    """(B3-F1, ARI) over the commits a pull request brought in, as score.py computes them."""
    keep = [i for i, label in enumerate(labels) if label.startswith("pr")]
    truth = [labels[i] for i in keep]
    pred = [session_of[i] for i in keep]
    return bcubed(truth, pred)[2], ari(truth, pred)


def session_index(bounds: Sequence[tuple[int, int]], n: int) -> list[int]:
    """Per commit, the index of the ``[start, end)`` span holding it."""
    out = [-1] * n
    for k, (start, end) in enumerate(bounds):
        for i in range(start, end):
            out[i] = k
    return out
