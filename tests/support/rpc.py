"""Talking to a mic server through the generated stubs (tests use these, not the client).

``Api(server)`` bundles the three stubs with the token in metadata; ``land_requests`` builds a
LandSession request stream; ``expect_error`` asserts a status code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import grpc
import pytest
from google.protobuf import struct_pb2

from micelio.testing import CHANNEL_OPTIONS
from micelio.v1 import micelio_pb2 as pb
from micelio.v1 import micelio_pb2_grpc as rpc

CHUNK = 1024 * 1024
ADDED, MODIFIED, DELETED = pb.CHANGE_TYPE_ADDED, pb.CHANGE_TYPE_MODIFIED, pb.CHANGE_TYPE_DELETED


class Api:
    """Stubs for one address and token: ``api.sessions.GetSession(req)`` sends the token."""

    def __init__(self, address: str, token: str | None) -> None:
        self.address = address
        self.token = token
        self.channel = grpc.insecure_channel(address, options=CHANNEL_OPTIONS)
        metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self.sessions = _Authed(rpc.SessionServiceStub(self.channel), metadata)
        self.projects = _Authed(rpc.ProjectServiceStub(self.channel), metadata)
        self.content = _Authed(rpc.ContentServiceStub(self.channel), metadata)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # conveniences ------------------------------------------------------------------------

    def project(self, org: str, project: str) -> pb.Project:
        self.projects.CreateOrganization(pb.CreateOrganizationRequest(handle=org, exist_ok=True))
        created: pb.Project = self.projects.CreateProject(
            pb.CreateProjectRequest(organization=org, handle=project, exist_ok=True)
        )
        return created

    def start(self, org: str, project: str, goal: str = "test", **kwargs: Any) -> pb.Session:
        started: pb.Session = self.sessions.StartSession(
            pb.StartSessionRequest(organization=org, project=project, goal=goal, **kwargs)
        )
        return started

    def land(self, items: Iterable[pb.LandItem]) -> pb.LandSessionResponse:
        """LandSession with one item per message (the client library packs them)."""
        requests = (pb.LandSessionRequest(items=[item]) for item in items)
        landed: pb.LandSessionResponse = self.sessions.LandSession(requests, timeout=600)
        return landed

    def land_files(
        self, session_id: str, files: dict[str, bytes | None], **header: Any
    ) -> pb.LandSessionResponse:
        """Land ``{path: content}`` (None: a deletion; bytes: added) on a started session."""
        changes = [
            Change(path, DELETED) if data is None else Change(path, ADDED, data)
            for path, data in files.items()
        ]
        return self.land(land_requests(pb.LandHeader(session_id=session_id, **header), changes))

    def read_change(self, session_id: str, path: str) -> bytes:
        chunks = self.sessions.ReadChange(
            pb.ReadChangeRequest(session_id=session_id, file_path=path)
        )
        return b"".join(c.data for c in chunks)

    def read_file(self, org: str, project: str, path: str, position: int | None = None) -> bytes:
        request = pb.ReadFileRequest(organization=org, project=project, file_path=path)
        if position is not None:
            request.has_position = True
            request.position = position
        return b"".join(c.data for c in self.content.ReadFile(request))

    def tree(
        self, org: str, project: str, position: int | None = None, prefix: str = ""
    ) -> dict[str, pb.TreeEntry]:
        request = pb.GetTreeRequest(organization=org, project=project, path_prefix=prefix)
        if position is not None:
            request.has_position = True
            request.position = position
        return {e.file_path: e for e in self.content.GetTree(request)}


class _Authed:
    """Forwards every stub method, adding the authorization metadata."""

    def __init__(self, stub: Any, metadata: tuple[tuple[str, str], ...]) -> None:
        self._stub = stub
        self._metadata = metadata

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._stub, name)

        def call(request: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("metadata", self._metadata)
            kwargs.setdefault("timeout", 120)
            return method(request, **kwargs)

        return call


@dataclass
class Change:
    path: str
    change_type: int = ADDED  # any number: tests send unknown ones too
    data: bytes = b""
    mode: int = 0
    size: int | None = None  # declared size; default len(data)
    raw_path: bytes = b""
    metadata: dict[str, Any] | None = None


def land_requests(
    header: pb.LandHeader | None, changes: Iterable[Change], chunk: int = CHUNK
) -> Iterator[pb.LandItem]:
    if header is not None:
        yield pb.LandItem(header=header)
    for change in changes:
        meta = None
        if change.metadata is not None:
            meta = struct_pb2.Struct()
            meta.update(change.metadata)
        yield pb.LandItem(
            change=pb.ChangeHeader(
                file_path=change.path,
                raw_path=change.raw_path,
                # proto3 enums are open: an unknown number goes on the wire as it is
                change_type=cast(pb.ChangeType, change.change_type),
                mode=change.mode,
                size=len(change.data) if change.size is None else change.size,
                metadata=meta,
            )
        )
        for start in range(0, len(change.data), chunk):
            yield pb.LandItem(chunk=pb.ContentChunk(data=change.data[start : start + chunk]))


@contextlib.contextmanager
def expect_error(code: grpc.StatusCode, match: str | None = None) -> Iterator[list[grpc.RpcError]]:
    """``with expect_error(grpc.StatusCode.NOT_FOUND, "session"):`` — the call inside must fail
    with ``code`` (and a message containing ``match``, case-insensitively)."""
    caught: list[grpc.RpcError] = []
    with pytest.raises(grpc.RpcError) as info:
        yield caught
    error = info.value
    caught.append(error)
    assert error.code() == code, f"expected {code.name}, got {error.code().name}: {error.details()}"
    if match is not None:
        assert match.lower() in (error.details() or "").lower(), error.details()


def trailers(error: grpc.RpcError, key: str) -> list[str]:
    """Every value of a trailing metadata key (list details send one entry per value)."""
    # A failed client call raises an error that is also its grpc.Call (the stubs type
    # RpcError.trailing_metadata as objects; they are (key, value) pairs).
    metadata = cast(grpc.Call, error).trailing_metadata() or ()
    return [
        value if isinstance(value, str) else value.decode()
        for name, value in metadata
        if name == key
    ]


def trailer(error: grpc.RpcError, key: str) -> str | None:
    found = trailers(error, key)
    return found[0] if found else None
