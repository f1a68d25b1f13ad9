"""Running the real `mic` CLI against a real server for import tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def mic(
    *args: str,
    env: dict[str, str],
    check: bool = True,
    cwd: Path | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m micelio ARGS`` and return the finished process."""
    result = subprocess.run(
        [sys.executable, "-m", "micelio", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", **env},
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"mic {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


def mic_json(*args: str, env: dict[str, str]) -> Any:
    return json.loads(mic(*args, "--json", env=env).stdout)


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


def project_state(env: dict[str, str], project: str) -> list[tuple[Any, ...]]:
    """Everything that must be equal between two imports of the same history."""
    from micelio.client import MicClient

    org, name = project.split("/")
    state = []
    with MicClient(env["MIC_SERVER"], env["MIC_TOKEN"]) as client:
        for s in client.iter_sessions(org, name, oldest_first=True, page_size=1000):
            changes = tuple(
                (c.path, str(c.change_type), c.mode, c.size, c.sha256)
                for c in client.iter_changes(s.session_id, page_size=5000)
            )
            state.append(
                (
                    s.landing_position,
                    str(s.status),
                    s.goal,
                    s.external_id,
                    s.metadata["first_commit"],
                    s.metadata["last_commit"],
                    len(s.conversation),
                    changes,
                )
            )
    return state
