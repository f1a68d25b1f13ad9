"""End to end: start a server process, create a project, land a session, read it back."""

from __future__ import annotations

from micelio.v1 import micelio_pb2 as pb
from tests.support.fixture_types import MicServerFactory
from tests.support.rpc import Api


def test_land_and_read_back(mic_server: MicServerFactory) -> None:
    server = mic_server()
    with Api(server.address, server.token) as api:
        api.project("acme", "api")
        session = api.start("acme", "api", "first")
        landed = api.land_files(session.session_id, {"README.md": b"hello\n", "src/a.py": b"x=1\n"})
        assert landed.landing_position == 1
        assert landed.changes == 2
        assert landed.session.status == pb.SESSION_STATUS_LANDED
        assert api.read_change(session.session_id, "README.md") == b"hello\n"
        assert set(api.tree("acme", "api")) == {"README.md", "src/a.py"}
        assert api.read_file("acme", "api", "src/a.py") == b"x=1\n"
