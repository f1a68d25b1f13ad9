"""Speed check: ``mic sync`` over 100 landed sessions touching 1,000 files, beside ``git pull``
of the same changes, in the same run.

usage: python bench/sync_speed.py [--files 20000] [--sessions 100] [--touch 10] [--runs 5]

Builds one history twice from the same seeded files: a git repository (``git fast-import``: a
first commit with ``--files`` files, then ``--sessions`` commits changing ``--touch`` files
each) and a mic project on a fresh local server (the same, one session per commit). Each side
has a working directory at the first commit/position with one local edit to a file the others
do not touch. Then, alternately, median of ``--runs`` (each a whole process, start-up
included):

* ``git pull --no-rebase FULL main`` in a fresh ``git clone --no-local`` of the first commit
  (the clone is not timed; the pull transfers the objects over git's pack protocol);
* ``mic sync`` in the checkout, after an untimed ``mic sync --at 1`` that puts it back and
  with only the base's tree in ``.mic/trees/`` (the head's is fetched, as a real sync must).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from micelio.client import Change, Landing, MicClient, NewSession  # noqa: E402
from micelio.testing import start_mic_server  # noqa: E402
from micelio.vocabulary import ChangeType  # noqa: E402

LOCAL_EDIT = "src/d000/f00000.txt"  # the others never touch file 0


def name(index: int) -> str:
    return f"src/d{index // 100:03d}/f{index:05d}.txt"


def content(index: int, version: int, rng: random.Random) -> bytes:
    lines = [f"file {index} line {n} {rng.random():.8f}" for n in range(20)]
    lines[version % 20] = f"version {version} of file {index}"
    return ("\n".join(lines) + "\n").encode()


def history(
    files: int, sessions: int, touch: int
) -> tuple[dict[str, bytes], list[dict[str, bytes]]]:
    """The first tree and each later commit's changed files (seeded)."""
    rng = random.Random(12)
    first = {name(i): content(i, 0, rng) for i in range(files)}
    touched = rng.sample(range(1, files), sessions * touch)  # 1,000 distinct files
    steps = []
    for s in range(sessions):
        chunk = touched[s * touch : (s + 1) * touch]
        steps.append({name(i): content(i, s + 1, rng) for i in chunk})
    return first, steps


def build_git(
    full: Path, base: Path, first: dict[str, bytes], steps: list[dict[str, bytes]]
) -> None:
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(full)], check=True)
    out: list[bytes] = []
    for index, files in enumerate([first, *steps]):
        message = f"commit {index}".encode()
        out.append(b"commit refs/heads/main\n")
        out.append(b"mark :%d\n" % (index + 1))
        out.append(b"committer Bench <bench@example.com> %d +0000\n" % (1_600_000_000 + index))
        out.append(b"data %d\n%s\n" % (len(message), message))
        for path, data in files.items():
            out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
    subprocess.run(
        ["git", "-C", str(full), "fast-import", "--quiet"], input=b"".join(out), check=True
    )
    first_commit = subprocess.run(
        ["git", "-C", str(full), "rev-list", "--max-parents=0", "main"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.strip()
    subprocess.run(["git", "clone", "-q", "--bare", "--no-local", str(full), str(base)], check=True)
    subprocess.run(
        ["git", "-C", str(base), "update-ref", "refs/heads/main", first_commit], check=True
    )


def build_mic(client: MicClient, first: dict[str, bytes], steps: list[dict[str, bytes]]) -> None:
    client.create_organization("bench")
    client.create_project("bench", "sync")

    def landings() -> Iterator[Landing]:
        kind = ChangeType.ADDED
        for index, files in enumerate([first, *steps]):
            yield Landing(
                changes=[Change(p, kind, d) for p, d in files.items()],
                create=NewSession("bench", "sync", f"commit {index}"),
            )
            kind = ChangeType.MODIFIED

    for _ in client.land_many(landings()):
        pass


def forget_trees(checkout: Path, keep: str) -> None:
    """Drop the cached trees but the base's: a sync to a new head has never seen its tree
    (the earlier run's, kept in ``.mic/trees/``, would spare it the fetch)."""
    for cached in (checkout / ".mic" / "trees").iterdir():
        if cached.name != keep:
            cached.unlink()


def timed(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--touch", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="mic-sync-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    first, steps = history(args.files, args.sessions, args.touch)
    full, base = work / "full.git", work / "base.git"
    if not full.exists():
        build_git(full, base, first, steps)
    server = start_mic_server(work / f"mic-{time.time_ns()}")
    env = {**os.environ, **server.env, "PYTHONPATH": str(ROOT)}
    mic = [sys.executable, "-m", "micelio"]
    try:
        with MicClient(server.address, server.token) as client:
            build_mic(client, first, steps)
        checkout = work / f"checkout-{time.time_ns()}"
        subprocess.run(
            [*mic, "checkout", "bench/sync", str(checkout), "--at", "1"], env=env, check=True
        )
        (checkout / LOCAL_EDIT).write_bytes(b"a local edit\n")
        git_times, mic_times = [], []
        for run in range(args.runs):
            clone = work / f"clone-{time.time_ns()}"
            subprocess.run(["git", "clone", "-q", "--no-local", str(base), str(clone)], check=True)
            subprocess.run(
                ["git", "-C", str(clone), "config", "user.email", "b@example.com"], check=True
            )
            subprocess.run(["git", "-C", str(clone), "config", "user.name", "Bench"], check=True)
            (clone / LOCAL_EDIT).write_bytes(b"a local edit\n")
            git_times.append(timed(["git", "pull", "-q", "--no-rebase", str(full), "main"], clone))
            shutil.rmtree(clone)
            if run:
                subprocess.run(
                    [*mic, "sync", "--at", "1"],
                    cwd=checkout,
                    env=env,
                    check=True,
                    capture_output=True,
                )
            forget_trees(checkout, keep="1")
            mic_times.append(timed([*mic, "sync"], checkout, env))
        assert (checkout / LOCAL_EDIT).read_bytes() == b"a local edit\n", "the local edit was lost"
        last = steps[-1]
        path, data = next(iter(last.items()))
        assert (checkout / path).read_bytes() == data, "mic sync did not bring the head"
    finally:
        server.stop()
    git_s, mic_s = statistics.median(git_times), statistics.median(mic_times)
    ratios = sorted(m / g for m, g in zip(mic_times, git_times, strict=True))
    touched = args.sessions * args.touch
    print(f"project: {args.files} files; {args.sessions} sessions/commits touching {touched} files")
    print(f"git pull:  median {git_s:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in git_times)})")
    print(f"mic sync:  median {mic_s:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in mic_times)})")
    print(
        f"ratio mic/git: median of medians {mic_s / git_s:.2f}x; per pair "
        f"{ratios[0]:.2f}..{ratios[-1]:.2f}x, median {statistics.median(ratios):.2f}x "
        f"({args.runs} runs each, alternated)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
