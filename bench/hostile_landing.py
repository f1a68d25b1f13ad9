"""One organization lands a huge session while another lands small ones: a script, not a test.

Starts a server process (``micelio.testing``) whose ``--max-session-changes`` is the number of
changes asked for (said in the output), lands one session of that many one-byte files over raw
gRPC as organization A, samples the server's RSS meanwhile (VmRSS and VmHWM from
/proc/PID/status), and meanwhile lands small sessions (one file each) as organization B,
timing each. Prints a table.

    .venv/bin/python bench/hostile_landing.py [--changes 1000000] [--db URL] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from micelio.client.landing import pack_items  # noqa: E402
from micelio.testing import start_mic_server  # noqa: E402
from micelio.v1 import micelio_pb2 as pb  # noqa: E402
from micelio.v1 import micelio_pb2_grpc as rpc  # noqa: E402


def rss_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", float("nan")), values.get("VmHWM", float("nan"))


def one_byte_files(session_id: str, count: int) -> Iterator[tuple[pb.LandItem, int]]:
    header = pb.LandItem(header=pb.LandHeader(session_id=session_id))
    yield header, header.ByteSize()
    for index in range(count):
        change = pb.LandItem(
            change=pb.ChangeHeader(
                file_path=f"d{index // 1000:04}/f{index:07}",
                change_type=pb.CHANGE_TYPE_ADDED,
                size=1,
            )
        )
        yield change, change.ByteSize()
        chunk = pb.LandItem(chunk=pb.ContentChunk(data=b"x"))
        yield chunk, chunk.ByteSize()


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_rss = 0.0
        self.hwm = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.1):
            rss, hwm = rss_mib(self.pid)
            self.peak_rss = max(self.peak_rss, rss)
            self.hwm = max(self.hwm, hwm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=1_000_000)
    parser.add_argument("--db", help="database URL (default: SQLite in the data dir)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="mic-hostile-"))
    server = start_mic_server(
        workdir / "data",
        db_url=args.db,
        extra_env={"MIC_MAX_SESSION_CHANGES": str(args.changes)},
    )
    auth = (("authorization", f"Bearer {server.token}"),)
    print(f"server pid {server.pid}, --max-session-changes {args.changes} (default 100,000)")
    try:
        with grpc.insecure_channel(server.address) as channel:
            projects = rpc.ProjectServiceStub(channel)
            sessions = rpc.SessionServiceStub(channel)
            for org in ("big", "small"):
                projects.CreateOrganization(pb.CreateOrganizationRequest(handle=org), metadata=auth)
                projects.CreateProject(
                    pb.CreateProjectRequest(organization=org, handle="p"), metadata=auth
                )
            rss_idle, _ = rss_mib(server.pid)
            sampler = Sampler(server.pid)
            sampler.start()
            latencies: list[float] = []
            done = threading.Event()

            def small_landings() -> None:
                while not done.is_set():
                    began = time.perf_counter()
                    session = sessions.StartSession(
                        pb.StartSessionRequest(organization="small", project="p", goal="small"),
                        metadata=auth,
                    )
                    items = [
                        pb.LandItem(header=pb.LandHeader(session_id=session.session_id)),
                        pb.LandItem(
                            change=pb.ChangeHeader(
                                file_path=f"f{len(latencies)}",
                                change_type=pb.CHANGE_TYPE_ADDED,
                                size=1,
                            )
                        ),
                        pb.LandItem(chunk=pb.ContentChunk(data=b"y")),
                    ]
                    sessions.LandSession(
                        iter([pb.LandSessionRequest(items=items)]), metadata=auth, timeout=600
                    )
                    latencies.append(time.perf_counter() - began)
                    time.sleep(0.05)

            other = threading.Thread(target=small_landings, daemon=True)
            big = sessions.StartSession(
                pb.StartSessionRequest(organization="big", project="p", goal="1M files"),
                metadata=auth,
            )
            other.start()
            began = time.perf_counter()
            result = sessions.LandSession(
                pack_items(one_byte_files(big.session_id, args.changes)),
                metadata=auth,
                timeout=7200,
            )
            elapsed = time.perf_counter() - began
            done.set()
            other.join()
            sampler.stop.set()
            sampler.join()
            _, hwm = rss_mib(server.pid)
    finally:
        server.stop()
        if args.keep:
            print(f"data kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    rows = [
        (
            "changes landed by organization A",
            f"{result.changes:,} (position {result.landing_position})",
        ),
        ("A's landing time", f"{elapsed:.1f} s"),
        ("server RSS idle", f"{rss_idle:.0f} MiB"),
        ("server RSS peak (sampled VmRSS)", f"{sampler.peak_rss:.0f} MiB"),
        ("server VmHWM", f"{max(hwm, sampler.hwm):.0f} MiB"),
        ("organization B's small landings meanwhile", f"{len(latencies)}"),
        (
            "B's latency median",
            f"{statistics.median(latencies) * 1000:.0f} ms" if latencies else "-",
        ),
        ("B's latency max", f"{max(latencies) * 1000:.0f} ms" if latencies else "-"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
