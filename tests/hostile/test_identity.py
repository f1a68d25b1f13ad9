"""Hostile clients against tokens and identities, over raw gRPC and HTTP, on real servers.

- A revoked token is refused at once by two server processes sharing one PostgreSQL
  database, on gRPC and on the web viewer; an expired token is refused too.
- A writer of an organization cannot abandon, note, decide on or land another token's
  active session; the starter and the organization's admin can.
- The identities the server records cannot be forged: a client's ``token`` is ignored, a
  claimed ``author`` stays claimed beside the verified identity.
- The conversation limit holds at its boundary and an append costs the same at 100,000
  messages as at 10.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from sqlalchemy import insert, select, update

from micelio.database.engine import Database
from micelio.database.models import Session as SessionRow
from micelio.database.models import SessionMessage
from micelio.testing import MicServer, start_mic_server
from micelio.v1 import micelio_pb2 as pb
from tests.support.fixture_types import MicServerFactory
from tests.support.postgres import PostgresCluster
from tests.support.rpc import ADDED, Api, Change, expect_error, land_requests
from tests.support.web import Answer, Site

UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
DENIED = grpc.StatusCode.PERMISSION_DENIED
EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED


def _mint(
    api: Api, org: str, role: str, description: str, expires: int = 0
) -> pb.CreateTokenResponse:
    minted: pb.CreateTokenResponse = api.projects.CreateToken(
        pb.CreateTokenRequest(
            organization=org, role=role, description=description, expires_in_seconds=expires
        )
    )
    return minted


def _web(server: MicServer, token: str, path: str = "/") -> Answer:
    site = Site(server=server, admin=token, reader=token, outsider=token)
    return site.request(path, token=token)


@pytest.fixture(scope="module")
def two_servers(
    postgres_cluster: PostgresCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[MicServer, MicServer]]:
    """Two server processes on one PostgreSQL database (each with its own data dir)."""
    db_url = postgres_cluster.create_database()
    first = start_mic_server(tmp_path_factory.mktemp("one"), db_url=db_url)
    second = start_mic_server(tmp_path_factory.mktemp("two"), db_url=db_url)
    yield first, second
    for server in (first, second):
        server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MicServer]:
    """A SQLite server with a small conversation limit (4 KiB), to test its boundary."""
    srv = start_mic_server(
        tmp_path_factory.mktemp("limited"), extra_env={"MIC_MAX_CONVERSATION_BYTES": "4096"}
    )
    yield srv
    srv.stop()


def _org(api: Api) -> str:
    org = f"id-{uuid.uuid4().hex[:8]}"
    api.project(org, "p")
    return org


# --- tokens -------------------------------------------------------------------------------


def test_a_revoked_token_is_refused_at_once_by_every_server(
    two_servers: tuple[MicServer, MicServer],
) -> None:
    one, two = two_servers
    with Api(one.address, one.token) as admin:
        org = _org(admin)
        by_id = _mint(admin, org, "write", "ci bot")
        by_value = _mint(admin, org, "read", "dashboard")
        org_admin = _mint(admin, org, "admin", "org admin")
    for token in (by_id.token, by_value.token):
        for server in two_servers:
            with Api(server.address, token) as api:
                api.projects.ListProjects(pb.ListProjectsRequest(organization=org))
            assert _web(server, token, f"/o/{org}").status == 200
    # Revoked on the second server by an admin of the organization (by id), and by the
    # server-wide admin (by value): both servers refuse each at their very next call.
    with Api(two.address, org_admin.token) as api:
        revoked = api.projects.RevokeToken(pb.RevokeTokenRequest(id=by_id.info.id))
        assert revoked.HasField("revoked_at") and revoked.description == "ci bot"
    with Api(one.address, one.token) as api:
        api.projects.RevokeToken(pb.RevokeTokenRequest(token=by_value.token))
    for token in (by_id.token, by_value.token):
        for server in two_servers:
            with Api(server.address, token) as api, expect_error(UNAUTHENTICATED, "revoked"):
                api.projects.ListProjects(pb.ListProjectsRequest(organization=org))
            answer = _web(server, token, f"/o/{org}")
            assert answer.status in (302, 303) and "error=invalid" in answer.header("Location")
    # Still listed (with --revoked), never with its secret.
    with Api(one.address, org_admin.token) as api:
        listed = api.projects.ListTokens(pb.ListTokensRequest(include_revoked=True)).tokens
        live = api.projects.ListTokens(pb.ListTokensRequest()).tokens
    assert {t.id for t in listed} == {by_id.info.id, by_value.info.id, org_admin.info.id}
    assert [t.id for t in live] == [org_admin.info.id]
    assert all("mic_" not in str(t) for t in listed)


def test_an_expired_token_is_refused(two_servers: tuple[MicServer, MicServer]) -> None:
    one, two = two_servers
    with Api(one.address, one.token) as admin:
        org = _org(admin)
        short = _mint(admin, org, "read", "short-lived", expires=2)
        assert short.info.expires_at.seconds - short.info.created_at.seconds == 2
        before = len(admin.projects.ListTokens(pb.ListTokensRequest(organization=org)).tokens)
        for bad in (-1, 10 * 366 * 86400 + 1):
            with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "expiry"):
                _mint(admin, org, "read", "bad", expires=bad)
        after = len(admin.projects.ListTokens(pb.ListTokensRequest(organization=org)).tokens)
        assert after == before  # nothing stored
    with Api(two.address, short.token) as api:
        api.projects.ListProjects(pb.ListProjectsRequest(organization=org))
    time.sleep(2.2)
    for server in two_servers:
        with Api(server.address, short.token) as api, expect_error(UNAUTHENTICATED, "expired"):
            api.projects.ListProjects(pb.ListProjectsRequest(organization=org))
        assert _web(server, short.token, f"/o/{org}").status in (302, 303)


def test_who_may_list_and_revoke_tokens(two_servers: tuple[MicServer, MicServer]) -> None:
    one, _ = two_servers
    with Api(one.address, one.token) as admin:
        org, other = _org(admin), _org(admin)
        writer = _mint(admin, org, "write", "writer")
        org_admin = _mint(admin, org, "admin", "admin")
        foreign = _mint(admin, other, "write", "foreign")
        everything = admin.projects.ListTokens(pb.ListTokensRequest()).tokens
        assert {writer.info.id, foreign.info.id} <= {t.id for t in everything}
    with Api(one.address, writer.token) as api:
        with expect_error(DENIED):
            api.projects.ListTokens(pb.ListTokensRequest())
        with expect_error(DENIED):
            api.projects.RevokeToken(pb.RevokeTokenRequest(id=org_admin.info.id))
    with Api(one.address, org_admin.token) as api:
        mine = api.projects.ListTokens(pb.ListTokensRequest()).tokens
        assert {t.organization for t in mine} == {org}
        with expect_error(DENIED):
            api.projects.ListTokens(pb.ListTokensRequest(organization=other))
        # Another organization's token: not found (its existence is not told), and it lives.
        with expect_error(grpc.StatusCode.NOT_FOUND):
            api.projects.RevokeToken(pb.RevokeTokenRequest(id=foreign.info.id))
        with expect_error(grpc.StatusCode.NOT_FOUND):
            api.projects.RevokeToken(pb.RevokeTokenRequest(token=foreign.token))
        with expect_error(grpc.StatusCode.INVALID_ARGUMENT):
            api.projects.RevokeToken(pb.RevokeTokenRequest())
    with Api(one.address, foreign.token) as api:
        api.projects.ListProjects(pb.ListProjectsRequest(organization=other))


def test_last_use_is_recorded_at_most_once_a_minute(
    two_servers: tuple[MicServer, MicServer],
) -> None:
    one, _ = two_servers
    with Api(one.address, one.token) as admin:
        org = _org(admin)
        minted = _mint(admin, org, "read", "reader")

        def last_used() -> pb.TokenInfo:
            listed: pb.ListTokensResponse = admin.projects.ListTokens(
                pb.ListTokensRequest(organization=org)
            )
            (info,) = [t for t in listed.tokens if t.id == minted.info.id]
            return info

        assert not last_used().HasField("last_used_at")
        with Api(one.address, minted.token) as api:
            api.projects.ListProjects(pb.ListProjectsRequest(organization=org))
        first = last_used().last_used_at
        assert first.seconds > 0
        for server in two_servers:
            with Api(server.address, minted.token) as api:
                for _ in range(3):
                    api.projects.ListProjects(pb.ListProjectsRequest(organization=org))
        assert last_used().last_used_at == first  # no write within the minute


def test_an_org_token_imports_into_its_existing_organization(
    two_servers: tuple[MicServer, MicServer],
) -> None:
    one, _ = two_servers
    with Api(one.address, one.token) as admin:
        org = _org(admin)
        writer = _mint(admin, org, "write", "importer")
    with Api(one.address, writer.token) as api:
        got = api.projects.CreateOrganization(
            pb.CreateOrganizationRequest(handle=org, exist_ok=True)
        )
        assert got.handle == org
        # Creating one, or "finding" another organization, stays refused.
        for handle in (f"{org}-new", "other"):
            with expect_error(DENIED):
                api.projects.CreateOrganization(
                    pb.CreateOrganizationRequest(handle=handle, exist_ok=True)
                )
        with expect_error(DENIED):
            api.projects.CreateOrganization(pb.CreateOrganizationRequest(handle=org))


# --- identities ---------------------------------------------------------------------------


def test_a_writer_cannot_act_on_anothers_active_session(
    two_servers: tuple[MicServer, MicServer],
) -> None:
    one, _ = two_servers
    with Api(one.address, one.token) as admin:
        org = _org(admin)
        ana = _mint(admin, org, "write", "ana")
        bob = _mint(admin, org, "write", "bob")
        boss = _mint(admin, org, "admin", "boss")
    with Api(one.address, ana.token) as api:
        session = api.start(org, "p", "ana's work").session_id
    with Api(one.address, bob.token) as api:
        with expect_error(DENIED, "started by token"):
            api.sessions.AddMessage(
                pb.AddMessageRequest(
                    session_id=session, message=pb.ConversationMessage(role="human", content="x")
                )
            )
        with expect_error(DENIED):
            api.sessions.AddDecision(
                pb.AddDecisionRequest(session_id=session, decision=pb.Decision(decision="x"))
            )
        with expect_error(DENIED):
            api.sessions.AbandonSession(pb.AbandonSessionRequest(session_id=session))
        with expect_error(DENIED):
            api.land(
                land_requests(
                    pb.LandHeader(
                        session_id=session,
                        conversation=[pb.ConversationMessage(role="human", content="mine now")],
                    ),
                    [Change("f.txt", ADDED, b"bob")],
                )
            )
        # Nothing of it stored.
        got = api.sessions.GetSession(pb.GetSessionRequest(session_id=session))
        assert got.status == pb.SESSION_STATUS_ACTIVE
        assert (got.message_count, got.decision_count, len(got.conversation)) == (0, 0, 0)
        assert got.stats.total == 0
        files = list(api.content.GetTree(pb.GetTreeRequest(organization=org, project="p")))
        assert files == []
    # The organization's admin may note; the starter may abandon.
    with Api(one.address, boss.token) as api:
        noted = api.sessions.AddMessage(
            pb.AddMessageRequest(
                session_id=session, message=pb.ConversationMessage(role="human", content="ok")
            )
        )
        assert noted.conversation[0].token.description == "boss"
    with Api(one.address, ana.token) as api:
        gone = api.sessions.AbandonSession(pb.AbandonSessionRequest(session_id=session))
    assert gone.status == pb.SESSION_STATUS_ABANDONED
    assert (gone.abandoned_by.token_id, gone.abandoned_by.description) == (ana.info.id, "ana")
    assert gone.started_by.token_id == ana.info.id


def test_recorded_identities_cannot_be_forged(two_servers: tuple[MicServer, MicServer]) -> None:
    one, two = two_servers
    with Api(one.address, one.token) as admin:
        org = _org(admin)
        ana = _mint(admin, org, "write", "ana's laptop")
    forged = pb.Identity(token_id=1, description="bootstrap admin")
    with Api(one.address, ana.token) as api:
        started = api.start(
            org,
            "p",
            "work",
            conversation=[
                pb.ConversationMessage(role="human", content="hi", author="root", token=forged)
            ],
            decisions=[pb.Decision(decision="d", token=forged)],
        )
        api.sessions.AddMessage(
            pb.AddMessageRequest(
                session_id=started.session_id,
                message=pb.ConversationMessage(
                    role="agent", content="done", author="the admin", token=forged
                ),
            )
        )
        landed = api.land(
            land_requests(
                pb.LandHeader(
                    session_id=started.session_id,
                    conversation=[pb.ConversationMessage(role="human", content="x", token=forged)],
                ),
                [Change("a.txt", ADDED, b"a")],
            )
        )
        created = api.land(
            land_requests(
                pb.LandHeader(
                    create=pb.StartSessionRequest(
                        organization=org,
                        project="p",
                        goal="import",
                        conversation=[pb.ConversationMessage(role="commit", content="c")],
                    )
                ),
                [Change("b.txt", ADDED, b"b")],
            )
        )
    mine = (ana.info.id, "ana's laptop")
    # Read back on the other server.
    with Api(two.address, two.token) as api:
        got = api.sessions.GetSession(pb.GetSessionRequest(session_id=started.session_id))
        made = api.sessions.GetSession(pb.GetSessionRequest(session_id=landed.session.session_id))
        imported = api.sessions.GetSession(
            pb.GetSessionRequest(session_id=created.session.session_id)
        )
    assert made.session_id == got.session_id
    for identity in (got.started_by, got.landed_by, imported.started_by, imported.landed_by):
        assert (identity.token_id, identity.description) == mine
    assert [(m.content, m.author) for m in got.conversation] == [
        ("hi", "root"),
        ("done", "the admin"),
        ("x", ""),
    ]
    for item in [*got.conversation, *got.decisions, *imported.conversation]:
        assert (item.token.token_id, item.token.description) == mine
    assert not got.HasField("abandoned_by")


# --- conversation storage -----------------------------------------------------------------


def _note(api: Api, session: str, content: str) -> pb.Session:
    answer: pb.Session = api.sessions.AddMessage(
        pb.AddMessageRequest(
            session_id=session, message=pb.ConversationMessage(role="human", content=content)
        )
    )
    return answer


def test_the_conversation_limit_holds_at_its_boundary(server: MicServer) -> None:
    with Api(server.address, server.token) as admin:
        org = _org(admin)
        writer = _mint(admin, org, "write", "w")  # description "w": 1 byte
    with Api(server.address, writer.token) as api:
        session = api.start(org, "p", "limits").session_id
        # Each message counts role (5) + content + 64 + the token's description (1).
        first = _note(api, session, "x" * 1000)
        assert first.message_count == 1
        held = 5 + 1000 + 64 + 1
        room = 4096 - held - (5 + 64 + 1)
        with expect_error(EXHAUSTED, "max_conversation_bytes"):
            _note(api, session, "y" * (room + 1))
        with expect_error(EXHAUSTED):
            api.sessions.AddDecision(
                pb.AddDecisionRequest(
                    session_id=session, decision=pb.Decision(decision="z" * (4096 - held))
                )
            )
        after = api.sessions.GetSession(pb.GetSessionRequest(session_id=session))
        assert (after.message_count, after.decision_count) == (1, 0)
        assert [len(m.content) for m in after.conversation] == [1000]
        assert _note(api, session, "y" * room).message_count == 2  # exactly at the limit
        with expect_error(EXHAUSTED):
            _note(api, session, "z")
        # A landing carrying more conversation is refused whole: nothing lands.
        with expect_error(EXHAUSTED):
            api.land(
                land_requests(
                    pb.LandHeader(
                        session_id=session,
                        conversation=[pb.ConversationMessage(role="h", content="more")],
                    ),
                    [Change("f.txt", ADDED, b"f")],
                )
            )
        with expect_error(EXHAUSTED):
            api.start(
                org,
                "p",
                "too big",
                conversation=[pb.ConversationMessage(role="h", content="x" * 4096)],
            )
        got = api.sessions.GetSession(pb.GetSessionRequest(session_id=session))
        assert got.status == pb.SESSION_STATUS_ACTIVE and got.message_count == 2
        listed = api.sessions.ListSessions(pb.ListSessionsRequest(organization=org, project="p"))
        assert [s.session_id for s in listed.sessions] == [session]
        # A listing carries counts, never conversations: no session can make a page too big.
        assert listed.sessions[0].message_count == 2 and not listed.sessions[0].conversation


def test_an_append_costs_the_same_at_100000_messages(mic_server: MicServerFactory) -> None:
    server = mic_server()  # SQLite, the default conversation limit
    with Api(server.address, server.token) as api:
        org = _org(api)
        small = api.start(org, "p", "short").session_id
        big = api.start(org, "p", "long").session_id
        # 100,000 messages written straight into the database (through the API they would
        # take minutes); the counters as the server keeps them.
        db = Database(f"sqlite:///{Path(server.data_dir) / 'mic.db'}")
        try:
            with db.write() as conn:
                pk = conn.scalar(select(SessionRow.id).where(SessionRow.session_id == big))
                conn.execute(
                    insert(SessionMessage),
                    [
                        {
                            "session_pk": pk,
                            "role": "h",
                            "content": "m",
                            "author": "",
                            "reference": "",
                        }
                        for _ in range(100_000)
                    ],
                )
                conn.execute(
                    update(SessionRow)
                    .where(SessionRow.id == pk)
                    .values(message_count=100_000, conversation_bytes=100_000 * 66)
                )
        finally:
            db.dispose()
        for _ in range(10):
            _note(api, small, "warm")

        def batch(session: str) -> float:
            start = time.perf_counter()
            for _ in range(50):
                answer = _note(api, session, "n")
            assert len(answer.conversation) == 1  # only what was appended
            return (time.perf_counter() - start) / 50

        short, long = batch(small), batch(big)
        short = min(short, batch(small))
        assert _note(api, big, "last").message_count == 100_000 + 51
        # Rewriting the JSON list cost ~100x here; the rows keep it within noise.
        assert long < 3 * short + 0.002, (short, long)


def test_the_web_viewer_shows_identities_escaped(two_servers: tuple[MicServer, MicServer]) -> None:
    one, two = two_servers
    with Api(one.address, one.token) as admin:
        org = _org(admin)
        evil = _mint(admin, org, "write", "<script>alert(1)</script>")
    with Api(one.address, evil.token) as api:
        session = api.start(org, "p", "web").session_id
        api.sessions.AddMessage(
            pb.AddMessageRequest(
                session_id=session,
                message=pb.ConversationMessage(role="human", content="hi", author="<b>root</b>"),
            )
        )
    page = _web(two, two.token, f"/s/{session}")
    assert page.status == 200
    assert "<script>alert(1)</script>" not in page.body and "<b>root</b>" not in page.body
    assert f"token {evil.info.id} (&lt;script&gt;alert(1)&lt;/script&gt;)" in page.body
    assert '&lt;b&gt;root&lt;/b&gt;</span> <span class="claimed">(claimed)</span>' in page.body
