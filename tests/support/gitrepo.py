"""Git repositories for the tests: commands with fixed identities and dates, and independent
views of a repository straight from git, to check the importer against."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from importers.git.gitcmd import run_git

Entry = tuple[int, str]


def ls_tree(repo: Path, commit: str) -> dict[bytes, Entry]:
    """``git ls-tree -r -z`` of a commit: path -> (mode, oid)."""
    out = run_git(repo, ["ls-tree", "-r", "-z", "--full-tree", commit])
    tree: dict[bytes, Entry] = {}
    for entry in out.split(b"\0"):
        if entry:
            meta, path = entry.split(b"\t", 1)
            mode, _type, oid = meta.split(b" ")
            tree[path] = (int(mode, 8), oid.decode())
    return tree


def cat_file(repo: Path, kind: str, oid: str) -> bytes:
    return run_git(repo, ["cat-file", kind, oid])


def child_processes() -> set[int]:
    """Live children of this process (Linux), to catch leaked git processes."""
    me = str(os.getpid())
    children: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[1] == me:  # zombies count: a git process nobody waited for
            children.add(int(entry.name))
    return children


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    fixed = {
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.com",
        "GIT_COMMITTER_NAME": "Test Committer",
        "GIT_COMMITTER_EMAIL": "committer@example.com",
        "GIT_AUTHOR_DATE": "2020-01-01T00:00:00+0000",
        "GIT_COMMITTER_DATE": "2020-01-01T00:00:00+0000",
    }
    out = subprocess.run(
        ["git", "-C", str(repo), *args],
        env={**os.environ, **fixed, **(env or {})},
        capture_output=True,
        check=True,
    )
    return out.stdout.decode()


def first_parent_chain(repo: Path, ref: str = "HEAD") -> list[str]:
    return git(repo, "rev-list", "--first-parent", "--reverse", ref).split()
