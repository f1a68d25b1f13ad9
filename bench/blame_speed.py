"""Speed check: ``mic blame`` of a file with thousands of sessions of history, beside
``git blame`` of the same history.

usage: python bench/blame_speed.py [--versions 2000] [--lines 400] [--runs 5] [--workdir DIR]

Builds one history twice from the same seeded edits: a git repository (``git fast-import``,
one commit per version) and a mic project on a fresh local server (one session per version,
landed over one ``LandSessions`` stream). Each version changes 1-3 lines of the file, and
sometimes inserts or deletes one. Then times, median of ``--runs``:

* ``git blame --porcelain HEAD -- FILE``, output read and thrown away;
* ``MicClient.blame`` consumed to the end: what ``mic blame --json`` costs without the CLI's
  start-up, three ways, since the server keeps blames it computed (``service/blame_cache.py``):

  - cold: nothing cached; the server walks back from the version until every line has its
    session. Each run asks a position no run asked before (head-1, head-3, ...), so that
    none finds a cached answer;
  - one landing later: the version before is cached and carried forwards one diff (head,
    head-2, ...: each the version after a cold run's);
  - again: the same question asked again (head).

Before timing, mic's answer at the head is checked against git's, line by line (commit
``version N`` is landing position N + 1). Each figure is given as wall-clock seconds and as the
CPU seconds of the processes doing the work (git's; mic's server and client, from ``/proc``),
which stay meaningful on a machine busy with other work. Run with ``PYTHONPATH`` on another
checkout to time its code in the same harness (a checkout without the blame cache answers
every question cold).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from micelio.client import Change, Landing, MicClient, NewSession  # noqa: E402
from micelio.testing import start_mic_server  # noqa: E402
from micelio.vocabulary import ChangeType  # noqa: E402

FILE = "src/module.py"


def versions(count: int, lines: int) -> Iterator[bytes]:
    """The file's contents, oldest first, from a fixed seed."""
    rng = random.Random(7)
    body = [f"line {i} = {rng.random():.6f}" for i in range(lines)]
    yield ("\n".join(body) + "\n").encode()
    for step in range(1, count):
        for _ in range(rng.randint(1, 3)):
            body[rng.randrange(len(body))] = f"edit {step} = {rng.random():.6f}"
        roll = rng.random()
        if roll < 0.1:
            body.insert(rng.randrange(len(body)), f"insert {step}")
        elif roll < 0.2 and len(body) > 10:
            del body[rng.randrange(len(body))]
        yield ("\n".join(body) + "\n").encode()


def build_git(dest: Path, contents: list[bytes]) -> None:
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(dest)], check=True)
    out: list[bytes] = []
    for index, content in enumerate(contents):
        message = f"version {index}".encode()
        out.append(b"commit refs/heads/main\n")
        out.append(b"committer Bench <bench@example.com> %d +0000\n" % (1_600_000_000 + index))
        out.append(b"data %d\n%s\n" % (len(message), message))
        out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (FILE.encode(), len(content), content))
    subprocess.run(
        ["git", "-C", str(dest), "fast-import", "--quiet"], input=b"".join(out), check=True
    )


def build_mic(client: MicClient, contents: list[bytes]) -> None:
    client.create_organization("bench")
    client.create_project("bench", "blame")

    def landings() -> Iterator[Landing]:
        for index, content in enumerate(contents):
            kind = ChangeType.ADDED if index == 0 else ChangeType.MODIFIED
            yield Landing(
                changes=[Change(FILE, kind, content)],
                create=NewSession("bench", "blame", f"version {index}"),
            )

    for _ in client.land_many(landings()):
        pass


def git_positions(porcelain: bytes) -> list[int]:
    """The landing position of each line's commit, from ``git blame --porcelain``."""
    summaries: dict[bytes, int] = {}
    order: list[bytes] = []
    commit = b""
    for line in porcelain.split(b"\n"):
        if line.startswith(b"\t"):
            order.append(commit)
        elif line.startswith(b"summary version "):
            summaries[commit] = int(line.split()[-1]) + 1
        elif line and not line.startswith(b"\t"):
            word = line.split(b" ", 1)[0]
            if len(word) == 40:
                commit = word
    return [summaries[c] for c in order]


@dataclass(frozen=True)
class Timing:
    """Medians of several runs: wall-clock seconds, and CPU seconds of every process that
    did the work (git's child; mic's server and this client), which a machine busy with other
    work disturbs far less than the clock."""

    wall: float
    cpu: float


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process so far (``/proc``, clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(run: Callable[[], object], runs: int, cpu: Callable[[], float]) -> Timing:
    walls, cpus = [], []
    for _ in range(runs):
        cpu_start, start = cpu(), time.perf_counter()
        run()
        walls.append(time.perf_counter() - start)
        cpus.append(cpu() - cpu_start)
    return Timing(statistics.median(walls), statistics.median(cpus))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=400)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="mic-blame-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    contents = list(versions(args.versions, args.lines))
    repo = work / "repo.git"
    if not repo.exists():
        build_git(repo, contents)
    server = start_mic_server(work / f"mic-{time.time_ns()}")
    try:
        with MicClient(server.address, server.token) as client:
            build_mic(client, contents)
            mic_lines = list(client.blame("bench", "blame", FILE))
            git_out = subprocess.run(
                ["git", "-C", str(repo), "blame", "--porcelain", "HEAD", "--", FILE],
                capture_output=True,
                check=True,
            ).stdout
            assert len(mic_lines) == contents[-1].count(b"\n"), "mic blame lost lines"
            assert [line.position for line in mic_lines] == git_positions(git_out), (
                "mic blame differs from git blame"
            )
            git = measure(
                lambda: subprocess.run(
                    ["git", "-C", str(repo), "blame", "--porcelain", "HEAD", "--", FILE],
                    capture_output=True,
                    check=True,
                ),
                args.runs,
                children_cpu,
            )
            head = len(contents)

            def mic_cpu() -> float:
                return process_cpu(server.pid) + time.process_time()

            asked = iter(range(head - 1, 0, -2))
            cold = measure(
                lambda: list(client.blame("bench", "blame", FILE, position=next(asked))),
                args.runs,
                mic_cpu,
            )
            asked = iter(range(head, 0, -2))
            later = measure(
                lambda: list(client.blame("bench", "blame", FILE, position=next(asked))),
                args.runs,
                mic_cpu,
            )
            again = measure(lambda: list(client.blame("bench", "blame", FILE)), args.runs, mic_cpu)
    finally:
        server.stop()
    sessions = len({line.position for line in mic_lines})
    print(f"file: {FILE}, {args.versions} versions, {len(mic_lines)} lines at the head")
    print(f"{sessions} sessions own a line; medians of {args.runs} runs, wall (CPU) seconds")
    print(f"git blame --porcelain:      {git.wall:.3f} ({git.cpu:.3f})")
    for label, timing in [("cold", cold), ("1 landing later", later), ("again", again)]:
        print(
            f"mic blame, {label + ':':<16} {timing.wall:.3f} ({timing.cpu:.3f})  "
            f"mic/git {timing.wall / git.wall:.1f}x ({timing.cpu / git.cpu:.1f}x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
