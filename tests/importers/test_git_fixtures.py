"""The fixture repositories are reproducible and cover what they claim."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fixtures import build
from importers.git.gitcmd import run_git
from importers.git.walk import first_parent_chain

ROOT = Path(__file__).resolve().parents[2]


def refs(repo: Path) -> bytes:
    return run_git(repo, ["for-each-ref", "--format=%(objectname) %(refname)"])


def test_all_builds_one_repository_per_case_and_the_kitchen_sink(repos: dict[str, Path]) -> None:
    assert list(repos) == build.NAMES
    assert set(build.CASES) < set(build.NAMES) and build.KITCHEN_SINK in repos
    for name, repo in repos.items():
        assert first_parent_chain(repo), name
        assert not (repo / ".git" / "fixture-marks").exists()


def test_builds_are_reproducible(repos: dict[str, Path], tmp_path: Path) -> None:
    again = build.build(build.KITCHEN_SINK, tmp_path / "again")
    assert refs(again) == refs(repos[build.KITCHEN_SINK])
    assert refs(build.build("merge", tmp_path / "merge")) == refs(repos["merge"])


def test_kitchen_sink_holds_every_case(repos: dict[str, Path]) -> None:
    repo = repos[build.KITCHEN_SINK]
    touched = run_git(repo, ["log", "--format=", "--name-only", "-z", "--first-parent", "-m"])
    tops = {path.split(b"/", 1)[0].decode() for path in touched.split(b"\0") if path.strip()}
    assert tops == set(build.CASES)


def test_command_line(tmp_path: Path) -> None:
    script = str(ROOT / "fixtures" / "build.py")
    listed = subprocess.run([sys.executable, script, "list"], capture_output=True, text=True)
    assert listed.stdout.split() == build.NAMES
    subprocess.run([sys.executable, script, "crlf", str(tmp_path / "crlf")], check=True)
    assert first_parent_chain(tmp_path / "crlf")
    usage = subprocess.run([sys.executable, script], capture_output=True, text=True)
    assert usage.returncode == 2
