"""LandSessions: many sessions over one stream, each atomic, answered in order."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from micelio.client import (
    AlreadyExists,
    Change,
    Landing,
    Message,
    MicClient,
    NewSession,
)
from micelio.paths import InvalidPath
from micelio.testing import MicServer


def _landing(
    org: str, proj: str, n: int, files: dict[str, bytes], *, external: str = ""
) -> Landing:
    return Landing(
        changes=[Change(path, "added", data) for path, data in files.items()],
        create=NewSession(org, proj, f"session {n}"),
        external_id=external or None,
    )


@pytest.fixture
def client(server: MicServer) -> Iterator[MicClient]:
    with MicClient(server.address, server.token) as c:
        yield c


def test_sessions_land_in_order_with_consecutive_positions(
    client: MicClient, project: tuple[str, str]
) -> None:
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


def test_a_failure_keeps_the_sessions_before_it_and_lands_none_after(
    client: MicClient, project: tuple[str, str]
) -> None:
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


def test_a_bad_path_mid_stream_stores_nothing_of_that_session(
    client: MicClient, project: tuple[str, str]
) -> None:
    """The client refuses the path before sending it and cancels the stream: the session
    before it lands or not (depending on whether the server read the next header before the
    cancellation), the bad one and those after it never do."""
    org, proj = project
    bad = Landing(
        changes=[Change("ok.txt", "added", b"fine"), Change("../escape", "added", b"x")],
        create=NewSession(org, proj, "bad"),
    )
    landings = [
        _landing(org, proj, 0, {"first.txt": b"1"}),
        bad,
        _landing(org, proj, 2, {"never.txt": b"2"}),
    ]
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


def test_a_failure_in_a_group_commit_lands_those_before_it_and_cleans_up_after(
    client: MicClient, project: tuple[str, str], server: MicServer
) -> None:
    """Sessions that arrive together are committed together; when one of them cannot land,
    the others before it still do, and the objects of those after it are deleted."""
    org, proj = project
    big = bytes(range(256)) * 1200  # object storage
    landings = [
        Landing(
            changes=[Change(f"big{n}.bin", "added", big), Change(f"f{n}.txt", "added", b"x")],
            create=NewSession(org, proj, f"session {n}", session_id=f"ses_group_{proj}_{n}"),
            external_id="taken" if n in (0, 20) else f"git:{n}",
        )
        for n in range(30)
    ]
    landed = []
    with pytest.raises(AlreadyExists, match="taken"):
        for result in client.land_many(landings):
            landed.append(result.landing_position)
    assert landed == list(range(1, 21))
    assert client.get_project(org, proj).head_position == 20
    objects = server.data_dir / "objects" / "sessions"
    deadline = time.monotonic() + 10  # the receiving thread may still be cleaning up
    while True:
        # The session's .bin files, by their exact paths: a folder being deleted meanwhile
        # would fail a scan of it.
        left = [
            n
            for n in range(20, 30)
            if (objects / f"ses_group_{proj}_{n}" / "changes" / f"big{n}.bin").exists()
        ]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert left == []
    assert all(
        (objects / f"ses_group_{proj}_{n}" / "changes" / f"big{n}.bin").exists() for n in range(20)
    )


def test_line_counts_follow_the_earlier_sessions_of_the_same_stream(
    client: MicClient, project: tuple[str, str]
) -> None:
    org, proj = project
    steps = [
        ("added", b"1\n2\n3\n"),
        ("modified", b"1\n2\n4\n5\n"),
        ("modified", b"0\n1\n2\n4\n5\n"),
        ("deleted", None),
    ]
    landings = [
        Landing(changes=[Change("a.txt", kind, data)], create=NewSession(org, proj, f"s{n}"))
        for n, (kind, data) in enumerate(steps)
    ]
    results = list(client.land_many(landings))
    counts = []
    for result in results:
        (change,) = client.list_changes(result.session.session_id).items
        counts.append((change.metadata["lines_added"], change.metadata["lines_deleted"]))
    assert counts == [(3, 0), (2, 1), (1, 0), (0, 5)]


def test_answers_are_brief_and_the_session_keeps_everything(
    client: MicClient, project: tuple[str, str]
) -> None:
    org, proj = project
    landing = Landing(
        changes=[Change("a.txt", "added", b"a")],
        create=NewSession(
            org, proj, "goal", conversation=[Message("human", "why")], metadata={"k": 1}
        ),
        external_id="git:brief",
    )
    (result,) = client.land_many([landing])
    assert result.session.goal == "goal" and result.session.external_id == "git:brief"
    assert not result.session.conversation and not result.session.metadata
    full = client.get_session(result.session.session_id)
    assert [m.content for m in full.conversation] == ["why"]
    assert full.metadata == {"k": 1}
