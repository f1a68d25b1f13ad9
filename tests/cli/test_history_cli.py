"""`mic log`, `blame`, `cat` and `ls` end to end: the CLI, a real server process, real git."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from micelio.cli import errors
from micelio.client import Change, MicClient, NewSession
from micelio.testing import MicServer
from micelio.vocabulary import ChangeType, FileMode
from tests.support.cli import ROOT, Mic, assert_one_line_error, process_env
from tests.support.gitrepo import git

ADDED, MODIFIED, DELETED = ChangeType.ADDED, ChangeType.MODIFIED, ChangeType.DELETED


@pytest.fixture(scope="module")
def history(server: MicServer) -> list[str]:
    """hist/app: four sessions, a rename, a folder, a name with a control character."""
    with MicClient(server.address, server.token) as client:
        client.create_organization("hist")
        client.create_project("hist", "app")

        def land(goal: str, *changes: Change) -> str:
            return client.land(
                list(changes), create=NewSession("hist", "app", goal)
            ).session.session_id

        return [
            land(
                "Start [the] app",
                Change("src/old.py", ADDED, b"a = 1\nb = 2\n"),
                Change("README", ADDED, b"readme\n"),
            ),
            land(
                "Move it",
                Change("src/old.py", DELETED, metadata={"renamed_to": "src/app.py"}),
                Change(
                    "src/app.py", ADDED, b"a = 1\nb = 3\n", metadata={"renamed_from": "src/old.py"}
                ),
            ),
            land(
                "Tools",
                Change("bin/run", ADDED, b"#!/bin/sh\n", mode=FileMode.EXECUTABLE),
                Change("src/pkg/x.py", ADDED, b"x\n"),
                Change("odd\tname", ADDED, b"\x00binary\xff"),
            ),
            land("Grow", Change("src/app.py", MODIFIED, b"a = 1\nb = 3\nc = 4\n")),
        ]


def test_log(mic: Mic, history: list[str], tmp_path: Path) -> None:
    entries = mic(tmp_path, "log", "--project", "hist/app", "--json").json()
    assert [e["position"] for e in entries] == [4, 3, 2, 1]
    assert set(entries[0]) == {"position", "session_id", "goal", "landed_at", "landed_by", "stats"}
    assert entries[0]["session_id"] == history[3] and entries[0]["goal"] == "Grow"
    assert entries[1]["stats"] == {"total": 3, "added": 3, "modified": 0, "deleted": 0}
    assert entries[0]["landed_by"]["token_id"] > 0 and entries[0]["landed_at"].endswith("Z")

    followed = mic(tmp_path, "log", "src/app.py", "--project", "hist/app", "--json").json()
    assert [(e["position"], e["path"]) for e in followed] == [
        (4, "src/app.py"),
        (2, "src/app.py"),
        (1, "src/old.py"),
    ]
    limited = mic(tmp_path, "log", "--project", "hist/app", "--limit", "1", "--json").json()
    assert [e["position"] for e in limited] == [4]

    text = mic(tmp_path, "log", "src/app.py", "--project", "hist/app").stdout.splitlines()
    assert len(text) == 3 and text[0].startswith(f"@4  {history[3]}  ")
    assert text[0].endswith("Grow") and "+0 ~1 -0" in text[0]
    assert text[2].endswith("Start [the] app [as src/old.py]")  # no markup eaten

    assert mic(tmp_path, "log", "nope", "--project", "hist/app").stdout == "no sessions\n"
    assert mic(tmp_path, "log", "nope", "--project", "hist/app", "--json").json() == []


def test_blame(mic: Mic, history: list[str], tmp_path: Path) -> None:
    lines = mic(tmp_path, "blame", "src/app.py", "--project", "hist/app", "--json").json()
    assert lines == [
        {
            "line": 1,
            "text": "a = 1",
            "position": 1,
            "session_id": history[0],
            "goal": "Start [the] app",
        },
        {"line": 2, "text": "b = 3", "position": 2, "session_id": history[1], "goal": "Move it"},
        {"line": 3, "text": "c = 4", "position": 4, "session_id": history[3], "goal": "Grow"},
    ]
    old = mic(tmp_path, "blame", "src/old.py", "--at", "1", "--project", "hist/app", "--json")
    assert [line["position"] for line in old.json()] == [1, 1]
    text = mic(tmp_path, "blame", "src/app.py", "--project", "hist/app").stdout.splitlines()
    assert text[2].startswith("@4 ") and text[2].endswith("    3) c = 4")


def test_cat_and_ls(mic: Mic, history: list[str], tmp_path: Path, server: MicServer) -> None:
    ref = ("--project", "hist/app")
    assert mic(tmp_path, "cat", "src/app.py", *ref).stdout == "a = 1\nb = 3\nc = 4\n"
    assert mic(tmp_path, "cat", "src/app.py", "--at", "2", *ref).stdout == "a = 1\nb = 3\n"
    # Exact bytes, through the real process.
    out = subprocess.run(
        [sys.executable, "-m", "micelio", "cat", "odd\tname", *ref],
        env=process_env(server.env),
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    assert out.stdout == b"\x00binary\xff"

    root = mic(tmp_path, "ls", *ref, "--json").json()
    assert [(e["path"], e["type"], e["size"]) for e in root] == [
        ("README", "file", 7),
        ("bin", "folder", 0),
        ("odd\tname", "file", 8),
        ("src", "folder", 0),
    ]
    src = mic(tmp_path, "ls", "src", *ref, "--json").json()
    assert [(e["path"], e["mode"]) for e in src] == [
        ("src/app.py", FileMode.FILE),
        ("src/pkg", FileMode.TREE),
    ]
    assert [e["path"] for e in mic(tmp_path, "ls", "src", "--at", "1", *ref, "--json").json()] == [
        "src/old.py"
    ]
    assert mic(tmp_path, "ls", "bin/run", *ref, "--json").json()[0]["type"] == "executable"
    text = mic(tmp_path, "ls", *ref).stdout
    assert "odd\\tname" in text and "\t" not in text  # control characters escaped
    assert "040000          0  src/\n" in text
    assert mic(tmp_path, "ls", *ref, "--at", "0").stdout == "empty\n"


def test_errors(mic: Mic, history: list[str], tmp_path: Path) -> None:
    ref = ("--project", "hist/app")
    missing: list[tuple[str, ...]] = [("cat", "missing"), ("blame", "missing"), ("ls", "missing")]
    for args in missing:
        assert_one_line_error(mic(tmp_path, *args, *ref, check=False), errors.NOT_FOUND, "missing")
    beyond: list[tuple[str, ...]] = [("log",), ("cat", "README"), ("ls",)]
    for args in beyond:
        result = mic(tmp_path, *args, *ref, "--at", "99", check=False)
        assert_one_line_error(result, errors.NOT_FOUND, "position 99")
    assert_one_line_error(
        mic(tmp_path, "blame", "odd\tname", *ref, check=False), errors.USAGE, "binary"
    )
    assert_one_line_error(mic(tmp_path, "log", check=False), errors.USAGE, "--project")
    assert_one_line_error(
        mic(tmp_path, "log", "--project", "nope", check=False), errors.USAGE, "ORG/PROJECT"
    )
    assert_one_line_error(
        mic(tmp_path, "log", "--project", "hist/none", check=False), errors.NOT_FOUND, "hist/none"
    )


def test_in_a_checkout_paths_are_relative(mic: Mic, history: list[str], tmp_path: Path) -> None:
    mic(tmp_path, "checkout", "hist/app", "work")
    src = tmp_path / "work" / "src"
    assert mic(src, "cat", "app.py").stdout == "a = 1\nb = 3\nc = 4\n"
    assert [e["path"] for e in mic(src, "ls", "--json").json()] == ["src/app.py", "src/pkg"]
    assert [e["position"] for e in mic(src, "log", "app.py", "--json").json()] == [4, 2, 1]
    assert [e["position"] for e in mic(src, "blame", "../README", "--json").json()] == [1]
    assert_one_line_error(mic(src, "cat", "../../x", check=False), errors.USAGE, "outside")


def _porcelain_commits(repo: Path, path: str) -> list[str]:
    """The commit of each line of ``path`` at HEAD, as ``git blame --porcelain`` says."""
    out = git(repo, "blame", "--porcelain", "HEAD", "--", path)
    commits = []
    for line in out.splitlines():
        fields = line.split(" ")
        head = fields[0]
        if len(head) == 40 and len(fields) >= 3 and all(c in "0123456789abcdef" for c in head):
            commits.append(head)
    return commits


def _edit_history(repo: Path) -> None:
    """A file edited over many commits, renamed on the way (with an edit), as teams do."""
    git(repo, "init", "-q", "-b", "main")
    body = [f"line {i}" for i in range(40)]
    (repo / "code.txt").write_text("\n".join(body) + "\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "start")
    name = "code.txt"
    for step in range(1, 16):
        body[(step * 7) % len(body)] = f"edited {step}"
        if step % 4 == 0:
            body.insert(step, f"inserted {step}")
        if step % 5 == 0:
            del body[-1]
        if step == 8:
            git(repo, "mv", name, "renamed.txt")
            name = "renamed.txt"
        (repo / name).write_text("\n".join(body) + "\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"step {step}")


def test_blame_matches_git_blame(mic: Mic, tmp_path: Path, server: MicServer) -> None:
    rename = tmp_path / "rename"
    subprocess.run(
        [sys.executable, str(ROOT / "fixtures" / "build.py"), "rename", str(rename)],
        check=True,
        capture_output=True,
    )
    edits = tmp_path / "edits"
    edits.mkdir()
    _edit_history(edits)
    cases = {
        "rename": (rename, ["new.txt", "edited.txt", "rewritten.txt", "renamed-dir/a.txt"]),
        "edits": (edits, ["renamed.txt"]),
    }
    with MicClient(server.address, server.token) as client:
        for name, (repo, files) in cases.items():
            project = f"gb/{name}"
            mic(tmp_path, "import", "git", str(repo), "--project", project, "--strategy", "commit")
            for path in files:
                blamed = mic(tmp_path, "blame", path, "--project", project, "--json").json()
                expected = []
                for commit in _porcelain_commits(repo, path):
                    session = client.find_session("gb", name, external_id=f"git:{commit}")
                    assert session is not None, commit
                    expected.append(session.session_id)
                assert [line["session_id"] for line in blamed] == expected, (name, path)
                assert len({*expected}) > 1 or name == "rename"
