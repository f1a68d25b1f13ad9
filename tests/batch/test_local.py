"""`mic migrate run --workers N` end to end: real CLI, real server process, real git."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from micelio.client import MicClient
from micelio.testing import MicServer
from tests.support.cli import Result, mic, mic_json, spawn_mic
from tests.support.fixture_types import MicServerFactory
from tests.support.gitrepo import first_parent_chain
from tests.support.migrations import BIG_COMMITS, FIXTURES, wait_mid_import, write_manifest


@pytest.fixture(scope="module")
def server(mic_server: MicServerFactory) -> MicServer:
    return mic_server()


def _heads(server: MicServer, projects: list[str]) -> dict[str, int]:
    with MicClient(server.address, server.token) as client:
        return {p: client.get_project(*p.split("/")).head_position for p in projects}


def _run(manifest: Path, server: MicServer, *args: str) -> tuple[Result, Any]:
    result = mic("migrate", "run", str(manifest), "--json", *args, env=server.env, check=False)
    return result, json.loads(result.stdout)


def test_local_job_reports_each_repository(
    server: MicServer, fixture_repos: dict[str, Path], tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path / "m.toml", fixture_repos, "local")
    result, report = _run(manifest, server, "--workers", "2")

    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: job {report['job_id']}: 1 of 6 repositories failed (see the report)"
    )
    assert report["format"] == 1 and report["state"] == "finished"
    assert report["counts"] == {"total": 6, "queued": 0, "running": 0, "done": 5, "failed": 1}
    by_project = {r["project"]: r for r in report["repositories"]}
    broken = by_project["local/broken"]
    assert broken["status"] == "failed"
    assert "names no commit" in broken["error"] and str(fixture_repos["broken"]) in broken["error"]
    assert broken["sessions"] == 0 and broken["commits"] == 0

    heads = _heads(server, [f"local/{n}" for n in FIXTURES])
    for name in FIXTURES:
        row = by_project[f"local/{name}"]
        chain = first_parent_chain(fixture_repos[name])
        assert row["status"] == "done" and row["error"] == "", row
        assert row["commits"] == row["commits_total"] == len(chain)
        assert row["last_commit"] == chain[-1]
        assert row["sessions"] == heads[f"local/{name}"] > 0
        assert row["changes"] > 0 and row["bytes"] > 0 and row["seconds"] > 0
        assert row["attempts"] == 1
    totals = report["totals"]
    assert totals["sessions"] == sum(heads.values())
    assert totals["commits"] == sum(len(first_parent_chain(fixture_repos[n])) for n in FIXTURES)

    # Every imported repository passes the real `mic verify`.
    verifies = [
        spawn_mic(
            "verify",
            f"local/{name}",
            str(fixture_repos[name]),
            env=server.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for name in FIXTURES
    ]
    for proc in verifies:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and out.startswith("ok:"), out + err

    # `report` and `status` read the same job back; the text form names the failure.
    assert mic_json("migrate", "report", report["job_id"], env=server.env) == report
    text = mic("migrate", "report", report["job_id"], env=server.env).stdout
    assert f"#6 local/broken: {broken['error']}" in text
    assert f"job {report['job_id']}: 5 done, 1 failed of 6" in text
    jobs = mic_json("migrate", "status", env=server.env)
    assert {"job_id": report["job_id"], "state": "finished"}.items() <= next(
        j for j in jobs if j["job_id"] == report["job_id"]
    ).items()

    # Running the finished job again imports nothing (the failed one is tried again, and
    # fails again).
    again, second = _run(manifest, server, "--workers", "2")
    assert again.returncode == 1 and second["job_id"] == report["job_id"]
    assert _heads(server, [f"local/{n}" for n in FIXTURES]) == heads
    for before, after in zip(report["repositories"], second["repositories"], strict=True):
        if before["status"] == "done":
            assert after == before
        else:
            assert after["status"] == "failed" and after["attempts"] == 2


def test_whole_batch_killed_then_run_again(
    server: MicServer, fixture_repos: dict[str, Path], big_repo: Path, tmp_path: Path
) -> None:
    """kill -9 of the command and its workers mid-repository; the next run finishes the job
    with nothing landed twice and nothing skipped."""
    repos = {"big": big_repo, "merge": fixture_repos["merge"], "tags": fixture_repos["tags"]}
    manifest = write_manifest(
        tmp_path / "m.toml", repos, "killed", extra='[job]\nname = "killed-batch"'
    )
    manifest.write_text(
        manifest.read_text().replace(
            '[defaults]\nstrategy = "auto"', '[defaults]\nstrategy = "commit"'
        )
    )
    proc = spawn_mic(
        "migrate",
        "run",
        str(manifest),
        "--workers",
        "2",
        "--lease",
        "3",
        env=server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_mid_import(server, "killed-batch", 0, "killed/big", sessions=60)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    with MicClient(server.address, server.token) as client:
        assert client.get_job("killed-batch").repositories[0].status == "running"
        assert 60 <= client.get_project("killed", "big").head_position < BIG_COMMITS

    result, report = _run(manifest, server, "--workers", "2", "--lease", "3")
    assert result.returncode == 0, result.stderr
    rows = report["repositories"]
    assert [r["status"] for r in rows] == ["done"] * 3
    assert rows[0]["attempts"] == 2
    assert rows[0]["sessions"] == rows[0]["commits"] == BIG_COMMITS
    out = mic("verify", "killed/big", str(big_repo), env=server.env).stdout
    assert out.startswith(f"ok: {BIG_COMMITS} sessions"), out
