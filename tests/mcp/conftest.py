"""Fixtures of the `mic mcp` tests: one real server per module, a project with the known
history of ``tests.support.mcp.land_history``, and a fresh checkout of it per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from micelio.testing import MicServer
from tests.support.cli import Mic
from tests.support.fixture_types import MicServerFactory
from tests.support.mcp import History, land_history


@pytest.fixture(scope="module")
def server(mic_server: MicServerFactory) -> Iterator[MicServer]:
    srv = mic_server()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def mic(server: MicServer) -> Mic:
    return Mic(server.env)


@pytest.fixture(scope="module")
def history(mic: Mic, tmp_path_factory: pytest.TempPathFactory) -> History:
    return land_history(mic, tmp_path_factory.mktemp("history"))


@pytest.fixture
def checkout(mic: Mic, history: History, tmp_path: Path) -> Path:
    """A fresh checkout of the project at its head, for one agent."""
    directory = tmp_path / "checkout"
    mic(tmp_path, "checkout", history.project, str(directory))
    return directory
