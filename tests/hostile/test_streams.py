"""Hostile clients against bounded work: idle streams, half-sent calls, floods, globs.

Raw gRPC against a real server process. The attacker holds an organization's tokens (write
and read); the victim is another organization on the same server, whose calls must not
notice. The server runs with a 3 s idle timeout so that the tests see calls being ended.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from micelio import config
from micelio.testing import MicServer, start_mic_server
from micelio.v1 import micelio_pb2 as pb
from tests.support.rpc import ADDED, Api, Change, land_requests

IDLE = 3.0
LAND = "/micelio.v1.SessionService/LandSession"
GET_PROJECT = "/micelio.v1.ProjectService/GetProject"
METADATA_FIELD = 7  # StartSessionRequest.metadata (a Struct)


def _start(data_dir: Path, db_url: str | None = None) -> MicServer:
    return start_mic_server(
        data_dir, db_url=db_url, extra_env={"MIC_STREAM_IDLE_TIMEOUT": str(IDLE)}
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MicServer]:
    running = _start(tmp_path_factory.mktemp("hostile-streams"))
    yield running
    running.stop()


@dataclass
class Org:
    name: str
    project: str
    tokens: dict[str, str]  # role or label -> token


def _org(server: MicServer, *labels: str) -> Org:
    """A fresh organization and project; one token per label ("read", "write", "write2"...)."""
    tag = uuid.uuid4().hex[:8]
    org = Org(f"org-{tag}", "p", {})
    with Api(server.address, server.token) as admin:
        admin.project(org.name, org.project)
        for label in labels:
            role = label.rstrip("0123456789")
            minted = admin.projects.CreateToken(
                pb.CreateTokenRequest(organization=org.name, role=role, description=label)
            )
            org.tokens[label] = minted.token
    return org


def _meta(token: str | None) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),) if token else ()


class Hold:
    """Request iterators that send ``first`` (if any) and then nothing until released."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def requests(self, first: list[Any]) -> Iterator[Any]:
        yield from first
        self.release.wait()


def _idle_calls(
    channel: grpc.Channel, method: str, tokens: list[str], count: int, hold: Hold, first: Any
) -> list[grpc.Future[Any]]:
    """``count`` calls of ``method`` that send ``first`` and then wait, round robin on tokens."""
    call = channel.stream_unary(method, request_serializer=None, response_deserializer=None)
    return [
        call.future(hold.requests(first), metadata=_meta(tokens[i % len(tokens)]), timeout=120)
        for i in range(count)
    ]


def _code(future: grpc.Future[Any], timeout: float) -> grpc.StatusCode | None:
    """The call's status code once it ended within ``timeout``; None while it runs."""
    try:
        future.result(timeout=timeout)
    except grpc.FutureTimeoutError:
        return None
    except grpc.RpcError as error:
        return error.code()  # a failed future raises its Call
    return grpc.StatusCode.OK


def _settle(futures: list[grpc.Future[Any]], wait: float = 2.0) -> list[grpc.StatusCode | None]:
    time.sleep(wait)
    return [_code(f, 0) for f in futures]


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _health(channel: grpc.Channel) -> float:
    stub = health_pb2_grpc.HealthStub(channel)
    return _timed(lambda: stub.Check(health_pb2.HealthCheckRequest(), timeout=5))


def _victim_calls(server: MicServer, victim: Org) -> dict[str, float]:
    """Latency (s) of the victim's GetProject, ListSessions, a small landing, and health."""
    with Api(server.address, victim.tokens["write"]) as api:
        org, project = victim.name, victim.project
        times = {
            "get_project": _timed(
                lambda: api.projects.GetProject(
                    pb.GetProjectRequest(organization=org, handle=project), timeout=5
                )
            ),
            "list_sessions": _timed(
                lambda: api.sessions.ListSessions(
                    pb.ListSessionsRequest(organization=org, project=project), timeout=5
                )
            ),
        }

        def land() -> None:
            session = api.start(org, project, "small landing")
            api.land_files(session.session_id, {f"f-{uuid.uuid4().hex[:6]}.txt": b"hello\n"})

        times["land"] = _timed(land)
        times["health"] = _health(api.channel)
    return times


def test_read_token_cannot_open_a_landing_stream(server: MicServer) -> None:
    attacker = _org(server, "read")
    hold = Hold()
    with server.channel() as channel:
        (future,) = _idle_calls(channel, LAND, [attacker.tokens["read"]], 1, hold, [])
        assert _code(future, 2) == grpc.StatusCode.PERMISSION_DENIED
        hold.release.set()


def test_idle_streams_do_not_starve_other_organizations(server: MicServer) -> None:
    attacker = _org(server, "write", "write2", "write3", "write4", "read")
    victim = _org(server, "write")
    writers = [attacker.tokens[k] for k in ("write", "write2", "write3", "write4")]
    hold = Hold()
    with server.channel() as channel:
        try:
            started = time.monotonic()
            futures = _idle_calls(channel, LAND, writers, 150, hold, [])
            futures += _idle_calls(channel, LAND, [attacker.tokens["read"]], 50, hold, [])
            codes = _settle(futures, 1.0)
            open_ = codes.count(None)
            exhausted = codes.count(grpc.StatusCode.RESOURCE_EXHAUSTED)
            assert open_ == config.DEFAULT_MAX_STREAMS_PER_ORG, codes
            assert codes[150:] == [grpc.StatusCode.PERMISSION_DENIED] * 50
            assert exhausted == 150 - open_
            samples = [_victim_calls(server, victim) for _ in range(5)]
            for sample in samples:
                assert max(sample["get_project"], sample["list_sessions"], sample["land"]) < 1.0
                assert sample["health"] < 0.1, sample
            # The idle ones end after the idle timeout (checked every quarter of it).
            ended = [
                _code(f, max(0.0, started + IDLE * 1.5 + 2 - time.monotonic())) for f in futures
            ]
            assert ended.count(grpc.StatusCode.CANCELLED) == open_, ended
        finally:
            hold.release.set()
    with Api(server.address, server.token) as admin:
        listed = admin.sessions.ListSessions(
            pb.ListSessionsRequest(organization=attacker.name, project=attacker.project)
        )
        assert listed.total == 0  # nothing of the idle streams was stored
    print("victim latencies under 200 idle streams:", _summary(samples))


def _summary(samples: list[dict[str, float]]) -> dict[str, str]:
    out = {}
    for key in samples[0]:
        values = [s[key] * 1000 for s in samples]
        out[key] = f"median {statistics.median(values):.1f} ms, max {max(values):.1f} ms"
    return out


def test_stream_limits_at_the_boundary(server: MicServer) -> None:
    """Per token: 16 open, the 17th refused; per organization: 24 open, the 25th refused."""
    org = _org(server, "write", "write2", "write3")
    hold = Hold()
    per_token = config.DEFAULT_MAX_STREAMS_PER_TOKEN
    per_org = config.DEFAULT_MAX_STREAMS_PER_ORG
    with server.channel() as channel:
        try:
            first = _idle_calls(channel, LAND, [org.tokens["write"]], per_token, hold, [])
            assert _settle(first, 0.5) == [None] * per_token
            (over,) = _idle_calls(channel, LAND, [org.tokens["write"]], 1, hold, [])
            assert _code(over, 2) == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "this token" in over.exception().details()  # type: ignore[union-attr]
            rest = _idle_calls(channel, LAND, [org.tokens["write2"]], per_org - per_token, hold, [])
            assert _settle(rest, 0.5) == [None] * (per_org - per_token)
            (over,) = _idle_calls(channel, LAND, [org.tokens["write3"]], 1, hold, [])
            assert _code(over, 2) == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "this organization" in over.exception().details()  # type: ignore[union-attr]
        finally:
            hold.release.set()


def test_half_sent_unary_calls_are_bounded(server: MicServer) -> None:
    """Calls that send headers but never their request: counted, refused beyond the limit,
    ended after the idle timeout; nobody else notices."""
    attacker = _org(server, "read")
    victim = _org(server, "write")
    hold = Hold()
    per_token = config.DEFAULT_MAX_CALLS_PER_TOKEN
    with server.channel() as channel:
        try:
            futures = _idle_calls(channel, GET_PROJECT, [attacker.tokens["read"]], 100, hold, [])
            codes = _settle(futures, 1.0)
            assert codes.count(None) == per_token
            assert codes.count(grpc.StatusCode.RESOURCE_EXHAUSTED) == 100 - per_token
            sample = _victim_calls(server, victim)
            assert max(sample.values()) < 1.0 and sample["health"] < 0.1, sample
            ended = [_code(f, IDLE * 1.5 + 2) for f in futures]
            assert ended.count(grpc.StatusCode.CANCELLED) == per_token
        finally:
            hold.release.set()


def test_a_slow_but_steady_stream_is_not_idle(server: MicServer) -> None:
    """The timeout bounds each wait, not the call: a landing that sends a keep-alive, then a
    byte, every second for longer than the idle timeout lands."""
    org = _org(server, "write")
    with Api(server.address, org.tokens["write"]) as api:
        session = api.start(org.name, org.project, "slow")
        items = list(
            land_requests(
                pb.LandHeader(session_id=session.session_id),
                [Change("slow.txt", ADDED, b"12345")],
                1,
            )
        )

        def slowly() -> Iterator[pb.LandSessionRequest]:
            yield pb.LandSessionRequest(items=items[:1])
            for _ in range(int(IDLE) + 2):  # keep-alives: empty requests, read and ignored
                time.sleep(1.0)
                yield pb.LandSessionRequest()
            for item in items[1:]:
                yield pb.LandSessionRequest(items=[item])
                time.sleep(1.0)

        landed = api.sessions.LandSession(slowly(), timeout=60)
        assert landed.landing_position == 1
        assert api.read_file(org.name, org.project, "slow.txt") == b"12345"


def test_a_reader_that_stops_reading_is_ended(server: MicServer) -> None:
    org = _org(server, "write")
    big = bytes(range(256)) * (64 * 1024)  # 16 MiB: far more than any flow-control window
    with Api(server.address, org.tokens["write"]) as api:
        session = api.start(org.name, org.project, "big")
        api.land_files(session.session_id, {"big.bin": big})
        chunks = api.content.ReadFile(
            pb.ReadFileRequest(organization=org.name, project=org.project, file_path="big.bin")
        )
        next(chunks)
        time.sleep(IDLE * 1.5 + 1)
        with pytest.raises(grpc.RpcError) as info:
            for _ in chunks:
                pass
        assert info.value.code() == grpc.StatusCode.CANCELLED
        # Its stream slot was given back: the token streams again.
        assert api.read_file(org.name, org.project, "big.bin") == big


def test_malformed_requests_are_refused_without_tracebacks(server: MicServer) -> None:
    org = _org(server, "write")
    garbage = b"\xff\xff\xff\xff\x0f"
    with server.channel() as channel:
        call = channel.unary_unary(GET_PROJECT, request_serializer=None, response_deserializer=None)
        for _ in range(50):
            with pytest.raises(grpc.RpcError) as info:
                call(garbage, timeout=5)  # no token
            assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        for _ in range(50):
            with pytest.raises(grpc.RpcError) as info:
                call(garbage, metadata=_meta(org.tokens["write"]), timeout=5)
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        # A Struct nested far beyond protobuf's limit (built by hand: protobuf won't build it).
        nested, struct = b"", b""
        for _ in range(200):
            # Value{struct_value: Struct{fields: {"k": <nested>}}}
            entry = b"\x0a\x01k" + b"\x12" + _varint(len(nested)) + nested
            struct = b"\x0a" + _varint(len(entry)) + entry
            nested = b"\x2a" + _varint(len(struct)) + struct
        start = channel.unary_unary(
            "/micelio.v1.SessionService/StartSession",
            request_serializer=None,
            response_deserializer=None,
        )
        metadata_field = METADATA_FIELD
        request = bytes([metadata_field << 3 | 2]) + _varint(len(struct)) + struct
        with pytest.raises(grpc.RpcError) as info:
            start(request, metadata=_meta(org.tokens["write"]), timeout=5)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log
    # 101 refusals, logged as one line each at most, and rate-limited.
    assert log.count("refused ") <= 10


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


# --- path globs ---------------------------------------------------------------------------

#: Globs that take exponential time in a backtracking matcher, on paths of 200 characters.
HOSTILE_GLOBS = {
    "**a**a**a**a**ab": 1,  # matches the path ending in "b" only
    "**a" * 20 + "b": 1,
    "**a" * 20: 2,  # not the deep path: unanchored, a glob matches names ("aa" is too short)
    "*a" * 30 + "b": 1,  # "*" stays within a name: only the 200-character name
    "**/" * 20 + "*" + "a" * 50 + "b": 1,
    "**/" * 40 + "a/" * 30 + "**/b": 0,
    # At the longest glob allowed (1000 characters):
    "**a" * 333: 0,
    "*a" * 499 + "b": 0,
    "**/*a" * 199 + "b": 1,
}
PATHS = ["a" * 200, "a" * 199 + "b", "a/" * 99 + "aa"]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def glob_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MicServer]:
    db_url = None
    if request.param == "postgres":
        db_url = request.getfixturevalue("postgres_cluster").create_database()
    running = _start(tmp_path_factory.mktemp(f"hostile-glob-{request.param}"), db_url)
    yield running
    running.stop()


def test_backtracking_globs_answer_fast(glob_server: MicServer) -> None:
    org = _org(glob_server, "write")
    with Api(glob_server.address, org.tokens["write"]) as api:
        for path in PATHS:
            session = api.start(org.name, org.project, path[:20])
            api.land_files(session.session_id, {path: b"x"})
        stop = threading.Event()
        health: list[float] = []

        def probe() -> None:
            with glob_server.channel() as channel:
                while not stop.is_set():
                    health.append(_health(channel))
                    time.sleep(0.01)

        prober = threading.Thread(target=probe)
        prober.start()
        timings = {}
        try:
            for glob, expected in HOSTILE_GLOBS.items():
                request = pb.ListSessionsRequest(
                    organization=org.name, project=org.project, path_glob=glob
                )
                start = time.perf_counter()
                listed = api.sessions.ListSessions(request, timeout=30)
                timings[f"{glob[:12]}...({len(glob)})"] = time.perf_counter() - start
                assert listed.total == expected, glob
        finally:
            stop.set()
            prober.join()
    print(
        f"glob times ({glob_server.db_url or 'sqlite'}):",
        {g: f"{t * 1000:.1f} ms" for g, t in timings.items()},
        f"health max {max(health) * 1000:.1f} ms over {len(health)} checks",
    )
    assert max(timings.values()) < 1.0, timings
    assert health and max(health) < 0.1, max(health)


def test_health_watch_and_reflection_still_answer(server: MicServer) -> None:
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    with server.channel() as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(), timeout=5
        )
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        watch.cancel()
        answers = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
        )
        names = {s.name for s in next(answers).list_services_response.service}
        assert "micelio.v1.SessionService" in names


SMALL_LIMITS = {
    "MIC_MAX_STREAMS": "4",
    "MIC_MAX_STREAMS_PER_ORG": "3",
    "MIC_MAX_STREAMS_PER_TOKEN": "2",
    "MIC_MAX_CALLS_PER_ORG": "3",
    "MIC_MAX_CALLS_PER_TOKEN": "2",
}


def test_every_limit_at_its_boundary(tmp_path: Path) -> None:
    """Small limits set by their options' environment variables: at each limit the call is
    admitted, one over is refused at once naming the limit, and an ended call frees its place."""
    small = start_mic_server(
        tmp_path / "small", extra_env={"MIC_STREAM_IDLE_TIMEOUT": "60", **SMALL_LIMITS}
    )
    try:
        a = _org(small, "write", "write2")
        b = _org(small, "write", "write2")
        holds = [Hold() for _ in range(4)]
        with small.channel() as channel:
            alive: list[grpc.Future[Any]] = []  # a call whose future is dropped is cancelled

            def opens(
                method: str, token: str, count: int, hold: Hold
            ) -> list[grpc.StatusCode | None]:
                futures = _idle_calls(channel, method, [token], count, hold, [])
                alive.extend(futures)
                return _settle(futures, 0.5)

            def refusal(method: str, token: str) -> str:
                (future,) = _idle_calls(channel, method, [token], 1, holds[3], [])
                assert _code(future, 2) == grpc.StatusCode.RESOURCE_EXHAUSTED
                error = future.exception()
                assert error is not None
                return str(error.details())  # type: ignore[attr-defined]

            try:
                # streams: token 2, organization 3, server 4
                assert opens(LAND, a.tokens["write"], 2, holds[0]) == [None, None]
                assert "this token (limit 2)" in refusal(LAND, a.tokens["write"])
                assert opens(LAND, a.tokens["write2"], 1, holds[1]) == [None]
                assert "this organization (limit 3)" in refusal(LAND, a.tokens["write2"])
                assert opens(LAND, b.tokens["write"], 1, holds[2]) == [None]
                assert "the server (limit 4)" in refusal(LAND, b.tokens["write2"])
                holds[0].release.set()  # a's first token ends its two streams
                time.sleep(0.5)
                assert opens(LAND, b.tokens["write2"], 1, holds[2]) == [None]
                # unary calls that never send their request: token 2, organization 3
                assert opens(GET_PROJECT, a.tokens["write"], 2, holds[1]) == [None, None]
                assert "this token (limit 2)" in refusal(GET_PROJECT, a.tokens["write"])
                assert opens(GET_PROJECT, a.tokens["write2"], 1, holds[1]) == [None]
                assert "this organization (limit 3)" in refusal(GET_PROJECT, a.tokens["write2"])
                # the other organization still calls
                with Api(small.address, b.tokens["write"]) as api:
                    api.projects.GetProject(
                        pb.GetProjectRequest(organization=b.name, handle=b.project), timeout=2
                    )
            finally:
                for hold in holds:
                    hold.release.set()
    finally:
        small.stop()
