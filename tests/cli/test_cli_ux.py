"""One way to say things: ORG/PROJECT, --version, Ctrl-C, JSON errors, escaped names, empty
lists, JSON metadata, and a start-up that imports no client (real server, real processes)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import uuid
from importlib.metadata import version
from pathlib import Path

import pytest

from micelio.cli import errors, output
from micelio.cli.session_cmd import start_arguments
from micelio.client import MicClient
from micelio.testing import MicServer
from micelio.workdir import workflow
from tests.support.cli import Mic, assert_one_line_error, mic, process_env, spawn_mic

# --- pure helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain.txt", "plain.txt"),
        ("a\tb\nc\rd", "a\\tb\\nc\\rd"),
        ("red\x1b[31m.txt", "red\\x1b[31m.txt"),
        ("del\x7f and c1\x9b", "del\\x7f and c1\\x9b"),
        ("evil\u202etxt.exe", "evil\\u202etxt.exe"),
        ("café/naïve ✓", "café/naïve ✓"),
    ],
)
def test_safe_escapes_control_characters(text: str, expected: str) -> None:
    assert output.safe(text) == expected


def test_shown_escapes_markup_and_keeps_lines_of_prose() -> None:
    assert output.shown("[bold]x[/]") == "\\[bold]x\\[/]"
    assert output.shown("line one\nline\x1b two", multiline=True) == "line one\nline\\x1b two"
    # The same rule as rich's own escape, without importing rich.
    from rich.markup import escape

    for text in ("[red]", "a\\[b]", "end\\", "x[/y]", "[#fff]z"):
        assert output.shown(text) == escape(text)


def test_start_arguments() -> None:
    assert start_arguments(["acme/api", "Goal"], None) == ("acme", "api", "Goal")
    assert start_arguments(["Goal"], ("acme", "api")) == ("acme", "api", "Goal")
    for words, checkout, fragment in [
        (["Goal"], None, "not in a mic checkout"),
        (["acme", "api", "Goal"], None, "mic session start acme/api GOAL"),
        (["acme", "Goal"], None, "expected ORG/PROJECT"),
        (["a/b", "c", "d", "e"], None, "expected [ORG/PROJECT] GOAL"),
    ]:
        with pytest.raises(errors.CliError) as caught:
            start_arguments(words, checkout)
        assert caught.value.code == errors.USAGE and fragment in str(caught.value)


# --- ORG/PROJECT everywhere ---------------------------------------------------------------------


def fresh_org(mic: Mic, where: Path) -> str:
    org = f"ux-{uuid.uuid4().hex[:8]}"
    mic(where, "org", "create", org)
    mic(where, "project", "create", f"{org}/app")
    return org


def test_session_start_takes_org_slash_project(mic: Mic, tmp_path: Path) -> None:
    org = fresh_org(mic, tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    old = mic(work, "session", "start", org, "app", "Goal", check=False)
    assert_one_line_error(old, errors.USAGE, f"mic session start {org}/app GOAL")
    no_slash = mic(work, "session", "start", org, "Goal", check=False)
    assert_one_line_error(no_slash, errors.USAGE, "expected ORG/PROJECT")
    alone = mic(work, "session", "start", "Goal", check=False)
    assert_one_line_error(alone, errors.USAGE, "not in a mic checkout")
    assert not (work / ".mic").exists()

    sid = mic(work, "session", "start", f"{org}/app", "First").stdout.strip()
    (work / "a.txt").write_text("a\n")
    mic(work, "session", "land")
    other = mic(work, "session", "start", f"{org}/other", "x", check=False)
    assert_one_line_error(other, errors.STATE, f"a checkout of {org}/app")
    # Inside the checkout the project is the checkout's: for start and for list.
    second = mic(work, "session", "start", "Second").stdout.strip()
    shown = mic(work, "session", "show", "--json").json()
    assert (shown["session_id"], shown["organization"], shown["project"]) == (second, org, "app")
    listed = [s["session_id"] for s in mic(work, "session", "list", "--json").json()]
    assert listed == [second, sid]
    outside = mic(tmp_path, "session", "list", check=False)
    assert_one_line_error(outside, errors.USAGE, "ORG/PROJECT")


# --- --version, JSON errors -------------------------------------------------------------------


def test_version(server: MicServer) -> None:
    result = mic("--version", env={})
    assert result.stdout == f"mic {version('mic')}\n" and result.stderr == ""
    assert "--version" in mic("--help", env={}).stdout


def test_errors_are_json_on_stdout_with_json(mic: Mic, tmp_path: Path) -> None:
    missing = mic(tmp_path, "session", "show", "0" * 32, "--json", check=False)
    assert_one_line_error(missing, errors.NOT_FOUND)
    error = missing.json()["error"]
    assert error["code"] == errors.NOT_FOUND and error["kind"] == "not_found"
    assert error["message"] in missing.stderr

    bad_ref = mic(tmp_path, "checkout", "noslash", str(tmp_path / "x"), "--json", check=False)
    assert bad_ref.returncode == errors.USAGE
    assert bad_ref.json() == {
        "error": {
            "message": "expected ORG/PROJECT (e.g. acme/api), got 'noslash'",
            "code": errors.USAGE,
            "kind": "usage",
        }
    }
    usage = mic(tmp_path, "session", "list", "a/b", "--json", "--nope", check=False)
    assert usage.returncode == errors.USAGE
    assert usage.json()["error"]["kind"] == "usage"
    assert "No such option: --nope" in usage.json()["error"]["message"]
    # Without --json: stdout stays empty, one line on stderr.
    plain = mic(tmp_path, "session", "show", "0" * 32, check=False)
    assert plain.stdout == ""
    assert_one_line_error(plain, errors.NOT_FOUND)
    # After `--`, `--json` is an argument, not the option.
    assert not errors.wants_json(["x", "--", "--json"])


def test_conflict_json_names_its_paths(mic: Mic, tmp_path: Path) -> None:
    org = fresh_org(mic, tmp_path)
    seed = tmp_path / "seed"
    seed.mkdir()
    mic(seed, "session", "start", f"{org}/app", "seed")
    (seed / "f.txt").write_text("0\n")
    mic(seed, "session", "land")
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    for who in (alice, bob):
        mic(tmp_path, "checkout", f"{org}/app", str(who))
        mic(who, "session", "start", who.name)
        (who / "f.txt").write_text(f"{who.name}\n")
    mic(alice, "session", "land")
    conflict = mic(bob, "session", "land", "--json", check=False)
    assert conflict.returncode == errors.CONFLICT
    error = conflict.json()["error"]
    assert error["kind"] == "conflict" and error["paths"] == ["f.txt"]


# --- printing: escaped names, empty lists, metadata as JSON --------------------------------------


def test_names_with_control_characters_are_escaped(mic: Mic, tmp_path: Path) -> None:
    org = fresh_org(mic, tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    mic(work, "session", "start", f"{org}/app", "Goal\x1b[2J")
    evil = "red\x1b[31m\nname.txt"
    (work / evil).write_text("x\n")
    status = mic(work, "session", "status")
    assert "\x1b" not in status.stdout
    assert "A red\\x1b[31m\\nname.txt" in status.stdout and "Goal\\x1b[2J" in status.stdout
    mic(work, "session", "land")
    assert "\x1b" not in mic(work, "session", "list").stdout
    sid = mic(work, "session", "list", "--json").json()[0]["session_id"]
    text = mic(work, "session", "show", sid).stdout
    assert "red\\x1b[31m\\nname.txt" in text and "\x1b" not in text
    # JSON keeps the exact text.
    changes = mic(work, "session", "show", sid, "--json").json()["changes"]
    assert [c["file_path"] for c in changes] == [evil]


def test_empty_lists_say_so(mic: Mic, tmp_path: Path) -> None:
    org = f"ux-{uuid.uuid4().hex[:8]}"
    mic(tmp_path, "org", "create", org)
    assert mic(tmp_path, "project", "list", org).stdout == f"no projects in {org}\n"
    assert mic(tmp_path, "project", "list", org, "--json").json() == []
    mic(tmp_path, "project", "create", f"{org}/app")
    assert mic(tmp_path, "session", "list", f"{org}/app").stdout == "no sessions\n"
    assert mic(tmp_path, "session", "list", f"{org}/app", "--json").json() == []
    assert mic(tmp_path, "token", "list", "--org", org).stdout == "no tokens\n"
    assert mic(tmp_path, "migrate", "status").stdout == "no jobs\n"
    work = tmp_path / "work"
    work.mkdir()
    mic(work, "session", "start", f"{org}/app", "Nothing yet")
    text = mic(work, "session", "show").stdout
    assert "no messages" in text and "no decisions" in text


def test_show_prints_metadata_as_json(server: MicServer, mic: Mic, tmp_path: Path) -> None:
    org = fresh_org(mic, tmp_path)
    metadata = {"source": {"repository": "r", "ref": "HEAD"}, "commits": [{"id": "abc"}], "n": 1}
    with MicClient.from_environment(server.address, server.env["MIC_TOKEN"]) as client:
        session = client.start_session(org, "app", "With metadata", metadata=metadata)
    text = mic(tmp_path, "session", "show", session.session_id).stdout
    block = text.split("\nmetadata\n", 1)[1].split("\nchanges", 1)[0]
    assert json.loads(block) == metadata
    assert "{'" not in text  # no Python reprs


# --- Ctrl-C ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True])
def test_ctrl_c_is_one_line_and_130(server: MicServer, tmp_path: Path, as_json: bool) -> None:
    # A server that accepts the connection and never answers: the CLI is waiting in a call
    # once the connection is accepted, so the signal arrives mid-command, every time.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        silent.settimeout(60)
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        args = ["org", "list", "--server", address] + (["--json"] if as_json else [])
        proc = spawn_mic(
            *args, env=server.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path
        )
        try:
            conn, _ = silent.accept()
            with conn:
                proc.send_signal(signal.SIGINT)
                stdout, stderr = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == errors.INTERRUPTED, (stdout, stderr)
    assert stderr == "error: interrupted\n"
    if as_json:
        assert json.loads(stdout)["error"] == {
            "message": "interrupted",
            "code": errors.INTERRUPTED,
            "kind": "interrupted",
        }
    else:
        assert stdout == ""


def test_ctrl_c_during_land_says_what_landed(
    mic: Mic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = fresh_org(mic, tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    mic(work, "session", "start", f"{org}/app", "Goal")
    (work / "a.txt").write_text("a\n")

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    # Before the landing reaches the server: nothing landed, the session is still active.
    with monkeypatch.context() as patch:
        patch.setattr(MicClient, "land", interrupt)
        before = mic(work, "session", "land", check=False)
    assert_one_line_error(before, errors.INTERRUPTED, "interrupted: nothing landed")
    assert mic(work, "session", "show", "--json").json()["status"] == "active"
    # Landed, then interrupted while the directory catches up: it says so, and what next.
    with monkeypatch.context() as patch:
        patch.setattr(workflow, "after_land", interrupt)
        after = mic(work, "session", "land", check=False)
    assert_one_line_error(after, errors.INTERRUPTED, "landed at position 1", "mic session land")


# --- start-up ---------------------------------------------------------------------------------


HEAVY = ("grpc", "google.protobuf", "rich", "importers", "sqlalchemy", "micelio.client")


@pytest.mark.parametrize("argv", [["--help"], ["session", "--help"], ["session", "land", "--help"]])
def test_help_imports_no_client(argv: list[str]) -> None:
    script = (
        "import sys\n"
        "from micelio.cli.main import main\n"
        f"sys.argv = ['mic', *{argv!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"heavy = sorted(m for m in sys.modules if m.startswith({HEAVY!r}))\n"
        "sys.stderr.write(repr(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=process_env({}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "Usage: mic" in done.stdout
    assert done.stderr == "[]", done.stderr
