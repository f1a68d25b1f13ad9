"""The manifest and the cached trees are read once per process: a second read is the first's
records, unless the file was written since (by this process or another)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from micelio.vocabulary import FileMode
from micelio.workdir import trees
from micelio.workdir.state import FileRecord, Manifest, load_manifest, save_manifest
from micelio.workdir.trees import CachedFile, load_tree, save_tree

RECORD = FileRecord("a" * 64, FileMode.FILE, 3, 1_000)


def test_a_manifest_read_again_is_a_copy_of_what_was_read(tmp_path: Path) -> None:
    save_manifest(tmp_path, Manifest({b"a.txt": RECORD}))
    first = load_manifest(tmp_path)
    first.files[b"b.txt"] = RECORD  # a caller's edit, never saved
    again = load_manifest(tmp_path)
    assert again.files == {b"a.txt": RECORD}
    assert again.stamp_ns == (tmp_path / ".mic" / "manifest.json").stat().st_mtime_ns


def test_a_manifest_written_by_another_process_is_read_anew(tmp_path: Path) -> None:
    save_manifest(tmp_path, Manifest({b"a.txt": RECORD}))
    assert set(load_manifest(tmp_path).files) == {b"a.txt"}
    code = (
        "import sys; from pathlib import Path; from micelio.workdir.state import *; "
        "r = FileRecord('b' * 64, FileMode.FILE, 4, 2000); "
        "save_manifest(Path(sys.argv[1]), Manifest({b'b.txt': r}))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, env=env)
    assert set(load_manifest(tmp_path).files) == {b"b.txt"}
    (tmp_path / ".mic" / "manifest.json").write_text("not json")
    assert load_manifest(tmp_path).files == {}


def test_a_cached_tree_read_again_is_the_same_and_survives_a_caller_edit(tmp_path: Path) -> None:
    files = [CachedFile(b"a", FileMode.FILE, 1, "c" * 64)]
    save_tree(tmp_path, 3, files)
    files.append(CachedFile(b"b", FileMode.FILE, 1, "d" * 64))  # the caller's list, changed
    first = load_tree(tmp_path, 3)
    assert first is not None and [f.path for f in first] == [b"a"]
    first.clear()
    again = load_tree(tmp_path, 3)
    assert again is not None and [f.path for f in again] == [b"a"]
    (tmp_path / ".mic" / "trees" / "3").write_bytes(b"mic-tree 1\n")  # another writer
    assert load_tree(tmp_path, 3) == []
    assert len(trees._memo) <= trees.KEEP
