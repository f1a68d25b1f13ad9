"""The shipped model file and the corpus loader."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from importers.grouping.corpus import bcubed, load_corpus, score_sessions
from importers.grouping.features import FEATURES, pair_features
from importers.grouping.model import MODEL_PATH, BoundaryModel, shipped


def test_model_json_matches_the_features() -> None:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    model = BoundaryModel.from_json(data)
    assert model.features == FEATURES
    assert 0.0 < model.threshold < 1.0
    assert np.all(model.scale > 0)
    assert BoundaryModel.from_json(model.to_json()).to_json() == model.to_json()
    assert shipped().threshold == model.threshold


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
