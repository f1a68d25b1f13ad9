"""Segment-level evidence: does the run after a cut continue the run before it?

The pair model sees a gap through its two neighbours and a few commits of context; long pull
requests detour through docs, tests and review fixes, and get cut into pieces there. This
module compares the whole run on each side of a provisional cut: the paths each run touched,
its authors, its time span, its words, and how its files are changed together elsewhere in
the same history (co-change, counted at import time from the history being grouped, so no
training data is needed at run time).

Row ``k`` describes the cut before commit ``cuts[k]``: the left run is ``[prev cut, cuts[k])``,
the right run ``[cuts[k], next cut)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from importers.history import Commit

from . import text
from .features import Bags, _binary, _normalized, _present, _rowdot, _slog, bags_of

# A commit that touches more files than this (a mass rename, a reformat) says little about
# which files belong together; it is left out of the co-change counts.
COCHANGE_MAX_FILES = 30

RUN_FEATURES: tuple[str, ...] = (
    "pair_logit",
    "pair_logit_prev",
    "pair_logit_next",
    "left_len",
    "right_len",
    "run_gap",
    "left_span",
    "right_span",
    "gap_vs_left_pace",
    "right_back_in_time",
    "right_files_in_left",
    "left_files_in_right",
    "run_file_jaccard",
    "right_dirs_in_left",
    "run_dir_jaccard",
    "run_path_cosine",
    "run_cochange_cosine",
    "right_cochange_in_left",
    "right_authors_in_left",
    "same_author_edge",
    "single_author_both",
    "run_message_cosine",
    "run_shared_issue",
    "right_is_follow_up",
)


@dataclass(frozen=True)
class History:
    """Per-commit matrices of a history, computed once and shared by every round of cuts."""

    files: sparse.csr_matrix  # commit x file, 0/1
    dirs: sparse.csr_matrix  # commit x directory, 0/1
    paths: sparse.csr_matrix  # commit x path word, TF-IDF rows
    cochange: sparse.csr_matrix  # commit x file: its files spread over their co-changed files
    messages: sparse.csr_matrix  # commit x word, TF-IDF rows
    issues: sparse.csr_matrix  # commit x referenced issue, 0/1
    author: np.ndarray  # author id per commit
    time: np.ndarray  # committer time per commit
    follow_up: np.ndarray  # subject reads like review follow-up work


def history_of(commits: Sequence[Commit], bags: Bags | None = None) -> History:
    """The matrices of ``commits`` that the run features read (``bags`` when already made
    for the pair features)."""
    bags = bags or bags_of(commits)
    files = bags.files
    n_files = np.asarray(files.sum(axis=1)).ravel()
    # Co-change: file x file counts of being changed in the same commit, normalized to a
    # cosine; a commit's row becomes the files its own files usually travel with.
    small = sparse.diags((n_files <= COCHANGE_MAX_FILES).astype(float)) @ files
    co = sparse.csr_matrix(small.T @ small)
    d = np.sqrt(np.maximum(co.diagonal(), 1.0))
    co = sparse.csr_matrix(sparse.diags(1.0 / d) @ co @ sparse.diags(1.0 / d))
    ids: dict[str, int] = {}
    author = np.array(
        [ids.setdefault(c.author.email.lower() or c.author.name, len(ids)) for c in commits]
    )
    subjects = [text.subject(c.message) for c in commits]
    return History(
        files=files,
        dirs=bags.dirs,
        paths=bags.paths,
        cochange=sparse.csr_matrix(files @ co),
        messages=bags.messages,
        issues=bags.issues,
        author=author,
        time=np.array([c.committer.time for c in commits], dtype=float),
        follow_up=np.array([text.is_follow_up(s) for s in subjects], dtype=float),
    )


def _membership(bounds: np.ndarray, n: int) -> sparse.csr_matrix:
    """Run x commit 0/1 matrix for runs ``[bounds[k], bounds[k + 1])``."""
    run = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    return sparse.csr_matrix((np.ones(n), (run, np.arange(n))), shape=(len(bounds) - 1, n))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(p / (1 - p)), dtype=np.float64)


def run_features(h: History, prob: np.ndarray, cuts: Sequence[int]) -> np.ndarray:
    """A ``(len(cuts), len(RUN_FEATURES))`` matrix for the cuts (sorted commit indices > 0).

    ``prob`` is the pair model's boundary probability per gap (``prob[i]``: before ``i + 1``).
    """
    n = h.files.shape[0]
    if not len(cuts):
        return np.zeros((0, len(RUN_FEATURES)))
    cut = np.asarray(cuts, dtype=int)
    bounds = np.concatenate([[0], cut, [n]])
    member = _membership(bounds, n)
    left = np.arange(len(cut))  # run index left of cut k; the right one is k + 1
    right = left + 1
    size = np.diff(bounds).astype(float)

    def runs(m: sparse.csr_matrix) -> sparse.csr_matrix:
        return sparse.csr_matrix(member @ m)

    files = _present(runs(h.files))
    dirs = _present(runs(h.dirs))
    n_files = np.asarray(files.sum(axis=1)).ravel()
    n_dirs = np.asarray(dirs.sum(axis=1)).ravel()
    f_inter = _rowdot(files[left], files[right])
    d_inter = _rowdot(dirs[left], dirs[right])
    paths = _normalized(runs(h.paths))
    cochange = runs(h.cochange)
    co_norm = _normalized(cochange)
    messages = _normalized(runs(h.messages))
    issues = _present(runs(h.issues))
    authors = _present(runs(_binary([[str(a)] for a in h.author])))
    n_authors = np.asarray(authors.sum(axis=1)).ravel()
    start = bounds[:-1]
    last = bounds[1:] - 1
    t_first = np.minimum.reduceat(h.time, start)
    t_last = np.maximum.reduceat(h.time, start)
    span = t_last - t_first
    gap = h.time[start[right]] - h.time[last[left]]
    pace = span[left] / np.maximum(size[left] - 1, 1)
    logit = _logit(prob)
    g = cut - 1  # gap index of each cut
    follow = np.maximum.reduceat(h.follow_up, start)
    cols = [
        logit[g],
        logit[np.maximum(g - 1, 0)],
        logit[np.minimum(g + 1, len(logit) - 1)],
        np.log(size[left]),
        np.log(size[right]),
        _slog(gap),
        _slog(span[left]),
        _slog(span[right]),
        np.log((np.abs(gap) + 60) / (pace + 60)),
        t_first[right] < t_last[left],
        f_inter / np.maximum(n_files[right], 1),
        f_inter / np.maximum(n_files[left], 1),
        f_inter / np.maximum(n_files[left] + n_files[right] - f_inter, 1),
        d_inter / np.maximum(n_dirs[right], 1),
        d_inter / np.maximum(n_dirs[left] + n_dirs[right] - d_inter, 1),
        _rowdot(paths[left], paths[right]),
        _rowdot(co_norm[left], co_norm[right]),
        _rowdot(_present(cochange[left]), files[right]) / np.maximum(n_files[right], 1),
        _rowdot(authors[left], authors[right]) / np.maximum(n_authors[right], 1),
        h.author[cut - 1] == h.author[cut],
        (n_authors[left] == 1) & (n_authors[right] == 1),
        _rowdot(messages[left], messages[right]),
        _rowdot(issues[left], issues[right]) > 0,
        follow[right],
    ]
    out = np.column_stack([np.asarray(c, dtype=float) for c in cols])
    if out.shape[1] != len(RUN_FEATURES):
        raise AssertionError(f"{out.shape[1]} run feature columns for {len(RUN_FEATURES)} names")
    return out
