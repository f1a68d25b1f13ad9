"""The shipped model file and the corpus loader."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from importers.grouping.corpus import bcubed, load_corpus, score_sessions
from importers.grouping.features import FEATURES, pair_features
from importers.grouping.model import MODEL_PATH, BoundaryModel, GroupingModel, shipped
from importers.grouping.runs import RUN_FEATURES, history_of, run_features
from importers.grouping.segment import settle_cuts
from importers.history import Commit


def test_model_json_matches_the_features() -> None:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    model = GroupingModel.from_json(data)
    assert model.pair.features == FEATURES
    assert model.runs.features == RUN_FEATURES
    for part in (model.pair, model.runs):
        assert 0.0 < part.threshold < 1.0
        assert np.all(part.scale > 0)
    assert GroupingModel.from_json(model.to_json()).to_json() == model.to_json()
    assert shipped().pair.threshold == model.pair.threshold


def test_a_model_file_of_another_format_is_refused() -> None:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match="not a mic-grouping/2 model"):
        GroupingModel.from_json({**data, "format": "mic-grouping-boundary/1"})


def _runs_history() -> list[Commit]:
    from tests.support.history import HOUR, chain

    # One pull request in three runs (code, a docs detour, code again), then another author's
    # unrelated change.
    spec = [
        ("Add cache layer", ["pkg/cache.py", "tests/test_cache.py"], "ann"),
        ("Cache: expire entries", ["pkg/cache.py"], "ann"),
        ("Document the cache", ["docs/cache.rst"], "ann"),
        ("Cache: review fixes", ["pkg/cache.py", "tests/test_cache.py"], "ann"),
        ("Bump release version", ["setup.cfg"], "bob"),
    ]
    return chain(
        [{"message": m, "paths": p, "author": a, "t": k * HOUR} for k, (m, p, a) in enumerate(spec)]
    )


def test_run_features_compare_whole_runs() -> None:
    commits = _runs_history()
    h = history_of(commits)
    prob = np.full(len(commits) - 1, 0.6)
    x = run_features(h, prob, [2, 3, 4])
    assert x.shape == (3, len(RUN_FEATURES))
    assert np.isfinite(x).all()
    col = {name: x[:, k] for k, name in enumerate(RUN_FEATURES)}
    # Runs are compared with their neighbours only: the docs detour [2, 3) shares no file with
    # the code on either side of it.
    assert col["right_files_in_left"].tolist() == [0.0, 0.0, 0.0]
    assert col["right_authors_in_left"].tolist() == [1.0, 1.0, 0.0]
    # Once the detour is part of the run before, the review fixes touch only its files.
    x = run_features(h, prob, [3, 4])
    col = {name: x[:, k] for k, name in enumerate(RUN_FEATURES)}
    assert col["right_files_in_left"].tolist() == [1.0, 0.0]
    assert col["left_len"][0] == np.log(3)
    assert run_features(h, prob, []).shape == (0, len(RUN_FEATURES))


def _only(feature: str, weight: float, intercept: float, threshold: float) -> BoundaryModel:
    w = np.array([weight if f == feature else 0.0 for f in RUN_FEATURES])
    n = len(RUN_FEATURES)
    return BoundaryModel(RUN_FEATURES, np.zeros(n), np.ones(n), w, intercept, threshold)


def test_settle_cuts_joins_runs_of_one_author_and_keeps_fixed_cuts() -> None:
    commits = _runs_history()
    h = history_of(commits)
    prob = np.full(len(commits) - 1, 0.6)
    # A run model that withdraws a cut exactly when both sides are by one author.
    model = _only("right_authors_in_left", -20.0, 10.0, 0.5)
    assert settle_cuts(h, prob, [1, 2, 3, 4], (), model) == [4]
    # A fixed cut (an edge another signal settled) stays and bounds the runs compared.
    assert settle_cuts(h, prob, [1, 3, 4], {2}, model) == [2, 4]
    assert settle_cuts(h, prob, [], (), model) == []


def test_pair_features_shape_and_finiteness() -> None:
    from tests.support.history import DAY, chain

    commits = chain(
        [{"message": f"Change {k}", "paths": [f"pkg/m{k % 2}.py"], "t": k * DAY} for k in range(5)]
    )
    x = pair_features(commits)
    assert x.shape == (4, len(FEATURES))
    assert np.isfinite(x).all()
    assert pair_features(commits[:1]).shape == (0, len(FEATURES))


def test_loader_turns_rows_into_commits(tmp_path: Path) -> None:
    row = {
        "seq": 0,
        "author_name": "dev-1",
        "author_email": "dev-1@example.invalid",
        "author_time": 100,
        "author_tz": -90,
        "committer_name": "dev-2",
        "committer_email": "dev-2@example.invalid",
        "commit_time": 200,
        "commit_tz": 60,
        "message": "Rename module\n",
        "label": "pr5",
        "changes": [
            {
                "status": "R",
                "path": "new.py",
                "old_path": "old.py",
                "mode": "100644",
                "size": 3,
                "binary": False,
            },
            {"status": "M", "path": "x.py", "mode": "100755", "size": 3, "binary": False},
        ],
    }
    path = tmp_path / "tiny.jsonl"
    path.write_text(json.dumps(row) + "\n" + json.dumps({**row, "seq": 1, "label": "c1"}) + "\n")
    corpus = load_corpus(path)
    first, second = corpus.commits
    assert corpus.labels == ("pr5", "c1")
    assert first.parents == () and second.parents == (first.oid,)
    assert len(first.oid) == 40 and first.oid != second.oid
    assert first.author.tz == "-0130" and first.committer.tz == "+0100"
    assert [(c.status, c.path_text) for c in first.changes] == [
        ("D", "old.py"),
        ("A", "new.py"),
        ("M", "x.py"),
    ]
    assert first.changes[2].new_mode == 0o100755


def test_scores_match_score_py_conventions() -> None:
    assert bcubed(["a", "a", "b"], [0, 0, 1])[2] == 1.0
    assert score_sessions(["pr1", "pr1", "c2", "pr3"], [0, 0, 0, 1]) == (1.0, 1.0)
    f1, ari = score_sessions(["pr1", "pr1", "pr2", "pr2"], [0, 1, 2, 3])
    assert ari == 0.0 and f1 < 1.0
