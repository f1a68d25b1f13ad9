"""Hostile clients against the limits of a landing, over raw gRPC to a real server process.

Each limit is tried at its boundary (at the limit lands, one over is refused with the
documented code) and every refusal leaves nothing stored: no change row, no object, the
session still active with nothing landed. Also: trees that no checkout can write, oversized
chunks and metadata, Structs nested too deep (INVALID_ARGUMENT, no traceback, even without a
token), and answers that never report a failure for what was stored.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from google.protobuf.message import DecodeError

from micelio.testing import CHANNEL_OPTIONS, MicServer, start_mic_server
from micelio.v1 import micelio_pb2 as pb
from micelio.v1 import micelio_pb2_grpc as rpc
from tests.support.fixture_types import MicServerFactory
from tests.support.inspect import change_rows, spool_files, stored_objects
from tests.support.postgres import PostgresCluster
from tests.support.rpc import ADDED, DELETED, Api, Change, expect_error, land_requests

MIB = 1024 * 1024
THRESHOLD = 500  # contents of 500 bytes and more go to object storage
MAX_CHANGES = 5
MAX_BYTES = 2000
MAX_SPOOL = 600
MAX_CONVERSATION = 4000
# What each message counts beside its texts (service/conversation.py): 64, and the acting
# token's description ("w" for the writer the conversation test mints).
ITEM = 64 + 1
SYMLINK, GITLINK = 0o120000, 0o160000
BAD = grpc.StatusCode.INVALID_ARGUMENT
EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def limited(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MicServer]:
    """A server with small limits, set as `mic server start` reads them (environment)."""
    db_url = None
    if request.param == "postgres":
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        db_url = cluster.create_database()
    server = start_mic_server(
        Path(tmp_path_factory.mktemp("limited")),
        db_url=db_url,
        inline_threshold=THRESHOLD,
        extra_env={
            "MIC_MAX_SESSION_CHANGES": str(MAX_CHANGES),
            "MIC_MAX_SESSION_BYTES": str(MAX_BYTES),
            "MIC_MAX_SPOOL_BYTES": str(MAX_SPOOL),
            "MIC_MAX_CONVERSATION_BYTES": str(MAX_CONVERSATION),
        },
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def plain(mic_server: MicServerFactory) -> MicServer:
    """A server with the default limits."""
    return mic_server()


@pytest.fixture
def api(limited: MicServer) -> Iterator[Api]:
    with Api(limited.address, limited.token) as client:
        yield client


@pytest.fixture
def project(api: Api) -> tuple[str, str]:
    tag = uuid.uuid4().hex[:10]
    api.project(f"org-{tag}", f"proj-{tag}")
    return f"org-{tag}", f"proj-{tag}"


def _nothing_stored(api: Api, server: MicServer, session_id: str) -> None:
    got = api.sessions.GetSession(pb.GetSessionRequest(session_id=session_id))
    assert got.status == pb.SESSION_STATUS_ACTIVE and got.stats.total == 0
    assert change_rows(server, session_id) == 0
    assert stored_objects(server, session_id) == []


def _land(api: Api, session_id: str, changes: list[Change], **header: Any) -> Any:
    return api.land(land_requests(pb.LandHeader(session_id=session_id, **header), changes))


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


# -- per-session limits, at the boundary -------------------------------------------------------


def test_changes_per_session(api: Api, limited: MicServer, project: tuple[str, str]) -> None:
    ok = api.start(*project)
    files = [Change(f"f{i}", ADDED, b"x") for i in range(MAX_CHANGES)]
    assert _land(api, ok.session_id, files).changes == MAX_CHANGES
    over = api.start(*project)
    # One over; an object is uploaded before the refusal and must be deleted.
    files = [Change(f"g{i}", ADDED, b"x") for i in range(MAX_CHANGES - 1)]
    files += [Change("stored", ADDED, b"s" * THRESHOLD), Change("last", ADDED, b"x")]
    with expect_error(BAD, "max_session_changes"):
        _land(api, over.session_id, files)
    _nothing_stored(api, limited, over.session_id)


def test_bytes_per_session(api: Api, limited: MicServer, project: tuple[str, str]) -> None:
    ok = api.start(*project)
    # 1500 stored and 500... inline is below 500: 1500 stored + 499 + 1 inline = 2000
    files = [
        Change("big", ADDED, b"b" * 1500),
        Change("small", ADDED, b"s" * 499),
        Change("one", ADDED, b"1"),
    ]
    assert _land(api, ok.session_id, files).bytes_stored == 1500
    over = api.start(*project)
    files = [Change("big", ADDED, b"b" * 1500), Change("small", ADDED, b"s" * 499)]
    files.append(Change("two", ADDED, b"22"))
    with expect_error(BAD, "max_session_bytes"):
        _land(api, over.session_id, files)
    _nothing_stored(api, limited, over.session_id)


def test_inline_spool_per_landing(api: Api, limited: MicServer, project: tuple[str, str]) -> None:
    ok = api.start(*project)
    files = [Change("a", ADDED, b"a" * 300), Change("b", ADDED, b"b" * 300)]
    assert _land(api, ok.session_id, files).bytes_inline == MAX_SPOOL
    over = api.start(*project)
    files = [Change("s", ADDED, b"s" * 600), *files, Change("c", ADDED, b"c")]
    with expect_error(BAD, "max_spool_bytes"):
        _land(api, over.session_id, files)
    _nothing_stored(api, limited, over.session_id)
    assert spool_files(limited) == []


def _messages(total: int) -> list[pb.ConversationMessage]:
    """Messages whose counted size is exactly ``total`` (role "human": 5 bytes)."""
    return [pb.ConversationMessage(role="human", content="m" * (total - ITEM - 5))]


def test_conversation_size(limited: MicServer, project: tuple[str, str]) -> None:
    """The landing side of max_conversation_bytes (appends: tests/hostile/test_identity.py)."""
    with Api(limited.address, limited.token) as admin:
        writer = admin.projects.CreateToken(
            pb.CreateTokenRequest(organization=project[0], role="write", description="w")
        )
    with Api(limited.address, writer.token) as api:
        started = api.start(*project, conversation=_messages(MAX_CONVERSATION - 100))
        # The landing's own messages bring it to the limit exactly: it lands.
        landed = _land(api, started.session_id, [], conversation=_messages(100))
        assert landed.landing_position >= 1
        with expect_error(EXHAUSTED, "max_conversation_bytes"):
            api.start(*project, conversation=_messages(MAX_CONVERSATION + 1))
        over = api.start(*project, conversation=_messages(MAX_CONVERSATION - 100))
        with expect_error(EXHAUSTED, "max_conversation_bytes"):
            _land(
                api, over.session_id, [Change("x", ADDED, b"x" * 600)], conversation=_messages(101)
            )
        _nothing_stored(api, limited, over.session_id)
        got = api.sessions.GetSession(pb.GetSessionRequest(session_id=over.session_id))
        assert len(got.conversation) == 1
        # Created and landed at once: the same limit.
        create = pb.StartSessionRequest(
            organization=project[0], project=project[1], goal="c", conversation=_messages(2000)
        )
        with expect_error(EXHAUSTED, "max_conversation_bytes"):
            api.land(land_requests(pb.LandHeader(create=create, conversation=_messages(2001)), []))


def _meta_of_json_size(size: int, key: str = "k") -> dict[str, str]:
    overhead = len(json.dumps({key: ""}, separators=(",", ":")))
    return {key: "v" * (size - overhead)}


def test_merged_metadata(api: Api, limited: MicServer, project: tuple[str, str]) -> None:
    half = MIB // 2
    # {"a":"...","b":"..."}: the merged JSON is exactly 1 MiB, then one byte over.
    first = _meta_of_json_size(half, "a")
    second = _meta_of_json_size(MIB - half + 1, "b")  # the comma joins them
    ok = api.start(*project, metadata=_struct(first))
    _land(api, ok.session_id, [], metadata=_struct(second))
    merged = api.sessions.GetSession(pb.GetSessionRequest(session_id=ok.session_id)).metadata
    assert len(json.dumps(dict(merged), separators=(",", ":"))) == MIB
    over = api.start(*project, metadata=_struct(first))
    with expect_error(BAD, "metadata"):
        _land(
            api,
            over.session_id,
            [Change("x", ADDED, b"x" * 600)],
            metadata=_struct(_meta_of_json_size(MIB - half + 2, "b")),
        )
    _nothing_stored(api, limited, over.session_id)
    got = api.sessions.GetSession(pb.GetSessionRequest(session_id=over.session_id))
    assert set(got.metadata.keys()) == {"a"}


def test_content_chunks(plain: MicServer) -> None:
    """A chunk of 1 MiB lands; one of 1 MiB + 1 byte (within gRPC's 4 MiB message) is refused."""
    with Api(plain.address, plain.token) as api:
        tag = uuid.uuid4().hex[:10]
        api.project(f"org-{tag}", "p")

        def items(session_id: str, size: int) -> list[pb.LandItem]:
            return [
                pb.LandItem(header=pb.LandHeader(session_id=session_id)),
                pb.LandItem(change=pb.ChangeHeader(file_path="c", change_type=ADDED, size=size)),
                pb.LandItem(chunk=pb.ContentChunk(data=b"c" * size)),
            ]

        ok = api.start(f"org-{tag}", "p")
        assert api.land(items(ok.session_id, MIB)).bytes_stored == MIB
        over = api.start(f"org-{tag}", "p")
        with expect_error(BAD, "chunk"):
            api.land(items(over.session_id, MIB + 1))
        _nothing_stored(api, plain, over.session_id)


# -- Structs nested too deep -------------------------------------------------------------------


def _nested(depth: int) -> struct_pb2.Struct:
    """A Struct of ``depth`` levels: {"n": {"n": ... {}}}."""
    inner = struct_pb2.Struct()
    for _ in range(depth - 1):
        outer = struct_pb2.Struct()
        outer.fields["n"].struct_value.CopyFrom(inner)
        inner = outer
    return inner


def test_struct_nesting(api: Api, limited: MicServer, project: tuple[str, str]) -> None:
    ok = api.start(*project, metadata=_nested(32))
    assert ok.metadata.fields["n"].struct_value
    with expect_error(BAD, "nested"):
        api.start(*project, metadata=_nested(33))
    session = api.start(*project)
    change = pb.ChangeHeader(file_path="a", change_type=ADDED, size=1, metadata=_nested(33))
    items = [
        pb.LandItem(header=pb.LandHeader(session_id=session.session_id)),
        pb.LandItem(change=change),
        pb.LandItem(chunk=pb.ContentChunk(data=b"a")),
    ]
    with expect_error(BAD, "nested"):
        api.land(items)
    _nothing_stored(api, limited, session.session_id)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, data: bytes) -> bytes:
    """A length-delimited field, encoded by hand: protobuf's own Python cannot even build a
    Struct this deep (it hits the same recursion limit)."""
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _deep_struct_bytes(depth: int) -> bytes:
    struct = b""
    for _ in range(depth - 1):
        value = _field(5, struct)  # Value.struct_value
        struct = _field(1, _field(1, b"n") + _field(2, value))  # Struct.fields entry
    return struct


def _with_metadata(message: Any, depth: int) -> bytes:
    number = message.DESCRIPTOR.fields_by_name["metadata"].number
    data: bytes = message.SerializeToString()
    return data + _field(number, _deep_struct_bytes(depth))


@pytest.mark.parametrize("depth", [60, 200])
def test_unparsable_depth_without_traceback(
    limited: MicServer, project: tuple[str, str], depth: int
) -> None:
    """Past protobuf's own recursion limit the request cannot even be parsed: INVALID_ARGUMENT
    with a token, UNAUTHENTICATED without one (never decoded), and no traceback in the log."""
    before = limited.log.read_text(errors="replace").count("Traceback")
    start = pb.StartSessionRequest(organization=project[0], project=project[1], goal="g")
    data = _with_metadata(start, depth)
    with pytest.raises(DecodeError):
        pb.StartSessionRequest.FromString(data)  # really unparsable
    auth = (("authorization", f"Bearer {limited.token}"),)
    with limited.channel() as channel:
        raw = channel.unary_unary(
            "/micelio.v1.SessionService/StartSession",
            request_serializer=lambda b: b,
            response_deserializer=pb.Session.FromString,
        )
        for metadata, code in ((auth, BAD), ((), grpc.StatusCode.UNAUTHENTICATED)):
            with pytest.raises(grpc.RpcError) as info:
                raw(data, metadata=metadata, timeout=30)
            assert info.value.code() == code, info.value
        change = _with_metadata(pb.ChangeHeader(file_path="a", change_type=ADDED, size=1), depth)
        header = pb.LandItem(header=pb.LandHeader(session_id="ses_x")).SerializeToString()
        item_number = pb.LandItem.DESCRIPTOR.fields_by_name["change"].number
        items_number = pb.LandSessionRequest.DESCRIPTOR.fields_by_name["items"].number
        request = _field(items_number, header) + _field(items_number, _field(item_number, change))
        stream = channel.stream_unary(
            "/micelio.v1.SessionService/LandSession",
            request_serializer=lambda b: b,
            response_deserializer=pb.LandSessionResponse.FromString,
        )
        with pytest.raises(grpc.RpcError) as info:
            stream(iter([request]), metadata=auth, timeout=30)
        assert info.value.code() == BAD, info.value
    assert limited.log.read_text(errors="replace").count("Traceback") == before


# -- trees that no checkout can write ---------------------------------------------------------

SHAPES = {
    "file and file under it": [Change("x", ADDED, b"1"), Change("x/y", ADDED, b"2")],
    "file under a symlink": [
        Change("link", ADDED, b"/tmp", mode=SYMLINK),
        Change("link/pwned", ADDED, b"!"),
    ],
    "file under a gitlink": [
        Change("sub", ADDED, b"a" * 40, mode=GITLINK),
        Change("sub/file", ADDED, b"!"),
    ],
    "symlink to .git used as a folder": [
        Change("g", ADDED, b".git", mode=SYMLINK),
        Change("g/config", ADDED, b"[core]\n"),
    ],
}


@pytest.mark.parametrize("changes", SHAPES.values(), ids=SHAPES.keys())
def test_shapes_in_one_session(
    api: Api, limited: MicServer, project: tuple[str, str], changes: list[Change]
) -> None:
    session = api.start(*project)
    with expect_error(BAD, "duplicateEntries") as caught:
        _land(api, session.session_id, changes)
    details = caught[0].details() or ""
    assert changes[0].path in details and changes[1].path in details
    _nothing_stored(api, limited, session.session_id)


@pytest.mark.parametrize("changes", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("order", ["entry first", "folder first"])
def test_shapes_across_sessions(
    api: Api, limited: MicServer, project: tuple[str, str], changes: list[Change], order: str
) -> None:
    first, second = changes if order == "entry first" else changes[::-1]
    _land(api, api.start(*project).session_id, [first])
    session = api.start(*project)
    with expect_error(BAD, "duplicateEntries"):
        _land(api, session.session_id, [second, Change("fine", ADDED, b"f" * 600)])
    _nothing_stored(api, limited, session.session_id)


def test_file_to_folder_and_back(api: Api, project: tuple[str, str]) -> None:
    _land(api, api.start(*project).session_id, [Change("x", ADDED, b"1")])
    _land(api, api.start(*project).session_id, [Change("x", DELETED), Change("x/y", ADDED, b"2")])
    assert set(api.tree(*project)) == {"x/y"}
    _land(api, api.start(*project).session_id, [Change("x/y", DELETED), Change("x", ADDED, b"3")])
    assert set(api.tree(*project)) == {"x"}
    # A folder emptied by an earlier session no longer counts.
    _land(api, api.start(*project).session_id, [Change("x", DELETED), Change("x/z", ADDED, b"4")])
    _land(api, api.start(*project).session_id, [Change("x/z", DELETED)])
    _land(api, api.start(*project).session_id, [Change("x", ADDED, b"5")])
    assert set(api.tree(*project)) == {"x"}


def test_shape_against_what_landed_since_the_check(
    api: Api, limited: MicServer, project: tuple[str, str]
) -> None:
    """Two sessions of one LandSessions stream, received before either commits: the second
    is checked against the first in the commit's transaction."""
    org, proj = project

    def create(goal: str) -> pb.LandHeader:
        return pb.LandHeader(
            create=pb.StartSessionRequest(organization=org, project=proj, goal=goal)
        )

    items = [
        *land_requests(create("a"), [Change("x", ADDED, b"1")]),
        *land_requests(create("b"), [Change("x/y", ADDED, b"2")]),
    ]
    requests = [pb.LandSessionRequest(items=items)]  # one message: both arrive together
    landed: list[pb.LandSessionResponse] = []
    with expect_error(BAD, "duplicateEntries"):
        for response in api.sessions.LandSessions(iter(requests)):
            landed.extend(response.landed)
    assert [r.session.goal for r in landed] == ["a"]
    assert set(api.tree(org, proj)) == {"x"}
    listed = api.sessions.ListSessions(pb.ListSessionsRequest(organization=org, project=proj))
    assert [s.goal for s in listed.sessions] == ["a"]


@pytest.mark.parametrize(
    "entry",
    [Change("x", ADDED, b"1"), Change("x", ADDED, b"a" * 40, mode=GITLINK)],
    ids=["file", "gitlink"],
)
def test_stream_turns_a_landed_file_into_a_folder(
    api: Api, project: tuple[str, str], entry: Change
) -> None:
    """One session of a LandSessions stream deletes a landed ``x`` (a file, or a submodule
    as flask's history does), the next adds ``x/y``: the second arrives before the first has
    committed, so it clashes with the head of that moment, yet both land."""
    org, proj = project
    _land(api, api.start(*project).session_id, [entry])

    def create(goal: str) -> pb.LandHeader:
        return pb.LandHeader(
            create=pb.StartSessionRequest(organization=org, project=proj, goal=goal)
        )

    items = [
        *land_requests(create("delete x"), [Change("x", DELETED)]),
        *land_requests(create("add x/y"), [Change("x/y", ADDED, b"2")]),
    ]
    requests = [pb.LandSessionRequest(items=items)]  # one message: both arrive together
    landed = [
        r.session.goal
        for response in api.sessions.LandSessions(iter(requests))
        for r in response.landed
    ]
    assert landed == ["delete x", "add x/y"]
    assert set(api.tree(org, proj)) == {"x/y"}


# -- honest answers ----------------------------------------------------------------------------


def test_big_sessions_answer_and_list(plain: MicServer) -> None:
    """A session whose conversation is bigger than a client's 4 MiB default message: its
    LandSession answer is brief (small sessions stay whole); listings carry no conversation
    and a page ends before it passes 3 MiB; GetSession carries the session whole."""
    tag = uuid.uuid4().hex[:10]
    with Api(plain.address, plain.token) as api:
        api.project(f"org-{tag}", "p")
        tiny = api.start(f"org-{tag}", "p", metadata=_struct({"kept": True}))
        api.land_files(tiny.session_id, {})
        # Two sessions whose answers are estimated at about 1.8 MiB each (6 times their
        # metadata's JSON): whole, but not both on one page.
        for name in ("a", "b"):
            mid = api.start(f"org-{tag}", "p", metadata=_struct(_meta_of_json_size(300_000, name)))
            landed = api.land_files(mid.session_id, {})
            assert name in landed.session.metadata
        session = api.start(f"org-{tag}", "p")
        for _ in range(5):
            api.sessions.AddMessage(
                pb.AddMessageRequest(
                    session_id=session.session_id,
                    message=pb.ConversationMessage(role="agent", content="c" * (MIB - 100)),
                )
            )
        # A channel with gRPC's default 4 MiB receive limit, as most clients have.
        with grpc.insecure_channel(plain.address) as small:
            stub = rpc.SessionServiceStub(small)
            auth = (("authorization", f"Bearer {plain.token}"),)
            header = pb.LandHeader(session_id=session.session_id)
            requests = (pb.LandSessionRequest(items=[i]) for i in land_requests(header, []))
            landed = stub.LandSession(requests, metadata=auth, timeout=60)
            assert landed.landing_position == 4 and not landed.session.conversation
            pages: list[list[pb.Session]] = []
            token = ""
            while True:
                listed = stub.ListSessions(
                    pb.ListSessionsRequest(organization=f"org-{tag}", page_token=token),
                    metadata=auth,
                    timeout=60,
                )
                assert listed.total == 4 and listed.ByteSize() < 3 * MIB + 4096
                pages.append(list(listed.sessions))
                token = listed.next_page_token
                if not token:
                    break
            sessions = [s for page in pages for s in page]
            assert len(pages) >= 2 and len(sessions) == 4
            assert not any(s.conversation for s in sessions)
            assert [sorted(s.metadata.keys()) for s in sessions[1:3]] == [["b"], ["a"]]
            assert sessions[3].metadata["kept"] is True
        with grpc.insecure_channel(plain.address, options=CHANNEL_OPTIONS) as big:
            got = rpc.SessionServiceStub(big).GetSession(
                pb.GetSessionRequest(session_id=session.session_id), metadata=auth, timeout=60
            )
            assert len(got.conversation) == 5
