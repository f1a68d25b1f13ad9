"""Landings from several client processes at once get unique, gap-free positions."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import pytest

from micelio.testing import MicServer, start_mic_server
from micelio.v1 import micelio_pb2 as pb
from tests.support import workers
from tests.support.rpc import Api

PROCESSES = 4
SESSIONS = 10


@pytest.mark.parametrize(
    "work",
    [workers.land_sessions, workers.create_and_land],
    ids=["start-then-land", "create-and-land"],
)
def test_concurrent_landings(
    api: Api, server: MicServer, project: tuple[str, str], work: Callable[..., list[int]]
) -> None:
    org, proj = project
    # spawn: a forked child would inherit this process's gRPC threads.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
        futures = [
            pool.submit(work, server.address, server.token, org, proj, worker, SESSIONS)
            for worker in range(PROCESSES)
        ]
        positions = [p for future in futures for p in future.result(timeout=300)]
    total = PROCESSES * SESSIONS
    assert sorted(positions) == list(range(1, total + 1))
    head = api.projects.GetProject(pb.GetProjectRequest(organization=org, handle=proj))
    assert head.head_position == total
    assert len(api.tree(org, proj)) == total
    landed = api.sessions.ListSessions(
        pb.ListSessionsRequest(
            organization=org, project=proj, status=pb.SESSION_STATUS_LANDED, page_size=1000
        )
    )
    assert sorted(s.landing_position for s in landed.sessions) == list(range(1, total + 1))


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_several_servers_on_one_database(
    db: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> None:
    """Two server processes sharing a database and a store: still unique, gap-free positions
    (the database's locks serialise landings, not anything inside one process)."""
    shared = tmp_path_factory.mktemp("shared")
    if db == "sqlite":
        db_url = f"sqlite:///{shared / 'mic.db'}"
    else:
        db_url = request.getfixturevalue("postgres_cluster").create_database()
    storage_url = (shared / "objects").as_uri()
    servers = [
        start_mic_server(tmp_path_factory.mktemp("node"), db_url=db_url, storage_url=storage_url)
        for _ in range(2)
    ]
    try:
        with Api(servers[0].address, servers[0].token) as api:
            api.project("multi", "p")
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
            futures = [
                pool.submit(
                    workers.land_sessions,
                    servers[worker % 2].address,
                    servers[worker % 2].token,
                    "multi",
                    "p",
                    worker,
                    SESSIONS,
                )
                for worker in range(PROCESSES)
            ]
            positions = [p for future in futures for p in future.result(timeout=300)]
        assert sorted(positions) == list(range(1, PROCESSES * SESSIONS + 1))
        with Api(servers[1].address, servers[1].token) as api:
            assert len(api.tree("multi", "p")) == PROCESSES * SESSIONS
    finally:
        for server in servers:
            server.stop()
