"""Contents below the threshold live inline in the database, the others in object storage
under ``sessions/{session_id}/changes/{file_path}``; all read back byte-identical."""

from __future__ import annotations

import hashlib
import os

import pytest

from micelio.testing import MicServer
from micelio.v1 import micelio_pb2 as pb
from tests.support.fixture_types import MicServerFactory
from tests.support.rpc import Api

SIZES = {"small.txt": 1024, "mid/medium.bin": 300 * 1024, "big/large.bin": 20 * 1024 * 1024}


@pytest.mark.parametrize("storage", ["file", pytest.param("s3", marks=pytest.mark.s3)])
def test_storage_split(
    mic_server: MicServerFactory, storage: str, request: pytest.FixtureRequest
) -> None:
    server = mic_server(storage=storage)
    files = {path: os.urandom(size) for path, size in SIZES.items()}
    with Api(server.address, server.token) as api:
        api.project("split", "p")
        session = api.start("split", "p", "storage split")
        landed = api.land_files(session.session_id, {**files})
        assert landed.bytes_inline == 1024
        assert landed.bytes_stored == 300 * 1024 + 20 * 1024 * 1024
        changes = {
            c.file_path: c
            for c in api.sessions.ListSessionChanges(
                pb.ListSessionChangesRequest(session_id=session.session_id)
            ).changes
        }
        assert changes["small.txt"].storage_key == ""
        for path in ("mid/medium.bin", "big/large.bin"):
            key = f"sessions/{session.session_id}/changes/{path}"
            assert changes[path].storage_key == key
            assert _object(server, storage, request, key) == files[path]
        for path, data in files.items():
            assert changes[path].size == len(data)
            assert changes[path].sha256 == hashlib.sha256(data).hexdigest()
            assert api.read_change(session.session_id, path) == data
            assert api.read_file("split", "p", path) == data


def _object(server: MicServer, storage: str, request: pytest.FixtureRequest, key: str) -> bytes:
    if storage == "file":
        return (server.data_dir / "objects" / key).read_bytes()
    seaweed = request.getfixturevalue("seaweed")
    assert server.storage_url is not None
    bucket, _, rest = server.storage_url.removeprefix("s3://").partition("/")
    prefix = rest.split("?")[0]
    body = seaweed.client().get_object(Bucket=bucket, Key=f"{prefix}/{key}")["Body"]
    content: bytes = body.read()
    return content
