"""Tokens on every call: missing/wrong → UNAUTHENTICATED; read-only, other organization and
minting beyond one's scope → PERMISSION_DENIED. Health and reflection need no token."""

from __future__ import annotations

import stat
import uuid
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from micelio.testing import MicServer
from micelio.v1 import micelio_pb2 as pb
from tests.support.rpc import Api, expect_error

DENIED = grpc.StatusCode.PERMISSION_DENIED


@pytest.fixture(scope="module")
def orgs(sqlite_server: MicServer) -> dict[str, str]:
    """Two organizations with a project and a landed session each, plus tokens."""
    tag = uuid.uuid4().hex[:8]
    out: dict[str, str] = {}
    with Api(sqlite_server.address, sqlite_server.token) as admin:
        for name in ("a", "b"):
            org = f"auth-{name}-{tag}"
            admin.project(org, "p")
            session = admin.start(org, "p", "landed")
            admin.land_files(session.session_id, {"f.txt": b"1"})
            out[f"{name}.org"] = org
            out[f"{name}.session"] = session.session_id
            out[f"{name}.active"] = admin.start(org, "p", "active").session_id
            for role in ("read", "write", "admin"):
                minted = admin.projects.CreateToken(
                    pb.CreateTokenRequest(organization=org, role=role, description=role)
                )
                assert minted.token.startswith("mic_") and minted.role == role
                out[f"{name}.{role}"] = minted.token
    return out


def test_missing_and_wrong_tokens(sqlite_server: MicServer) -> None:
    for token in (None, "mic_wrong", ""):
        with Api(sqlite_server.address, token) as api:
            with expect_error(grpc.StatusCode.UNAUTHENTICATED):
                api.projects.ListOrganizations(pb.ListOrganizationsRequest())
            with expect_error(grpc.StatusCode.UNAUTHENTICATED):
                list(api.content.GetTree(pb.GetTreeRequest(organization="x", project="y")))
            with expect_error(grpc.StatusCode.UNAUTHENTICATED):
                api.land(iter([pb.LandItem(header=pb.LandHeader(session_id="x"))]))
    with grpc.insecure_channel(sqlite_server.address) as channel:
        stub = pb_stub(channel)
        with expect_error(grpc.StatusCode.UNAUTHENTICATED, "Bearer"):
            stub.ListOrganizations(
                pb.ListOrganizationsRequest(),
                metadata=(("authorization", f"Basic {sqlite_server.token}"),),
            )


def pb_stub(channel: grpc.Channel) -> Any:
    from micelio.v1 import micelio_pb2_grpc

    return micelio_pb2_grpc.ProjectServiceStub(channel)


def test_read_token_reads_but_cannot_write(sqlite_server: MicServer, orgs: dict[str, str]) -> None:
    org, landed, active = orgs["a.org"], orgs["a.session"], orgs["a.active"]
    with Api(sqlite_server.address, orgs["a.read"]) as api:
        assert api.sessions.GetSession(pb.GetSessionRequest(session_id=landed)).stats.total == 1
        assert set(api.tree(org, "p")) == {"f.txt"}
        assert api.read_change(landed, "f.txt") == b"1"
        assert api.sessions.ListSessions(pb.ListSessionsRequest(organization=org)).total == 2
        with expect_error(DENIED, "read"):
            api.start(org, "p", "nope")
        with expect_error(DENIED):
            api.land_files(active, {"g": b"2"})
        with expect_error(DENIED):
            api.land(
                iter(
                    [
                        pb.LandItem(
                            header=pb.LandHeader(
                                create=pb.StartSessionRequest(
                                    organization=org, project="p", goal="g"
                                )
                            )
                        )
                    ]
                )
            )
        with expect_error(DENIED):
            api.sessions.AddMessage(
                pb.AddMessageRequest(
                    session_id=active, message=pb.ConversationMessage(role="h", content="x")
                )
            )
        with expect_error(DENIED):
            api.sessions.AddDecision(
                pb.AddDecisionRequest(session_id=active, decision=pb.Decision(decision="x"))
            )
        with expect_error(DENIED):
            api.sessions.AbandonSession(pb.AbandonSessionRequest(session_id=active))
        with expect_error(DENIED):
            api.projects.CreateProject(pb.CreateProjectRequest(organization=org, handle="q"))
        with expect_error(DENIED):
            api.projects.CreateToken(pb.CreateTokenRequest(organization=org, role="read"))


def test_other_organization_is_off_limits(sqlite_server: MicServer, orgs: dict[str, str]) -> None:
    other, other_session, other_active = orgs["b.org"], orgs["b.session"], orgs["b.active"]
    with Api(sqlite_server.address, orgs["a.write"]) as api:
        with expect_error(DENIED):
            api.sessions.GetSession(pb.GetSessionRequest(session_id=other_session))
        with expect_error(DENIED):
            api.read_change(other_session, "f.txt")
        with expect_error(DENIED):
            api.land_files(other_active, {"g": b"2"})
        with expect_error(DENIED):
            api.sessions.AddMessage(
                pb.AddMessageRequest(
                    session_id=other_active, message=pb.ConversationMessage(role="h", content="x")
                )
            )
        with expect_error(DENIED):
            api.start(other, "p", "intrusion")
        with expect_error(DENIED):
            api.tree(other, "p")
        with expect_error(DENIED):
            api.read_file(other, "p", "f.txt")
        with expect_error(DENIED):
            api.projects.GetProject(pb.GetProjectRequest(organization=other, handle="p"))
        with expect_error(DENIED):
            api.sessions.ListSessions(pb.ListSessionsRequest(organization=other))
        with expect_error(DENIED):
            api.sessions.FindSession(
                pb.FindSessionRequest(organization=other, project="p", latest=True)
            )
        # Unfiltered listings show only the token's organization.
        listed = api.sessions.ListSessions(pb.ListSessionsRequest())
        assert {s.organization for s in listed.sessions} == {orgs["a.org"]}
        organizations = api.projects.ListOrganizations(pb.ListOrganizationsRequest())
        assert [o.handle for o in organizations.organizations] == [orgs["a.org"]]
        # Its own organization works.
        own = api.start(orgs["a.org"], "p", "mine")
        assert api.land_files(own.session_id, {"mine.txt": b"m"}).landing_position >= 2


def test_minting_scopes(sqlite_server: MicServer, orgs: dict[str, str]) -> None:
    with Api(sqlite_server.address, orgs["a.admin"]) as api:
        minted = api.projects.CreateToken(
            pb.CreateTokenRequest(organization=orgs["a.org"], role="write")
        )
        assert minted.organization == orgs["a.org"]
        with expect_error(DENIED):
            api.projects.CreateToken(pb.CreateTokenRequest(organization=orgs["b.org"], role="read"))
        with expect_error(DENIED):
            api.projects.CreateToken(pb.CreateTokenRequest(role="admin"))
        with expect_error(DENIED):
            api.projects.CreateOrganization(pb.CreateOrganizationRequest(handle="new-org"))
    with Api(sqlite_server.address, minted.token) as api:
        assert api.start(orgs["a.org"], "p", "with a minted token").session_id
    with Api(sqlite_server.address, sqlite_server.token) as admin:
        server_wide = admin.projects.CreateToken(pb.CreateTokenRequest(role="read"))
        assert server_wide.organization == ""
        with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "role"):
            admin.projects.CreateToken(pb.CreateTokenRequest(role="owner"))
        with expect_error(grpc.StatusCode.NOT_FOUND):
            admin.projects.CreateToken(pb.CreateTokenRequest(organization="ghost", role="read"))
    with Api(sqlite_server.address, server_wide.token) as api:
        assert api.sessions.GetSession(pb.GetSessionRequest(session_id=orgs["b.session"]))
        with expect_error(DENIED):
            api.start(orgs["b.org"], "p", "read-only everywhere")


def test_admin_token_file_is_private(sqlite_server: MicServer) -> None:
    mode = (sqlite_server.data_dir / "admin.token").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_health_and_reflection_need_no_token(sqlite_server: MicServer) -> None:
    with grpc.insecure_channel(sqlite_server.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "micelio.v1.SessionService", "micelio.v1.ContentService"):
            answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        answers = list(
            reflection.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
            )
        )
        names = {s.name for s in answers[0].list_services_response.service}
        assert {
            "micelio.v1.SessionService",
            "micelio.v1.ProjectService",
            "micelio.v1.ContentService",
            "grpc.health.v1.Health",
        } <= names
        described = list(
            reflection.ServerReflectionInfo(
                iter(
                    [
                        reflection_pb2.ServerReflectionRequest(
                            file_containing_symbol="micelio.v1.SessionService"
                        )
                    ]
                ),
                timeout=5,
            )
        )
        assert described[0].file_descriptor_response.file_descriptor_proto
