"""MicClient against a real server process: landing (both forms), pagination, content."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from micelio.client import (
    CHUNK_SIZE,
    AlreadyExists,
    Change,
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    LandingError,
    Message,
    MicClient,
    NewSession,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
    session_to_dict,
)


@pytest.fixture(scope="module")
def server(mic_server: Callable[..., Any]) -> Any:
    srv = mic_server()
    yield srv
    srv.stop()


@pytest.fixture
def mic(server: Any) -> Iterator[MicClient]:
    with MicClient(server.address, server.token) as client:
        yield client


@pytest.fixture
def project(mic: MicClient, request: pytest.FixtureRequest) -> tuple[str, str]:
    name = request.node.name.replace("_", "-")[:60].strip("-")
    mic.create_organization("clients", exist_ok=True)
    mic.create_project("clients", name, exist_ok=True)
    return "clients", name


def test_create_form_lands_atomically_and_idempotently(
    mic: MicClient, project: tuple[str, str], tmp_path: Path
) -> None:
    org, proj = project
    big = tmp_path / "big"
    big.write_bytes(os.urandom(CHUNK_SIZE * 2 + 3))
    at = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    seen: list[int] = []
    changes = [
        Change("small.txt", "added", b"small\n"),
        Change("dir/big.bin", "added", big),
        Change(b"caf\xe9", "added", iter([b"chunk1", b"chunk2"]), size=12),
        Change("tool", "added", b"#!/bin/sh\n", mode=0o100755),
        Change("link", "added", b"small.txt", mode=0o120000),
        Change("empty", "added", b""),
    ]
    result = mic.land(
        iter(changes),
        create=NewSession(
            org,
            proj,
            "Imported commit",
            conversation=[Message("commit", "msg", "Ann <a@x>", at, "commit:abc")],
            metadata={"git": {"oid": "abc"}},
        ),
        external_id="git:abc",
        landed_at=at,
        started_at=at,
        metadata={"extra": 1},
        progress=lambda p: seen.append(p.bytes),
    )
    assert result.landing_position == 1 and result.changes == 6
    assert seen and seen[-1] == 6 + big.stat().st_size + 12 + 10 + 9
    session = result.session
    assert session.external_id == "git:abc" and session.landed_at == at
    assert session.started_at == at
    assert session.metadata["git"] == {"oid": "abc"} and session.metadata["extra"] == 1
    assert session.conversation[0].reference == "commit:abc"
    assert session.conversation[0].author == "Ann <a@x>"

    with pytest.raises(AlreadyExists) as again:
        mic.land(
            [Change("x", "added", b"x")],
            create=NewSession(org, proj, "again"),
            external_id="git:abc",
        )
    found = mic.find_session(org, proj, external_id="git:abc")
    assert found is not None and found.session_id == session.session_id
    assert again.value.session_id in (None, session.session_id)
    assert mic.find_session(org, proj, external_id="git:nope") is None
    latest = mic.find_session(org, proj, latest=True)
    assert latest is not None and latest.session_id == session.session_id

    tree = {e.path: e for e in mic.get_tree(org, proj)}
    assert set(tree) == {b"small.txt", b"dir/big.bin", b"caf\xe9", b"tool", b"link", b"empty"}
    assert tree[b"tool"].mode == 0o100755 and tree[b"link"].mode == 0o120000
    assert tree[b"dir/big.bin"].sha256 == hashlib.sha256(big.read_bytes()).hexdigest()
    chunks = list(mic.read_file(org, proj, b"dir/big.bin"))
    assert len(chunks) >= 3 and all(len(c) <= CHUNK_SIZE for c in chunks)
    assert b"".join(chunks) == big.read_bytes()
    assert b"".join(mic.read_file(org, proj, b"caf\xe9", position=1)) == b"chunk1chunk2"
    assert b"".join(mic.read_change(session.session_id, "empty")) == b""
    assert list(mic.get_tree(org, proj, position=0)) == []
    assert [e.path for e in mic.get_tree(org, proj, path_prefix="dir")] == [b"dir/big.bin"]

    changes_back = list(mic.iter_changes(session.session_id, page_size=2))
    assert len(changes_back) == 6
    assert {c.path for c in changes_back} == set(tree)
    assert mic.get_change_stats(session.session_id).added == 6
    d = session_to_dict(mic.get_session(session.session_id), changes_back)
    assert d["external_id"] == "git:abc" and len(d["changes"]) == 6


def test_failed_content_lands_nothing(
    mic: MicClient, project: tuple[str, str], tmp_path: Path
) -> None:
    org, proj = project
    session = mic.start_session(org, proj, "will fail")

    def broken() -> Iterator[bytes]:
        yield b"abc"
        raise OSError("disk on fire")

    with pytest.raises(OSError, match="disk on fire"):
        mic.land(
            [Change("a", "added", b"a"), Change("b", "added", broken(), size=6)],
            session_id=session.session_id,
        )
    with pytest.raises(LandingError, match="expected"):
        mic.land([Change("a", "added", iter([b"abc"]), size=5)], session_id=session.session_id)
    missing = tmp_path / "missing"
    with pytest.raises(FileNotFoundError):
        mic.land([Change("m", "added", missing)], session_id=session.session_id)

    def interrupted() -> Iterator[Change]:
        yield Change("a", "added", b"a")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        mic.land(interrupted(), session_id=session.session_id)
    assert mic.get_session(session.session_id).status == "active"
    assert mic.get_project(org, proj).head_position == 0

    landed = mic.land([Change("a", "added", b"a")], session_id=session.session_id)
    assert landed.landing_position == 1
    with pytest.raises(FailedPrecondition):
        mic.land([], session_id=session.session_id)
    with pytest.raises(FailedPrecondition):
        mic.add_message(session.session_id, "late")


def test_pagination_and_filters(mic: MicClient, project: tuple[str, str]) -> None:
    org, proj = project
    for i in range(7):
        mic.land([Change(f"f{i}.txt", "added", b"x")], create=NewSession(org, proj, f"session {i}"))
    abandoned = mic.start_session(org, proj, "abandon me")
    mic.abandon_session(abandoned.session_id, reason="no")
    everything = list(mic.iter_sessions(org, proj, page_size=3))
    assert len(everything) == 8
    landed = list(mic.iter_sessions(org, proj, status="landed", page_size=2))
    assert [s.landing_position for s in landed] == [7, 6, 5, 4, 3, 2, 1]
    oldest = list(mic.iter_sessions(org, proj, status="landed", oldest_first=True, limit=3))
    assert [s.landing_position for s in oldest] == [1, 2, 3]
    assert [s.goal for s in mic.iter_sessions(org, proj, path_glob="f3.txt")] == ["session 3"]
    assert [s.goal for s in mic.iter_sessions(org, proj, text="ABANDON")] == ["abandon me"]
    page = mic.list_sessions(org, proj, page_size=5)
    assert len(page.items) == 5 and page.next_page_token and page.total == 8


def test_errors_map_to_the_hierarchy(mic: MicClient, server: Any, project: tuple[str, str]) -> None:
    org, proj = project
    with pytest.raises(NotFound):
        mic.get_session("ses_missing")
    with pytest.raises(InvalidArgument):
        mic.create_organization("not a handle!")
    with pytest.raises(ValueError):
        mic.land([], session_id="a", create=NewSession(org, proj, "both"))
    with MicClient(server.address, "mic_bogus") as bogus, pytest.raises(Unauthenticated):
        bogus.list_organizations()
    reader = mic.create_token("read", organization=org).token
    with MicClient(server.address, reader) as ro:
        assert ro.get_project(org, proj).handle == proj
        with pytest.raises(PermissionDenied):
            ro.start_session(org, proj, "nope")
    with MicClient("127.0.0.1:9", "t") as nowhere, pytest.raises(Unavailable) as caught:
        nowhere.list_organizations()
    assert "127.0.0.1:9" in str(caught.value)


def test_from_environment_reads_the_local_server(
    server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MIC_SERVER", raising=False)
    monkeypatch.delenv("MIC_TOKEN", raising=False)
    monkeypatch.setenv("MIC_DATA_DIR", str(server.data_dir))
    with MicClient.from_environment() as client:
        assert client.address == server.address
        client.list_organizations()


def test_conflict_names_the_paths(mic: MicClient, project: tuple[str, str]) -> None:
    org, proj = project
    mic.land(
        [Change("a", "added", b"1"), Change("b", "added", b"1")],
        create=NewSession(org, proj, "seed"),
    )
    first = mic.start_session(org, proj, "first")
    second = mic.start_session(org, proj, "second")
    mic.land(
        [Change("a", "modified", b"2"), Change("b", "modified", b"2")], session_id=first.session_id
    )
    with pytest.raises(Conflict) as caught:
        mic.land(
            [Change("a", "modified", b"3"), Change("b", "modified", b"3")],
            session_id=second.session_id,
        )
    assert set(caught.value.paths) == {"a", "b"}
    assert mic.get_session(second.session_id).status == "active"
