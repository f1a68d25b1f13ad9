"""`mic sync`, `mic resolve`, `mic sync --abort` and the catch-up after a land, end to end:
a real server process, two checkouts of one project, the CLI in process (``mic``) or as a
real process (``mic_process``, for kill -9)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from micelio.cli import errors
from micelio.workdir import syncstate
from tests.support.cli import Mic, assert_one_line_error
from tests.support.workfiles import read, snapshot, write

LINES = b"".join(b"line %d\n" % n for n in range(1, 21))


def _project(mic: Mic, tmp: Path, files: dict[str, bytes]) -> str:
    """A new project whose position 1 holds ``files``; returns ORG/PROJECT."""
    org = f"s{uuid.uuid4().hex[:8]}"
    mic(tmp, "org", "create", org)
    mic(tmp, "project", "create", f"{org}/p")
    seed = tmp / f"seed-{org}"
    seed.mkdir()
    mic(seed, "session", "start", f"{org}/p", "seed")
    for path, data in files.items():
        write(seed, path, data)
    mic(seed, "session", "land")
    return f"{org}/p"


def _checkout(mic: Mic, tmp: Path, ref: str, name: str) -> Path:
    mic(tmp, "checkout", ref, str(tmp / name))
    return tmp / name


def _land(mic: Mic, work: Path, goal: str) -> None:
    mic(work, "session", "start", goal)
    mic(work, "session", "land")


def test_edits_that_do_not_overlap_merge_and_the_session_stays(mic: Mic, tmp_path: Path) -> None:
    ref = _project(mic, tmp_path, {"a.txt": LINES, "b.txt": b"b\n"})
    alice, bob = _checkout(mic, tmp_path, ref, "alice"), _checkout(mic, tmp_path, ref, "bob")
    session = mic(bob, "session", "start", "bob's work").stdout.strip()
    mic(bob, "session", "note", "keep this note")
    write(bob, "a.txt", LINES.replace(b"line 18\n", b"bob 18\n"))
    write(bob, "new.txt", b"bob's\n")
    mic(alice, "session", "start", "alice's work")
    write(alice, "a.txt", LINES.replace(b"line 2\n", b"alice 2\n"))
    write(alice, "c.txt", b"c\n")
    os.unlink(alice / "b.txt")
    mic(alice, "session", "land")

    # Behind the head with a clash-free landing? No: a.txt clashes; land names who and why.
    refused = mic(bob, "session", "land", check=False)
    assert_one_line_error(refused, errors.CONFLICT, "a.txt", "@2", "alice's work", "mic sync")

    out = mic(bob, "sync", "--json").json()
    assert (out["from_position"], out["to_position"], out["session_id"]) == (1, 2, session)
    assert out["merged"] == ["a.txt"] and out["conflicts"] == []
    assert (out["updated"], out["deleted"]) == (2, 1)
    assert read(bob, "a.txt") == LINES.replace(b"line 2\n", b"alice 2\n").replace(
        b"line 18\n", b"bob 18\n"
    )
    assert read(bob, "c.txt") == b"c\n" and not (bob / "b.txt").exists()
    assert read(bob, "new.txt") == b"bob's\n"
    status = mic(bob, "session", "status", "--json").json()
    assert status["base_position"] == 2 and status["session"]["base_position"] == 2
    assert status["session"]["session_id"] == session
    assert [m["content"] for m in status["session"]["conversation"]] == ["keep this note"]
    assert {c["file_path"] for c in status["changes"]} == {"a.txt", "new.txt"}
    assert mic(bob, "sync").stdout.strip() == "already at position 2"
    assert_one_line_error(mic(bob, "sync", "--at", "9", check=False), errors.NOT_FOUND, "head is 2")
    assert_one_line_error(
        mic(bob, "sync", "other/p", check=False), errors.USAGE, f"checkout of {ref}"
    )
    landed = mic(bob, "session", "land", "--json").json()
    assert landed["landing_position"] == 3


def test_overlapping_edits_conflict_until_resolved(mic: Mic, tmp_path: Path) -> None:
    ref = _project(mic, tmp_path, {"a.txt": LINES})
    alice, bob = _checkout(mic, tmp_path, ref, "alice"), _checkout(mic, tmp_path, ref, "bob")
    session = mic(bob, "session", "start", "bob").stdout.strip()
    write(bob, "a.txt", LINES.replace(b"line 5\n", b"bob 5\n"))
    mic(alice, "session", "start", "alice")
    write(alice, "a.txt", LINES.replace(b"line 5\n", b"alice 5\n"))
    mic(alice, "session", "land")

    synced = mic(bob, "sync", check=False)
    assert synced.returncode == errors.CONFLICT
    assert "conflict  a.txt (content)" in synced.stdout
    assert "mic resolve" in synced.stderr
    text = read(bob, "a.txt")
    assert (
        f"<<<<<<< session {session} (base @1)\nbob 5\n=======\nalice 5\n>>>>>>> head @2\n".encode()
        in text
    )
    assert syncstate.conflicted(bob) == [b"a.txt"]
    assert mic(bob, "session", "status", "--json").json()["conflicts"] == ["a.txt"]
    # While conflicts remain: no landing, no second sync.
    assert_one_line_error(
        mic(bob, "session", "land", check=False), errors.STATE, "a.txt", "mic resolve"
    )
    assert_one_line_error(mic(bob, "sync", check=False), errors.STATE, "a.txt")
    assert_one_line_error(mic(bob, "resolve", "a.txt", check=False), errors.STATE, "markers")
    assert_one_line_error(
        mic(bob, "resolve", "zz.txt", check=False), errors.STATE, "not in conflict"
    )
    write(bob, "a.txt", LINES.replace(b"line 5\n", b"both 5\n"))
    sub = bob / "sub"
    sub.mkdir()
    done = mic(sub, "resolve", "../a.txt", "--json").json()
    assert done == {"resolved": ["a.txt"], "side_files": [], "remaining": []}
    assert syncstate.conflicted(bob) == []
    assert mic(bob, "session", "land", "--json").json()["landing_position"] == 3
    assert mic(alice, "cat", "a.txt").stdout.encode() == LINES.replace(b"line 5\n", b"both 5\n")


def test_resolve_force_and_abort_after_conflicts(mic: Mic, tmp_path: Path) -> None:
    ref = _project(mic, tmp_path, {"a.txt": LINES, "gone.txt": b"g\n", "keep.txt": b"k\n"})
    alice, bob = _checkout(mic, tmp_path, ref, "alice"), _checkout(mic, tmp_path, ref, "bob")
    mic(bob, "session", "start", "bob")
    write(bob, "a.txt", LINES.replace(b"line 5\n", b"bob 5\n"))
    write(bob, "mine.txt", b"local\n")
    mic(alice, "session", "start", "alice")
    write(alice, "a.txt", LINES.replace(b"line 5\n", b"alice 5\n"))
    write(alice, "added/x.txt", b"x\n")
    os.unlink(alice / "gone.txt")
    mic(alice, "session", "land")
    before = snapshot(bob)
    session = mic(bob, "session", "status", "--json").json()["session"]["session_id"]

    assert mic(bob, "sync", check=False).returncode == errors.CONFLICT
    assert snapshot(bob) != before
    aborted = mic(bob, "sync", "--abort", "--json").json()
    assert aborted == {"aborted": True, "position": 1}
    assert snapshot(bob) == before
    status = mic(bob, "session", "status", "--json").json()
    assert status["base_position"] == 1 and status["session"]["base_position"] == 1
    assert status["session"]["session_id"] == session
    assert_one_line_error(mic(bob, "sync", "--abort", check=False), errors.STATE, "no sync")

    # --force marks a file with markers resolved.
    assert mic(bob, "sync", check=False).returncode == errors.CONFLICT
    mic(bob, "resolve", "a.txt", "--force")
    assert b"<<<<<<<" in read(bob, "a.txt")
    assert mic(bob, "session", "status", "--json").json()["base_position"] == 2


def test_every_conflict_kind_keeps_both_versions(mic: Mic, tmp_path: Path) -> None:
    ref = _project(
        mic,
        tmp_path,
        {
            "bin.dat": b"\0base",
            "mode.sh": b"#!/bin/sh\n",
            "md.txt": b"md\n",
            "dm.txt": b"dm\n",
            "ff": b"file\n",
            "text.txt": b"t\n",
        },
    )
    alice, bob = _checkout(mic, tmp_path, ref, "alice"), _checkout(mic, tmp_path, ref, "bob")
    os.symlink("text.txt", alice / "link")
    os.symlink("text.txt", bob / "link2")
    mic(alice, "session", "start", "alice")
    mic(bob, "session", "start", "bob")
    for side, name in ((alice, b"alice"), (bob, b"bob")):
        write(side, "bin.dat", b"\0" + name)
        write(side, "add.txt", name + b"\n")
        write(side, "both.sh", b"#!/bin/sh\n", exe=side == alice)
    os.symlink("bin.dat", bob / "link")
    os.symlink("md.txt", alice / "link2")
    write(bob, "md.txt", b"bob md\n")
    os.unlink(alice / "md.txt")
    os.unlink(bob / "dm.txt")
    write(alice, "dm.txt", b"alice dm\n")
    write(bob, "ff", b"bob file\n")
    os.unlink(alice / "ff")
    write(alice, "ff/inner.txt", b"in a folder\n")
    mic(alice, "session", "land")

    out = mic(bob, "sync", "--json", check=False)
    assert out.returncode == errors.CONFLICT
    kinds = {c["file_path"]: (c["kinds"], c["side_files"]) for c in out.json()["conflicts"]}
    assert kinds == {
        "add.txt": (["add/add"], []),
        "bin.dat": (["binary"], ["bin.dat.theirs"]),
        "both.sh": (["mode"], []),
        "dm.txt": (["delete/modify"], []),
        "ff": (["modify/delete", "file/folder"], ["ff.mine"]),
        "link": (["symlink"], ["link.theirs"]),
        "link2": (["symlink"], ["link2.theirs"]),
        "md.txt": (["modify/delete"], []),
    }
    assert b"<<<<<<<" in read(bob, "add.txt")
    assert read(bob, "bin.dat") == b"\0bob" and read(bob, "bin.dat.theirs") == b"\0alice"
    assert os.readlink(bob / "link") == "bin.dat"
    assert os.readlink(bob / "link2") == "text.txt"
    assert os.readlink(bob / "link.theirs") == "text.txt"
    assert os.readlink(bob / "link2.theirs") == "md.txt"
    assert read(bob, "md.txt") == b"bob md\n"
    assert read(bob, "dm.txt") == b"alice dm\n"
    assert read(bob, "ff.mine") == b"bob file\n" and read(bob, "ff/inner.txt") == b"in a folder\n"
    assert not os.access(bob / "both.sh", os.X_OK)  # ours kept


def test_catch_up_after_land_file_folder_and_ignored_files(mic: Mic, tmp_path: Path) -> None:
    ref = _project(mic, tmp_path, {"d": b"file\n", "e/x.txt": b"x\n", "z.txt": b"z\n"})
    alice, bob = _checkout(mic, tmp_path, ref, "alice"), _checkout(mic, tmp_path, ref, "bob")
    write(bob, ".micignore", b"*.log\nbuild/\n")
    write(bob, "gen.log", b"bob's own log\n")
    write(bob, "build/out", b"bob's build\n")
    mic(alice, "session", "start", "alice")
    os.unlink(alice / "d")
    write(alice, "d/now-a-folder.txt", b"f\n")
    os.unlink(alice / "e/x.txt")
    os.rmdir(alice / "e")
    write(alice, "e", b"now a file\n")
    write(alice, "gen.log", b"alice's log\n")
    write(alice, "build", b"alice's build file\n")
    mic(alice, "session", "land")
    mic(bob, "session", "start", "bob")
    write(bob, "z.txt", b"bob z\n")
    landed = mic(bob, "session", "land", "--json").json()
    assert landed["landing_position"] == 3
    assert {(m["file_path"], m["to"]) for m in landed["moved_aside"]} == {
        ("gen.log", "gen.log.mine"),
        ("build", "build.mine"),
    }
    assert read(bob, "d/now-a-folder.txt") == b"f\n" and read(bob, "e") == b"now a file\n"
    assert (
        read(bob, "gen.log") == b"alice's log\n" and read(bob, "gen.log.mine") == b"bob's own log\n"
    )
    assert read(bob, "build") == b"alice's build file\n"
    assert read(bob, "build.mine/out") == b"bob's build\n"
    # Nothing half-done: the directory is at position 3 and every command works.
    status = mic(bob, "session", "status", "--json").json()
    assert status["base_position"] == 3 and status["session"] is None
    assert {c["file_path"] for c in status["changes"]} == {"build.mine/out", "gen.log.mine"}
    mic(bob, "session", "start", "again")


def test_sync_moves_an_ignored_file_aside(mic: Mic, tmp_path: Path) -> None:
    ref = _project(mic, tmp_path, {"a.txt": b"a\n"})
    alice, bob = _checkout(mic, tmp_path, ref, "alice"), _checkout(mic, tmp_path, ref, "bob")
    write(bob, ".micignore", b"*.log\n")
    write(bob, "x.log", b"mine\n")
    mic(alice, "session", "start", "alice")
    write(alice, "x.log", b"theirs\n")
    mic(alice, "session", "land")
    out = mic(bob, "sync", "--json").json()
    assert out["moved_aside"] == [{"file_path": "x.log", "to": "x.log.mine"}]
    assert read(bob, "x.log") == b"theirs\n" and read(bob, "x.log.mine") == b"mine\n"


def test_a_nested_checkout_is_not_part_of_the_outer_one(mic: Mic, tmp_path: Path) -> None:
    ref = _project(mic, tmp_path, {"a.txt": b"a\n"})
    outer = _checkout(mic, tmp_path, ref, "outer")
    mic(outer, "checkout", ref, str(outer / "inner"))
    write(outer, "inner/local.txt", b"inner's\n")
    mic(outer, "session", "start", "outer")
    assert mic(outer, "session", "status", "--json").json()["changes"] == []
    write(outer, "o.txt", b"o\n")
    mic(outer, "session", "land")
    listed = mic(outer, "ls").stdout.splitlines()
    assert [line.split()[-1] for line in listed] == ["a.txt", "o.txt"]


def test_resume_and_land_by_session_id(mic: Mic, tmp_path: Path) -> None:
    ref = _project(mic, tmp_path, {"a.txt": b"a\n"})
    one, two = _checkout(mic, tmp_path, ref, "one"), _checkout(mic, tmp_path, ref, "two")
    session = mic(one, "session", "start", "begun in one").stdout.strip()
    mic(one, "session", "decide", "keep going", "--why", "it works")
    own = mic(two, "session", "start", "two's own").stdout.strip()
    assert_one_line_error(
        mic(two, "session", "resume", session, check=False), errors.STATE, "already active"
    )
    mic(two, "session", "abandon")
    resumed = mic(two, "session", "resume", session, "--json").json()
    assert resumed["session_id"] == session
    assert mic(two, "session", "status", "--json").json()["session"]["session_id"] == session
    write(two, "b.txt", b"b\n")
    landed = mic(two, "session", "land", "--json").json()
    assert landed["session_id"] == session and landed["landing_position"] == 2
    shown = mic(two, "session", "show", session, "--json").json()
    assert [d["decision"] for d in shown["decisions"]] == ["keep going"]
    assert_one_line_error(
        mic(two, "session", "resume", own, check=False), errors.STATE, "abandoned"
    )

    # land --session: adopt and land in one go, from a checkout at the session's base.
    three = _checkout(mic, tmp_path, ref, "three")
    mic(tmp_path, "checkout", ref, str(tmp_path / "four"), "--at", "1")
    other = mic(tmp_path / "four", "session", "start", "elsewhere").stdout.strip()
    stale = mic(three, "session", "land", "--session", other, check=False)
    assert_one_line_error(stale, errors.STATE, "mic sync --at 1")
    mic(three, "sync", "--at", "1")
    write(three, "c.txt", b"c\n")
    landed = mic(three, "session", "land", "--session", other, "--json").json()
    assert landed["session_id"] == other and landed["landing_position"] == 3
    assert read(three, "b.txt") == b"b\n"  # caught up over position 2


def test_interrupted_sync_resumes_or_aborts(mic: Mic, mic_process: Mic, tmp_path: Path) -> None:
    ref = _project(mic, tmp_path, {f"f{n}.txt": LINES for n in range(10)})
    alice, bob = _checkout(mic, tmp_path, ref, "alice"), _checkout(mic, tmp_path, ref, "bob")
    mic(bob, "session", "start", "bob")
    write(bob, "f0.txt", LINES.replace(b"line 1\n", b"bob 1\n"))
    write(bob, "f1.txt", LINES.replace(b"line 3\n", b"bob 3\n"))
    write(bob, ".micignore", b"*.log\n")
    write(bob, "n.log", b"bob's log\n")
    mic(alice, "session", "start", "alice")
    for n in range(10):
        write(alice, f"f{n}.txt", LINES.replace(b"line 3\n", b"alice 3\n"))
    write(alice, "n.log", b"alice's\n")
    os.makedirs(alice / "dir")
    write(alice, "dir/y.txt", b"y\n")
    mic(alice, "session", "land")
    before = snapshot(bob)

    for attempt in ("abort", "resume"):
        killed = mic_process(bob, "sync", env={"MIC_SYNC_KILL_AFTER_OPS": "8"}, check=False)
        assert killed.returncode == -9, killed
        assert snapshot(bob) != before
        assert_one_line_error(mic(bob, "session", "land", check=False), errors.STATE, "cut short")
        if attempt == "abort":
            mic_process(bob, "sync", "--abort")
            assert snapshot(bob) == before
            status = mic(bob, "session", "status", "--json").json()
            assert status["base_position"] == 1 and status["session"]["base_position"] == 1
    finished = mic_process(bob, "sync", "--json", check=False)
    assert finished.returncode == errors.CONFLICT
    assert finished.json()["resumed"] is True
    assert [c["file_path"] for c in finished.json()["conflicts"]] == ["f1.txt"]
    assert read(bob, "f0.txt") == LINES.replace(b"line 1\n", b"bob 1\n").replace(
        b"line 3\n", b"alice 3\n"
    )
    assert read(bob, "n.log.mine") == b"bob's log\n" and read(bob, "dir/y.txt") == b"y\n"
    # Abort still works after a resumed sync with conflicts.
    mic(bob, "sync", "--abort")
    assert snapshot(bob) == before
