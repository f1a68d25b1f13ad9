"""Batch migrations for the tests: the fixture repositories a job imports, manifests, and
waiting for a job to be half done (to kill it there)."""

from __future__ import annotations

import time
from pathlib import Path

from micelio.client import JobRepository, MicClient
from micelio.testing import MicServer

FIXTURES = ("merge", "rename", "tags", "kitchen-sink", "encoding")
BIG_COMMITS = 1000  # commits of the big synthetic repository, enough to kill a job mid-way


def write_manifest(path: Path, repos: dict[str, Path], org: str, *, extra: str = "") -> Path:
    """A manifest importing each repository into ORG/NAME (``kitchen-sink`` per commit)."""
    lines = ["[defaults]", 'strategy = "auto"', extra, ""]
    for name, repo in repos.items():
        lines += ["[[repository]]", f'source = "{repo}"', f'project = "{org}/{name}"']
        if name == "kitchen-sink":
            lines.append('strategy = "commit"')
        lines.append("")
    path.write_text("\n".join(lines))
    return path


def wait_mid_import(
    server: MicServer, job_id: str, index: int, project: str, *, sessions: int, timeout: float = 120
) -> JobRepository:
    """The repository once a worker has claimed it and landed at least ``sessions`` sessions
    (read from the project itself: the job's figures come only with each lease renewal)."""
    org, name = project.split("/")
    deadline = time.monotonic() + timeout
    with MicClient(server.address, server.token) as client:
        while time.monotonic() < deadline:
            try:
                repo = client.get_job(job_id).repositories[index]
                head = client.get_project(org, name).head_position
            except Exception:  # not registered or created yet
                repo, head = None, 0
            if repo is not None and repo.status == "running" and head >= sessions:
                return repo
            time.sleep(0.02)
    raise AssertionError(f"repository {index} of {job_id} made no progress")
