"""Strategies on small hand-built histories with known answers."""

from __future__ import annotations

import pytest

from importers.grouping import STRATEGIES, PlannedSession, plan_sessions
from importers.history import Commit
from tests.support.history import DAY, HOUR, chain, covers, extents, make


def _mixed() -> list[Commit]:
    side = [
        make("Add parser", ["src/parse.py"], author="bob", t=10),
        make("Test parser", ["tests/test_parse.py"], author="bob", t=20),
    ]
    return chain(
        [
            {"message": "Initial commit", "paths": ["README.md"], "t": 0},
            {
                "message": "Merge pull request #4 from bob/parser\n\nAdd a parser",
                "t": HOUR,
                "merge_of": 1,
                "brought_in": side,
            },
            {"message": "Tweak docs", "paths": ["docs/index.rst"], "t": 2 * HOUR},
            {"message": "Merge branches 'a', 'b' and 'c'", "t": 3 * HOUR, "merge_of": 3},
            {"message": "Fix crash on empty input (#9)", "paths": ["src/parse.py"], "t": 4 * HOUR},
        ]
    )


def test_commit_strategy_is_one_session_per_commit() -> None:
    commits = _mixed()
    sessions = plan_sessions(commits, "commit")
    assert extents(sessions) == [(i, i + 1) for i in range(len(commits))]
    assert {s.signal for s in sessions} == {"commit"}
    assert all(s.score is None for s in sessions)


def test_merge_strategy_takes_merges_and_octopus_as_sessions() -> None:
    commits = _mixed()
    sessions = plan_sessions(commits, "merge")
    assert extents(sessions) == [(i, i + 1) for i in range(len(commits))]
    assert [s.signal for s in sessions] == ["commit", "topology", "commit", "topology", "commit"]
    assert sessions[1].goal == "Add a parser"  # the pull request title, from the merge body
    assert sessions[3].goal == "Merge branches 'a', 'b' and 'c'"  # nothing brought in: itself


def test_auto_pull_request_merge_and_squash_are_identifiers() -> None:
    sessions = plan_sessions(_mixed(), "auto")
    by_start = {s.start: s for s in sessions}
    assert by_start[1].signal == "identifier" and by_start[1].goal == "Add a parser"
    assert by_start[3].signal == "topology"  # a merge that names no pull request
    assert by_start[4].signal == "identifier"
    assert by_start[4].goal == "Fix crash on empty input"  # without the "(#9)" suffix
    assert by_start[4].end == 5


def test_auto_groups_a_shared_change_id() -> None:
    cid = "Change-Id: I0123456789abcdef0123456789abcdef01234567"
    commits = chain(
        [
            {"message": "Unrelated work", "paths": ["a.py"], "t": 0, "author": "carol"},
            {"message": f"Add cache layer\n\n{cid}", "paths": ["cache.py"], "t": 5 * DAY},
            {"message": f"Add cache layer (rebased)\n\n{cid}", "paths": ["cache.py"], "t": 6 * DAY},
            {"message": "Later unrelated work", "paths": ["b.py"], "t": 20 * DAY, "author": "dan"},
        ]
    )
    sessions = plan_sessions(commits, "auto")
    assert covers(sessions, 4)
    grouped = [s for s in sessions if s.signal == "identifier"]
    assert extents(grouped) == [(1, 3)]
    assert grouped[0].goal == "Add cache layer"


def test_auto_groups_consecutive_commits_closing_the_same_issue() -> None:
    commits = chain(
        [
            {"message": "Release 1.0", "paths": ["VERSION"], "t": 0, "author": "erin"},
            {
                "message": "Handle timeouts in client\n\nFixes #7",
                "paths": ["client.py"],
                "t": 10 * DAY,
            },
            {"message": "Retry on timeout\n\nCloses #7", "paths": ["retry.py"], "t": 11 * DAY},
            {
                "message": "Unrelated: bump year",
                "paths": ["LICENSE"],
                "t": 40 * DAY,
                "author": "frank",
            },
        ]
    )
    sessions = plan_sessions(commits, "auto")
    assert covers(sessions, 4)
    assert [(s.start, s.end) for s in sessions if s.signal == "identifier"] == [(1, 3)]


def test_cluster_separates_two_obvious_topics() -> None:
    docs = [
        {
            "message": f"Document the {w} option",
            "paths": ["docs/options.rst"],
            "author": "alice",
            "t": k * 300,
        }
        for k, w in enumerate(("color", "width", "depth"))
    ]
    code = [
        {
            "message": f"Parser: support {w} tokens",
            "paths": ["src/parser.py", "tests/test_parser.py"],
            "author": "bob",
            "t": 30 * DAY + k * 400,
        }
        for k, w in enumerate(("string", "number", "bracket"))
    ]
    commits = chain(docs + code)
    sessions = plan_sessions(commits, "cluster")
    assert extents(sessions) == [(0, 3), (3, 6)]
    assert {s.signal for s in sessions} == {"cluster"}
    assert all(s.score is not None and 0.5 < s.score <= 1.0 for s in sessions)
    assert sessions[0].goal.startswith("Document the")
    assert sessions[1].goal.startswith("Parser: support")


def test_cluster_ignores_merges() -> None:
    commits = _mixed()
    sessions = plan_sessions(commits, "cluster")
    assert covers(sessions, len(commits))
    assert {s.signal for s in sessions} == {"cluster"}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_covers_the_history_contiguously(strategy: str) -> None:
    commits = _mixed() + chain(
        [
            {"message": f"Step {k}", "paths": [f"f{k % 3}.py"], "t": 10 * DAY + k * 900}
            for k in range(12)
        ]
    )
    sessions = plan_sessions(commits, strategy)
    assert covers(sessions, len(commits))
    assert all(isinstance(s, PlannedSession) and s.goal for s in sessions)
    assert all(s.signal in ("commit", "identifier", "topology", "cluster") for s in sessions)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_empty_and_single_histories(strategy: str) -> None:
    assert plan_sessions([], strategy) == []
    one = plan_sessions([make("Only commit", ["a.py"])], strategy)
    assert extents(one) == [(0, 1)] and one[0].goal == "Only commit"


def test_unknown_strategy_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"unknown grouping strategy 'topic'.*auto, commit"):
        plan_sessions([make("x")], "topic")
