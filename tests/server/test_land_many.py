"""LandSessions: many sessions over one stream, each atomic, answered in order."""

from __future__ import annotations

import time

import pytest

from micelio.client import (
    AlreadyExists,
    Change,
    Landing,
    MicClient,
    NewSession,
)
from micelio.paths import InvalidPath
from tests.support.micserver import MicServer


def _landing(org: str, proj: str, n: int, files: dict[str, bytes], *, external: str = ""
             ) -> Landing:
    return Landing(
        changes=[Change(path, "added", data) for path, data in files.items()],
        create=NewSession(org, proj, f"session {n}"),
        external_id=external or None,
    )


@pytest.fixture
def client(server: MicServer):
    with MicClient(server.address, server.token) as c:
        yield c


def test_sessions_land_in_order_with_consecutive_positions(client, project) -> None:
    org, proj = project
    big = bytes(range(256)) * 1200  # 300 KiB: object storage, chunked
    landings = [
        _landing(org, proj, n, {f"f{n}.txt": f"{n}\n".encode(), f"big{n}.bin": big})
        for n in range(5)
    ]
    results = list(client.land_many(landings))
    assert [r.landing_position for r in results] == [1, 2, 3, 4, 5]
    assert [r.session.goal for r in results] == [f"session {n}" for n in range(5)]
    assert all(r.changes == 2 for r in results)
    tree = {e.file_path: e.size for e in client.get_tree(org, proj)}
    assert tree["f4.txt"] == 2 and tree["big0.bin"] == len(big)
    assert b"".join(client.read_file(org, proj, "big3.bin")) == big


def test_a_failure_keeps_the_sessions_before_it_and_lands_none_after(client, project) -> None:
    org, proj = project
    landings = [
        _landing(org, proj, 0, {"a.txt": b"a"}, external="x:0"),
        _landing(org, proj, 1, {"b.txt": b"b"}, external="x:1"),
        _landing(org, proj, 2, {"c.txt": b"c"}, external="x:0"),  # taken: ALREADY_EXISTS
        _landing(org, proj, 3, {"d.txt": b"d"}, external="x:3"),
    ]
    landed = []
    with pytest.raises(AlreadyExists):
        for result in client.land_many(landings):
            landed.append(result.landing_position)
    assert landed == [1, 2]
    assert client.get_project(org, proj).head_position == 2
    assert sorted(e.file_path for e in client.get_tree(org, proj)) == ["a.txt", "b.txt"]


def test_a_bad_path_mid_stream_stores_nothing_of_that_session(client, project) -> None:
    """The client refuses the path before sending it and cancels the stream: the session
    before it lands or not (depending on whether the server read the next header before the
    cancellation), the bad one and those after it never do."""
    org, proj = project
    bad = Landing(
        changes=[Change("ok.txt", "added", b"fine"), Change("../escape", "added", b"x")],
        create=NewSession(org, proj, "bad"),
    )
    landings = [_landing(org, proj, 0, {"first.txt": b"1"}), bad,
                _landing(org, proj, 2, {"never.txt": b"2"})]
    with pytest.raises(InvalidPath):
        list(client.land_many(landings))
    # The server may still be committing session 0 when the client has given up: wait for
    # the landing to settle, then the outcome must be one of the two whole states.
    outcomes = [([], []), (["first.txt"], ["session 0"])]
    deadline = time.monotonic() + 10
    while True:
        goals = [s.goal for s in client.iter_sessions(org, proj)]
        tree = sorted(e.file_path for e in client.get_tree(org, proj))
        if (tree, goals) in outcomes or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert (tree, goals) in outcomes
