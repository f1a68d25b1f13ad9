"""Every bad input is refused with INVALID_ARGUMENT (or the documented code) and stores nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import grpc
import pytest

from micelio.testing import MicServer
from micelio.v1 import micelio_pb2 as pb
from tests.support.bad_paths import BAD_PATHS
from tests.support.inspect import change_rows, stored_objects
from tests.support.rpc import ADDED, DELETED, Api, Change, expect_error, land_requests


@pytest.fixture
def session(api: Api, project: tuple[str, str]) -> pb.Session:
    return api.start(*project, "validation")


def _assert_nothing_stored(api: Api, server: MicServer, session_id: str) -> None:
    got = api.sessions.GetSession(pb.GetSessionRequest(session_id=session_id))
    assert got.status == pb.SESSION_STATUS_ACTIVE
    assert got.stats.total == 0
    assert change_rows(server, session_id) == 0
    assert stored_objects(server, session_id) == []


@pytest.mark.parametrize("bad", BAD_PATHS, ids=lambda p: repr(p)[:30])
def test_bad_paths(api: Api, server: MicServer, session: pb.Session, bad: str) -> None:
    changes = [Change("fine.txt", ADDED, b"ok"), Change(bad, ADDED, b"x" * 200_000)]
    with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "path"):
        api.land(land_requests(pb.LandHeader(session_id=session.session_id), changes))
    _assert_nothing_stored(api, server, session.session_id)


def test_bad_raw_path(api: Api, server: MicServer, session: pb.Session) -> None:
    change = Change("x", ADDED, b"1", raw_path=b"../\xff")
    with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "path"):
        api.land(land_requests(pb.LandHeader(session_id=session.session_id), [change]))
    _assert_nothing_stored(api, server, session.session_id)


@pytest.mark.parametrize("change_type", [0, 7])
def test_unknown_change_type(
    api: Api, server: MicServer, session: pb.Session, change_type: int
) -> None:
    with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "change type"):
        api.land(
            land_requests(
                pb.LandHeader(session_id=session.session_id), [Change("a", change_type, b"x")]
            )
        )
    _assert_nothing_stored(api, server, session.session_id)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (Change("a", ADDED, b"x", mode=0o100600), "mode"),
        (Change("a", ADDED, b"x", mode=0o040000), "mode"),
        (Change("a", ADDED, b"not a commit id", mode=0o160000), "gitlink"),
        (Change("a", ADDED, b"g" * 40, mode=0o160000), "gitlink"),
        (Change("a", DELETED, b"", size=5), "deletion"),
        (Change("a", ADDED, b"x", size=-1), "size"),
    ],
    ids=["mode-600", "mode-dir", "gitlink-short", "gitlink-nonhex", "deletion-size", "negative"],
)
def test_bad_change_headers(
    api: Api, server: MicServer, session: pb.Session, change: Change, match: str
) -> None:
    with expect_error(grpc.StatusCode.INVALID_ARGUMENT, match):
        api.land(land_requests(pb.LandHeader(session_id=session.session_id), [change]))
    _assert_nothing_stored(api, server, session.session_id)


def _header(session_id: str) -> pb.LandItem:
    return pb.LandItem(header=pb.LandHeader(session_id=session_id))


def _change(path: str, size: int) -> pb.LandItem:
    return pb.LandItem(change=pb.ChangeHeader(file_path=path, change_type=ADDED, size=size))


def _chunk(data: bytes) -> pb.LandItem:
    return pb.LandItem(chunk=pb.ContentChunk(data=data))


MALFORMED: dict[str, tuple[Callable[[str], Iterator[pb.LandItem]], str]] = {
    "empty stream": (lambda sid: iter(()), "LandHeader"),
    "chunk first": (lambda sid: iter([_chunk(b"x"), _header(sid)]), "LandHeader"),
    "change first": (lambda sid: iter([_change("a", 1), _chunk(b"x")]), "LandHeader"),
    "no item": (lambda sid: iter([pb.LandItem()]), "LandHeader"),
    "header twice": (lambda sid: iter([_header(sid), _header(sid)]), "LandHeader"),
    "header again later": (
        lambda sid: iter([_header(sid), _change("a", 1), _chunk(b"x"), _header(sid)]),
        "LandHeader",
    ),
    "chunk before change header": (lambda sid: iter([_header(sid), _chunk(b"x")]), "before"),
    "fewer bytes than declared": (
        lambda sid: iter(
            [
                _header(sid),
                _change("a", 300_000),
                _chunk(b"x" * 200_000),
                _change("b", 1),
                _chunk(b"y"),
            ]
        ),
        "declared size",
    ),
    "fewer bytes at the end": (
        lambda sid: iter([_header(sid), _change("a", 10), _chunk(b"x" * 5)]),
        "declared size",
    ),
    "more bytes than declared (stored)": (
        lambda sid: iter([_header(sid), _change("a", 200_000), _chunk(b"x" * 200_001)]),
        "declared size",
    ),
    "more bytes than declared (inline)": (
        lambda sid: iter([_header(sid), _change("a", 2), _chunk(b"xy"), _chunk(b"z")]),
        "declared size",
    ),
    "same path twice": (
        lambda sid: iter(
            [_header(sid), _change("a", 1), _chunk(b"x"), _change("a", 1), _chunk(b"y")]
        ),
        "two changes",
    ),
    "no session": (lambda sid: iter([pb.LandItem(header=pb.LandHeader())]), "session_id"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_streams(api: Api, server: MicServer, session: pb.Session, case: str) -> None:
    make, match = MALFORMED[case]
    stream: Iterator[pb.LandItem] = make(session.session_id)
    with expect_error(grpc.StatusCode.INVALID_ARGUMENT, match):
        api.land(stream)
    _assert_nothing_stored(api, server, session.session_id)


def test_message_and_goal_limits(api: Api, project: tuple[str, str], session: pb.Session) -> None:
    mib = 1024 * 1024
    ok = api.sessions.AddMessage(
        pb.AddMessageRequest(
            session_id=session.session_id,
            message=pb.ConversationMessage(role="h", content="x" * mib),
        )
    )
    assert len(ok.conversation[-1].content) == mib
    with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "message content"):
        api.sessions.AddMessage(
            pb.AddMessageRequest(
                session_id=session.session_id,
                message=pb.ConversationMessage(role="h", content="x" * (mib + 1)),
            )
        )
    with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "role"):
        api.sessions.AddMessage(
            pb.AddMessageRequest(
                session_id=session.session_id, message=pb.ConversationMessage(content="no role")
            )
        )
    with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "goal"):
        api.start(*project, "g" * (64 * 1024 + 1))
    with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "goal"):
        api.start(*project, "   ")
    with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "decision"):
        api.sessions.AddDecision(
            pb.AddDecisionRequest(
                session_id=session.session_id, decision=pb.Decision(decision="d" * (64 * 1024 + 1))
            )
        )
    with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "session id"):
        api.start(*project, "goal", session_id="../evil")
    with expect_error(grpc.StatusCode.INVALID_ARGUMENT, "base_position"):
        api.start(*project, "goal", has_base_position=True, base_position=5)
    after = api.sessions.GetSession(pb.GetSessionRequest(session_id=session.session_id))
    assert len(after.conversation) == 1
