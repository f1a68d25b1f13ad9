"""A landing is all or nothing: a cut stream, a bad change late in the stream or a killed server
leave the session active with no rows and no objects."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import grpc
import pytest

from micelio.testing import MicServer, wait_until
from micelio.v1 import micelio_pb2 as pb
from tests.support.fixture_types import MicServerFactory
from tests.support.inspect import change_rows, spool_files, stored_objects
from tests.support.rpc import ADDED, Api, Change, expect_error, land_requests

MIB = 1024 * 1024


class ClientGaveUp(Exception):
    pass


def test_stream_cut_in_the_middle(api: Api, server: MicServer, project: tuple[str, str]) -> None:
    session = api.start(*project, "cut")
    big = os.urandom(8 * MIB)

    def stream() -> Iterator[pb.LandItem]:
        requests = land_requests(
            pb.LandHeader(session_id=session.session_id),
            [Change("stored.bin", ADDED, big), Change("half.bin", ADDED, big)],
        )
        for sent, request in enumerate(requests):
            if sent == 12:  # the first object stored, the second half-way
                raise ClientGaveUp
            yield request

    with pytest.raises(grpc.RpcError) as info:
        api.land(stream())
    assert info.value.code() in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN)
    # The server learns of the cancellation asynchronously: wait for its clean-up.
    wait_until(
        lambda: stored_objects(server, session.session_id) == [],
        timeout=20,
        what="objects of the cut landing deleted",
    )
    got = api.sessions.GetSession(pb.GetSessionRequest(session_id=session.session_id))
    assert got.status == pb.SESSION_STATUS_ACTIVE and got.stats.total == 0
    assert change_rows(server, session.session_id) == 0
    wait_until(lambda: spool_files(server) == [], timeout=20, what="spool released")
    # The session can still land afterwards.
    assert api.land_files(session.session_id, {"ok.txt": b"ok"}).changes == 1


def test_bad_third_change_stores_nothing(
    api: Api, server: MicServer, project: tuple[str, str]
) -> None:
    session = api.start(*project, "third is bad")
    changes = [
        Change("one.bin", ADDED, os.urandom(300 * 1024)),
        Change("two.txt", ADDED, b"inline"),
        Change("../three", ADDED, os.urandom(300 * 1024)),
    ]
    with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "../three"):
        api.land(land_requests(pb.LandHeader(session_id=session.session_id), changes))
    assert stored_objects(server, session.session_id) == []
    assert change_rows(server, session.session_id) == 0


def test_size_mismatch_after_stored_change(
    api: Api, server: MicServer, project: tuple[str, str]
) -> None:
    session = api.start(*project, "size")
    changes = [
        Change("big.bin", ADDED, os.urandom(2 * MIB)),
        Change("liar.bin", ADDED, os.urandom(200 * 1024), size=300 * 1024),
    ]
    with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "declared size"):
        api.land(land_requests(pb.LandHeader(session_id=session.session_id), changes))
    assert stored_objects(server, session.session_id) == []
    assert change_rows(server, session.session_id) == 0


def test_conflict_deletes_the_objects(
    api: Api, server: MicServer, project: tuple[str, str]
) -> None:
    org, proj = project
    loser = api.start(org, proj, "loser")
    api.land_files(api.start(org, proj, "winner").session_id, {"big.bin": b"x"})
    with expect_error(grpc.StatusCode.ABORTED, "big.bin"):
        api.land_files(loser.session_id, {"big.bin": os.urandom(300 * 1024)})
    assert stored_objects(server, loser.session_id) == []
    assert change_rows(server, loser.session_id) == 0


@pytest.mark.parametrize("moment", ["mid-stream", "after-stream"])
def test_kill_9_mid_land_then_restart(mic_server: MicServerFactory, moment: str) -> None:
    victim = mic_server()
    with Api(victim.address, victim.token) as api:
        api.project("crash", "p")
        session = api.start("crash", "p", "doomed")
    sent_all = threading.Event()
    errors: list[BaseException] = []

    def stream() -> Iterator[pb.LandItem]:
        if moment == "mid-stream":
            changes = [Change("big.bin", ADDED, os.urandom(64 * MIB))]
        else:  # many rows: the kill lands during ingest or the commit transaction
            changes = [Change(f"f/{i:05}.txt", ADDED, b"%d\n" % i) for i in range(3000)]
        for index, request in enumerate(
            land_requests(pb.LandHeader(session_id=session.session_id), changes)
        ):
            if moment == "mid-stream" and index == 20:
                sent_all.set()
                time.sleep(30)  # hold the stream open until the server dies
            yield request
        sent_all.set()

    def land() -> None:
        try:
            with Api(victim.address, victim.token) as client:
                client.land(stream())
        except BaseException as exc:  # the server's death: expected
            errors.append(exc)

    thread = threading.Thread(target=land, daemon=True)
    thread.start()
    assert sent_all.wait(60)
    victim.kill()
    thread.join(60)
    survivor = victim.restart()
    with Api(survivor.address, survivor.token) as api:
        got = api.sessions.GetSession(pb.GetSessionRequest(session_id=session.session_id))
        rows = change_rows(survivor, session.session_id)
        if got.status == pb.SESSION_STATUS_LANDED:  # the commit won the race: all of it
            assert moment == "after-stream" and rows == 3000 and got.stats.total == 3000
        else:
            assert got.status == pb.SESSION_STATUS_ACTIVE
            assert rows == 0 and got.stats.total == 0
            project = api.projects.GetProject(
                pb.GetProjectRequest(organization="crash", handle="p")
            )
            assert project.head_position == 0
            # ...and it lands normally now.
            assert api.land_files(session.session_id, {"x": b"1"}).landing_position == 1
    survivor.stop()


def test_cut_after_the_last_change_lands_nothing(api: Api, project: tuple[str, str]) -> None:
    """A client that cancels right after sending its last change (no half-close) must not
    land: gRPC first reports such a cancellation as a plain end of stream."""
    landed = 0
    for index in range(60):
        session = api.start(*project, "cut after last change")

        def stream(sid: str = session.session_id, n: int = index) -> Iterator[pb.LandItem]:
            yield from land_requests(pb.LandHeader(session_id=sid), [Change(f"f{n}", ADDED, b"x")])
            raise ClientGaveUp

        with pytest.raises(grpc.RpcError):
            api.land(stream())
        got = api.sessions.GetSession(pb.GetSessionRequest(session_id=session.session_id))
        landed += got.status == pb.SESSION_STATUS_LANDED
    assert landed == 0
