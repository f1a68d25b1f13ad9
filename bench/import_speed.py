"""Benchmark: `mic import git` of a real or synthetic history against `git fast-export`.

usage: python bench/import_speed.py [--repo PATH_OR_URL] [--ref REF] [--strategy auto]
                                    [--runs 3] [--plan] [--commits 20000] [--megabytes 1024]
                                    [--db URL --storage URL] [--workdir /tmp/mic-bench]

Without ``--repo``, builds (once, cached in the workdir) a synthetic repository with
bench/synthetic_repo.py; a URL is cloned bare into the workdir once. Each run times `git
fast-export` of the ref (the reference, in the same run), then a full import (walk, group,
land) into a fresh server process on loopback, and reports the ratio, commits/s, the phases
(walk, plan, content reads, renames, client send from the import's ``--json`` summary;
server receive, shape checks and commit from the server's log), the CPU time and the peak
memory (VmHWM) of the importer and of the server. ``--runs N`` prints each run and the
medians. ``--plan`` also times ``mic import git --plan`` against ``git log --first-parent
--raw -z --no-abbrev`` of the same walk.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from micelio.testing import start_mic_server  # noqa: E402

SERVER_LINE = re.compile(
    r"LandSessions stream: (\d+) sessions, (\d+) changes; receive ([\d.]+) s "
    r"\(shape checks ([\d.]+) s\), commit ([\d.]+) s(?: in (\d+) groups)?"
)


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


@dataclass
class Run:
    export_s: float
    import_s: float
    import_cpu: float
    import_rss: float
    with_children_rss: float
    server_cpu: float
    server_rss: float
    summary: dict[str, object]
    server_phases: dict[str, float]

    @property
    def ratio(self) -> float:
        return self.import_s / self.export_s


def server_phases(log: Path, offset: int) -> dict[str, float]:
    """The receive/commit split the server logged for the streams after ``offset``."""
    totals = {"receive_s": 0.0, "shape_checks_s": 0.0, "commit_s": 0.0, "groups": 0.0}
    with log.open("rb") as file:
        file.seek(offset)
        text = file.read().decode("utf-8", "replace")
    for match in SERVER_LINE.finditer(text):
        totals["receive_s"] += float(match.group(3))
        totals["shape_checks_s"] += float(match.group(4))
        totals["commit_s"] += float(match.group(5))
        totals["groups"] += float(match.group(6) or 0)
    return totals


def source_repo(args: argparse.Namespace) -> tuple[Path, str]:
    """(a local git dir, its ref to import) for the arguments, cloned or built once."""
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.repo is None:
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
        return repo, args.ref or "main"
    if "://" in args.repo or args.repo.startswith("git@"):
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", args.repo.rstrip("/").rsplit("/", 2)[-2:][-1])
        repo = args.workdir / "clones" / name
        if not (repo / "HEAD").exists():
            print(f"cloning {args.repo} into {repo} ...", flush=True)
            subprocess.run(["git", "clone", "--bare", "-q", args.repo, str(repo)], check=True)
    else:
        repo = Path(args.repo).resolve()
    ref = args.ref or git(repo, "symbolic-ref", "HEAD").strip()
    return repo, ref


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def one_run(args: argparse.Namespace, repo: Path, ref: str, env: dict[str, str]) -> Run:
    export_s, _, _, _, _ = run_measured(
        ["sh", "-c", f"git -C '{repo}' fast-export --reencode=no '{ref}' > /dev/null"], env
    )
    data_dir = args.workdir / "server-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    server = start_mic_server(data_dir, db_url=args.db, storage_url=args.storage)
    offset = server.log.stat().st_size
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
                "--ref",
                ref,
                "--project",
                "bench/imported",
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
    return Run(
        export_s,
        import_s,
        import_cpu,
        import_rss,
        with_children_rss,
        server_cpu,
        server_rss,
        json.loads(out),
        server_phases(server.log, offset),
    )


def report(run: Run, strategy: str) -> None:
    summary = run.summary
    phases = {**dict(summary.get("phases", {})), **run.server_phases}  # type: ignore[call-overload]
    print(
        f"  fast-export {run.export_s:6.1f} s | import {run.import_s:6.1f} s "
        f"({run.ratio:.2f}x, {int(summary['commits']) / run.import_s:,.0f} commits/s, "  # type: ignore[call-overload]
        f"{summary['sessions']} sessions, strategy {strategy})"
    )
    print(
        "  phases: "
        + ", ".join(
            f"{k.removesuffix('_s')} {v:.1f} s" if k.endswith("_s") else f"{k} {v:.0f}"
            for k, v in phases.items()
        )
    )
    print(
        f"  CPU: importer with its git processes {run.import_cpu:.1f} s, server "
        f"{run.server_cpu:.1f} s; peak memory: importer {run.import_rss:.0f} MiB (with git "
        f"{run.with_children_rss:.0f} MiB), server {run.server_rss:.0f} MiB"
    )


def plan_speed(repo: Path, ref: str, strategy: str, env: dict[str, str]) -> None:
    """``mic import git --plan`` against ``git log`` of the same first-parent walk."""
    log_s, _, _, _, _ = run_measured(
        [
            "sh",
            "-c",
            f"git -C '{repo}' log --first-parent --raw -z --no-abbrev '{ref}' > /dev/null",
        ],
        env,
    )
    plan_s, plan_rss, _, plan_cpu, _ = run_measured(
        [
            sys.executable,
            "-m",
            "micelio",
            "import",
            "git",
            str(repo),
            "--ref",
            ref,
            "--plan",
            "--json",
            "--strategy",
            strategy,
        ],
        env,
    )
    print(
        f"  plan: git log {log_s:.1f} s | mic import git --plan {plan_s:.1f} s "
        f"({plan_s / log_s:.2f}x, CPU {plan_cpu:.1f} s, peak {plan_rss:.0f} MiB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repo", help="a git repository (path) or a URL to clone; synthetic if unset"
    )
    parser.add_argument("--ref", help="the ref to import (default: the repository's HEAD)")
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--megabytes", type=int, default=1024)
    parser.add_argument("--strategy", default="auto")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--plan", action="store_true", help="also time --plan against git log")
    parser.add_argument("--db", help="database URL of the server (default: SQLite)")
    parser.add_argument("--storage", help="storage URL of the server (default: local)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "mic-bench")
    args = parser.parse_args()

    repo, ref = source_repo(args)
    first_parent = int(git(repo, "rev-list", "--first-parent", "--count", ref))
    print(f"repository {repo} {ref}: {first_parent} first-parent commits", flush=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs: list[Run] = []
    for k in range(args.runs):
        if args.plan:
            plan_speed(repo, ref, args.strategy, env)
        run = one_run(args, repo, ref, env)
        print(f"run {k + 1}:")
        report(run, args.strategy)
        runs.append(run)
    if len(runs) > 1:
        export = statistics.median(r.export_s for r in runs)
        imported = statistics.median(r.import_s for r in runs)
        print(
            f"median of {len(runs)}: fast-export {export:.1f} s, import {imported:.1f} s, "
            f"ratio {statistics.median(r.ratio for r in runs):.2f}x"
        )


if __name__ == "__main__":
    main()
