"""Benchmark: `mic import git` of a large synthetic history against `git fast-export`.

usage: python bench/import_speed.py [--commits 20000] [--megabytes 1024] [--strategy auto]
                                    [--workdir /tmp/mic-bench]

Builds (once, cached in the workdir) a synthetic repository with bench/synthetic_repo.py,
times `git fast-export` of the same ref as the reference, then a full import (walk, group,
land) into a fresh server process on loopback, and reports the ratio, commits/s, the CPU time
and the peak memory (VmHWM) of the importer and of the server.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from micelio.testing import start_mic_server  # noqa: E402


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, float, float, float, str]:
    """(seconds, own peak RSS MiB, peak RSS MiB of it or any child, CPU seconds of it and its
    children, stdout) of a process.

    The process's own high-water mark is polled from /proc while it runs (VmHWM only grows);
    wait4's figure also covers its children (for the importer: git cat-file, whose resident
    size is mostly the pack files it maps)."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    own = [0.0]

    def poll() -> None:
        while proc.poll() is None:
            try:
                own[0] = max(own[0], peak_rss_mib(proc.pid))
            except (OSError, ValueError):
                return
            time.sleep(0.2)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(args)} failed")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, own[0], usage.ru_maxrss / 1024, cpu, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--megabytes", type=int, default=1024)
    parser.add_argument("--strategy", default="auto")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "mic-bench")
    args = parser.parse_args()

    repo = args.workdir / f"synthetic-{args.commits}-{args.megabytes}.git"
    if not (repo / "HEAD").exists():
        print(f"building {repo} ...", flush=True)
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "synthetic_repo.py"),
                str(repo),
                "--commits",
                str(args.commits),
                "--megabytes",
                str(args.megabytes),
            ],
            check=True,
        )
    first_parent = int(
        subprocess.run(
            ["git", "-C", str(repo), "rev-list", "--first-parent", "--count", "main"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    export_s, _, _, _, _ = run_measured(
        ["sh", "-c", f"git -C '{repo}' fast-export main > /dev/null"], env
    )

    data_dir = args.workdir / "server-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    server = start_mic_server(data_dir)
    try:
        server_cpu_start = cpu_seconds(server.pid)
        import_s, import_rss, with_children_rss, import_cpu, out = run_measured(
            [
                sys.executable,
                "-m",
                "micelio",
                "import",
                "git",
                str(repo),
                "--project",
                "bench/synthetic",
                "--strategy",
                args.strategy,
                "--json",
                "--server",
                server.address,
                "--token",
                server.token,
            ],
            env,
        )
        server_rss = peak_rss_mib(server.pid)
        server_cpu = cpu_seconds(server.pid) - server_cpu_start
    finally:
        server.stop()
    summary = json.loads(out)
    print(
        f"repository: {first_parent} first-parent commits, "
        f"{summary['bytes_inline'] / 2**20:.0f} MiB inline + "
        f"{summary['bytes_stored'] / 2**20:.0f} MiB in object storage landed"
    )
    print(f"git fast-export main: {export_s:8.1f} s")
    print(
        f"mic import git:       {import_s:8.1f} s  ({import_s / export_s:.2f}x fast-export, "
        f"{summary['commits'] / import_s:,.0f} commits/s, {summary['sessions']} sessions, "
        f"strategy {args.strategy})"
    )
    print(
        f"CPU: importer with its git processes {import_cpu:.1f} s, server {server_cpu:.1f} s "
        f"({(import_cpu + server_cpu) / import_s:.2f} cores busy on average)"
    )
    print(
        f"peak memory: importer {import_rss:.0f} MiB (with its git processes "
        f"{with_children_rss:.0f} MiB), server {server_rss:.0f} MiB"
    )


if __name__ == "__main__":
    main()
