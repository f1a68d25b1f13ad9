"""Functions run in other processes (multiprocessing, spawn) by the concurrency tests."""

from __future__ import annotations

from micelio.v1 import micelio_pb2 as pb
from tests.support.rpc import ADDED, Api, Change, land_requests


def land_sessions(
    address: str, token: str, org: str, project: str, worker: int, count: int
) -> list[int]:
    """Start and land ``count`` sessions, each adding its own file; return the positions."""
    positions = []
    with Api(address, token) as api:
        for index in range(count):
            session = api.start(org, project, f"worker {worker} session {index}")
            header = pb.LandHeader(session_id=session.session_id)
            change = Change(f"w{worker}/s{index}.txt", ADDED, b"%d %d\n" % (worker, index))
            positions.append(api.land(land_requests(header, [change])).landing_position)
    return positions


def create_and_land(
    address: str, token: str, org: str, project: str, worker: int, count: int
) -> list[int]:
    """The importers' way: start + land in one call (LandHeader.create)."""
    positions = []
    with Api(address, token) as api:
        for index in range(count):
            header = pb.LandHeader(
                create=pb.StartSessionRequest(organization=org, project=project, goal="import"),
                external_id=f"ext:{worker}:{index}",
            )
            change = Change(f"c{worker}/s{index}.txt", ADDED, b"x")
            positions.append(api.land(land_requests(header, [change])).landing_position)
    return positions
