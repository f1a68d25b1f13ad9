"""Fixtures of the CLI tests: one real server process per module, and `mic` bound to it (in
process; ``mic_process`` runs the real ``python -m micelio``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from micelio.testing import MicServer
from tests.support.cli import Mic
from tests.support.fixture_types import MicServerFactory


@pytest.fixture(scope="module")
def server(mic_server: MicServerFactory) -> Iterator[MicServer]:
    # One server per module: starting one costs seconds, and tests use their own projects.
    srv = mic_server()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def mic(server: MicServer) -> Mic:
    return Mic(server.env)


@pytest.fixture(scope="module")
def mic_process(server: MicServer) -> Mic:
    return Mic(server.env, in_process=False)
