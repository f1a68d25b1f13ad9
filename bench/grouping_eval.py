"""Evaluate session grouping on the development corpora, leaving one corpus out.

    .venv/bin/python bench/grouping_eval.py [--corpora DIR] [--skip-cv] [--json PATH]
    .venv/bin/python bench/grouping_eval.py --repo GIT_DIR [--repo GIT_DIR ...]

For each corpus: the baselines, the shipped model's B3-F1/ARI (trained on every corpus, this
one included), and the leave-one-corpus-out figures: a model fitted on the four other corpora
only, scored on this one, with the pair model alone and with the run model after it. Then the
time to plan 12,000 commits (the corpora concatenated and repeated) with each strategy.

With ``--repo``: ``auto`` on real repositories' first-parent histories, scored against the
pull requests their merges ("Merge pull request #N") and squash subjects ("Title (#N)") name:
each such first-parent commit is one pull request, so ``auto`` should be exact on them.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from importers.git.walk import walk
from importers.grouping import plan_sessions, plan_spans, text
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


def _cell(scores: tuple[float, float]) -> str:
    return f"{scores[0]:.3f} / {scores[1]:.3f}"


def _real(repo: Path) -> None:
    commits = list(walk(repo))
    labels = []
    for k, c in enumerate(commits):
        n = text.pull_request_number(c.message)
        if n is None and not c.is_merge:
            n = text.squash_number(text.subject(c.message))
        labels.append(f"pr{n}" if n is not None else f"c{k}")
    t0 = time.perf_counter()
    spans = plan_spans(commits, "auto")
    dt = time.perf_counter() - t0
    session = session_index([(s.start, s.end) for s in spans], len(commits))
    marked = sum(label.startswith("pr") for label in labels)
    f1, ari = score_sessions(labels, session)
    # Exact means no session holds two marked commits (the scores also count a number that two
    # unrelated commits share, e.g. an old tracker's "(#N)" and a later pull request N).
    per_session = collections.Counter(session[k] for k, x in enumerate(labels) if x[:2] == "pr")
    joined = sum(1 for v in per_session.values() if v > 1)
    signals = {
        sig: sum(s.signal == sig for s in spans) for sig in sorted({s.signal for s in spans})
    }
    print(
        f"| {repo} | {len(commits)} | {marked} | {joined} | {f1:.3f} / {ari:.3f} | {dt:.2f} s "
        f"| {signals} |"
    )


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--corpora", type=Path, default=None)
    ap.add_argument("--skip-cv", action="store_true", help="skip the leave-one-out refits")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument(
        "--repo", type=Path, action="append", default=[], help="score auto on a Git repository"
    )
    args = ap.parse_args()
    if args.repo:
        print(
            "| repository | first-parent commits | pull requests marked "
            "| sessions holding two marked | auto B3-F1 / ARI | time | sessions by signal |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for repo in args.repo:
            _real(repo)
        return 0

    corpora = load_corpora(args.corpora)
    cv = {} if args.skip_cv else cross_corpus([pairs_of(c) for c in corpora])
    figures: dict[str, dict[str, object]] = {}
    print("B3-F1 / ARI over the commits that pull requests brought in")
    print(
        "| corpus | same author, < 24 h | shipped (trained on all) "
        "| left out: pair model | left out: pair + run model |"
    )
    print("| --- | --- | --- | --- | --- |")
    for c in corpora:
        row = {
            "one_per_commit": score_sessions(c.labels, _one_per_commit(c)),
            "same_author_day": score_sessions(c.labels, _same_author_day(c)),
            "shipped_cluster": score_sessions(c.labels, _strategy(c, "cluster")),
        }
        held = cv.get(c.name)
        if held:
            row["left_out_pair"] = held.pair
            row["left_out_full"] = held.full
        figures[c.name] = {k: [round(v, 4) for v in s] for k, s in row.items()}
        left = f"{_cell(held.pair)} | {_cell(held.full)}" if held else "(skipped) | (skipped)"
        print(
            f"| {c.name} | {_cell(row['same_author_day'])} | {_cell(row['shipped_cluster'])} "
            f"| {left} |"
        )

    pool = [x for c in corpora for x in c.commits]
    commits = (pool * (12_000 // len(pool) + 1))[:12_000]
    print(f"time to plan {len(commits)} commits (corpora concatenated and repeated):")
    timing: dict[str, float] = {}
    for strategy in ("commit", "merge", "cluster", "auto"):
        t0 = time.perf_counter()
        sessions = plan_sessions(commits, strategy)
        dt = time.perf_counter() - t0
        timing[strategy] = round(dt, 3)
        print(f"  {strategy:8s} {dt:6.2f} s  ({len(sessions)} sessions)")
    if args.json:
        args.json.write_text(json.dumps({"corpora": figures, "seconds_12000": timing}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
