"""`mic checkout` over ReadFiles, `mic status`, `diff` and `restore` end to end: the CLI and a
real server process, against known answers; the stat cache and its racy-clean rule."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from micelio.cli import errors
from micelio.client import Change, MicClient, NewSession
from micelio.testing import MicServer
from micelio.vocabulary import ChangeType, FileMode
from tests.support.cli import ROOT, Mic, assert_one_line_error, process_env

ADDED, MODIFIED, DELETED = ChangeType.ADDED, ChangeType.MODIFIED, ChangeType.DELETED
MIB = 1024 * 1024
BIG = bytes(range(256)) * (5 * MIB // 2 // 256 + 7)  # > 2 chunks, not a multiple of one


@pytest.fixture(scope="module")
def project(server: MicServer) -> str:
    """st/app at two positions: files, a folder, an executable, a symlink, a big binary and
    a name with a control character."""
    with MicClient(server.address, server.token) as client:
        client.create_organization("st")
        client.create_project("st", "app")
        client.land(
            [
                Change("a.txt", ADDED, b"one\ntwo\nthree\n"),
                Change("dir/b.txt", ADDED, b"bee\n"),
                Change("bin/run", ADDED, b"#!/bin/sh\necho hi\n", mode=FileMode.EXECUTABLE),
                Change("link", ADDED, b"a.txt", mode=FileMode.SYMLINK),
                Change("big.bin", ADDED, BIG),
                Change("odd\tname", ADDED, b"tab\n"),
            ],
            create=NewSession("st", "app", "Start"),
        )
        client.land(
            [Change("a.txt", MODIFIED, b"one\n2\nthree\n"), Change("dir/b.txt", DELETED)],
            create=NewSession("st", "app", "Second"),
        )
    return "st/app"


def _checkout(mic: Mic, tmp_path: Path, project: str, *extra: str) -> Path:
    work = tmp_path / "work"
    mic(tmp_path, "checkout", project, str(work), *extra)
    return work


def test_checkout_streams_every_kind_of_file(mic: Mic, project: str, tmp_path: Path) -> None:
    work = _checkout(mic, tmp_path, project, "--at", "1")
    assert (work / "a.txt").read_bytes() == b"one\ntwo\nthree\n"
    assert (work / "dir" / "b.txt").read_bytes() == b"bee\n"
    assert (work / "big.bin").read_bytes() == BIG
    assert os.access(work / "bin" / "run", os.X_OK)
    assert not os.access(work / "a.txt", os.X_OK)
    assert os.readlink(work / "link") == "a.txt"
    assert (work / "odd\tname").read_bytes() == b"tab\n"
    st = mic(work, "status", "--json").json()
    assert (st["base_position"], st["head_position"], st["behind"]) == (1, 2, 1)
    assert st["changes"] == [] and st["conflicts"] == []
    assert st["counts"] == {"added": 0, "modified": 0, "deleted": 0}


def test_status_lists_pending_changes(mic: Mic, project: str, tmp_path: Path) -> None:
    work = _checkout(mic, tmp_path, project)
    (work / "a.txt").write_bytes(b"one\n2\nthree\nfour\n")
    (work / "odd\tname").write_bytes(b"TAB\n")
    (work / "bin" / "run").unlink()
    (work / "new.txt").write_bytes(b"new\n")
    st = mic(work, "status", "--json").json()
    assert [(c["file_path"], c["change_type"]) for c in st["changes"]] == [
        ("a.txt", "modified"),
        ("bin/run", "deleted"),
        ("new.txt", "added"),
        ("odd\tname", "modified"),
    ]
    assert (st["base_position"], st["head_position"], st["behind"]) == (2, 2, 0)
    assert st["session_id"] is None and st["conflicts"] == []
    text = mic(work, "status").stdout
    assert text.splitlines()[1:] == [
        "no active session",
        "pending changes: 1 added, 2 modified, 1 deleted",
        "  M a.txt",
        "  D bin/run",
        "  A new.txt",
        "  M odd\\tname",
        "no conflicts",
    ]
    assert "st/app at position 2 (the head)" in text


def test_diff_against_the_base(mic: Mic, project: str, tmp_path: Path) -> None:
    work = _checkout(mic, tmp_path, project)
    (work / "a.txt").write_bytes(b"one\n2\nthree\nfour")
    (work / "bin" / "run").unlink()
    (work / "new.txt").write_bytes(b"new\n")
    (work / "big.bin").write_bytes(BIG[:-1] + b"\0")
    (work / "odd\tname").write_bytes(b"TAB\n")
    os.chmod(work / "new.txt", 0o755)
    out = mic(work, "diff").stdout
    assert out == (
        "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,4 @@\n"
        " one\n 2\n three\n+four\n\\ No newline at end of file\n"
        "diff --git a/big.bin b/big.bin\nBinary files a/big.bin and b/big.bin differ\n"
        "diff --git a/bin/run b/bin/run\ndeleted file mode 100755\n--- a/bin/run\n+++ /dev/null\n"
        "@@ -1,2 +0,0 @@\n-#!/bin/sh\n-echo hi\n"
        "diff --git a/new.txt b/new.txt\nnew file mode 100755\n--- /dev/null\n+++ b/new.txt\n"
        "@@ -0,0 +1 @@\n+new\n"
        "diff --git a/odd\\tname b/odd\\tname\n--- a/odd\\tname\n+++ b/odd\\tname\n"
        "@@ -1 +1 @@\n-tab\n+TAB\n"
    )
    assert "\x1b[" not in out  # piped: no colour
    stat = mic(work, "diff", "--stat").stdout.splitlines()
    assert stat == [
        " a.txt     | 1 +",
        f" big.bin   | Bin {len(BIG)} -> {len(BIG)} bytes",
        " bin/run   | 2 --",
        " new.txt   | 1 +",
        " odd\\tname | 2 +-",
        " 5 files changed, 3 insertions(+), 3 deletions(-)",
    ]
    only = mic(work / "bin", "diff", "--stat", "..").stdout.splitlines()
    assert len(only) == 6  # `..` from bin/ is the whole checkout
    sub = mic(work, "diff", "--stat", "bin").stdout.splitlines()
    assert sub == [" bin/run | 2 --", " 1 file changed, 2 deletions(-)"]


def test_diff_between_positions(mic: Mic, project: str, tmp_path: Path) -> None:
    expected = (
        "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n"
        " one\n-two\n+2\n three\n"
        "diff --git a/dir/b.txt b/dir/b.txt\ndeleted file mode 100644\n--- a/dir/b.txt\n"
        "+++ /dev/null\n@@ -1 +0,0 @@\n-bee\n"
    )
    outside = mic(tmp_path, "diff", "--from", "1", "--to", "2", "--project", project).stdout
    assert outside == expected
    assert mic(tmp_path, "diff", "--to", "2", "--project", project).stdout == expected
    work = _checkout(mic, tmp_path, project)
    assert mic(work, "diff", "--from", "1").stdout == expected  # to the head
    assert mic(work, "diff", "--from", "2", "--to", "2").stdout == ""
    result = mic(tmp_path, "diff", "--from", "1", "--to", "9", "--project", project, check=False)
    assert_one_line_error(result, errors.NOT_FOUND, "position 9")


def test_restore(mic: Mic, project: str, tmp_path: Path) -> None:
    work = _checkout(mic, tmp_path, project)
    (work / "a.txt").write_bytes(b"changed\n")
    (work / "link").unlink()
    (work / "bin" / "run").unlink()
    (work / "bin").rmdir()
    (work / "new.txt").write_bytes(b"mine\n")
    out = mic(work, "restore", "a.txt", "link", "bin").stdout
    assert out.splitlines() == ["restored a.txt", "restored bin/run", "restored link"]
    assert (work / "a.txt").read_bytes() == b"one\n2\nthree\n"
    assert os.readlink(work / "link") == "a.txt"
    assert os.access(work / "bin" / "run", os.X_OK)
    assert (work / "new.txt").read_bytes() == b"mine\n"  # not in the base: left alone
    assert mic(work, "status", "--json").json()["changes"] == [
        {"file_path": "new.txt", "change_type": "added", "mode": 0o100644, "size": 5}
    ]
    assert mic(work, "restore", ".").stdout == "nothing to restore: no changes there\n"
    result = mic(work, "restore", "../elsewhere", check=False)
    assert_one_line_error(result, errors.USAGE, "outside the checkout")
    result = mic(work, "restore", "nope.txt", check=False)
    assert_one_line_error(result, errors.NOT_FOUND, "nope.txt is not in the base")
    result = mic(tmp_path, "restore", "a.txt", check=False)
    assert_one_line_error(result, errors.USAGE, "not in a mic checkout")


def _manifest(work: Path) -> dict[str, dict[str, int | str]]:
    files: dict[str, dict[str, int | str]] = json.loads(
        (work / ".mic" / "manifest.json").read_text()
    )["files"]
    return files


def test_stat_cache_trusts_size_and_mtime_but_not_racy_entries(
    mic: Mic, project: str, tmp_path: Path
) -> None:
    work = _checkout(mic, tmp_path, project)
    manifest_file = work / ".mic" / "manifest.json"
    assert mic(work, "status", "--json").json()["changes"] == []
    record = _manifest(work)["a.txt"]
    recorded = int(record["mtime_ns"])
    # Same size, same mtime, cache written well after it: trusted without hashing (git's
    # index does the same), so this edit is not seen...
    stamp = recorded + 5_000_000_000
    (work / "a.txt").write_bytes(b"ONE\n2\nTHREE\n")
    os.utime(work / "a.txt", ns=(recorded, recorded))
    os.utime(manifest_file, ns=(stamp, stamp))
    assert mic(work, "status", "--json").json()["changes"] == []
    # ...but when the file's mtime is not older than the cache (the edit may have come in the
    # clock tick the cache was written in: "racy clean"), it is hashed and the edit found.
    os.utime(manifest_file, ns=(recorded, recorded))
    changes = mic(work, "status", "--json").json()["changes"]
    assert [(c["file_path"], c["change_type"]) for c in changes] == [("a.txt", "modified")]


def test_status_refreshes_racy_entries(mic: Mic, project: str, tmp_path: Path) -> None:
    work = _checkout(mic, tmp_path, project)
    manifest_file = work / ".mic" / "manifest.json"
    recorded = int(_manifest(work)["a.txt"]["mtime_ns"])
    os.utime(manifest_file, ns=(recorded, recorded))  # every entry at or after it is racy
    assert mic(work, "status", "--json").json()["changes"] == []
    # The clean racy files were hashed once and recorded: the cache is newer than them now.
    assert manifest_file.stat().st_mtime_ns > recorded
    assert _manifest(work)["a.txt"]["mtime_ns"] == recorded


def test_status_outside_a_checkout_is_one_line(mic: Mic, tmp_path: Path) -> None:
    assert_one_line_error(mic(tmp_path, "status", check=False), errors.STATE, "not a mic")


def test_help_and_status_load_neither_pydantic_nor_rich(
    mic: Mic, project: str, tmp_path: Path
) -> None:
    work = _checkout(mic, tmp_path, project)
    probe = (
        "import sys\nfrom micelio.cli.main import main\nsys.argv = ['mic'] + sys.argv[1:]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(repr(sorted(m for m in ('pydantic', 'rich') if m in sys.modules)))\n"
    )
    env = process_env(mic.env) | {"PYTHONPATH": str(ROOT)}
    for args in (["--help"], ["session", "--help"], ["status"], ["status", "--json"]):
        done = subprocess.run(
            [sys.executable, "-c", probe, *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stderr.endswith("[]"), (args, done.stderr)


def test_a_nested_checkout_is_not_part_of_the_outer_one(
    mic: Mic, project: str, tmp_path: Path
) -> None:
    work = _checkout(mic, tmp_path, project)
    mic(work, "checkout", project, str(work / "inner"))
    (work / "inner" / "a.txt").write_bytes(b"inner edit\n")
    assert mic(work, "status", "--json").json()["changes"] == []
    inner = mic(work / "inner", "status", "--json").json()["changes"]
    assert [(c["file_path"], c["change_type"]) for c in inner] == [("a.txt", "modified")]


def test_landing_caches_the_next_tree(mic: Mic, server: MicServer, tmp_path: Path) -> None:
    with MicClient(server.address, server.token) as client:
        client.create_organization("stl", exist_ok=True)
        client.create_project("stl", "land")
        client.land([Change("keep.txt", ADDED, b"k\n")], create=NewSession("stl", "land", "One"))
    work = _checkout(mic, tmp_path, "stl/land")
    mic(work, "session", "start", "Two")
    (work / "keep.txt").write_bytes(b"kept\n")
    (work / "new.txt").write_bytes(b"n\n")
    mic(work, "session", "land")
    # The tree at 2 is the cached tree at 1 plus this session's changes: no fetch needed.
    cached = (work / ".mic" / "trees" / "2").read_bytes()
    with MicClient(server.address, server.token) as client:
        tree = list(client.get_tree("stl", "land", position=2))
    assert cached.split(b"\n", 1)[1] == b"".join(
        b"%d %d %s %s\0" % (e.mode, e.size, e.sha256.encode(), e.path) for e in tree
    )
    st = mic(work, "status", "--json").json()
    assert (st["base_position"], st["head_position"], st["changes"]) == (2, 2, [])


def test_diff_colours_only_on_a_terminal() -> None:
    from micelio.cli.status_cmd import diff_bytes
    from micelio.diffs import Side, file_diff

    found = [file_diff("a", Side(b"x\n", 0o100644), Side(b"y\n", 0o100644))]
    plain = diff_bytes(found, color=False)
    assert b"\x1b" not in plain
    coloured = diff_bytes(found, color=True)
    assert b"\x1b[31m-x\x1b[m\n" in coloured and b"\x1b[32m+y\x1b[m\n" in coloured
    assert (
        coloured.replace(b"\x1b[1m", b"")
        .replace(b"\x1b[36m", b"")
        .replace(b"\x1b[31m", b"")
        .replace(b"\x1b[32m", b"")
        .replace(b"\x1b[m", b"")
        == plain
    )


def test_status_fast_path_parses_only_plain_command_lines() -> None:
    from micelio.cli.status_view import fast_args

    assert fast_args(["status"]) == (None, None, False)
    assert fast_args(["status", "--json", "--server", "h:1", "--token=t"]) == ("h:1", "t", True)
    # Anything else is typer's to answer: help, typos, a missing value, another command.
    for argv in (
        ["status", "--help"],
        ["status", "--jsn"],
        ["status", "--server"],
        ["status", "--server", "--json"],
        ["status", "--token="],
        ["status", "x"],
        ["diff"],
        [],
    ):
        assert fast_args(argv) is None, argv


def test_status_runs_without_typer(mic: Mic, project: str, tmp_path: Path) -> None:
    work = _checkout(mic, tmp_path, project)
    probe = (
        "import sys\nfrom micelio.cli.main import main\nsys.argv = ['mic'] + sys.argv[1:]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(repr(sorted(m for m in ('typer', 'click') if m in sys.modules)))\n"
    )
    env = process_env(mic.env) | {"PYTHONPATH": str(ROOT)}
    for args, loaded in ((["status", "--json"], "[]"), (["status", "--help"], "['typer']")):
        done = subprocess.run(
            [sys.executable, "-c", probe, *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stderr.endswith(loaded), (args, done.stderr)
        if "--json" in args:
            assert json.loads(done.stdout)["changes"] == []
