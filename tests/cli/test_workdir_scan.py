"""Working directory scanning, .micignore, the manifest and safe writing (no server)."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from micelio import paths, workdir
from micelio.vocabulary import FileMode


@dataclass(frozen=True)
class Entry:
    path: bytes
    mode: int
    size: int
    sha256: str


def entry(path: bytes, content: bytes, mode: int = FileMode.FILE) -> Entry:
    return Entry(path, mode, len(content), hashlib.sha256(content).hexdigest())


def write(root: Path, rel: str | bytes, content: bytes = b"x", *, exe: bool = False) -> None:
    full = os.path.join(os.fsencode(root), os.fsencode(rel))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.write(content)
    os.chmod(full, 0o755 if exe else 0o644)


def kinds(result: workdir.ScanResult) -> dict[bytes, str]:
    return {c.path: c.kind for c in result.changes}


def test_added_modified_deleted_and_unchanged(tmp_path: Path) -> None:
    write(tmp_path, "same.txt", b"same")
    write(tmp_path, "changed.txt", b"new content")
    write(tmp_path, "samesize.txt", b"bbbb")
    write(tmp_path, "new/file.txt", b"hello")
    tree = [
        entry(b"same.txt", b"same"),
        entry(b"changed.txt", b"old"),
        entry(b"samesize.txt", b"aaaa"),
        entry(b"gone.txt", b"bye"),
        entry(b"dir/gone.txt", b"bye"),
    ]
    result = workdir.scan(tmp_path, tree)
    assert kinds(result) == {
        b"changed.txt": "modified",
        b"samesize.txt": "modified",
        b"new/file.txt": "added",
        b"gone.txt": "deleted",
        b"dir/gone.txt": "deleted",
    }
    assert [c.path for c in result.changes] == sorted(kinds(result))
    assert result.files[b"same.txt"].sha256 == hashlib.sha256(b"same").hexdigest()


def test_empty_directory_and_empty_file(tmp_path: Path) -> None:
    (tmp_path / "emptydir").mkdir()
    write(tmp_path, "empty", b"")
    result = workdir.scan(tmp_path, [])
    assert kinds(result) == {b"empty": "added"}
    assert result.changes[0].size == 0
    assert workdir.scan(tmp_path, [entry(b"empty", b"")]).changes == []


def test_executable_bit_is_a_modification(tmp_path: Path) -> None:
    write(tmp_path, "run.sh", b"#!/bin/sh\n", exe=True)
    result = workdir.scan(tmp_path, [entry(b"run.sh", b"#!/bin/sh\n")])
    assert kinds(result) == {b"run.sh": "modified"}
    assert result.changes[0].mode == FileMode.EXECUTABLE
    tree = [entry(b"run.sh", b"#!/bin/sh\n", FileMode.EXECUTABLE)]
    assert workdir.scan(tmp_path, tree).changes == []


def test_symlinks_are_files_whose_content_is_the_target(tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    write(outside, "secret", b"do not read")
    root = tmp_path / "root"
    root.mkdir()
    os.symlink("target.txt", root / "link")
    os.symlink(outside, root / "escape")  # a directory outside: never entered
    result = workdir.scan(root, [])
    assert kinds(result) == {b"link": "added", b"escape": "added"}
    by_path = {c.path: c for c in result.changes}
    assert by_path[b"link"].mode == FileMode.SYMLINK
    assert by_path[b"link"].size == len(b"target.txt")
    tree = [
        entry(b"link", b"target.txt", FileMode.SYMLINK),
        entry(b"escape", os.fsencode(outside), FileMode.SYMLINK),
    ]
    assert workdir.scan(root, tree).changes == []
    # A regular file replaced by a symlink (same size even) is a modification.
    tree = [entry(b"link", b"target.txt"), tree[1]]
    assert kinds(workdir.scan(root, tree)) == {b"link": "modified"}


def test_non_utf8_names(tmp_path: Path) -> None:
    name = b"caf\xe9.txt"
    write(tmp_path, name, b"latin-1 name")
    result = workdir.scan(tmp_path, [])
    assert kinds(result) == {name: "added"}
    assert result.changes[0].display == "caf\\xe9.txt"
    assert paths.to_wire(name) == ("caf\\xe9.txt", name)
    assert workdir.scan(tmp_path, [entry(name, b"latin-1 name")]).changes == []


def test_git_and_mic_dirs_are_never_scanned(tmp_path: Path) -> None:
    write(tmp_path, ".git/config", b"[core]")
    write(tmp_path, ".mic/state.json", b"{}")
    write(tmp_path, "sub/.git/HEAD", b"ref")
    write(tmp_path, ".GIT/x", b"case")
    write(tmp_path, "a.txt")
    assert kinds(workdir.scan(tmp_path, [])) == {b"a.txt": "added"}


def test_micignore(tmp_path: Path) -> None:
    write(tmp_path, ".micignore", b"*.log\nbuild/\n!keep.log\n/top.tmp\n")
    for name in (
        "a.log",
        "keep.log",
        "build/out.o",
        "src/build/x",
        "top.tmp",
        "src/top.tmp",
        "src/main.py",
    ):
        write(tmp_path, name)
    result = workdir.scan(tmp_path, [])
    assert sorted(kinds(result)) == [b".micignore", b"keep.log", b"src/main.py", b"src/top.tmp"]


def test_tracked_files_are_compared_even_when_ignored(tmp_path: Path) -> None:
    write(tmp_path, ".micignore", b"build/\n")
    write(tmp_path, "build/tracked", b"changed")
    write(tmp_path, "build/untracked", b"new")
    tree = [
        entry(b".micignore", b"build/\n"),
        entry(b"build/tracked", b"orig"),
        entry(b"build/removed", b"x"),
    ]
    assert kinds(workdir.scan(tmp_path, tree)) == {
        b"build/tracked": "modified",
        b"build/removed": "deleted",
    }


def test_invalid_names_are_reported_not_sent(tmp_path: Path) -> None:
    write(tmp_path, "a\\..\\b", b"windows escape")
    write(tmp_path, "ok.txt")
    result = workdir.scan(tmp_path, [])
    assert kinds(result) == {b"ok.txt": "added"}
    assert [p for p, _ in result.invalid] == [b"a\\..\\b"]


def test_fifo_is_skipped(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    assert workdir.scan(tmp_path, []).changes == []


def test_manifest_skips_hashing_unchanged_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "big.bin", b"0123456789")
    info = os.stat(tmp_path / "big.bin")
    # The manifest claims a different sha256 for the same size and mtime: if it is believed,
    # the file is reported modified, which proves it was not hashed.
    lie = workdir.FileRecord("0" * 64, FileMode.FILE, info.st_size, info.st_mtime_ns)
    manifest = workdir.Manifest({b"big.bin": lie}, stamp_ns=info.st_mtime_ns + 1)
    tree = [entry(b"big.bin", b"0123456789")]
    assert kinds(workdir.scan(tmp_path, tree, manifest=manifest)) == {b"big.bin": "modified"}
    # Racy: written in the same tick as the manifest, so it is hashed after all.
    racy = workdir.Manifest({b"big.bin": lie}, stamp_ns=info.st_mtime_ns)
    assert workdir.scan(tmp_path, tree, manifest=racy).changes == []
    # Modified since (mtime moved): hashed, and found modified against the tree.
    write(tmp_path, "big.bin", b"9876543210")
    os.utime(tmp_path / "big.bin", ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))
    assert kinds(workdir.scan(tmp_path, tree, manifest=manifest)) == {b"big.bin": "modified"}


def test_state_and_manifest_round_trip(tmp_path: Path) -> None:
    state = workdir.State("acme", "api", 3, server="127.0.0.1:1", session_id="s1")
    workdir.save_state(tmp_path, state)
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert workdir.find_root(sub) == tmp_path.resolve()
    assert workdir.load_state(tmp_path) == state
    odd = b"caf\xe9/\xff\xfe"
    manifest = workdir.Manifest({odd: workdir.FileRecord("ab" * 32, FileMode.EXECUTABLE, 7, 123)})
    workdir.save_manifest(tmp_path, manifest)
    loaded = workdir.load_manifest(tmp_path)
    assert loaded.files == manifest.files
    assert loaded.stamp_ns > 0


def test_corrupt_state_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / ".mic").mkdir()
    (tmp_path / ".mic" / "state.json").write_text("{not json")
    with pytest.raises(workdir.WorkdirError, match="unreadable"):
        workdir.load_state(tmp_path)


def test_write_file_modes_symlinks_and_checksums(tmp_path: Path) -> None:
    with workdir.open_root(tmp_path) as root:
        rec = workdir.write_file(
            root,
            b"bin/run",
            FileMode.EXECUTABLE,
            [b"#!", b"/bin/sh"],
            hashlib.sha256(b"#!/bin/sh").hexdigest(),
        )
        workdir.write_file(root, b"link", FileMode.SYMLINK, [b"bin/run"])
        workdir.write_file(root, b"empty", FileMode.FILE, [])
        with pytest.raises(workdir.WorkdirError, match="sha256"):
            workdir.write_file(root, b"bad", FileMode.FILE, [b"x"], "0" * 64)
    assert rec.size == 9 and rec.mode == FileMode.EXECUTABLE
    assert os.stat(tmp_path / "bin/run").st_mode & stat.S_IXUSR
    assert os.readlink(tmp_path / "link") == "bin/run"
    assert (tmp_path / "empty").read_bytes() == b""
    assert not (tmp_path / "bad").exists()
    tree = [
        entry(b"bin/run", b"#!/bin/sh", FileMode.EXECUTABLE),
        entry(b"link", b"bin/run", FileMode.SYMLINK),
        entry(b"empty", b""),
    ]
    assert workdir.scan(tmp_path, tree).changes == []


@pytest.mark.parametrize(
    "bad",
    [
        b"../escape",
        b"/abs",
        b"a/../../x",
        b".git/hooks/x",
        b"a/.mic/state.json",
        b"C:/x",
        b"a\\..\\..\\x",
    ],
)
def test_write_file_refuses_invalid_paths(tmp_path: Path, bad: bytes) -> None:
    with workdir.open_root(tmp_path) as root, pytest.raises(paths.InvalidPath):
        workdir.write_file(root, bad, FileMode.FILE, [b"x"])


def test_write_file_never_follows_a_symlinked_directory(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    root_dir = tmp_path / "root"
    outside.mkdir()
    root_dir.mkdir()
    with workdir.open_root(root_dir) as root:
        # A hostile tree: a symlink to outside, then a file "through" it.
        workdir.write_file(root, b"evil", FileMode.SYMLINK, [os.fsencode(outside)])
        with pytest.raises(workdir.WorkdirError, match="symlink"):
            workdir.write_file(root, b"evil/planted", FileMode.FILE, [b"x"])
    assert list(outside.iterdir()) == []


def test_remove_file_prunes_empty_directories(tmp_path: Path) -> None:
    with workdir.open_root(tmp_path) as root:
        workdir.write_file(root, b"a/b/c.txt", FileMode.FILE, [b"x"])
        workdir.write_file(root, b"a/keep.txt", FileMode.FILE, [b"x"])
        workdir.remove_file(root, b"a/b/c.txt")
        workdir.remove_file(root, b"a/b/never-existed")
    assert not (tmp_path / "a" / "b").exists()
    assert (tmp_path / "a" / "keep.txt").exists()


def test_scan_is_fast_enough_for_a_few_thousand_files(tmp_path: Path) -> None:
    tree = []
    for i in range(2000):
        content = f"file {i}\n".encode()
        write(tmp_path, f"d{i % 20}/f{i}.txt", content)
        tree.append(entry(f"d{i % 20}/f{i}.txt".encode(), content))
    started = time.monotonic()
    assert workdir.scan(tmp_path, tree).changes == []
    # Well under a second; the bound, generous for a loaded CI, catches a scan that went
    # quadratic in the files (each one compared with every tree entry) or re-reads them.
    assert time.monotonic() - started < 30
