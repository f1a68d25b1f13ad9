"""Speed check: a working directory of a 20,000-file project, mic beside git on the same files.

usage: python bench/workdir_speed.py [--files 20000] [--runs 5] [--workdir DIR]

Generates a project (seeded: ~200 folders two levels deep, text files of log-normal sizes,
median ~2 KiB, a few of 100 KiB-1 MiB), commits it to a git repository and lands it as one
session on a fresh local mic server (SQLite, local objects). Then times each pair in turn,
A B A B ..., the real commands as processes (start-up included), and prints the median of
``--runs`` of each and the median of the per-pair ratios:

* ``mic checkout bench/work DIR`` vs ``git clone -q file://REPO DIR`` (a clone through git's
  transport, not hard links);
* ``mic status`` vs ``git status`` in those checkouts, nothing changed (one warm run first:
  the first status after a checkout may hash the files written in its last clock tick);
* landing one edit: with a session started and one file edited beforehand (not timed),
  ``mic session land`` vs ``git commit -q -a -m ...`` after the same edit.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from micelio.client import Change, MicClient, NewSession  # noqa: E402
from micelio.testing import start_mic_server  # noqa: E402
from micelio.vocabulary import ChangeType  # noqa: E402

WORDS = [
    "def", "return", "self", "value", "import", "class", "for", "in", "if", "else", "None",
    "True", "data", "path", "result", "items", "config", "error", "raise", "with", "open",
]  # fmt: skip


def generate(dest: Path, count: int) -> list[Path]:
    """``count`` files under ``dest`` from a fixed seed; returns their paths."""
    rng = random.Random(12)
    made = []
    for index in range(count):
        folder = dest / f"pkg{index % 20:02d}" / f"mod{(index // 20) % 10:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        size = min(1 << 20, int(rng.lognormvariate(math.log(2048), 1.1)) + 16)
        line = " ".join(rng.choice(WORDS) for _ in range(12)) + "\n"
        body = (f"# file {index}\n" + line * (size // len(line) + 1))[:size]
        (folder / f"file{index:05d}.py").write_text(body)
        made.append(folder / f"file{index:05d}.py")
    return made


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def pair(
    name: str, runs: int, mic: Callable[[int], float], git: Callable[[int], float]
) -> tuple[float, float, float]:
    """Median seconds of each and the median of the per-run ratios mic/git."""
    mine, theirs = [], []
    for index in range(runs):
        mine.append(mic(index))
        theirs.append(git(index))
    ratio = statistics.median(m / g for m, g in zip(mine, theirs, strict=True))
    a, b = statistics.median(mine), statistics.median(theirs)
    print(f"{name:<26} mic {a:7.3f} s   git {b:7.3f} s   ratio {ratio:5.1f}x", flush=True)
    return a, b, ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path)
    opts = parser.parse_args()
    work = opts.workdir or Path(tempfile.mkdtemp(prefix="mic-workdir-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    source = work / "source"
    files = generate(source, opts.files)
    total = sum(p.stat().st_size for p in files)
    print(f"{opts.files} files, {total / 1e6:.1f} MB", flush=True)
    git = ["git", "-c", "user.name=B", "-c", "user.email=b@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(source)], check=True)
    subprocess.run([*git, "-C", str(source), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(source), "commit", "-q", "-m", "all"], check=True)

    server = start_mic_server(work / "server")
    try:
        env = {**os.environ, **server.env, "PYTHONPATH": str(ROOT)}
        with MicClient(server.address, server.token) as client:
            client.create_organization("bench")
            client.create_project("bench", "work")
            client.land(
                [Change(str(p.relative_to(source)), ChangeType.ADDED, p) for p in files],
                create=NewSession("bench", "work", "all"),
            )
        mic = [sys.executable, "-m", "micelio"]

        def mic_checkout(i: int) -> float:
            shutil.rmtree(work / "mic-co", ignore_errors=True)
            return run([*mic, "checkout", "bench/work", str(work / "mic-co")], work, env)

        def git_clone(i: int) -> float:
            shutil.rmtree(work / "git-co", ignore_errors=True)
            return run(["git", "clone", "-q", f"file://{source}", str(work / "git-co")], work)

        pair("checkout", opts.runs, mic_checkout, git_clone)
        run([*mic, "status"], work / "mic-co", env)
        run(["git", "status"], work / "git-co")
        pair(
            "status, nothing changed",
            opts.runs,
            lambda i: run([*mic, "status"], work / "mic-co", env),
            lambda i: run(["git", "status"], work / "git-co"),
        )
        edited = Path("pkg03/mod03/file00863.py")

        def mic_land(i: int) -> float:
            co = work / "mic-co"
            subprocess.run([*mic, "session", "start", f"edit {i}"], cwd=co, env=env, check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            with open(co / edited, "a") as f:
                f.write(f"# edit {i}\n")
            return run([*mic, "session", "land"], co, env)

        def git_commit(i: int) -> float:
            with open(work / "git-co" / edited, "a") as f:
                f.write(f"# edit {i}\n")
            return run([*git, "commit", "-q", "-a", "-m", f"edit {i}"], work / "git-co")

        pair("landing one edit", opts.runs, mic_land, git_commit)
    finally:
        server.stop()
        if opts.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
