"""Hostile clients against ``Diff``, the diff between positions, over raw gRPC.

- no token: UNAUTHENTICATED; another organization's token (even its admin): PERMISSION_DENIED
  and no line of the victim's files;
- bounded work per call: more than 1,000 paths or 100 pathspecs, an invalid path or a malformed
  pathspec are refused before any read (INVALID_ARGUMENT); a position beyond the head is
  NOT_FOUND;
- bounded memory: a file over the per-file cap (2 MiB) is named without being read or diffed,
  and the answer stays small whatever the file's size.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import grpc
import pytest

from micelio.testing import MicServer
from micelio.v1 import micelio_pb2 as pb
from tests.support.fixture_types import MicServerFactory
from tests.support.rpc import Api, expect_error

MIB = 1024 * 1024
SECRET = b"the victim's secret\n"


@pytest.fixture(scope="module")
def server(mic_server: MicServerFactory) -> Iterator[MicServer]:
    srv = mic_server()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def victim(server: MicServer) -> str:
    """An organization whose project has a secret file and, at 2, a 3 MiB file."""
    org = f"victim{uuid.uuid4().hex[:8]}"
    with Api(server.address, server.token) as admin:
        admin.project(org, "p")
        first = admin.start(org, "p")
        admin.land_files(first.session_id, {"secret.txt": SECRET})
        second = admin.start(org, "p")
        admin.land_files(second.session_id, {"huge.txt": b"x\n" * (3 * MIB // 2)})
    return org


def _request(org: str, **fields: object) -> pb.DiffRequest:
    return pb.DiffRequest(organization=org, project="p", **fields)  # type: ignore[arg-type]


def _outsider(server: MicServer) -> str:
    org = f"other{uuid.uuid4().hex[:8]}"
    with Api(server.address, server.token) as admin:
        admin.project(org, "p")
        minted = admin.projects.CreateToken(
            pb.CreateTokenRequest(organization=org, role="admin", description="outsider")
        )
    token: str = minted.token
    return token


def test_anonymous_and_other_organizations_see_nothing(server: MicServer, victim: str) -> None:
    whole = _request(victim, has_from=True, from_position=0, has_to=True, to_position=1)
    with Api(server.address, None) as anonymous, expect_error(grpc.StatusCode.UNAUTHENTICATED):
        list(anonymous.content.Diff(whole))
    with Api(server.address, _outsider(server)) as outsider:
        got: list[pb.DiffResponse] = []
        with expect_error(grpc.StatusCode.PERMISSION_DENIED):
            got.extend(outsider.content.Diff(whole))
        with expect_error(grpc.StatusCode.PERMISSION_DENIED):
            got.extend(outsider.content.Diff(_request(victim, globs=["*"])))
        assert got == []
    with Api(server.address, server.token) as admin:  # the same request answers its owner
        (answer,) = list(admin.content.Diff(whole))
        assert answer.files[0].hunks == b"@@ -0,0 +1 @@\n+" + SECRET


def test_work_per_call_is_bounded(server: MicServer, victim: str) -> None:
    with Api(server.address, server.token) as admin:
        many = [pb.PathRef(file_path=f"f{i}") for i in range(1001)]
        with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "too many paths"):
            list(admin.content.Diff(_request(victim, paths=many)))
        with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "too many pathspecs"):
            list(admin.content.Diff(_request(victim, globs=["*"] * 101)))
        for bad in ("../etc/passwd", "/abs", "a/.mic/state.json", ""):
            with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "invalid path"):
                list(admin.content.Diff(_request(victim, paths=[pb.PathRef(file_path=bad)])))
        with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "unclosed"):
            list(admin.content.Diff(_request(victim, globs=["[abc"])))
        with expect_error(grpc.StatusCode.NOT_FOUND, "position 99"):
            list(admin.content.Diff(_request(victim, has_to=True, to_position=99)))
        with expect_error(grpc.StatusCode.NOT_FOUND, "position 99"):
            list(admin.content.Diff(_request(victim, has_from=True, from_position=99)))


def test_a_file_over_the_cap_is_not_diffed(server: MicServer, victim: str) -> None:
    with Api(server.address, server.token) as admin:
        responses = list(admin.content.Diff(_request(victim)))  # the head's session
    (only,) = [f for r in responses for f in r.files]
    assert only.file_path == "huge.txt" and only.hunks == b"" and "too large" in only.omitted
    assert sum(r.ByteSize() for r in responses) < 1024
