"""Fixtures of the batch migration tests: Redis, fixture repositories, two servers.

- ``redis_url`` (session): a ``redis-server`` on a free 127.0.0.1 port, no persistence,
  stopped by PID at the end. FAILS when redis-server is not installed (scripts/setup --test).
- ``fixture_repos`` (session): five fixture repositories (fixtures/build.py) and ``broken``,
  one whose objects are truncated: six repositories, one of them corrupt.
- ``big_repo`` (session): bench/synthetic_repo.py with ``helpers.BIG_COMMITS`` commits and
  60 MB, big enough to kill a worker in the middle of it.
- ``two_servers`` (session): two mic server processes sharing one PostgreSQL database and one
  SeaweedFS bucket (the second started on the first one's URLs, with its own data dir).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from micelio.testing import MicServer, start_mic_server, stop_pid, wait_until
from tests.support.fixture_types import MicServerFactory
from tests.support.migrations import BIG_COMMITS, FIXTURES
from tests.support.procs import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed: run scripts/setup --test", pytrace=False)
    work = tmp_path_factory.mktemp("redis")
    port = free_port()
    log = work / "redis.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                server,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(work),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        from redis import Redis

        wait_until(
            lambda: Redis.from_url(url).ping(), timeout=30, what="redis-server", alive=proc, log=log
        )
        yield url
    finally:
        stop_pid(proc.pid, timeout=10, proc=proc)


@pytest.fixture(scope="session")
def fixture_repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    dest = tmp_path_factory.mktemp("batch-repos")
    repos = {}
    for name in FIXTURES:
        repos[name] = _build(name, dest / name)
    broken = _build("rename", dest / "broken")
    for obj in (broken / ".git" / "objects").rglob("*"):
        if obj.is_file():  # every object cut short: git cannot read a commit any more
            obj.chmod(0o644)
            with obj.open("r+b") as f:
                f.truncate(10)
    repos["broken"] = broken
    return repos


@pytest.fixture(scope="session")
def big_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("batch-big") / "big.git"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "synthetic_repo.py"),
            str(dest),
            "--commits",
            str(BIG_COMMITS),
            "--megabytes",
            "60",
        ],
        check=True,
        capture_output=True,
    )
    return dest


def _build(name: str, dest: Path) -> Path:
    subprocess.run(
        [sys.executable, str(ROOT / "fixtures" / "build.py"), name, str(dest)],
        check=True,
        capture_output=True,
    )
    return dest


@pytest.fixture(scope="session")
def two_servers(
    mic_server: MicServerFactory, tmp_path_factory: pytest.TempPathFactory
) -> tuple[MicServer, MicServer]:
    """Two mic server processes on one PostgreSQL database and one SeaweedFS bucket prefix."""
    first = mic_server(db="postgres", storage="s3")
    second = start_mic_server(
        tmp_path_factory.mktemp("mic-server-b"),
        db_url=first.db_url,
        storage_url=first.storage_url,
        extra_env=first.extra_env,
    )
    return first, second
