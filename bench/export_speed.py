"""Benchmark: `mic export git` against `git fast-export` of the same history, same run.

usage: python bench/export_speed.py [--commits 2000] [--megabytes 128] [--native 200]
                                    [--runs 5] [--workdir /tmp/mic-bench-export]

Builds (once, cached) a synthetic repository with bench/synthetic_repo.py, imports it into a
fresh server process on loopback and lands ``--native`` sessions on top (a few files each),
then alternates, ``--runs`` times: `git fast-export` of the exported branch (the same
history: the imported commits and the native ones) and a full `mic export git` into a new
repository (restoring the archive, writing every native commit, moving the refs). Prints the
median, minimum and maximum of each and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from micelio.client import Change, Message, MicClient, NewSession  # noqa: E402
from micelio.testing import start_mic_server  # noqa: E402
from micelio.vocabulary import ChangeType  # noqa: E402

PROJECT = "bench/export"


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def land_native(client: MicClient, count: int) -> None:
    """``count`` sessions of four new or changed files each, with a short conversation."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for k in range(count):
        changes = [
            Change(
                f"native/{k % 50}/file{j}.txt",
                ChangeType.ADDED if k < 50 else ChangeType.MODIFIED,
                f"session {k} file {j}\n".encode() * 40,
            )
            for j in range(4)
        ]
        client.land(
            changes,
            create=NewSession(
                organization="bench",
                project="export",
                goal=f"Native session {k}",
                conversation=[Message("human", f"please do step {k}", "bench")],
            ),
            started_at=at + timedelta(minutes=k),
            landed_at=at + timedelta(minutes=k, seconds=30),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--megabytes", type=int, default=128)
    parser.add_argument("--native", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "mic-bench-export"
    )
    args = parser.parse_args()
    repo = args.workdir / f"synthetic-{args.commits}-{args.megabytes}.git"
    if not (repo / "HEAD").exists():
        print(f"building {repo} ...", flush=True)
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "synthetic_repo.py"), str(repo),
             "--commits", str(args.commits), "--megabytes", str(args.megabytes)],
            check=True,
        )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    data_dir = args.workdir / "server-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    server = start_mic_server(data_dir)
    mic = [sys.executable, "-m", "micelio"]
    auth = ["--server", server.address, "--token", server.token]
    try:
        print("importing and landing native sessions (not timed) ...", flush=True)
        subprocess.run(
            [*mic, "import", "git", str(repo), "--project", PROJECT, *auth],
            env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        with MicClient(server.address, server.token) as client:
            land_native(client, args.native)
            sessions = client.get_project("bench", "export").head_position
        reference = args.workdir / "reference.git"
        shutil.rmtree(reference, ignore_errors=True)
        subprocess.run([*mic, "export", "git", PROJECT, str(reference), *auth], env=env,
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        commits = subprocess.run(
            ["git", "-C", str(reference), "rev-list", "--count", "main"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        fast_export: list[float] = []
        export: list[float] = []
        for run in range(args.runs):
            fast_export.append(
                timed(["sh", "-c", f"git -C '{reference}' fast-export main > /dev/null"], env)
            )
            dest = args.workdir / f"export-{run}.git"
            shutil.rmtree(dest, ignore_errors=True)
            export.append(timed([*mic, "export", "git", PROJECT, str(dest), *auth], env))
            shutil.rmtree(dest, ignore_errors=True)
    finally:
        server.stop()
    print(f"history: {commits} commits ({sessions} sessions, {args.native} native on top)")
    for name, times in (("git fast-export main", fast_export), ("mic export git", export)):
        print(
            f"{name:<22} median {statistics.median(times):7.2f} s  "
            f"(min {min(times):.2f}, max {max(times):.2f}, {len(times)} runs)"
        )
    ratio = statistics.median(export) / statistics.median(fast_export)
    print(f"ratio of medians: mic export git = {ratio:.1f}x git fast-export")


if __name__ == "__main__":
    main()
