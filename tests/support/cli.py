"""The one way tests run the `mic` CLI: in process, or as a real process.

- ``invoke(*args, env=...)`` runs the CLI in this process through typer's ``CliRunner`` (click's
  testing style): argument parsing, output and error lines, at no process start-up cost. It
  goes through ``errors.run`` like ``python -m micelio``, so failures are the same one line
  and exit code. The server it talks to is still a real process.
- ``mic(*args, env=...)`` runs ``python -m micelio`` as a subprocess and ``spawn_mic`` starts
  one in the background: for the end-to-end tests (signals, kill -9, the real entry point).

Both return a ``Result``; ``check=True`` turns a non-zero exit into an ``AssertionError`` that
shows the output.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]

# MIC_DEBUG=1 would re-raise instead of printing the one-line error the tests look at; a wide
# terminal keeps rich from wrapping the text output the tests read.
_FIXED_ENV = {"MIC_DEBUG": "", "COLUMNS": "200"}

# Variables added to the environment of a run; None removes one (as click's CliRunner does).
Env = Mapping[str, str | None]


@dataclass(frozen=True)
class Result:
    """A finished `mic` run; the field names follow ``subprocess.CompletedProcess``."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def check(self) -> Result:
        if self.returncode != 0:
            raise AssertionError(
                f"mic {' '.join(self.args)} exited {self.returncode}\n{self.stdout}\n{self.stderr}"
            )
        return self


def invoke(
    *args: str,
    env: Env,
    cwd: Path | None = None,
    check: bool = True,
    input: str | None = None,
    app: typer.Typer | None = None,
) -> Result:
    """Run ``mic ARGS`` in this process, in ``cwd``, with ``env`` added to the environment
    (``app``: another typer app run the same way, for tests of ``errors.run`` itself)."""
    from micelio.cli import errors
    from micelio.cli.main import build

    app = app or build()
    runner = CliRunner()
    code = 0
    with (
        contextlib.chdir(cwd or ROOT),
        runner.isolation(input=input, env={**_FIXED_ENV, **env}) as (out, err, _),
    ):
        try:
            errors.run(app, list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    result = Result(args, code, stdout, stderr)
    return result.check() if check else result


def invoke_json(*args: str, env: Env, cwd: Path | None = None) -> Any:
    """``mic ARGS --json`` in this process, its output parsed."""
    return invoke(*args, "--json", env=env, cwd=cwd).json()


def process_env(env: Env) -> dict[str, str]:
    """The environment of a `mic` subprocess: ours, this checkout first on the path, ``env``."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    merged = {**os.environ, "PYTHONPATH": path, **_FIXED_ENV, **env}
    return {key: value for key, value in merged.items() if value is not None}


def spawn_mic(*args: str, env: Env, cwd: Path | None = None, **popen: Any) -> subprocess.Popen[str]:
    """Start ``python -m micelio ARGS`` in the background (``popen`` as for ``Popen``)."""
    popen.setdefault("stdin", subprocess.DEVNULL)
    popen.setdefault("text", True)
    return subprocess.Popen(
        [sys.executable, "-m", "micelio", *args],
        env=process_env(env),
        cwd=cwd or ROOT,
        **popen,
    )


def mic(
    *args: str,
    env: Env,
    cwd: Path | None = None,
    check: bool = True,
    timeout: float = 600,
) -> Result:
    """Run ``python -m micelio ARGS`` as a real process and wait for it."""
    proc = spawn_mic(*args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    result = Result(args, proc.returncode, stdout, stderr)
    return result.check() if check else result


def mic_json(*args: str, env: Env, cwd: Path | None = None) -> Any:
    """``mic ARGS --json`` as a real process, its output parsed."""
    return mic(*args, "--json", env=env, cwd=cwd).json()


def assert_one_line_error(result: Result, code: int, *fragments: str) -> None:
    """The CLI's failure contract: exit ``code``, one ``error: ...`` line, no traceback."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@dataclass(frozen=True)
class Mic:
    """`mic` bound to a server's environment and run in a directory: ``mic(work, "session",
    "land")``; in this process by default, as a real process with ``in_process=False``."""

    env: Env
    in_process: bool = True

    def __call__(self, cwd: Path, *args: str, check: bool = True, env: Env | None = None) -> Result:
        run = invoke if self.in_process else mic
        return run(*args, env={**self.env, **(env or {})}, cwd=cwd, check=check)
