"""The real `mic` CLI as a subprocess against a real server process on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Mic:
    """Runs ``python -m micelio ARGS`` with the server's environment."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = {
            **os.environ,
            **env,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "MIC_DEBUG": "",
        }

    def __call__(
        self, cwd: Path, *args: str, ok: bool = True, env: dict[str, str] | None = None
    ) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "micelio", *args],
            cwd=cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        result = Result(proc.returncode, proc.stdout, proc.stderr)
        if ok and proc.returncode != 0:
            raise AssertionError(
                f"mic {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
            )
        return result


def assert_one_line_error(result: Result, code: int, *fragments: str) -> None:
    assert result.code == code, (result.code, result.out, result.err)
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture(scope="module")
def server(mic_server: Callable[..., Any]) -> Any:
    # One server per module: starting one costs seconds, and tests use their own projects.
    srv = mic_server()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def mic(server: Any) -> Mic:
    return Mic(server.env)
