"""Hostile clients against ``RebaseSession`` (``mic sync`` moves a session's base), on a real
server: no token, a token of another organization, a reader, another writer's session, a
landed session, a position beyond the head or negative. Each is refused and the base stays."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import grpc
import pytest

from micelio.testing import MicServer
from micelio.v1 import micelio_pb2 as pb
from tests.support.fixture_types import MicServerFactory
from tests.support.rpc import Api, expect_error

DENIED = grpc.StatusCode.PERMISSION_DENIED


@pytest.fixture(scope="module")
def server(mic_server: MicServerFactory) -> Iterator[MicServer]:
    srv = mic_server()
    yield srv
    srv.stop()


def _mint(api: Api, org: str, role: str, description: str) -> str:
    minted: pb.CreateTokenResponse = api.projects.CreateToken(
        pb.CreateTokenRequest(organization=org, role=role, description=description)
    )
    return minted.token


def _base(api: Api, session_id: str) -> int:
    got: pb.Session = api.sessions.GetSession(pb.GetSessionRequest(session_id=session_id))
    return got.base_position


def test_rebase_checks_token_organization_steward_and_bounds(server: MicServer) -> None:
    org, other = f"rb-{uuid.uuid4().hex[:8]}", f"rb-{uuid.uuid4().hex[:8]}"
    with Api(server.address, server.token) as admin:
        admin.project(org, "p")
        admin.project(other, "p")
        ana = _mint(admin, org, "write", "ana")
        bob = _mint(admin, org, "write", "bob")
        reader = _mint(admin, org, "read", "reader")
        outsider = _mint(admin, other, "admin", "outsider")
        for n in range(2):  # head 2
            started = admin.start(org, "p", f"land {n}")
            admin.land_files(started.session_id, {f"f{n}.txt": b"x"})
    with Api(server.address, ana) as api:
        session = api.start(org, "p", "ana's work", base_position=0).session_id
        # The starter may move the base, within 0..head, and the conversation stays.
        api.sessions.AddMessage(
            pb.AddMessageRequest(
                session_id=session, message=pb.ConversationMessage(role="human", content="hi")
            )
        )
        moved = api.sessions.RebaseSession(
            pb.RebaseSessionRequest(session_id=session, base_position=2)
        )
        assert (moved.base_position, moved.status) == (2, pb.SESSION_STATUS_ACTIVE)
        assert [m.content for m in moved.conversation] == ["hi"]
        for bad in (3, 10**15, -1):
            with expect_error(grpc.StatusCode.INVALID_ARGUMENT):
                api.sessions.RebaseSession(
                    pb.RebaseSessionRequest(session_id=session, base_position=bad)
                )
        with expect_error(grpc.StatusCode.NOT_FOUND):
            api.sessions.RebaseSession(pb.RebaseSessionRequest(session_id="ses_nope"))
    with Api(server.address, None) as api, expect_error(grpc.StatusCode.UNAUTHENTICATED):
        api.sessions.RebaseSession(pb.RebaseSessionRequest(session_id=session, base_position=0))
    for token in (bob, reader, outsider):
        with Api(server.address, token) as api, expect_error(DENIED):
            api.sessions.RebaseSession(pb.RebaseSessionRequest(session_id=session, base_position=0))
    with Api(server.address, server.token) as admin:
        assert _base(admin, session) == 2
        # A session that is no longer active keeps its base.
        admin.sessions.AbandonSession(pb.AbandonSessionRequest(session_id=session))
        with expect_error(grpc.StatusCode.FAILED_PRECONDITION, "abandoned"):
            admin.sessions.RebaseSession(
                pb.RebaseSessionRequest(session_id=session, base_position=0)
            )
        assert _base(admin, session) == 2
