"""The server process: server.json while serving, a graceful SIGTERM, a stable admin token."""

from __future__ import annotations

import json

from micelio.v1 import micelio_pb2 as pb
from tests.support.fixture_types import MicServerFactory
from tests.support.rpc import Api


def test_lifecycle(mic_server: MicServerFactory) -> None:
    server = mic_server()
    info = json.loads((server.data_dir / "server.json").read_text())
    assert info == {"address": server.address, "pid": server.pid, "web": server.web}
    assert (server.data_dir / "mic.db").exists()
    assert (server.data_dir / "objects").is_dir()
    with Api(server.address, server.token) as api:
        api.project("life", "p")
    server.stop()
    assert server.proc is not None and server.proc.returncode == 0
    assert not (server.data_dir / "server.json").exists()
    again = server.restart()
    assert again.token == server.token  # admin.token is kept and still valid
    with Api(again.address, again.token) as api:
        got = api.projects.GetProject(pb.GetProjectRequest(organization="life", handle="p"))
        assert got.handle == "p"
    again.stop()
