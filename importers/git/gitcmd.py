"""Running ``git`` subprocesses against one repository, safely and quietly."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

# Variables that would point git at another repository than the one we name (a hook or an
# alias exports them), or that change which objects it reads.
_REPO_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_SHALLOW_FILE",
    "GIT_GRAFT_FILE",
    "GIT_QUARANTINE_PATH",
    "GIT_REPLACE_REF_BASE",
)

#: Grafts are read from this file: one that cannot exist (``/dev/null`` is no directory), so
#: ``info/grafts`` is ignored as ``GIT_NO_REPLACE_OBJECTS`` ignores replace refs.
NO_GRAFT_FILE = "/dev/null/no-grafts"

# Options for every command: paths as bytes, no user setting that changes what we parse, and
# bounded memory: git maps pack files in windows of up to 1 GiB and keeps up to 8 GiB mapped by
# default, so on a large repository a long-lived cat-file's RSS would grow to the pack's size.
BASE_OPTIONS = (
    "-c",
    "core.packedGitWindowSize=32m",
    "-c",
    "core.packedGitLimit=256m",
    "-c",
    "core.quotePath=false",
    "-c",
    "log.showSignature=false",
    "-c",
    "color.ui=false",
    "--no-pager",
)

RepoPath = str | os.PathLike[str]


class GitError(RuntimeError):
    """A git command failed; ``stderr`` holds what it said."""

    def __init__(self, args: Sequence[str], returncode: int, stderr: bytes) -> None:
        self.args_ = list(args)
        self.returncode = returncode
        self.stderr = stderr
        text = stderr.decode("utf-8", "replace").strip()
        super().__init__(f"git {' '.join(args)} failed ({returncode}): {text}")


def git_env(repo: RepoPath) -> dict[str, str]:
    """The environment for git: no inherited repository, no discovery above ``repo``, no
    replace refs and no grafts."""
    env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV}
    # Without a ceiling, a path that is not a repository silently finds an enclosing one.
    env["GIT_CEILING_DIRECTORIES"] = str(Path(repo).resolve().parent)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"
    # What git hides from history must stay hidden from the import: ``git replace`` and
    # grafts substitute other objects or parents for the ones the commits name, so an import
    # (and a verify) reading through them would record a history that is not the repository's.
    env["GIT_NO_REPLACE_OBJECTS"] = "1"
    env["GIT_GRAFT_FILE"] = NO_GRAFT_FILE
    return env


def git_argv(repo: RepoPath, args: Sequence[str]) -> list[str]:
    return ["git", "-C", str(repo), *BASE_OPTIONS, *args]


def run_git(repo: RepoPath, args: Sequence[str], *, input: bytes | None = None) -> bytes:
    """Run git to completion and return its stdout; raise :class:`GitError` on failure."""
    result = subprocess.run(
        git_argv(repo, args),
        input=input,
        capture_output=True,
        env=git_env(repo),
        check=False,
    )
    if result.returncode != 0:
        raise GitError(args, result.returncode, result.stderr)
    return result.stdout


class ClosedOnExit:
    """``with`` support for an object whose ``close()`` ends the git processes it started."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError


class GitProcess:
    """A running git command whose stdout we stream; stderr goes to a file (no pipe deadlock)."""

    def __init__(
        self,
        repo: RepoPath,
        args: Sequence[str],
        *,
        stdin: int | IO[bytes] | None = subprocess.DEVNULL,
        bufsize: int = 1 << 16,
    ) -> None:
        self.args = list(args)
        # Closed in finish()/kill(): the file outlives this call on purpose.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(
                git_argv(repo, args),
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=git_env(repo),
                bufsize=bufsize,
            )
        except BaseException:
            self._stderr.close()
            raise
        assert self.proc.stdout is not None
        self.stdout: IO[bytes] = self.proc.stdout
        self.stdin: IO[bytes] | None = self.proc.stdin

    def stderr_text(self) -> bytes:
        self._stderr.seek(0)
        return self._stderr.read()

    def finish(self) -> None:
        """Wait for a normal end; raise :class:`GitError` if git failed."""
        if self.stdin is not None and not self.stdin.closed:
            self.stdin.close()
        self.stdout.close()
        code = self.proc.wait()
        try:
            if code != 0:
                raise GitError(self.args, code, self.stderr_text())
        finally:
            self._stderr.close()

    def kill(self) -> None:
        """Stop early (the reader lost interest or failed); never raises for git's state."""
        if self.proc.poll() is None:
            self.proc.kill()
        for stream in (self.stdin, self.stdout):
            if stream is not None and not stream.closed:
                with contextlib.suppress(OSError):  # a broken pipe on flush: git is gone
                    stream.close()
        self.proc.wait()
        self._stderr.close()


@contextlib.contextmanager
def git_stream(
    repo: RepoPath, args: Sequence[str], *, stdin: int | IO[bytes] | None = subprocess.DEVNULL
) -> Iterator[GitProcess]:
    """A :class:`GitProcess` that is checked when the block ends normally, killed otherwise."""
    process = GitProcess(repo, args, stdin=stdin)
    try:
        yield process
    except BaseException:
        process.kill()
        raise
    process.finish()


def empty_tree(repo: RepoPath) -> str:
    """The empty tree's id in this repository's hash (SHA-1 or SHA-256)."""
    return run_git(repo, ["hash-object", "-t", "tree", "/dev/null"]).decode().strip()


def split_nul(stream: IO[bytes], chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """The NUL-terminated tokens of a stream, read in large chunks (a final unterminated
    token is yielded too, when not empty)."""
    read = getattr(stream, "read1", stream.read)  # read1: what the pipe holds, no waiting
    rest = b""
    while True:
        chunk = read(chunk_size)
        if not chunk:
            break
        parts = (rest + chunk).split(b"\0")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest
