"""Where a repository to import comes from: a local path, or a URL cloned into a cache."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from importers.git.gitcmd import git_env

# "scheme://..." or scp-like "user@host:path"; a local path that exists always wins.
_URL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|[^/@:\s]+@[^/:\s]+:)")
_PROGRESS = re.compile(rb"([A-Za-z ]+):\s+(\d+)% \((\d+)/(\d+)\)")

ProgressCallback = Callable[[str, int, int], None]


class SourceError(Exception):
    """The repository cannot be read."""


class ShallowRepository(SourceError):
    """The repository's history is truncated (a shallow clone): importing it would record
    the truncated history as if it were the whole one."""


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
        env=git_env(path),  # no discovery of an enclosing repository
    )
    if result.returncode != 0:
        return None
    return Path(os.fsdecode(result.stdout.strip()))


def check_not_shallow(git_dir: Path, name: str) -> None:
    """Refuse a shallow repository: its oldest commits claim parents it does not have."""
    result = subprocess.run(
        ["git", "-C", str(git_dir), "rev-parse", "--is-shallow-repository"],
        capture_output=True,
        env=git_env(git_dir),
    )
    if result.returncode == 0 and result.stdout.strip() == b"true":
        raise ShallowRepository(
            f"{name} is a shallow clone: its history is truncated, and mic imports whole "
            "histories only (run `git fetch --unshallow` in it first)"
        )


def resolve(
    repo: str,
    on_progress: ProgressCallback | None = None,
    *,
    follow_redirects: bool = True,
    as_url: bool | None = None,
) -> Source:
    """A local repository as is; a URL is mirrored into the cache (fetched when cached).

    A shallow repository is refused (:class:`ShallowRepository`). A batch worker under a
    source policy reads exactly what was checked: ``as_url`` True (a URL, even if a local file
    has its name) or False (a path), and ``follow_redirects=False`` keeps git on the host
    the URL names.
    """
    path = Path(repo).expanduser()
    if as_url is not True and (path.exists() or as_url is False):
        git_dir = git_dir_of(path)
        if git_dir is None:
            raise SourceError(f"not a git repository: {repo}")
        check_not_shallow(git_dir, repo)
        return Source(str(path.resolve()), git_dir, is_url=False)
    if not _URL.match(repo):
        raise SourceError(f"no such repository: {repo}")
    redirects = [] if follow_redirects else ["-c", "http.followRedirects=false"]
    target = cache_root() / hashlib.sha256(repo.encode()).hexdigest()[:24]
    if (target / "HEAD").exists():
        _git_with_progress(
            [
                "git",
                "-C",
                str(target),
                *redirects,
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
            ["git", *redirects, "clone", "--mirror", "--progress", repo, str(partial)],
            repo,
            on_progress,
        )
        partial.rename(target)
    check_not_shallow(target, repo)
    return Source(repo, target, is_url=True)


def _git_with_progress(args: list[str], repo: str, on_progress: ProgressCallback | None) -> None:
    """Run a clone/fetch, turning git's stderr progress lines into callbacks."""
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=git_env(cache_root())
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
