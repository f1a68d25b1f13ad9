"""Fixtures of the server tests: servers shared per test session, unique names per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from micelio.testing import MicServer
from tests.support.fixture_types import MicServerFactory
from tests.support.rpc import Api


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def server(request: pytest.FixtureRequest, mic_server: MicServerFactory) -> MicServer:
    """One server per database kind, shared by the core suite (tests use unique projects)."""
    return mic_server(db=request.param)


@pytest.fixture(scope="session")
def sqlite_server(mic_server: MicServerFactory) -> MicServer:
    return mic_server()


@pytest.fixture
def api(server: MicServer) -> Iterator[Api]:
    with Api(server.address, server.token) as client:
        yield client


@pytest.fixture
def names() -> tuple[str, str]:
    """A fresh (organization, project) pair."""
    tag = uuid.uuid4().hex[:10]
    return f"org-{tag}", f"proj-{tag}"


@pytest.fixture
def project(api: Api, names: tuple[str, str]) -> tuple[str, str]:
    api.project(*names)
    return names
