"""An import's stream stays alive while its next request takes longer than the server's idle
timeout to make (a huge commit read from git): empty keep-alive requests fill the gap."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from micelio.client import Change, Landing, MicClient, MicError, NewSession
from micelio.testing import MicServer, start_mic_server

IDLE = 1.0  # the server's idle timeout here (seconds)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MicServer]:
    running = start_mic_server(
        tmp_path_factory.mktemp("keepalive") / "data",
        extra_env={"MIC_STREAM_IDLE_TIMEOUT": str(IDLE)},
    )
    yield running
    running.stop()


def _slow_changes(delay: float) -> Iterator[Change]:
    yield Change("first.txt", "added", b"1\n")
    time.sleep(delay)  # the importer reading a huge commit from git
    yield Change("second.txt", "added", b"2\n")


def _landings(org: str, delay: float) -> list[Landing]:
    return [
        Landing(changes=_slow_changes(delay), create=NewSession(org, "p", "slow")),
        Landing(
            changes=[Change("third.txt", "added", b"3\n")], create=NewSession(org, "p", "next")
        ),
    ]


def _project(client: MicClient) -> str:
    org = f"ka-{uuid.uuid4().hex[:8]}"
    client.create_organization(org)
    client.create_project(org, "p")
    return org


def test_a_gap_longer_than_the_idle_timeout_is_kept_alive(server: MicServer) -> None:
    with MicClient(server.address, server.token) as client:
        org = _project(client)
        results = list(client.land_many(_landings(org, IDLE * 3), keepalive=IDLE / 4))
        assert [r.landing_position for r in results] == [1, 2]
        assert {e.file_path for e in client.get_tree(org, "p")} == {
            "first.txt",
            "second.txt",
            "third.txt",
        }


def test_without_keep_alives_the_server_ends_the_call(server: MicServer) -> None:
    """The control: the same gap with no keep-alive is cancelled, and nothing of it lands."""
    with MicClient(server.address, server.token) as client:
        org = _project(client)
        with pytest.raises(MicError):
            list(client.land_many(_landings(org, IDLE * 3), keepalive=IDLE * 10))
        assert client.get_project(org, "p").head_position == 0
