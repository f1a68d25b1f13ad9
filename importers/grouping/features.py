"""Features of each adjacent pair of a first-parent sequence: is there a boundary between them?

Row ``i`` describes the pair (commit ``i``, commit ``i + 1``). Every feature is a general
property of commits (times, people, paths, words, identifiers); none names a project.
TF-IDF weights are fitted on the history being grouped, so no vocabulary is shipped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from importers.git.records import Commit

from . import text

WINDOW = 3  # commits of context on each side for the "near" features


@dataclass(frozen=True, slots=True)
class _Info:
    author: str
    committer: str
    author_time: int
    commit_time: int
    files: frozenset[str]
    dirs: frozenset[str]
    tops: frozenset[str]
    ctype: str
    scope: str
    issues: frozenset[int]
    squash: bool
    follow_up: bool
    n_files: int


def _dirs(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: k + 1]) for k in range(len(parts))] or ["."]


def _info(c: Commit) -> _Info:
    files = frozenset(c.paths)
    dirs = frozenset(d for p in files for d in _dirs(p)[-1:])
    tops = frozenset(p.split("/", 1)[0] if "/" in p else "." for p in files)
    subj = text.subject(c.message)
    ctype, scope = text.conventional(subj)
    return _Info(
        author=c.author.email.lower() or c.author.name,
        committer=c.committer.email.lower() or c.committer.name,
        author_time=c.author.time,
        commit_time=c.committer.time,
        files=files,
        dirs=dirs,
        tops=tops,
        ctype=ctype,
        scope=scope,
        issues=text.issue_numbers(c.message),
        squash=text.squash_number(subj) is not None,
        follow_up=text.is_follow_up(subj),
        n_files=len(files),
    )


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _slog(seconds: float) -> float:
    """Signed log of a time gap in minutes: the sign says whether time went backwards."""
    return math.copysign(math.log1p(abs(seconds) / 60.0), seconds)


def _path_doc(c: Commit) -> str:
    # Path components and file stems as words, so "flask/json/tag.py" shares "json" with
    # "tests/test_json_tag.py".
    out: list[str] = []
    for p in c.paths:
        out.extend(text.words(p.replace("_", " ").replace(".", " ")))
    return " ".join(out)


def _adjacent_cosine(docs: Sequence[str], **kwargs: object) -> np.ndarray:
    """Cosine similarity of each document with the next one under TF-IDF of ``docs``."""
    n = len(docs)
    if n < 2:
        return np.zeros(0)
    try:
        m = TfidfVectorizer(**kwargs).fit_transform(docs)  # type: ignore[arg-type]
    except ValueError:  # empty vocabulary
        return np.zeros(n - 1)
    m = sparse.csr_matrix(m)
    return np.asarray(m[:-1].multiply(m[1:]).sum(axis=1)).ravel()


def _windowed_cosine(docs: Sequence[str], window: int, **kwargs: object) -> np.ndarray:
    """Cosine of the ``window`` commits before a gap with the ``window`` commits after it."""
    n = len(docs)
    if n < 2:
        return np.zeros(0)
    try:
        m = sparse.csr_matrix(TfidfVectorizer(**kwargs).fit_transform(docs))  # type: ignore[arg-type]
    except ValueError:
        return np.zeros(n - 1)
    left = sparse.csr_matrix(m.shape)
    right = sparse.csr_matrix(m.shape)
    for k in range(window):
        left = left + _shift(m, k)
        right = right + _shift(m, -k)
    left = _normalize(left[:-1])
    right = _normalize(right[1:])
    return np.asarray(left.multiply(right).sum(axis=1)).ravel()


def _shift(m: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    """Rows moved down by ``k`` (up for negative ``k``), zero-filled."""
    n = m.shape[0]
    if k == 0:
        return m
    eye = sparse.eye(n, n, k=-k, format="csr")
    return sparse.csr_matrix(eye @ m)


def _normalize(m: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ m)


FEATURES: tuple[str, ...] = (
    "commit_gap",
    "commit_back",
    "author_after_commit",
    "author_gap",
    "same_minute",
    "back_of_window",
    "b_commit_lag",
    "same_author",
    "same_committer",
    "a_by_other",
    "b_by_other",
    "author_near",
    "file_jaccard",
    "dir_jaccard",
    "top_jaccard",
    "file_near",
    "path_cosine",
    "path_window",
    "msg_cosine",
    "msg_window",
    "same_type",
    "same_scope",
    "shared_issue",
    "a_squash",
    "b_squash",
    "b_follow_up",
    "a_files",
    "b_files",
)


def pair_features(commits: Sequence[Commit]) -> np.ndarray:
    """A ``(len(commits) - 1, len(FEATURES))`` matrix, one row per adjacent pair."""
    n = len(commits)
    if n < 2:
        return np.zeros((0, len(FEATURES)))
    infos = [_info(c) for c in commits]
    msgs = [text.prose(c.message) for c in commits]
    pdocs = [_path_doc(c) for c in commits]
    msg_cos = _adjacent_cosine(msgs, sublinear_tf=True, stop_words="english", min_df=1)
    msg_win = _windowed_cosine(msgs, WINDOW, sublinear_tf=True, stop_words="english")
    path_cos = _adjacent_cosine(pdocs, sublinear_tf=True)
    path_win = _windowed_cosine(pdocs, WINDOW, sublinear_tf=True)
    ct = np.array([x.commit_time for x in infos], dtype=float)
    rows = np.zeros((n - 1, len(FEATURES)))
    for i in range(n - 1):
        a, b = infos[i], infos[i + 1]
        lo = max(0, i - WINDOW + 1)
        hi = min(n, i + 1 + WINDOW)
        before = infos[lo : i + 1]
        after = infos[i + 1 : hi]
        author_near = any(x.author == y.author for x in before for y in after)
        file_near = max(_jaccard(x.files, y.files) for x in before for y in after)
        rows[i] = (
            _slog(b.commit_time - a.commit_time),
            float(b.commit_time < a.commit_time),
            _slog(b.author_time - a.commit_time),
            _slog(b.author_time - a.author_time),
            float(abs(b.commit_time - a.commit_time) <= 120),
            float(b.commit_time < ct[lo : i + 1].max()),
            _slog(b.commit_time - b.author_time),
            float(a.author == b.author),
            float(a.committer == b.committer),
            float(a.author != a.committer),
            float(b.author != b.committer),
            float(author_near),
            _jaccard(a.files, b.files),
            _jaccard(a.dirs, b.dirs),
            _jaccard(a.tops, b.tops),
            file_near,
            path_cos[i],
            path_win[i],
            msg_cos[i],
            msg_win[i],
            float(bool(a.ctype) and a.ctype == b.ctype),
            float(bool(a.scope) and a.scope == b.scope),
            float(bool(a.issues & b.issues)),
            float(a.squash),
            float(b.squash),
            float(b.follow_up),
            math.log1p(a.n_files),
            math.log1p(b.n_files),
        )
    return rows
