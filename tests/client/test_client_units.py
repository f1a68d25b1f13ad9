"""Client pieces that need no server: the land request stream, errors, JSON shapes, discovery."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import pytest

from micelio import paths
from micelio.client import (
    CHUNK_SIZE,
    AlreadyExists,
    Change,
    Conflict,
    LandingError,
    Message,
    NewSession,
    NotFound,
    Unavailable,
    discovery,
    session_to_dict,
)
from micelio.client.errors import from_rpc_error
from micelio.client.landing import RequestStream, _StreamAborted, land_header
from micelio.v1 import micelio_pb2 as pb


def header(
    *,
    session_id: str | None = "s1",
    create: NewSession | None = None,
    metadata: Mapping[str, Any] | None = None,
    landed_at: datetime | None = None,
    started_at: datetime | None = None,
    external_id: str | None = None,
) -> pb.LandHeader:
    return land_header(
        session_id=session_id,
        create=create,
        conversation=(),
        decisions=(),
        metadata=metadata,
        landed_at=landed_at,
        started_at=started_at,
        external_id=external_id,
    )


def items(stream: RequestStream) -> list[tuple[str, Any]]:
    """(kind, message) of every item; Any: the oneof's messages differ by kind."""
    out: list[tuple[str, Any]] = []
    for req in stream:
        for item in req.items:
            kind = item.WhichOneof("item")
            assert kind is not None
            out.append((kind, getattr(item, kind)))
    return out


def test_stream_shapes_header_changes_and_chunks(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(CHUNK_SIZE * 2 + 5))
    changes = [
        Change("a.txt", "added", b"hello"),
        Change(b"caf\xe9", "modified", big, mode=0o100755, metadata={"binary": True}),
        Change("empty", "added", b""),
        Change("gone", "deleted"),
        Change("gen", "added", iter([b"ab", b"cd"]), size=4),
    ]
    got = items(RequestStream(header(), changes))
    kinds = [k for k, _ in got]
    assert kinds == [
        "header",
        "change",
        "chunk",
        "change",
        "chunk",
        "chunk",
        "chunk",
        "change",
        "change",
        "change",
        "chunk",
        "chunk",
    ]
    assert got[0][1].session_id == "s1"
    change = got[3][1]
    assert (change.file_path, change.raw_path) == ("caf\\xe9", b"caf\xe9")
    assert change.size == CHUNK_SIZE * 2 + 5 and change.mode == 0o100755
    assert change.change_type == pb.CHANGE_TYPE_MODIFIED
    assert all(len(v.data) <= CHUNK_SIZE for k, v in got if k == "chunk")
    assert b"".join(v.data for _, v in got[4:7]) == big.read_bytes()
    assert got[7][1].size == 0 and got[7][1].mode == 0o100644
    assert got[8][1].change_type == pb.CHANGE_TYPE_DELETED and got[8][1].mode == 0


def test_oversized_iterable_chunks_are_split() -> None:
    data = b"x" * (CHUNK_SIZE + 10)
    got = items(RequestStream(header(), [Change("a", "added", [data], size=len(data))]))
    assert [len(v.data) for k, v in got if k == "chunk"] == [CHUNK_SIZE, 10]


def test_symlink_from_a_path_sends_its_target(tmp_path: Path) -> None:
    os.symlink("some/target", tmp_path / "link")
    got = items(
        RequestStream(header(), [Change("link", "added", tmp_path / "link", mode=0o120000)])
    )
    assert got[2][1].data == b"some/target" and got[1][1].size == len(b"some/target")


def test_wrong_size_fails_the_stream_with_the_real_error() -> None:
    stream = RequestStream(header(), [Change("a", "added", iter([b"abc"]), size=5)])
    with pytest.raises(_StreamAborted) as caught:
        items(stream)
    assert isinstance(stream.error, LandingError)
    assert "expected 5" in str(stream.error)
    assert caught.value.__cause__ is stream.error


def test_invalid_path_fails_before_anything_is_sent() -> None:
    stream = RequestStream(header(), [Change("../x", "added", b"x")])
    with pytest.raises(_StreamAborted):
        items(stream)
    assert isinstance(stream.error, paths.InvalidPath)


def test_content_is_read_lazily_and_small_items_share_messages() -> None:
    pulled: list[int] = []

    def chunks() -> Iterator[bytes]:
        for index in range(3):
            pulled.append(index)
            yield bytes([index]) * CHUNK_SIZE

    small = [Change(f"s{i}", "added", b"x" * 100) for i in range(50)]
    stream = RequestStream(
        header(), [*small, Change("big", "added", chunks(), size=3 * CHUNK_SIZE)]
    )
    first = next(stream)  # the header and every small change (and the big one's): one message
    assert [i.WhichOneof("item") for i in first.items][:3] == ["header", "change", "chunk"]
    assert len(first.items) == 1 + 2 * 50 + 1
    assert pulled == [0]  # the big chunk that did not fit is read, and waits
    second = next(stream)
    assert [len(i.chunk.data) for i in second.items] == [CHUNK_SIZE]
    assert pulled == [0, 1]  # one chunk in the message, one read ahead
    assert [len(r.items) for r in stream] == [1, 1]
    assert len(pulled) == 3


def test_create_header_carries_everything() -> None:
    at = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    h = header(
        session_id=None,
        create=NewSession(
            "acme",
            "api",
            "import",
            conversation=[Message("commit", "msg", "Ann", at)],
            metadata={"git": {"oid": "abc"}},
            base_position=3,
        ),
        external_id="git:abc",
        landed_at=at,
        started_at=at,
        metadata={"k": 1},
    )
    assert h.create.organization == "acme" and h.create.has_base_position
    assert h.create.base_position == 3 and h.external_id == "git:abc"
    assert h.landed_at.ToDatetime(tzinfo=UTC) == at
    assert h.create.conversation[0].author == "Ann"
    with pytest.raises(ValueError):
        header(session_id=None)


class FakeRpcError(grpc.RpcError):
    def __init__(
        self, code: grpc.StatusCode, details: str, trailers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        self._code, self._details, self._trailers = code, details, trailers

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> Any:  # (key, value) pairs, as grpc's calls give
        return self._trailers


def test_error_mapping_keeps_the_message_and_details() -> None:
    err = from_rpc_error(FakeRpcError(grpc.StatusCode.NOT_FOUND, "no session x"))
    assert isinstance(err, NotFound) and str(err) == "no session x"
    err = from_rpc_error(FakeRpcError(grpc.StatusCode.UNAVAILABLE, "refused"), "127.0.0.1:9")
    assert isinstance(err, Unavailable) and "cannot reach mic server at 127.0.0.1:9" in str(err)
    err = from_rpc_error(
        FakeRpcError(grpc.StatusCode.ABORTED, "conflict", (("mic-paths", "a.txt\nb.txt"),))
    )
    assert isinstance(err, Conflict) and err.paths == ("a.txt", "b.txt")
    err = from_rpc_error(
        FakeRpcError(grpc.StatusCode.ALREADY_EXISTS, "exists", (("mic-session-id", "s9"),))
    )
    assert isinstance(err, AlreadyExists) and err.session_id == "s9"
    err = from_rpc_error(FakeRpcError(grpc.StatusCode.INTERNAL, "boom"))
    assert err.code == "INTERNAL" and str(err) == "boom"


def test_session_json_shape() -> None:
    s = pb.Session(
        session_id="s1",
        organization="acme",
        project="api",
        goal="g",
        status=pb.SESSION_STATUS_LANDED,
        base_position=1,
        landing_position=2,
        external_id="",
    )
    s.conversation.add(role="human", content="hi")
    s.decisions.add(decision="d", reasoning="r")
    s.metadata.update({"n": 3, "f": 1.5, "nested": {"k": [1, 2]}})
    s.started_at.FromDatetime(datetime(2024, 5, 1, 12, 0, 3, tzinfo=UTC))
    change = pb.SessionChange(file_path="a.txt", change_type=pb.CHANGE_TYPE_ADDED, size=3)
    d = session_to_dict(s, [change])
    assert list(d) == [
        "session_id",
        "goal",
        "status",
        "organization",
        "project",
        "conversation",
        "decisions",
        "metadata",
        "base_position",
        "landing_position",
        "started_at",
        "landed_at",
        "abandoned_at",
        "external_id",
        "stats",
        "started_by",
        "landed_by",
        "abandoned_by",
        "message_count",
        "decision_count",
        "changes",
    ]
    assert d["status"] == "landed" and d["landing_position"] == 2
    assert d["metadata"] == {"n": 3, "f": 1.5, "nested": {"k": [1, 2]}}
    assert d["started_at"] == "2024-05-01T12:00:03Z" and d["landed_at"] is None
    assert d["external_id"] is None
    assert d["conversation"][0] == {
        "role": "human",
        "content": "hi",
        "author": None,
        "at": None,
        "reference": None,
        "token": None,
    }
    assert d["started_by"] is None
    assert d["changes"] == [
        {
            "file_path": "a.txt",
            "change_type": "added",
            "size": 3,
            "storage_key": None,
            "metadata": {},
        }
    ]
    json.dumps(d)
    s.landing_position = 0
    assert session_to_dict(s)["landing_position"] is None
    assert "changes" not in session_to_dict(s)


def test_discovery_order(tmp_path: Path) -> None:
    (tmp_path / "server.json").write_text(
        json.dumps({"address": "127.0.0.1:7", "pid": os.getpid()})
    )
    (tmp_path / "admin.token").write_text("mic_admin\n")
    env: dict[str, str] = {}
    assert discovery.resolve(data_dir=tmp_path, environ=env) == discovery.Endpoint(
        "127.0.0.1:7", "mic_admin"
    )
    env = {"MIC_SERVER": "10.0.0.1:1", "MIC_TOKEN": "mic_env"}
    assert discovery.resolve(data_dir=tmp_path, environ=env) == discovery.Endpoint(
        "10.0.0.1:1", "mic_env"
    )
    assert discovery.resolve("h:2", "t", data_dir=tmp_path, environ=env) == discovery.Endpoint(
        "h:2", "t"
    )
    # The local admin token is never sent to another server.
    assert discovery.resolve("10.0.0.1:1", data_dir=tmp_path, environ={}).token is None
    assert discovery.resolve("localhost:7", data_dir=tmp_path, environ={}).token == "mic_admin"


def test_discovery_without_a_server(tmp_path: Path) -> None:
    with pytest.raises(Unavailable, match="mic server start"):
        discovery.resolve(data_dir=tmp_path, environ={})
    # A server.json left by a dead process is not a server.
    (tmp_path / "server.json").write_text(
        json.dumps({"address": "127.0.0.1:7", "pid": 2**22 + 12345})
    )
    with pytest.raises(Unavailable):
        discovery.resolve(data_dir=tmp_path, environ={})


def test_struct_round_trip_keeps_json_types() -> None:
    from micelio import structs

    value = {
        "count": 12,
        "ratio": 0.5,
        "big": 2**53 + 2,
        "name": "x",
        "ok": True,
        "none": None,
        "list": [1, "a", {"nested": [False]}],
        "empty": {},
        "text": "caf\u00e9",
    }
    back = structs.to_dict(structs.from_mapping(value))
    assert back == {**value, "big": float(2**53 + 2)}  # doubles beyond 2**53 stay floats
    assert type(back["count"]) is int and type(back["ratio"]) is float
    assert structs.to_dict(structs.from_mapping(None)) == {}
