"""Hostile clients against ``ReadFiles``, the many-files stream, over raw gRPC.

- no token: UNAUTHENTICATED; another organization's token: PERMISSION_DENIED, no byte of the
  victim's files streamed;
- bounded work per call: more than 10,000 paths, or a whole tree and paths at once, are
  refused before any read (INVALID_ARGUMENT); an invalid path is refused the same way;
- bounded memory per message: a file of several chunks arrives in messages well under gRPC's
  4 MiB, each item at most 1 MiB;
- a position beyond the head is NOT_FOUND, and absent paths are skipped, not guessed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import grpc
import pytest

from micelio.testing import MicServer
from micelio.v1 import micelio_pb2 as pb
from tests.support.fixture_types import MicServerFactory
from tests.support.rpc import Api, expect_error

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server(mic_server: MicServerFactory) -> Iterator[MicServer]:
    srv = mic_server()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def victim(server: MicServer) -> tuple[str, bytes]:
    """An organization with one project holding a 2.5 MiB file; returns (org, its bytes)."""
    org = f"victim{uuid.uuid4().hex[:8]}"
    big = os.urandom(5 * MIB // 2)
    with Api(server.address, server.token) as admin:
        admin.project(org, "p")
        session = admin.start(org, "p")
        admin.land_files(session.session_id, {"big.bin": big, "small.txt": b"hi\n"})
    return org, big


def _request(org: str, **fields: object) -> pb.ReadFilesRequest:
    return pb.ReadFilesRequest(organization=org, project="p", **fields)  # type: ignore[arg-type]


def _outsider(server: MicServer) -> str:
    org = f"other{uuid.uuid4().hex[:8]}"
    with Api(server.address, server.token) as admin:
        admin.project(org, "p")
        minted = admin.projects.CreateToken(
            pb.CreateTokenRequest(organization=org, role="admin", description="outsider")
        )
    token: str = minted.token
    return token


def test_anonymous_and_other_organizations_read_nothing(
    server: MicServer, victim: tuple[str, bytes]
) -> None:
    org, _ = victim
    with Api(server.address, None) as anonymous, expect_error(grpc.StatusCode.UNAUTHENTICATED):
        list(anonymous.content.ReadFiles(_request(org, whole_tree=True)))
    with Api(server.address, _outsider(server)) as outsider:
        got: list[pb.ReadFilesResponse] = []
        with expect_error(grpc.StatusCode.PERMISSION_DENIED):
            got.extend(outsider.content.ReadFiles(_request(org, whole_tree=True)))
        assert got == []
        paths = [pb.PathRef(file_path="big.bin")]
        with expect_error(grpc.StatusCode.PERMISSION_DENIED):
            got.extend(outsider.content.ReadFiles(_request(org, paths=paths)))
        assert got == []


def test_work_per_call_is_bounded(server: MicServer, victim: tuple[str, bytes]) -> None:
    org, _ = victim
    with Api(server.address, server.token) as admin:
        too_many = [pb.PathRef(file_path=f"f{i}") for i in range(10_001)]
        with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "too many paths"):
            list(admin.content.ReadFiles(_request(org, paths=too_many)))
        both = [pb.PathRef(file_path="small.txt")]
        with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "whole_tree"):
            list(admin.content.ReadFiles(_request(org, whole_tree=True, paths=both)))
        for bad in ("../etc/passwd", "/abs", "a/.mic/state.json", ""):
            refs = [pb.PathRef(file_path=bad)]
            with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "invalid path"):
                list(admin.content.ReadFiles(_request(org, paths=refs)))
        beyond = _request(org, whole_tree=True, has_position=True, position=99)
        with expect_error(grpc.StatusCode.NOT_FOUND):
            list(admin.content.ReadFiles(beyond))


def test_big_files_come_in_bounded_messages(server: MicServer, victim: tuple[str, bytes]) -> None:
    org, big = victim
    with Api(server.address, server.token) as admin:
        refs = [pb.PathRef(file_path=p) for p in ("big.bin", "absent.txt", "small.txt")]
        responses = list(admin.content.ReadFiles(_request(org, paths=refs)))
    assert all(r.ByteSize() < 3 * MIB for r in responses)
    items = [item for r in responses for item in r.items]
    assert all(len(item.data) <= MIB for item in items)
    entries = [item.entry.file_path for item in items if item.WhichOneof("item") == "entry"]
    assert entries == ["big.bin", "small.txt"]  # the absent path is skipped
    data = [item.data for item in items if item.WhichOneof("item") == "data"]
    assert b"".join(data) == big + b"hi\n"
    assert len(responses) >= 3 and responses[0].position == 1
