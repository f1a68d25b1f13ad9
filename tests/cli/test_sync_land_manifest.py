"""A land updates the manifest in place for the files it sent: the next status hashes
nothing and sees nothing changed, the sent file is recorded with the sha256 the server
stored, a deleted one is gone, and the landed position's tree is derived, not fetched."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from micelio.workdir import state, trees
from micelio.workdir.scan import scan
from micelio.workdir.state import load_manifest, load_state
from micelio.workdir.trees import load_tree
from tests.support.cli import Mic
from tests.support.workfiles import write


def test_a_land_updates_the_manifest_in_place(mic: Mic, tmp_path: Path) -> None:
    org = f"m{uuid.uuid4().hex[:8]}"
    mic(tmp_path, "org", "create", org)
    mic(tmp_path, "project", "create", f"{org}/p")
    work = tmp_path / "work"
    mic(tmp_path, "checkout", f"{org}/p", str(work))
    mic(work, "session", "start", "seed")
    for n in range(5):
        write(work, f"src/f{n}.txt", b"file %d\n" % n)
    mic(work, "session", "land")
    before = load_manifest(work).files

    mic(work, "session", "start", "one edit")
    write(work, "src/f1.txt", b"edited\n")
    (work / "src" / "f2.txt").unlink()
    write(work, "new.txt", b"new\n")
    mic(work, "session", "land")

    state._memo.clear()  # what is on disk, not this process's copy
    trees._memo.clear()
    manifest = load_manifest(work).files
    assert manifest[b"src/f1.txt"].sha256 == hashlib.sha256(b"edited\n").hexdigest()
    assert manifest[b"new.txt"].sha256 == hashlib.sha256(b"new\n").hexdigest()
    assert b"src/f2.txt" not in manifest
    for kept in (b"src/f0.txt", b"src/f3.txt", b"src/f4.txt"):
        assert manifest[kept] == before[kept]
    base = load_state(work)
    assert base is not None and base.base_position == 2
    tree = load_tree(work, 2)  # derived from position 1's and the session's changes
    assert tree is not None
    assert sorted(f.path for f in tree) == [
        b"new.txt",
        b"src/f0.txt",
        b"src/f1.txt",
        b"src/f3.txt",
        b"src/f4.txt",
    ]
    result = scan(work, tree, manifest=load_manifest(work))
    assert result.changes == [] and result.hashed == []
    assert mic(work, "status", "--json").json()["changes"] == []
