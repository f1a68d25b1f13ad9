"""Hostile clients against ``WhoAmI``: it answers the caller's own token, never a secret,
never another token, and nothing to a client without a valid token."""

from __future__ import annotations

import uuid

import grpc

from micelio.v1 import micelio_pb2 as pb
from tests.support.fixture_types import MicServerFactory
from tests.support.rpc import Api, expect_error


def test_whoami_shows_only_the_callers_own_token(mic_server: MicServerFactory) -> None:
    server = mic_server()
    org = f"who-{uuid.uuid4().hex[:8]}"
    with Api(server.address, server.token) as admin:
        admin.project(org, "p")
        reader: pb.CreateTokenResponse = admin.projects.CreateToken(
            pb.CreateTokenRequest(organization=org, role="read", description="dashboard")
        )
        me: pb.TokenInfo = admin.projects.WhoAmI(pb.WhoAmIRequest())
    assert (me.role, me.organization) == ("admin", "")
    with Api(server.address, reader.token) as api:
        # Fields a hostile client might hope to steer are ignored: the request has none.
        info: pb.TokenInfo = api.projects.WhoAmI(pb.WhoAmIRequest())
        assert (info.id, info.role, info.organization, info.description) == (
            reader.info.id,
            "read",
            org,
            "dashboard",
        )
        assert reader.token not in str(info)  # only hashes are stored; no secret comes back
        admin_tokens = api.projects.ListTokens
        with expect_error(grpc.StatusCode.PERMISSION_DENIED):
            admin_tokens(pb.ListTokensRequest())  # seeing oneself is not seeing the others


def test_whoami_refuses_missing_bad_and_revoked_tokens(mic_server: MicServerFactory) -> None:
    server = mic_server()
    org = f"who-{uuid.uuid4().hex[:8]}"
    with Api(server.address, server.token) as admin:
        admin.project(org, "p")
        minted: pb.CreateTokenResponse = admin.projects.CreateToken(
            pb.CreateTokenRequest(organization=org, role="write", description="bot")
        )
        admin.projects.RevokeToken(pb.RevokeTokenRequest(id=minted.info.id))
    for token in (None, "mic_not-a-token", minted.token):
        with Api(server.address, token) as api, expect_error(grpc.StatusCode.UNAUTHENTICATED):
            api.projects.WhoAmI(pb.WhoAmIRequest())
