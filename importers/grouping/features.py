"""Features of each adjacent pair of a commit sequence: is there a session boundary between?

Row ``i`` describes the gap between commit ``i`` ("a") and commit ``i + 1`` ("b"). Features are
general properties of commits (times, people, paths, words, identifiers), never names from a
project. TF-IDF weights and vocabularies are fitted on the history being grouped, so nothing
about any training corpus is needed at run time.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from importers.history import Commit

from . import text

NEAR = 3  # commits of context on each side of a gap for the "recent/upcoming" features
FAR = 10  # a longer look back, for files that recur after a short detour
RHYTHM = 10  # half-width of the window whose median gap sets the local pace

_CHANGELOG = re.compile(
    r"(?:^|/)(?:changes|changelog|news|history|release[-_ ]?notes)(?:\.\w+)?$", re.IGNORECASE
)
_DOCS = re.compile(r"(?:^|/)docs?/|\.(?:rst|md|txt|adoc)$", re.IGNORECASE)

FEATURES: tuple[str, ...] = (
    # time
    "commit_gap",
    "author_gap",
    "authored_after_commit",
    "commit_back",
    "back_in_window",
    "lag_a",
    "lag_b",
    "same_minute",
    "gap_vs_pace",
    "gap_vs_prev",
    "gap_vs_next",
    "behind_mainline_a",
    "behind_mainline_b",
    # people
    "same_author",
    "same_committer",
    "a_by_other",
    "b_by_other",
    "author_recent",
    "author_share_a",
    "author_share_b",
    "author_run_a",
    "author_run_b",
    "first_of_author_b",
    "last_of_author_a",
    "same_tz",
    "same_author_prev",
    "same_author_next",
    # paths
    "file_jaccard",
    "file_overlap",
    "dir_jaccard",
    "top_jaccard",
    "path_cosine",
    "b_in_recent",
    "a_in_upcoming",
    "b_dirs_in_recent",
    "a_dirs_in_upcoming",
    "path_window_cosine",
    "b_in_far",
    "files_a",
    "files_b",
    # words
    "message_cosine",
    "message_window_cosine",
    "subject_cosine",
    "same_first_word",
    "body_a",
    "body_b",
    # kinds and identifiers
    "same_type",
    "same_scope",
    "shared_issue",
    "issue_in_window",
    "issue_conflict",
    "squash_a",
    "squash_b",
    "follow_up_a",
    "follow_up_b",
    "release_a",
    "release_b",
    "changelog_a",
    "changelog_b",
    "docs_a",
    "docs_b",
    "both_bumps",
)


def _slog(seconds: np.ndarray) -> np.ndarray:
    """Signed log of a time gap in minutes: the sign keeps "time went backwards"."""
    return np.asarray(np.sign(seconds) * np.log1p(np.abs(seconds) / 60.0), dtype=np.float64)


def _binary(items: Sequence[Sequence[str]]) -> sparse.csr_matrix:
    """Rows of 0/1 indicators, one column per distinct item."""
    try:
        m = CountVectorizer(analyzer=lambda x: x, binary=True).fit_transform(items)
    except ValueError:  # no item at all
        return sparse.csr_matrix((len(items), 1))
    return sparse.csr_matrix(m, dtype=float)


def _tfidf(docs: Sequence[str], **kwargs: Any) -> sparse.csr_matrix:
    """L2-normalized TF-IDF rows fitted on ``docs`` themselves."""
    try:
        return sparse.csr_matrix(TfidfVectorizer(**kwargs).fit_transform(docs))
    except ValueError:  # empty vocabulary
        return sparse.csr_matrix((len(docs), 1))


def _rowdot(a: sparse.csr_matrix, b: sparse.csr_matrix) -> np.ndarray:
    return np.asarray(a.multiply(b).sum(axis=1)).ravel()


def _window(m: sparse.csr_matrix, k: int, forward: bool) -> sparse.csr_matrix:
    """Row i summed with the ``k - 1`` rows before it (or after it when ``forward``)."""
    n = m.shape[0]
    acc = m
    for e in range(1, min(k, n)):
        acc = acc + sparse.eye(n, n, k=e if forward else -e, format="csr") @ m
    return sparse.csr_matrix(acc)


def _normalized(m: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ m)


def _present(m: sparse.csr_matrix) -> sparse.csr_matrix:
    return sparse.csr_matrix((m > 0).astype(float))


def _jaccard(m: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Jaccard of each row's set with the next row's, and the size of their intersection."""
    sizes = np.asarray(m.sum(axis=1)).ravel()
    inter = _rowdot(m[:-1], m[1:])
    union = sizes[:-1] + sizes[1:] - inter
    return inter / np.maximum(union, 1), inter


@dataclass(frozen=True)
class Bags:
    """Per-commit rows computed once and read by both the pair and the run features."""

    files: sparse.csr_matrix  # commit x file, 0/1
    dirs: sparse.csr_matrix  # commit x directory, 0/1
    paths: sparse.csr_matrix  # commit x path word, TF-IDF
    messages: sparse.csr_matrix  # commit x message word, TF-IDF
    issues: sparse.csr_matrix  # commit x referenced issue, 0/1


def bags_of(commits: Sequence[Commit]) -> Bags:
    return Bags(
        files=_binary([c.paths for c in commits]),
        dirs=_binary([[p.rpartition("/")[0] or "." for p in c.paths] for c in commits]),
        paths=_tfidf([_path_words(c) for c in commits], sublinear_tf=True),
        messages=_tfidf(
            [text.prose(c.message) for c in commits], sublinear_tf=True, stop_words="english"
        ),
        issues=_binary([[str(x) for x in text.issue_numbers(c.message)] for c in commits]),
    )


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per commit, how many consecutive commits up to it (and from it) share its key."""
    n = len(keys)
    back = np.ones(n)
    fwd = np.ones(n)
    for k in range(1, n):
        if keys[k] == keys[k - 1]:
            back[k] = back[k - 1] + 1
    for k in range(n - 2, -1, -1):
        if keys[k] == keys[k + 1]:
            fwd[k] = fwd[k + 1] + 1
    return back, fwd


def _path_words(c: Commit) -> str:
    # Path components and file stems as words, so "pkg/json/tag.py" shares "json" and "tag"
    # with "tests/test_json_tag.py".
    out: list[str] = []
    for p in c.paths:
        out.extend(text.words(p.replace("_", " ").replace(".", " ")))
    return " ".join(out)


def _all(c: Commit, rx: re.Pattern[str]) -> float:
    paths = c.paths
    return float(bool(paths) and all(rx.search(p) for p in paths))


def _flags(values: Sequence[str], test: Callable[[str], bool]) -> np.ndarray:
    return np.array([test(v) for v in values], dtype=float)


def _time(commits: Sequence[Commit], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    n = len(commits)
    ct = np.array([c.committer.time for c in commits], dtype=float)
    at = np.array([c.author.time for c in commits], dtype=float)
    gaps = np.abs(np.diff(ct))
    pace = np.median(sliding_window_view(np.pad(gaps, RHYTHM, mode="edge"), 2 * RHYTHM + 1), axis=1)
    log_gap = _slog(gaps)
    recent_max = np.full(n - 1, -np.inf)
    for e in range(NEAR):
        recent_max = np.maximum(recent_max, ct[np.maximum(a - e, 0)])
    # The newest commit seen so far stands for "now" on the main line: the commits of a
    # branch inlined before its (dropped or rebased) merge are older than that.
    mainline = np.maximum.accumulate(ct)
    mainline_before = np.concatenate([[ct[0]], mainline[:-1]])
    return [
        _slog(ct[b] - ct[a]),
        _slog(at[b] - at[a]),
        _slog(at[b] - ct[a]),
        ct[b] < ct[a],
        ct[b] < recent_max,
        # A rebase rewrites committer times, often to the same minute for a whole branch.
        _slog(ct[a] - at[a]),
        _slog(ct[b] - at[b]),
        np.abs(ct[b] - ct[a]) <= 60,
        np.log((gaps + 60) / (pace + 60)),
        log_gap - np.concatenate([[log_gap[0]], log_gap[:-1]]),
        log_gap - np.concatenate([log_gap[1:], [log_gap[-1]]]),
        _slog(ct[a] - mainline_before[a]),
        _slog(ct[b] - mainline[a]),
    ]


def _people(commits: Sequence[Commit], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    n = len(commits)
    ids: dict[str, int] = {}
    author = np.array(
        [ids.setdefault(c.author.email.lower() or c.author.name, len(ids)) for c in commits]
    )
    committer = np.array(
        [ids.setdefault(c.committer.email.lower() or c.committer.name, len(ids)) for c in commits]
    )
    # Frequent authors (maintainers) land many small changes back to back; a rare author's
    # consecutive commits are usually one contribution.
    share = np.bincount(author, minlength=len(ids))[author] / n
    run_back, run_fwd = _runs(author)
    first = np.zeros(n, dtype=bool)
    last = np.zeros(n, dtype=bool)
    first[np.unique(author, return_index=True)[1]] = True
    last[n - 1 - np.unique(author[::-1], return_index=True)[1]] = True
    recent_author = np.zeros(n - 1, dtype=bool)
    for e in range(NEAR):
        recent_author |= author[np.maximum(a - e, 0)] == author[b]
    tz = np.array([c.author.tz_minutes for c in commits])
    same_author = (author[:-1] == author[1:]).astype(float)
    return [
        same_author,
        committer[a] == committer[b],
        author[a] != committer[a],
        author[b] != committer[b],
        recent_author,
        np.log(share[a]),
        np.log(share[b]),
        np.log(run_back[a]),
        np.log(run_fwd[b]),
        first[b],
        last[a],
        tz[a] == tz[b],
        np.concatenate([[1.0], same_author[:-1]]),
        np.concatenate([same_author[1:], [1.0]]),
    ]


def _paths(commits: Sequence[Commit], bags: Bags, a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    files = bags.files
    dirs = bags.dirs
    tops = _binary([[p.partition("/")[0] if "/" in p else "." for p in c.paths] for c in commits])
    n_files = np.asarray(files.sum(axis=1)).ravel()
    n_dirs = np.asarray(dirs.sum(axis=1)).ravel()
    file_j, file_inter = _jaccard(files)
    paths = bags.paths
    # Windows: a branch often detours through docs or tests and comes back to its files.
    recent_files = _present(_window(files, NEAR, forward=False))
    upcoming_files = _present(_window(files, NEAR, forward=True))
    recent_dirs = _present(_window(dirs, NEAR, forward=False))
    upcoming_dirs = _present(_window(dirs, NEAR, forward=True))
    far_files = _present(_window(files, FAR, forward=False))
    return [
        file_j,
        file_inter / np.maximum(np.minimum(n_files[a], n_files[b]), 1),
        _jaccard(dirs)[0],
        _jaccard(tops)[0],
        _rowdot(paths[:-1], paths[1:]),
        _rowdot(recent_files[:-1], files[1:]) / np.maximum(n_files[b], 1),
        _rowdot(upcoming_files[1:], files[:-1]) / np.maximum(n_files[a], 1),
        _rowdot(recent_dirs[:-1], dirs[1:]) / np.maximum(n_dirs[b], 1),
        _rowdot(upcoming_dirs[1:], dirs[:-1]) / np.maximum(n_dirs[a], 1),
        _rowdot(
            _normalized(_window(paths, NEAR, False))[:-1],
            _normalized(_window(paths, NEAR, True))[1:],
        ),
        _rowdot(far_files[:-1], files[1:]) / np.maximum(n_files[b], 1),
        np.log1p(n_files[a]),
        np.log1p(n_files[b]),
    ]


def _words(
    commits: Sequence[Commit], bags: Bags, subjects: Sequence[str], a: np.ndarray, b: np.ndarray
) -> list[np.ndarray]:
    messages = bags.messages
    subject_grams = _tfidf(subjects, analyzer="char_wb", ngram_range=(3, 4), sublinear_tf=True)
    first_word = [(text.words(s) or [""])[0] for s in subjects]
    has_body = np.array([bool(c.body) for c in commits], dtype=float)
    return [
        _rowdot(messages[:-1], messages[1:]),
        _rowdot(
            _normalized(_window(messages, NEAR, False))[:-1],
            _normalized(_window(messages, NEAR, True))[1:],
        ),
        _rowdot(subject_grams[:-1], subject_grams[1:]),
        np.array([x == y for x, y in itertools.pairwise(first_word)], dtype=float),
        has_body[a],
        has_body[b],
    ]


def _kinds(
    commits: Sequence[Commit], bags: Bags, subjects: Sequence[str], a: np.ndarray, b: np.ndarray
) -> list[np.ndarray]:
    conv = [text.conventional(s) for s in subjects]
    ctype = np.array([t for t, _ in conv], dtype=object)
    scope = np.array([s for _, s in conv], dtype=object)
    issue_sets = [text.issue_numbers(c.message) for c in commits]
    issues = bags.issues
    squash = _flags(subjects, lambda s: text.squash_number(s) is not None)
    follow = _flags(subjects, text.is_follow_up)
    release = _flags(subjects, text.is_release)
    bump = _flags(subjects, text.is_dependency_bump)
    changelog = np.array([_all(c, _CHANGELOG) for c in commits])
    docs = np.array([_all(c, _DOCS) for c in commits])
    return [
        (ctype[a] == ctype[b]) & (ctype[a] != ""),
        (scope[a] == scope[b]) & (scope[a] != ""),
        _rowdot(issues[:-1], issues[1:]) > 0,
        _rowdot(_present(_window(issues, NEAR, False))[:-1], _window(issues, NEAR, True)[1:]) > 0,
        # Two commits that each reference issues, but different ones, address different things.
        np.array([bool(x and y and not x & y) for x, y in itertools.pairwise(issue_sets)]),
        squash[a],
        squash[b],
        follow[a],
        follow[b],
        release[a],
        release[b],
        changelog[a],
        changelog[b],
        docs[a],
        docs[b],
        bump[a] * bump[b],
    ]


def pair_features(commits: Sequence[Commit], bags: Bags | None = None) -> np.ndarray:
    """A ``(len(commits) - 1, len(FEATURES))`` matrix, one row per adjacent pair."""
    n = len(commits)
    if n < 2:
        return np.zeros((0, len(FEATURES)))
    bags = bags or bags_of(commits)
    a = np.arange(n - 1)
    b = a + 1
    subjects = [text.subject(c.message) for c in commits]
    cols = (
        _time(commits, a, b)
        + _people(commits, a, b)
        + _paths(commits, bags, a, b)
        + _words(commits, bags, subjects, a, b)
        + _kinds(commits, bags, subjects, a, b)
    )
    out = np.column_stack([np.asarray(c, dtype=float) for c in cols])
    if out.shape[1] != len(FEATURES):
        raise AssertionError(f"{out.shape[1]} feature columns for {len(FEATURES)} names")
    return out
