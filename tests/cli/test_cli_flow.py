"""The whole native flow through the CLI and a real server process, and its error paths.

The CLI runs in process (``mic``); ``test_real_process_*`` runs the real ``python -m micelio``
end to end, so the entry point itself stays covered."""

from __future__ import annotations

import os
from pathlib import Path

from micelio.cli import errors
from tests.support.cli import Mic, assert_one_line_error
from tests.support.workfiles import snapshot, write

BIG = 3 * 1024 * 1024 + 17  # over the inline threshold, several chunks


def test_full_flow(mic: Mic, tmp_path: Path) -> None:
    mic(tmp_path, "org", "create", "flow")
    mic(tmp_path, "project", "create", "flow/app", "--name", "The app")
    assert [p["handle"] for p in mic(tmp_path, "project", "list", "flow", "--json").json()] == [
        "app"
    ]

    work = tmp_path / "work"
    work.mkdir()
    session_id = mic(work, "session", "start", "flow/app", "Build the first version").stdout.strip()
    assert session_id
    again = mic(work, "session", "start", "flow/app", "another", check=False)
    assert_one_line_error(again, errors.STATE, "already active")

    write(work, "README.md", b"# app\n")
    write(work, "src/app.py", b"print('hello')\n")
    write(work, "bin/run.sh", b"#!/bin/sh\nexec python src/app.py\n", exe=True)
    write(work, "empty.txt", b"")
    write(work, b"caf\xe9.txt", b"a name that is not UTF-8\n")
    write(work, "data/big.bin", os.urandom(BIG))
    os.symlink("README.md", work / "readme-link")
    write(work, ".micignore", b"*.log\nbuild/\n")
    write(work, "debug.log", b"ignored\n")
    write(work, "build/out.o", b"ignored too\n")
    write(work, ".git/config", b"[core]\n")

    sub = work / "src"  # commands find .mic/ upwards, like git
    mic(sub, "session", "note", "Start with a CLI entry point", "--role", "human")
    mic(sub, "session", "note", "Done, tests pass", "--role", "agent")
    mic(work, "session", "decide", "Use a shell launcher", "--why", "no install step needed")

    status = mic(work, "session", "status", "--json").json()
    assert status["session"]["session_id"] == session_id
    pending = {c["file_path"]: c["change_type"] for c in status["changes"]}
    assert pending == {
        p: "added"
        for p in [
            ".micignore",
            "README.md",
            "bin/run.sh",
            "caf\\xe9.txt",
            "data/big.bin",
            "empty.txt",
            "readme-link",
            "src/app.py",
        ]
    }

    landed = mic(work, "session", "land", "--json").json()
    assert landed["landing_position"] == 1 and landed["changes"] == 8
    assert landed["bytes_stored"] >= BIG
    assert_one_line_error(
        mic(work, "session", "land", check=False), errors.STATE, "no active session"
    )

    show = mic(work, "session", "show", session_id, "--json").json()
    assert list(show) == [
        "session_id",
        "goal",
        "status",
        "organization",
        "project",
        "conversation",
        "decisions",
        "metadata",
        "base_position",
        "landing_position",
        "started_at",
        "landed_at",
        "abandoned_at",
        "external_id",
        "stats",
        "started_by",
        "landed_by",
        "abandoned_by",
        "message_count",
        "decision_count",
        "changes",
    ]
    assert show["status"] == "landed" and show["landing_position"] == 1
    assert show["base_position"] == 0 and show["abandoned_at"] is None
    assert show["started_at"].endswith("Z") and show["landed_at"].endswith("Z")
    assert [(m["role"], m["content"]) for m in show["conversation"]] == [
        ("human", "Start with a CLI entry point"),
        ("agent", "Done, tests pass"),
    ]
    assert show["decisions"][0]["decision"] == "Use a shell launcher"
    assert show["decisions"][0]["reasoning"] == "no install step needed"
    assert show["stats"] == {"total": 8, "added": 8, "modified": 0, "deleted": 0}
    changes = {c["file_path"]: c for c in show["changes"]}
    assert set(changes) == set(pending)  # not debug.log, build/, .git/
    assert changes["data/big.bin"]["storage_key"] is not None
    assert changes["README.md"]["storage_key"] is None
    assert changes["data/big.bin"]["size"] == BIG

    listed = mic(work, "session", "list", "flow/app", "--json").json()
    assert [s["session_id"] for s in listed] == [session_id]
    assert "changes" not in listed[0] and listed[0]["goal"] == "Build the first version"
    text = mic(work, "session", "list", "flow/app").stdout
    assert session_id in text and "Build the first version" in text

    # Checkout reproduces the files, the executable bit and the symlink.
    first = snapshot(work)
    for ignored in (b"debug.log", b"build/out.o"):
        first.pop(ignored)
    one = tmp_path / "one"
    mic(tmp_path, "checkout", "flow/app", str(one))
    assert snapshot(one) == first
    assert os.path.islink(one / "readme-link")

    # A second session in the checkout: modify, delete, add, drop the exec bit.
    mic(one, "session", "start", "Second pass")  # the checkout names the project
    write(one, "src/app.py", b"print('hello, world')\n")
    os.unlink(one / "README.md")
    os.unlink(one / "readme-link")
    os.symlink("src/app.py", one / "readme-link")
    write(one, "bin/run.sh", b"#!/bin/sh\nexec python src/app.py\n", exe=False)
    write(one, "src/util.py", b"X = 1\n")
    pending = {
        c["file_path"]: c["change_type"]
        for c in mic(one, "session", "status", "--json").json()["changes"]
    }
    assert pending == {
        "README.md": "deleted",
        "bin/run.sh": "modified",
        "readme-link": "modified",
        "src/app.py": "modified",
        "src/util.py": "added",
    }
    assert mic(one, "session", "land").stdout.startswith("landed session")
    assert mic(one, "session", "status", "--json").json()["changes"] == []
    second = snapshot(one)

    show2 = mic(
        tmp_path, "session", "list", "flow/app", "--status", "landed", "--limit", "1", "--json"
    ).json()
    assert len(show2) == 1 and show2[0]["landing_position"] == 2
    assert show2[0]["stats"] == {"total": 5, "added": 1, "modified": 3, "deleted": 1}
    by_path = mic(tmp_path, "session", "list", "flow/app", "--path", "src/util.py", "--json").json()
    assert [s["landing_position"] for s in by_path] == [2]

    # Checkout --at 1 reproduces position 1; the head reproduces position 2.
    at1 = tmp_path / "at1"
    mic(tmp_path, "checkout", "flow/app", str(at1), "--at", "1")
    assert snapshot(at1) == first
    head = tmp_path / "head"
    mic(tmp_path, "checkout", "flow/app", str(head), "--json")
    assert snapshot(head) == second
    # A checkout at 1 bases the next session on position 1.
    mic(at1, "session", "start", "From the past")
    assert mic(at1, "session", "show", "--json").json()["base_position"] == 1
    mic(at1, "session", "abandon", "--reason", "just looking")
    assert mic(at1, "session", "status", "--json").json()["session"] is None


def test_real_process_session_start_to_land(mic_process: Mic, tmp_path: Path) -> None:
    mic_process(tmp_path, "org", "create", "proc")
    mic_process(tmp_path, "project", "create", "proc/app")
    work = tmp_path / "work"
    work.mkdir()
    session_id = mic_process(work, "session", "start", "proc/app", "By process").stdout.strip()
    write(work, "a.txt", b"a\n")
    landed = mic_process(work, "session", "land", "--json").json()
    assert landed["landing_position"] == 1 and landed["changes"] == 1
    co = tmp_path / "co"
    mic_process(tmp_path, "checkout", "proc/app", str(co))
    assert snapshot(co) == snapshot(work)
    missing = mic_process(work, "session", "show", "ses_nope", check=False)
    assert_one_line_error(missing, errors.NOT_FOUND)
    shown = mic_process(work, "session", "show", session_id, "--json").json()
    assert shown["status"] == "landed"


def test_other_sessions_landed_since_the_base_are_brought_in(mic: Mic, tmp_path: Path) -> None:
    mic(tmp_path, "org", "create", "sync")
    mic(tmp_path, "project", "create", "sync/p")
    seed = tmp_path / "seed"
    seed.mkdir()
    mic(seed, "session", "start", "sync/p", "seed")
    write(seed, "a.txt", b"a1\n")
    write(seed, "b.txt", b"b1\n")
    write(seed, "old.txt", b"old\n")
    mic(seed, "session", "land")
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    mic(tmp_path, "checkout", "sync/p", str(alice))
    mic(tmp_path, "checkout", "sync/p", str(bob))
    mic(alice, "session", "start", "sync/p", "alice")
    mic(bob, "session", "start", "sync/p", "bob")
    write(alice, "a.txt", b"a2\n")
    os.unlink(alice / "old.txt")
    write(bob, "b.txt", b"b2\n")
    mic(alice, "session", "land")
    landed = mic(bob, "session", "land", "--json").json()
    assert landed["landing_position"] == 3 and landed["synced"] == 2
    assert snapshot(bob) == snapshot(alice) | {b"b.txt": ("file", b"b2\n", False)}
    assert mic(bob, "session", "status", "--json").json()["changes"] == []

    # Both touch the same file: the second landing is a conflict naming it.
    mic(tmp_path, "checkout", "sync/p", str(tmp_path / "c1"))
    mic(tmp_path, "checkout", "sync/p", str(tmp_path / "c2"))
    for name in ("c1", "c2"):
        mic(tmp_path / name, "session", "start", "sync/p", name)
        write(tmp_path / name, "a.txt", name.encode())
    mic(tmp_path / "c1", "session", "land")
    conflict = mic(tmp_path / "c2", "session", "land", check=False)
    assert_one_line_error(conflict, errors.CONFLICT, "a.txt")
    assert mic(tmp_path / "c2", "session", "status", "--json").json()["session"]["status"] == (
        "active"
    )


def test_bad_input(mic: Mic, tmp_path: Path) -> None:
    mic(tmp_path, "org", "create", "bad")
    mic(tmp_path, "project", "create", "bad/p")

    assert_one_line_error(
        mic(tmp_path, "session", "show", "ses_nope", check=False), errors.NOT_FOUND
    )
    assert_one_line_error(
        mic(tmp_path, "session", "list", "bad/nope", check=False), errors.NOT_FOUND
    )
    assert_one_line_error(
        mic(tmp_path, "session", "note", "hi", check=False),
        errors.STATE,
        "not a mic working directory",
    )
    assert_one_line_error(
        mic(tmp_path, "session", "list", "no-slash", check=False), errors.USAGE, "ORG/PROJECT"
    )
    assert_one_line_error(
        mic(tmp_path, "checkout", "bad/p", str(tmp_path / "x"), "--at", "5", check=False),
        errors.NOT_FOUND,
        "position 5",
    )
    usage = mic(tmp_path, "session", "land", "--no-such-flag", check=False)
    assert usage.returncode == errors.USAGE and "Traceback" not in usage.stderr

    # Landed sessions take no more notes; landing twice is refused by the server too.
    work = tmp_path / "w"
    work.mkdir()
    sid = mic(work, "session", "start", "bad/p", "one").stdout.strip()
    write(work, "f.txt", b"x")
    mic(work, "session", "land")
    assert_one_line_error(
        mic(work, "session", "note", "late", "--session", sid, check=False), errors.STATE
    )
    assert_one_line_error(
        mic(work, "session", "abandon", "--session", sid, check=False), errors.STATE
    )

    # A directory with landed history that is not a checkout cannot start a session.
    stray = tmp_path / "stray"
    stray.mkdir()
    assert_one_line_error(
        mic(stray, "session", "start", "bad/p", "x", check=False), errors.STATE, "mic checkout"
    )

    # Tokens: a bad one, and a read-only one that cannot land.
    assert_one_line_error(
        mic(tmp_path, "org", "list", check=False, env={"MIC_TOKEN": "mic_not_a_token"}), errors.AUTH
    )
    reader = mic(tmp_path, "token", "create", "--org", "bad", "--role", "read").stdout.strip()
    writer = mic(tmp_path, "token", "create", "--org", "bad", "--role", "write", "--json").json()[
        "token"
    ]
    assert reader.startswith("mic_") and writer.startswith("mic_")
    co = tmp_path / "co"
    mic(tmp_path, "checkout", "bad/p", str(co), env={"MIC_TOKEN": reader})
    mic(co, "session", "start", "bad/p", "as a writer", env={"MIC_TOKEN": writer})
    write(co, "g.txt", b"y")
    assert_one_line_error(
        mic(co, "session", "land", check=False, env={"MIC_TOKEN": reader}), errors.AUTH
    )
    assert mic(co, "session", "status", "--json").json()["session"]["status"] == "active"
    assert mic(co, "session", "land", env={"MIC_TOKEN": writer}).returncode == 0

    # Unreachable server: one line naming the address.
    unreachable = mic(tmp_path, "org", "list", check=False, env={"MIC_SERVER": "127.0.0.1:9"})
    assert_one_line_error(unreachable, errors.UNREACHABLE, "cannot reach mic server at 127.0.0.1:9")


def test_a_landing_not_recorded_here_is_recovered(mic: Mic, tmp_path: Path) -> None:
    mic(tmp_path, "org", "create", "crash")
    mic(tmp_path, "project", "create", "crash/p")
    work = tmp_path / "w"
    work.mkdir()
    mic(work, "session", "start", "crash/p", "lands, then the client dies")
    write(work, "a.txt", b"a\n")
    before = (work / ".mic" / "state.json").read_text()
    mic(work, "session", "land")
    (work / ".mic" / "state.json").write_text(before)  # as if it died before recording
    assert_one_line_error(
        mic(work, "session", "land", check=False), errors.STATE, "already landed at position 1"
    )
    status = mic(work, "session", "status", "--json").json()
    assert status["session"] is None and status["base_position"] == 1
    assert status["changes"] == []
