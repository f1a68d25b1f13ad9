"""Speed check: ``importers.git.walk.walk`` against ``git log --raw`` itself.

usage: python bench/walk_speed.py [--commits 20000] [--merge-every 100] [--workdir DIR]

Builds (once, cached in the work directory) a synthetic repository with ``git fast-import``:
small contents, 1-3 files changed per commit, a two-commit side branch merged every
``--merge-every`` commits. Then times, best of three:

* ``git log`` with the walk's exact arguments, output read and thrown away (the floor);
* ``git log`` with every ``--format`` placeholder a walk would need (the alternative design);
* ``git rev-list | git cat-file --batch --buffer`` (what the walk adds for raw headers);
* ``walk()`` consumed to the end, with and without ``brought_in``.
"""

from __future__ import annotations

import argparse
import io
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from importers.git.walk import LOG_ARGS, walk  # noqa: E402

FULL_FORMAT = "--format=%x01%H%x00%P%x00%T%x00%an%x00%ae%x00%ad%x00%cn%x00%ce%x00%cd%x00%e%x00%B"


def build(dest: Path, commits: int, merge_every: int) -> None:
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(dest)], check=True)
    rng = random.Random(1)
    paths = [f"dir{d:03d}/file{f:02d}.txt" for d in range(200) for f in range(10)]
    out: list[bytes] = []
    mark = 0
    main = 0
    when = 1_600_000_000

    def commit(ref: str, parent: int, merge: int, message: str, count: int) -> int:
        nonlocal mark, when
        mark += 1
        when += 60
        out.append(f"commit {ref}\nmark :{mark}\n".encode())
        out.append(f"author Dev {mark % 7} <dev{mark % 7}@example.com> {when} +0100\n".encode())
        out.append(f"committer Dev <dev@example.com> {when} +0100\n".encode())
        data = message.encode()
        out.append(b"data %d\n%s\n" % (len(data), data))
        if parent:
            out.append(f"from :{parent}\n".encode())
        if merge:
            out.append(f"merge :{merge}\n".encode())
        for _ in range(count):
            body = f"{mark} {rng.random()}\n".encode() * rng.randint(1, 20)
            out.append(
                b"M 100644 inline %s\ndata %d\n%s\n" % (rng.choice(paths).encode(), len(body), body)
            )
        out.append(b"\n")
        return mark

    made = 0
    while made < commits:
        if merge_every and made and made % merge_every == 0 and main:
            side = commit(f"refs/heads/side{made}", main, 0, f"side {made} one\n", 1)
            side = commit(f"refs/heads/side{made}", side, 0, f"side {made} two\n", 1)
            main = commit("refs/heads/main", main, side, f"Merge side {made}\n", 0)
        else:
            main = commit("refs/heads/main", main, 0, f"change {made}\n\nbody\n", rng.randint(1, 3))
        made += 1
    out.append(b"done\n")
    subprocess.run(
        ["git", "-C", str(dest), "fast-import", "--quiet", "--done"],
        input=b"".join(out),
        check=True,
    )


def best_of(runs: int, job: Callable[[], int]) -> tuple[float, int]:
    best, result = float("inf"), 0
    for _ in range(runs):
        start = time.perf_counter()
        result = job()
        best = min(best, time.perf_counter() - start)
    return best, result


def drain(args: list[str]) -> int:
    """Run a command, read all its output through a pipe; the byte count."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, shell=isinstance(args, str))
    # Buffered (the default bufsize): read1 returns what the pipe has, as git's readers do.
    stdout = cast(io.BufferedReader, proc.stdout)
    total = 0
    while chunk := stdout.read1(1 << 20):
        total += len(chunk)
    proc.wait()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--merge-every", type=int, default=100)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "mic-walk-bench"
    )
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    repo = options.workdir / f"synthetic-{options.commits}-{options.merge_every}.git"
    if not repo.exists():
        start = time.perf_counter()
        build(repo, options.commits, options.merge_every)
        print(f"built {repo} in {time.perf_counter() - start:.2f}s")
    git = ["git", "-C", str(repo), "-c", "core.quotePath=false"]
    log_args = [*git, *LOG_ARGS, "HEAD", "--"]
    full_args = [
        *git,
        *[a for a in LOG_ARGS if not a.startswith("--format")],
        FULL_FORMAT,
        "HEAD",
        "--",
    ]
    pipeline = (
        f"git -C {repo} rev-list --first-parent --reverse --topo-order HEAD | "
        f"git -C {repo} cat-file --batch --buffer"
    )
    rows = [
        ("git log (walk's arguments)", lambda: drain(log_args)),
        ("git log, full --format", lambda: drain(full_args)),
        ("git rev-list | cat-file", lambda: drain(pipeline)),  # type: ignore[arg-type]
        ("walk(), brought_in", lambda: sum(1 for _ in walk(repo))),
        ("walk(), no brought_in", lambda: sum(1 for _ in walk(repo, brought_in=False))),
    ]
    times: dict[str, float] = {}
    for label, job in rows:
        seconds, result = best_of(options.runs, job)
        times[label] = seconds
        print(f"{label:<28} {seconds:7.3f}s  ({result})")
    commits = sum(1 for _ in walk(repo))
    floor = times["git log (walk's arguments)"]
    print(f"first-parent commits: {commits}")
    for label in ("walk(), brought_in", "walk(), no brought_in"):
        rate = commits / times[label]
        print(f"{label}: {times[label] / floor:.2f}x git log, {rate:,.0f} commits/s")


if __name__ == "__main__":
    main()
