"""Landing throughput and the server's memory: a script, not a test.

Starts a server process on a temporary data dir, lands one session of many small files and one
with a single large file (streamed in 1 MiB chunks, never held whole by either side), and
prints changes/s, MB/s and the server's peak RSS (VmHWM from /proc/PID/status).

    .venv/bin/python bench/land_throughput.py [--files 10000] [--big-mib 200]
        [--db URL] [--storage URL] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
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

CHUNK = 1024 * 1024


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def small_files(session_id: str, count: int) -> Iterator[pb.LandItem]:
    yield pb.LandItem(header=pb.LandHeader(session_id=session_id))
    for index in range(count):
        data = (b"line %d of a small source file\n" % index) * (1 + index % 40)
        yield pb.LandItem(
            change=pb.ChangeHeader(
                file_path=f"src/pkg{index // 100:03}/mod{index:05}.py",
                change_type=pb.CHANGE_TYPE_ADDED,
                size=len(data),
            )
        )
        yield pb.LandItem(chunk=pb.ContentChunk(data=data))


def one_big_file(session_id: str, size: int) -> Iterator[pb.LandItem]:
    yield pb.LandItem(header=pb.LandHeader(session_id=session_id))
    yield pb.LandItem(
        change=pb.ChangeHeader(
            file_path="assets/big.bin", change_type=pb.CHANGE_TYPE_ADDED, size=size
        )
    )
    block = os.urandom(CHUNK)
    sent = 0
    while sent < size:
        piece = block[: min(CHUNK, size - sent)]
        # Vary each chunk cheaply so that nothing downstream can deduplicate it.
        piece = sent.to_bytes(8, "little") + piece[8:] if len(piece) >= 8 else piece
        yield pb.LandItem(chunk=pb.ContentChunk(data=piece))
        sent += len(piece)


def packed(items: Iterator[pb.LandItem]) -> Iterator[pb.LandSessionRequest]:
    """Items packed into request messages as the client library does."""
    return pack_items((item, item.ByteSize()) for item in items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--big-mib", type=int, default=200)
    parser.add_argument("--db", help="database URL (default: SQLite in the data dir)")
    parser.add_argument("--storage", help="storage URL (default: files in the data dir)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="mic-bench-"))
    server = start_mic_server(workdir / "data", db_url=args.db, storage_url=args.storage)
    metadata = (("authorization", f"Bearer {server.token}"),)
    try:
        with grpc.insecure_channel(server.address) as channel:
            projects = rpc.ProjectServiceStub(channel)
            sessions = rpc.SessionServiceStub(channel)
            projects.CreateOrganization(
                pb.CreateOrganizationRequest(handle="bench"), metadata=metadata
            )
            projects.CreateProject(
                pb.CreateProjectRequest(organization="bench", handle="p"), metadata=metadata
            )
            idle = peak_rss_mib(server.pid)
            print(
                f"server pid {server.pid} at {server.address}; peak RSS after start: {idle:.1f} MiB"
            )

            session = sessions.StartSession(
                pb.StartSessionRequest(organization="bench", project="p", goal="many small files"),
                metadata=metadata,
            )
            started = time.perf_counter()
            result = sessions.LandSession(
                packed(small_files(session.session_id, args.files)),
                metadata=metadata,
                timeout=3600,
            )
            elapsed = time.perf_counter() - started
            mb = result.bytes_inline / 1e6
            print(
                f"{result.changes} small files ({mb:.1f} MB inline) landed at position "
                f"{result.landing_position} in {elapsed:.2f} s: {result.changes / elapsed:,.0f} "
                f"changes/s, {mb / elapsed:.1f} MB/s; peak RSS {peak_rss_mib(server.pid):.1f} MiB"
            )

            size = args.big_mib * 1024 * 1024
            session = sessions.StartSession(
                pb.StartSessionRequest(organization="bench", project="p", goal="one big file"),
                metadata=metadata,
            )
            started = time.perf_counter()
            result = sessions.LandSession(
                packed(one_big_file(session.session_id, size)), metadata=metadata, timeout=3600
            )
            elapsed = time.perf_counter() - started
            print(
                f"1 file of {args.big_mib} MiB ({result.bytes_stored / 1e6:.1f} MB stored) "
                f"landed at position {result.landing_position} in {elapsed:.2f} s: "
                f"{result.bytes_stored / 1e6 / elapsed:.1f} MB/s; "
                f"peak RSS {peak_rss_mib(server.pid):.1f} MiB"
            )
    finally:
        server.stop()
        if args.keep:
            print(f"data kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
