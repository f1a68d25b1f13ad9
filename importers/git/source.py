"""Where a repository to import comes from: a local path, or a URL cloned into a cache."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# "scheme://..." or scp-like "user@host:path"; a local path that exists always wins.
_URL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|[^/@:\s]+@[^/:\s]+:)")
_PROGRESS = re.compile(rb"([A-Za-z ]+):\s+(\d+)% \((\d+)/(\d+)\)")

ProgressCallback = Callable[[str, int, int], None]


class SourceError(Exception):
    """The repository cannot be read."""


@dataclass(frozen=True, slots=True)
class Source:
    location: str  # what the user named: an absolute path or the URL
    git_dir: Path  # where git reads it (the cache for a URL)
    is_url: bool


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("MIC_CACHE_DIR", Path(base) / "mic")) / "git"


def git_dir_of(path: Path) -> Path | None:
    """The git directory of a repository at ``path`` (bare or not), else None."""
    result = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "--absolute-git-dir"],
        capture_output=True,
    )
    if result.returncode != 0:
        return None
    return Path(os.fsdecode(result.stdout.strip()))


def resolve(repo: str, on_progress: ProgressCallback | None = None) -> Source:
    """A local repository as is; a URL is mirrored into the cache (fetched when cached)."""
    path = Path(repo).expanduser()
    if path.exists():
        git_dir = git_dir_of(path)
        if git_dir is None:
            raise SourceError(f"not a git repository: {repo}")
        return Source(str(path.resolve()), git_dir, is_url=False)
    if not _URL.match(repo):
        raise SourceError(f"no such repository: {repo}")
    target = cache_root() / hashlib.sha256(repo.encode()).hexdigest()[:24]
    if (target / "HEAD").exists():
        _git_with_progress(
            [
                "git",
                "-C",
                str(target),
                "fetch",
                "--progress",
                "--prune",
                "origin",
                "+refs/*:refs/*",
            ],
            repo,
            on_progress,
        )
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        subprocess.run(["rm", "-rf", str(partial)], check=False)
        _git_with_progress(
            ["git", "clone", "--mirror", "--progress", repo, str(partial)], repo, on_progress
        )
        partial.rename(target)
    return Source(repo, target, is_url=True)


def _git_with_progress(args: list[str], repo: str, on_progress: ProgressCallback | None) -> None:
    """Run a clone/fetch, turning git's stderr progress lines into callbacks."""
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "LC_ALL": "C"}
    )
    assert proc.stderr is not None
    tail = b""
    last_lines: list[bytes] = []
    while chunk := proc.stderr.read1(65536) if hasattr(proc.stderr, "read1") else b"":
        tail += chunk
        *lines, tail = re.split(rb"[\r\n]", tail)
        for line in lines:
            if line.strip():
                last_lines = [*last_lines[-4:], line]
            match = _PROGRESS.search(line)
            if match and on_progress:
                on_progress(
                    match.group(1).decode().strip(), int(match.group(3)), int(match.group(4))
                )
    if proc.wait() != 0:
        detail = last_lines[-1].decode("utf-8", "replace").strip() if last_lines else ""
        raise SourceError(f"cannot fetch {repo}: {detail or 'git failed'}")
