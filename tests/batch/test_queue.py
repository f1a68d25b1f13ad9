"""`mic migrate run --queue` with `mic migrate worker`s: rq on a real Redis, two mic servers on
one PostgreSQL database and one SeaweedFS bucket, and a worker killed with -9 mid-repository."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from importers.batch.manifest import load
from micelio.client import MicClient
from micelio.testing import MicServer, stop_pid
from tests.support.cli import mic, spawn_mic
from tests.support.migrations import BIG_COMMITS, FIXTURES, wait_mid_import, write_manifest

pytestmark = [pytest.mark.postgres, pytest.mark.s3]


def _cli(args: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.Popen[str]:
    return spawn_mic(*args, env=env, **kwargs)


def test_queue_job_survives_a_killed_worker(
    two_servers: tuple[MicServer, MicServer],
    redis_url: str,
    fixture_repos: dict[str, Path],
    big_repo: Path,
    tmp_path: Path,
) -> None:
    first, second = two_servers
    repos = {"big": big_repo, **fixture_repos}
    manifest = write_manifest(tmp_path / "m.toml", repos, "queued")
    job_id = load(manifest).job_id
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    # One worker lands through each server.
    workers = [
        _cli(
            ["migrate", "worker", "--queue", redis_url, "--server", server.address, "--lease", "3"],
            server.env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        for server, log in zip((first, second), logs, strict=True)
    ]
    try:
        run = _cli(
            ["migrate", "run", str(manifest), "--queue", redis_url, "--json"],
            first.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        big = wait_mid_import(first, job_id, 0, "queued/big", sessions=60)
        victim = int(big.worker.rsplit(":", 1)[1])
        assert victim in [w.pid for w in workers], (big.worker, [w.pid for w in workers])
        os.kill(victim, signal.SIGKILL)
        out, err = run.communicate(timeout=240)
        assert run.returncode == 1, err  # the broken repository
        report = json.loads(out)

        assert report["job_id"] == job_id and report["state"] == "finished"
        assert report["counts"] == {
            "total": 7,
            "queued": 0,
            "running": 0,
            "done": 6,
            "failed": 1,
        }, report
        rows = {r["project"]: r for r in report["repositories"]}
        assert rows["queued/broken"]["status"] == "failed"
        assert "names no commit" in rows["queued/broken"]["error"]
        assert rows["queued/big"]["attempts"] == 2
        assert rows["queued/big"]["commits"] == BIG_COMMITS
        survivor = next(w for w in workers if w.pid != victim)
        assert rows["queued/big"]["worker"].endswith(f":{survivor.pid}")

        # Every repository passes the real `mic verify`, read through the other server.
        checks = [
            (
                name,
                _cli(
                    ["verify", f"queued/{name}", str(repo)],
                    second.env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                ),
            )
            for name, repo in repos.items()
            if name != "broken"
        ]
        for name, proc in checks:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0 and out.startswith("ok:"), (name, out, err)

        # The finished job run again through the queue imports nothing.
        with MicClient(second.address, second.token) as client:
            heads = {
                n: client.get_project("queued", n).head_position for n in repos if n != "broken"
            }
        again = mic(
            "migrate",
            "run",
            str(manifest),
            "--queue",
            redis_url,
            "--json",
            env=first.env,
            check=False,
        )
        second_report = json.loads(again.stdout)
        assert second_report["counts"]["done"] == 6
        with MicClient(first.address, first.token) as client:
            assert heads == {n: client.get_project("queued", n).head_position for n in heads}
        for before, after in zip(
            report["repositories"], second_report["repositories"], strict=True
        ):
            if before["status"] == "done":
                assert after == before
        assert set(FIXTURES) <= set(heads)
    finally:
        for worker in workers:
            stop_pid(worker.pid, timeout=10)
            worker.wait(timeout=10)  # reap it
