"""Bounded work per client, measured: a script, not a test.

Starts a server process on a temporary data dir, then:

1. opens ``--idle`` LandSession streams that never send anything, from four write tokens of
   one organization, and measures another organization's GetProject, ListSessions, small
   LandSession and health checks meanwhile (median and max of ``--samples`` rounds);
2. lands a session with a 200-character path and times ListSessions with globs that
   backtracking matchers take exponential time on.

    .venv/bin/python bench/idle_streams.py [--idle 200] [--samples 20] [--db URL] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from micelio.testing import CHANNEL_OPTIONS, start_mic_server  # noqa: E402
from micelio.v1 import micelio_pb2 as pb  # noqa: E402
from micelio.v1 import micelio_pb2_grpc as rpc  # noqa: E402

LAND = "/micelio.v1.SessionService/LandSession"
GLOBS = ["**a**a**a**a**ab", "**a" * 20 + "b", "**a" * 333]


class Stubs:
    def __init__(self, channel: grpc.Channel, token: str) -> None:
        self.metadata = (("authorization", f"Bearer {token}"),)
        self.sessions = rpc.SessionServiceStub(channel)
        self.projects = rpc.ProjectServiceStub(channel)


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def small_landing(stubs: Stubs, org: str, project: str) -> None:
    session = stubs.sessions.StartSession(
        pb.StartSessionRequest(organization=org, project=project, goal="small"),
        metadata=stubs.metadata,
    )
    data = b"hello\n"
    items = [
        pb.LandItem(header=pb.LandHeader(session_id=session.session_id)),
        pb.LandItem(
            change=pb.ChangeHeader(
                file_path=f"f-{uuid.uuid4().hex[:8]}.txt",
                change_type=pb.CHANGE_TYPE_ADDED,
                size=len(data),
            )
        ),
        pb.LandItem(chunk=pb.ContentChunk(data=data)),
    ]
    stubs.sessions.LandSession(
        iter([pb.LandSessionRequest(items=items)]), metadata=stubs.metadata, timeout=10
    )


def report(name: str, values: list[float]) -> None:
    print(f"  {name:14} median {statistics.median(values):7.1f} ms   max {max(values):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--db", default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="mic-bench-idle-"))
    server = start_mic_server(data_dir / "server", db_url=args.db)
    release = threading.Event()
    try:
        channel = grpc.insecure_channel(server.address, options=CHANNEL_OPTIONS)
        admin = Stubs(channel, server.token)
        tokens: dict[str, list[str]] = {}
        for org in ("attacker", "victim"):
            admin.projects.CreateOrganization(
                pb.CreateOrganizationRequest(handle=org), metadata=admin.metadata
            )
            admin.projects.CreateProject(
                pb.CreateProjectRequest(organization=org, handle="p"), metadata=admin.metadata
            )
            tokens[org] = [
                admin.projects.CreateToken(
                    pb.CreateTokenRequest(organization=org, role="write"),
                    metadata=admin.metadata,
                ).token
                for _ in range(4 if org == "attacker" else 1)
            ]
        victim = Stubs(channel, tokens["victim"][0])

        def nothing() -> Iterator[Any]:
            release.wait()
            return
            yield

        land = channel.stream_unary(LAND, request_serializer=None, response_deserializer=None)
        attacker = tokens["attacker"]
        futures = [
            land.future(
                nothing(),
                metadata=(("authorization", f"Bearer {attacker[i % 4]}"),),
                timeout=600,
            )
            for i in range(args.idle)
        ]
        time.sleep(1.0)
        refused = sum(1 for f in futures if f.done())
        print(
            f"{args.idle} idle LandSession streams from one organization: "
            f"{args.idle - refused} held open, {refused} refused at once"
        )
        health = health_pb2_grpc.HealthStub(channel)
        times: dict[str, list[float]] = {
            k: [] for k in ("GetProject", "ListSessions", "LandSession", "health")
        }
        for _ in range(args.samples):
            times["GetProject"].append(
                timed(
                    lambda: victim.projects.GetProject(
                        pb.GetProjectRequest(organization="victim", handle="p"),
                        metadata=victim.metadata,
                        timeout=10,
                    )
                )
            )
            times["ListSessions"].append(
                timed(
                    lambda: victim.sessions.ListSessions(
                        pb.ListSessionsRequest(organization="victim", project="p"),
                        metadata=victim.metadata,
                        timeout=10,
                    )
                )
            )
            times["LandSession"].append(timed(lambda: small_landing(victim, "victim", "p")))
            times["health"].append(
                timed(lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=10))
            )
        print("another organization's calls meanwhile:")
        for name, values in times.items():
            report(name, values)
        release.set()

        session = victim.sessions.StartSession(
            pb.StartSessionRequest(organization="victim", project="p", goal="long path"),
            metadata=victim.metadata,
        )
        path, data = "a" * 200, b"x"
        items = [
            pb.LandItem(header=pb.LandHeader(session_id=session.session_id)),
            pb.LandItem(
                change=pb.ChangeHeader(
                    file_path=path, change_type=pb.CHANGE_TYPE_ADDED, size=len(data)
                )
            ),
            pb.LandItem(chunk=pb.ContentChunk(data=data)),
        ]
        victim.sessions.LandSession(
            iter([pb.LandSessionRequest(items=items)]), metadata=victim.metadata
        )
        print(
            f"ListSessions(path_glob), project with a 200-character path ({args.db or 'sqlite'}):"
        )
        for glob in GLOBS:
            request = pb.ListSessionsRequest(organization="victim", project="p", path_glob=glob)
            elapsed = timed(
                partial(victim.sessions.ListSessions, request, metadata=victim.metadata)
            )
            label = glob if len(glob) <= 24 else f"{glob[:18]}... ({len(glob)} chars)"
            print(f"  {label:40} {elapsed:7.1f} ms")
        channel.close()
    finally:
        release.set()
        server.stop()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
