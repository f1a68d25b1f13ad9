"""Goals and decisions read from real-looking messages."""

from __future__ import annotations

from importers.grouping import Decision
from importers.grouping.decisions import decisions_of
from importers.grouping.goals import goal_of, representative_subject
from importers.history import Commit
from tests.support.history import chain, make, oid

MERGE_BODY = """Merge pull request #2358 from dev/json-test-client

JSON support for the test client

- Use the `json` keyword argument instead of building the body by hand
- Drop the separate cache flag
- fix typo
Signed-off-by: Dev <dev@example.com>
"""


def _merge(message: str, brought: list[str]) -> list[Commit]:
    """A session of one merge commit that brought in commits with subjects ``brought``."""
    side = [make(m, ["flask/testing.py"], author="dev", t=k) for k, m in enumerate(brought)]
    return [make(message, parents=[oid("main"), side[-1].oid], brought_in=side, t=100)]


def test_goal_of_a_pull_request_merge_is_its_title() -> None:
    assert goal_of(_merge(MERGE_BODY, ["wip", "Add json to test client"])) == (
        "JSON support for the test client"
    )


def test_goal_of_a_squash_merge_drops_the_number() -> None:
    assert goal_of([make("Add SameSite cookie option (#2607)", ["flask/sessions.py"])]) == (
        "Add SameSite cookie option"
    )


def test_goal_of_a_plain_merge_is_told_by_what_it_brought() -> None:
    commits = _merge(
        "Merge branch 'cli-env'",
        ["fix typo", "Load .env files in the CLI", "Document .env loading in the CLI"],
    )
    assert goal_of(commits) == "Load .env files in the CLI"


def test_goal_skips_follow_up_subjects() -> None:
    commits = chain(
        [
            {"message": "wip", "paths": ["src/click/shell_completion.py"]},
            {"message": "Add shell completion for zsh", "paths": ["src/click/shell_completion.py"]},
            {"message": "fix typo", "paths": ["docs/shell-completion.rst"]},
            {"message": "Address review comments", "paths": ["src/click/shell_completion.py"]},
            {"message": "Document zsh shell completion", "paths": ["docs/shell-completion.rst"]},
        ]
    )
    assert goal_of(commits) == "Add shell completion for zsh"


def test_goal_falls_back_to_a_follow_up_subject_when_it_is_all_there_is() -> None:
    assert representative_subject([make("fix typo", ["README.rst"])]) == "fix typo"


def test_merge_body_bullets_are_decisions() -> None:
    found = decisions_of(_merge(MERGE_BODY, ["Add json to test client"]))
    assert found[0] == Decision(
        "Use the `json` keyword argument", "instead of building the body by hand"
    )
    assert Decision("Drop the separate cache flag", "") in found
    assert all("typo" not in d.decision for d in found)  # a follow-up bullet is no decision
    assert all("Signed-off-by" not in d.decision for d in found)


def test_instead_of_in_a_subject() -> None:
    found = decisions_of([make("Use content_type kwarg instead of manipulating headers")])
    assert found == (Decision("Use content_type kwarg", "instead of manipulating headers"),)


def test_reason_in_the_body_and_leading_reason_clause() -> None:
    message = (
        "Cache the parsed config\n\n"
        "Parsing on every request is slow. Keep the parsed copy on the app so that later\n"
        "requests reuse it.\n\n"
        "To avoid stale values, clear the cache when the file changes.\n"
    )
    found = decisions_of([make(message)])
    assert found == (
        Decision("Keep the parsed copy on the app", "so that later requests reuse it"),
        Decision("clear the cache when the file changes", "To avoid stale values"),
    )


def test_vague_clause_takes_the_subject_as_the_decision() -> None:
    message = "Pin the docs theme\n\nThis is needed because the new release breaks the sidebar."
    assert decisions_of([make(message)]) == (
        Decision("Pin the docs theme", "because the new release breaks the sidebar"),
    )


def test_reason_trailer() -> None:
    message = "Drop Python 3.7\n\nReason: it reached end of life in June 2023\n"
    assert decisions_of([make(message)]) == (
        Decision("Drop Python 3.7", "it reached end of life in June 2023"),
    )


def test_no_reasoning_means_no_decision() -> None:
    message = "Add a --color option\n\nThe option defaults to auto.\n\nSigned-off-by: A <a@x>\n"
    assert decisions_of([make(message)]) == ()


def test_code_blocks_are_not_read() -> None:
    message = "Add example\n\n    x = y  # because of z\n\n```\nrather than this\n```\n"
    assert decisions_of([make(message)]) == ()


def test_decisions_are_deduplicated_and_capped() -> None:
    same = "Use a lock instead of a flag"
    commits = [make(same, t=0), make(same + ".", t=1)] + [
        make(f"Use option {k} rather than option {k + 1}", t=10 + k) for k in range(10)
    ]
    found = decisions_of(commits)
    assert len(found) == 5
    assert [d.decision for d in found].count("Use a lock") == 1


def test_gitlab_merge_request_title_and_empty_github_body() -> None:
    gitlab = (
        "Merge branch 'fix-env' into 'main'\n\nRead FLASK_ENV once\n\n"
        "See merge request web/app!12\n"
    )
    assert goal_of(_merge(gitlab, ["wip"])) == "Read FLASK_ENV once"
    bare = "Merge pull request #5 from dev/x"
    assert goal_of(_merge(bare, ["fix typo", "Support async views"])) == "Support async views"
