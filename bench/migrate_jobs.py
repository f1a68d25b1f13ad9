"""Benchmark: a batch migration of N repositories with 1, 2 and 4 local workers.

usage: python bench/migrate_jobs.py [--repos 20] [--commits 150] [--megabytes 4]
                                    [--workers 1,2,4] [--workdir /tmp/mic-bench-migrate]

Builds (once, cached in the workdir) N synthetic repositories with bench/synthetic_repo.py
(each its own seed: different sizes of history are not needed, the same shape is fairer),
then for each worker count starts a fresh server process on loopback (SQLite, local objects)
and times `mic migrate run MANIFEST --workers W` end to end, command start-up included.
Prints seconds, repositories/min and commits/s per worker count, and the CPU seconds spent by
the server process and by the command (its workers and their git processes): where the time
goes when adding workers stops helping.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def build_repos(workdir: Path, count: int, commits: int, megabytes: int) -> list[Path]:
    repos = []
    for k in range(count):
        dest = workdir / "repos" / f"r{k:02d}-{commits}c-{megabytes}m.git"
        if not (dest / "HEAD").exists():
            shutil.rmtree(dest, ignore_errors=True)
            subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "bench" / "synthetic_repo.py"),
                    str(dest),
                    "--commits",
                    str(commits),
                    "--megabytes",
                    str(megabytes),
                ],
                check=True,
                capture_output=True,
            )
        repos.append(dest)
    return repos


def write_manifest(path: Path, repos: list[Path], org: str) -> None:
    lines = []
    for repo in repos:
        lines += ["[[repository]]", f'source = "{repo}"', f'project = "{org}/{repo.stem}"', ""]
    path.write_text("\n".join(lines))


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "micelio.server",
            "start",
            "--data-dir",
            str(data_dir),
            "--listen",
            "127.0.0.1:0",
            "--web",
            "off",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(data_dir / "server.log").open("wb"),
    )
    info = data_dir / "server.json"
    deadline = time.monotonic() + 60
    while not info.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"the server did not start (see {data_dir / 'server.log'})")
        time.sleep(0.05)
    address = json.loads(info.read_text())["address"]
    token = (data_dir / "admin.token").read_text().strip()
    return proc, {"MIC_SERVER": address, "MIC_TOKEN": token}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_job(workdir: Path, repos: list[Path], workers: int) -> dict[str, Any]:
    """Seconds, the report, and the CPU seconds of the server and of the command (its worker
    processes and their git subprocesses included)."""
    proc, env = start_server(workdir / f"server-{workers}")
    manifest = workdir / f"job-{workers}.toml"
    write_manifest(manifest, repos, f"bench{workers}")
    try:
        server_before, client_before = cpu_seconds(proc.pid), children_cpu()
        start = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "micelio",
                "migrate",
                "run",
                str(manifest),
                "--workers",
                str(workers),
                "--json",
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        server_cpu = cpu_seconds(proc.pid) - server_before
        client_cpu = children_cpu() - client_before
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    if done.returncode != 0:
        sys.exit(f"mic migrate run failed:\n{done.stderr}")
    return {
        "seconds": seconds,
        "report": json.loads(done.stdout),
        "server_cpu": server_cpu,
        "client_cpu": client_cpu,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--commits", type=int, default=150)
    parser.add_argument("--megabytes", type=int, default=4)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mic-bench-migrate"))
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]

    t0 = time.perf_counter()
    repos = build_repos(args.workdir, args.repos, args.commits, args.megabytes)
    print(
        f"{len(repos)} repositories of {args.commits} commits, ~{args.megabytes} MB each "
        f"(built in {time.perf_counter() - t0:.1f} s); {os.cpu_count()} CPUs"
    )
    print(
        f"{'workers':>7}  {'seconds':>8}  {'repos/min':>9}  {'commits/s':>9}  "
        f"{'sessions':>8}  {'server CPU s':>12}  {'workers CPU s':>13}"
    )
    for workers in counts:
        run = run_job(args.workdir, repos, workers)
        seconds, report = run["seconds"], run["report"]
        totals = report["totals"]
        assert report["counts"]["done"] == len(repos), report["counts"]
        print(
            f"{workers:>7}  {seconds:>8.1f}  {len(repos) / seconds * 60:>9.1f}  "
            f"{totals['commits'] / seconds:>9.0f}  {totals['sessions']:>8}  "
            f"{run['server_cpu']:>12.1f}  {run['client_cpu']:>13.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
