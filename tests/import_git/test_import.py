"""`mic import git` and `mic verify` end to end: real CLI, real server process, real git."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from micelio.client import MicClient
from micelio.testing import MicServer
from micelio.vocabulary import ChangeType
from tests.support.cli import ROOT, invoke, invoke_json, mic, mic_json, spawn_mic
from tests.support.fixture_types import MicServerFactory
from tests.support.gitrepo import first_parent_chain, git
from tests.support.projects import project_state


@pytest.fixture(scope="module")
def server(mic_server: MicServerFactory) -> MicServer:
    return mic_server()


@pytest.fixture(scope="module")
def fixture_repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    dest = tmp_path_factory.mktemp("fixtures")
    subprocess.run(
        [sys.executable, str(ROOT / "fixtures" / "build.py"), "all", str(dest)],
        check=True,
        capture_output=True,
    )
    return {p.name: p for p in sorted(dest.iterdir()) if p.is_dir()}


def test_fixtures_cover_the_edge_cases(fixture_repos: dict[str, Path]) -> None:
    assert len(fixture_repos) >= 10, sorted(fixture_repos)
    assert "kitchen-sink" in fixture_repos


def test_every_fixture_imports_and_verifies(
    server: MicServer, fixture_repos: dict[str, Path]
) -> None:
    for name, repo in fixture_repos.items():
        project = f"fx/{name}"
        summary = mic_json(
            "import", "git", str(repo), "--project", project, "--strategy", "commit", env=server.env
        )
        chain = first_parent_chain(repo)
        assert summary["commits"] == len(chain), name
        assert summary["sessions"] == len(chain), name
        report = mic_json("verify", project, str(repo), "--deep", env=server.env)
        assert report["ok"], (name, report)
        assert report["sessions"] == len(chain)
        assert report["commits_behind"] == 0


def test_renames_name_each_other_with_their_similarity(
    server: MicServer, fixture_repos: dict[str, Path]
) -> None:
    invoke(
        "import",
        "git",
        str(fixture_repos["rename"]),
        "--project",
        "ren/ames",
        "--strategy",
        "commit",
        env=server.env,
    )
    renamed: dict[str, tuple[str, str, int]] = {}
    with MicClient(server.address, server.token) as client:
        for session in client.iter_sessions("ren", "ames"):
            for change in client.iter_changes(session.session_id):
                meta = change.metadata
                other = meta.get("renamed_from") or meta.get("renamed_to")
                if other:
                    renamed[change.file_path] = (
                        ChangeType(change.change_type).value,
                        other,
                        meta["similarity"],
                    )
    assert renamed["new.txt"] == ("added", "old.txt", 100)
    assert renamed["old.txt"] == ("deleted", "new.txt", 100)
    kind, source, score = renamed["edited.txt"]
    assert (kind, source) == ("added", "edit.txt") and 50 <= score < 100
    assert renamed["edit.txt"][:2] == ("deleted", "edited.txt")
    assert "rewritten.txt" not in renamed and "rewrite.txt" not in renamed


def test_grouped_import_verifies(server: MicServer, fixture_repos: dict[str, Path]) -> None:
    repo = fixture_repos["kitchen-sink"]
    for strategy in ("auto", "merge", "cluster"):
        project = f"grouped/{strategy}"
        invoke(
            "import", "git", str(repo), "--project", project, "--strategy", strategy, env=server.env
        )
        report = invoke_json("verify", project, str(repo), env=server.env)
        assert report["ok"], (strategy, report)


def test_plan_json_lists_every_first_parent_commit_once(
    server: MicServer, fixture_repos: dict[str, Path]
) -> None:
    repo = fixture_repos["kitchen-sink"]
    chain = first_parent_chain(repo)
    for strategy in ("commit", "merge", "cluster", "auto"):
        plan = invoke_json(
            "import", "git", str(repo), "--plan", "--strategy", strategy, env=server.env
        )
        commits = [c for s in plan["sessions"] for c in s["commits"]]
        assert commits == chain, strategy
        assert all(s["goal"] for s in plan["sessions"])
    per_commit = invoke_json(
        "import", "git", str(repo), "--plan", "--strategy", "commit", env=server.env
    )
    assert len(per_commit["sessions"]) == len(chain)


def test_imported_session_keeps_the_commit_story(
    server: MicServer, fixture_repos: dict[str, Path]
) -> None:
    repo = fixture_repos["kitchen-sink"]
    project = "story/kitchen"
    invoke("import", "git", str(repo), "--project", project, "--strategy", "commit", env=server.env)
    sessions = invoke_json("session", "list", project, "--limit", "1000", env=server.env)
    merges = [s for s in sessions if s["metadata"]["commits"][-1]["brought_in"]]
    assert merges, "kitchen-sink has merges that bring in commits"
    for s in merges:
        commit = s["metadata"]["commits"][-1]
        assert len(s["conversation"]) == 1 + len(commit["brought_in"])
        references = [m["reference"] for m in s["conversation"]]
        assert references == [f"commit:{c['id']}" for c in commit["brought_in"]] + [
            f"commit:{commit['id']}"
        ]
        assert all(b["message"] and b["author"]["tz"] for b in commit["brought_in"])
    for s in sessions:
        meta = s["metadata"]
        assert meta["source"]["repository"] == str(repo)
        assert meta["first_commit"] == meta["commits"][0]["id"]
        assert meta["last_commit"] == meta["commits"][-1]["id"]
        author = meta["commits"][0]["author"]
        assert {"name", "email", "time", "tz"} <= set(author)
    tagged = [s for s in sessions if s["metadata"]["tags"]]
    assert tagged, "kitchen-sink's tags are recorded on their sessions"


def _clone(src: Path, dest: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(src), str(dest)], check=True)
    return dest


def test_incremental_import_lands_only_new_commits(
    server: MicServer, fixture_repos: dict[str, Path], tmp_path: Path
) -> None:
    repo = _clone(fixture_repos["kitchen-sink"], tmp_path / "work")
    project = "incr/kitchen"
    first = invoke_json(
        "import", "git", str(repo), "--project", project, "--strategy", "commit", env=server.env
    )
    (repo / "new-file.txt").write_text("hello\n")
    git(repo, "add", "new-file.txt")
    git(repo, "commit", "-q", "-m", "Add a new file")
    git(repo, "commit", "-q", "--allow-empty", "-m", "An empty follow-up")
    second = invoke_json(
        "import", "git", str(repo), "--project", project, "--strategy", "commit", env=server.env
    )
    assert second["commits"] == 2
    assert second["already_imported_commits"] == first["commits"]
    again = invoke_json(
        "import", "git", str(repo), "--project", project, "--strategy", "commit", env=server.env
    )
    assert again["commits"] == 0 and again["sessions"] == 0
    assert invoke_json("verify", project, str(repo), env=server.env)["ok"]


def test_rewritten_branch_stops_with_a_clear_message(
    server: MicServer, fixture_repos: dict[str, Path], tmp_path: Path
) -> None:
    repo = _clone(fixture_repos["kitchen-sink"], tmp_path / "work")
    project = "rewrite/kitchen"
    invoke("import", "git", str(repo), "--project", project, env=server.env)
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    git(repo, "commit", "-q", "--allow-empty", "-m", "Rewritten history")
    result = invoke("import", "git", str(repo), "--project", project, env=server.env, check=False)
    assert result.returncode != 0
    assert "rewritten" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_input_is_one_line_and_lands_nothing(server: MicServer, tmp_path: Path) -> None:
    not_a_repo = tmp_path / "plain"
    not_a_repo.mkdir()
    cases = [
        ("import", "git", str(tmp_path / "missing"), "--project", "bad/a"),
        ("import", "git", str(not_a_repo), "--project", "bad/b"),
        ("import", "git", str(ROOT), "--project", "no-slash"),
        ("import", "git", str(ROOT), "--project", "bad/c", "--ref", "no-such-ref"),
        ("import", "git", str(ROOT), "--project", "bad/d", "--strategy", "bogus"),
        ("verify", "bad/none", str(not_a_repo)),
    ]
    for args in cases:
        result = invoke(*args, env=server.env, check=False)
        assert result.returncode != 0, args
        assert "Traceback" not in result.stderr, args
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
    orgs = invoke("org", "list", "--json", env=server.env).stdout
    assert '"bad"' not in orgs, "a refused import creates nothing"


def test_url_is_cloned_into_the_cache(
    server: MicServer, fixture_repos: dict[str, Path], tmp_path: Path
) -> None:
    repo = fixture_repos["kitchen-sink"]
    url = repo.resolve().as_uri()
    env = {**server.env, "MIC_CACHE_DIR": str(tmp_path / "cache")}
    summary = invoke_json(
        "import", "git", url, "--project", "url/kitchen", "--strategy", "commit", env=env
    )
    assert summary["commits"] == len(first_parent_chain(repo))
    assert any((tmp_path / "cache" / "git").iterdir())
    assert invoke_json("verify", "url/kitchen", url, env=env)["ok"]


def test_embedded_server_runs_for_the_import_only(
    fixture_repos: dict[str, Path], tmp_path: Path
) -> None:
    repo = fixture_repos["kitchen-sink"]
    env = {"MIC_DATA_DIR": str(tmp_path / "data"), "MIC_SERVER": None, "MIC_TOKEN": None}
    result = mic("import", "git", str(repo), "--project", "emb/k", "--json", env=env, timeout=300)
    assert result.json()["sessions"] > 0
    assert not (tmp_path / "data" / "server.json").exists(), "the embedded server stopped"
    assert (tmp_path / "data" / "admin.token").exists()


# -- crash safety ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crash_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough history, with some large files, that a kill lands mid-import."""
    repo = tmp_path_factory.mktemp("crash") / "repo"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "synthetic_repo.py"),
            str(repo),
            "--commits",
            "400",
            "--megabytes",
            "40",
        ],
        check=True,
    )
    return repo


def _start_import(repo: Path, project: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return spawn_mic(
        "import",
        "git",
        str(repo),
        "--project",
        project,
        "--strategy",
        "commit",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_kill_importer_at_random_points_then_resume(server: MicServer, crash_repo: Path) -> None:
    mic(
        "import",
        "git",
        str(crash_repo),
        "--project",
        "crash/reference",
        "--strategy",
        "commit",
        env=server.env,
    )
    expected = project_state(server.env, "crash/reference")
    rng = random.Random(1234)
    for _ in range(4):
        proc = _start_import(crash_repo, "crash/killed", server.env)
        time.sleep(rng.uniform(1.0, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    mic(
        "import",
        "git",
        str(crash_repo),
        "--project",
        "crash/killed",
        "--strategy",
        "commit",
        env=server.env,
    )
    assert project_state(server.env, "crash/killed") == expected
    assert mic_json("verify", "crash/killed", str(crash_repo), env=server.env)["ok"]


def test_kill_server_mid_import_then_resume(
    mic_server: MicServerFactory, crash_repo: Path, tmp_path: Path
) -> None:
    reference = mic_server()
    mic(
        "import",
        "git",
        str(crash_repo),
        "--project",
        "crash/reference",
        "--strategy",
        "commit",
        env=reference.env,
    )
    expected = project_state(reference.env, "crash/reference")
    data_dir = tmp_path / "server-data"
    rng = random.Random(99)
    for _ in range(2):
        victim = mic_server(data_dir=data_dir)
        proc = _start_import(crash_repo, "crash/reference", victim.env)
        time.sleep(rng.uniform(1.0, 4.0))
        victim.kill()
        proc.wait(timeout=120)  # fails once its server is gone (unless it had finished)
    survivor = mic_server(data_dir=data_dir)
    mic(
        "import",
        "git",
        str(crash_repo),
        "--project",
        "crash/reference",
        "--strategy",
        "commit",
        env=survivor.env,
    )
    assert project_state(survivor.env, "crash/reference") == expected
    assert mic_json("verify", "crash/reference", str(crash_repo), env=survivor.env)["ok"]


# -- real histories --------------------------------------------------------------------------

CORPORA = ROOT.parent / "shared" / "corpora"


@pytest.mark.parametrize("corpus", ["click", "flask"])
def test_materialized_corpus_imports_and_verifies(
    server: MicServer, corpus: str, tmp_path: Path
) -> None:
    source = CORPORA / f"{corpus}.jsonl"
    if not source.exists():
        pytest.skip(f"{source} is not beside the repository")
    repo = tmp_path / corpus
    subprocess.run(
        [sys.executable, str(CORPORA / "corpus.py"), "materialize", str(source), str(repo)],
        check=True,
        capture_output=True,
    )
    summary = mic_json("import", "git", str(repo), "--project", f"corpus/{corpus}", env=server.env)
    assert summary["commits"] == len(first_parent_chain(repo))
    report = mic_json("verify", f"corpus/{corpus}", str(repo), env=server.env)
    assert report["ok"], report
