"""Hostile clients against project archives (UploadArchive, ListArchives, ReadArchive), over
raw gRPC to a real server process with a small archive limit.

Every refusal leaves nothing stored: no row (ListArchives), no object under ``projects/``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from micelio.testing import MicServer, start_mic_server
from micelio.v1 import micelio_pb2 as pb
from tests.support.rpc import Api, expect_error

MAX_ARCHIVE = 4096
BUNDLE = b"# v2 git bundle\n" + b"0" * 40 + b" refs/heads/main\n\nPACK" + b"\0" * 200
BAD = grpc.StatusCode.INVALID_ARGUMENT
DENIED = grpc.StatusCode.PERMISSION_DENIED


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MicServer]:
    started = start_mic_server(
        Path(tmp_path_factory.mktemp("archives")),
        extra_env={"MIC_MAX_ARCHIVE_BYTES": str(MAX_ARCHIVE)},
    )
    yield started
    started.stop()


def _token(api: Api, org: str, role: str) -> str:
    minted: pb.CreateTokenResponse = api.projects.CreateToken(
        pb.CreateTokenRequest(organization=org, role=role, description=f"{org}-{role}")
    )
    return minted.token


def _upload(
    data: bytes,
    *,
    org: str = "arc",
    project: str = "p",
    size: int | None = None,
    sha256: str | None = None,
    chunk: int = 1024,
    kind: str = "git-bundle",
    refs_json: str = "{}",
    header: bool = True,
) -> Iterator[pb.UploadArchiveRequest]:
    if header:
        yield pb.UploadArchiveRequest(
            header=pb.ArchiveHeader(
                organization=org,
                project=project,
                kind=kind,
                size=len(data) if size is None else size,
                sha256=hashlib.sha256(data).hexdigest() if sha256 is None else sha256,
                refs_json=refs_json,
            )
        )
    for start in range(0, len(data), chunk):
        yield pb.UploadArchiveRequest(chunk=data[start : start + chunk])


def _stored(server: MicServer) -> list[Path]:
    root = server.data_dir / "objects" / "projects"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _listed(api: Api, org: str = "arc", project: str = "p") -> list[int]:
    answer = api.projects.ListArchives(pb.ListArchivesRequest(organization=org, project=project))
    return [a.seq for a in answer.archives]


@pytest.fixture(scope="module")
def admin(server: MicServer) -> Iterator[Api]:
    with Api(server.address, server.token) as api:
        api.project("arc", "p")
        api.project("other", "q")
        yield api


def test_an_archive_round_trips_and_is_numbered(server: MicServer, admin: Api) -> None:
    before = _listed(admin)
    first = admin.projects.UploadArchive(_upload(BUNDLE, refs_json='{"refs": {"a": "b"}}'))
    second = admin.projects.UploadArchive(_upload(BUNDLE))
    assert second.seq == first.seq + 1 and _listed(admin) == [*before, first.seq, second.seq]
    assert json.loads(first.refs_json) == {"refs": {"a": "b"}}
    data = b"".join(
        c.data
        for c in admin.projects.ReadArchive(
            pb.ReadArchiveRequest(organization="arc", project="p", seq=first.seq)
        )
    )
    assert data == BUNDLE
    # The key is the server's: under the project, whatever the client sends.
    assert all(p.parts[-3:-1][0].isdigit() and p.parent.name == "archives" for p in _stored(server))


def test_bad_uploads_store_nothing(server: MicServer, admin: Api) -> None:
    listed, stored = _listed(admin), _stored(server)
    cases = [
        (_upload(BUNDLE, size=len(BUNDLE) - 1), BAD, "longer than its declared"),
        (_upload(BUNDLE, size=len(BUNDLE) + 1), BAD, "does not match its header"),
        (_upload(BUNDLE, sha256="0" * 64), BAD, "does not match its header"),
        (_upload(BUNDLE, sha256="not-hex"), BAD, "sha256"),
        (_upload(b"PK\x03\x04 a zip, not a bundle" * 4), BAD, "not a git bundle"),
        (_upload(b"# v2"), BAD, "not a git bundle"),
        (_upload(BUNDLE, kind="tarball"), BAD, "unknown archive kind"),
        (_upload(BUNDLE, refs_json="[1, 2]"), BAD, "not a JSON object"),
        (_upload(BUNDLE, refs_json='{"x": "' + "y" * (3 << 20) + '"}'), BAD, "refs"),
        (_upload(BUNDLE, header=False), BAD, "starts with its header"),
        (_upload(b"", size=0), BAD, "size"),
        (_upload(BUNDLE, project="nope"), grpc.StatusCode.NOT_FOUND, "not found"),
        (_upload(BUNDLE * 20), grpc.StatusCode.RESOURCE_EXHAUSTED, "--max-archive-bytes"),
        # Over the limit while declaring less: cut off at the declared size.
        (_upload(BUNDLE * 20, size=len(BUNDLE)), BAD, "longer than its declared"),
        (_upload(BUNDLE + b"x" * (2 << 20), size=MAX_ARCHIVE, chunk=2 << 20), BAD, "at most"),
    ]
    for requests, code, match in cases:
        with expect_error(code, match or None):
            admin.projects.UploadArchive(requests)
    # A second header in the middle of the chunks.
    mixed = list(_upload(BUNDLE))
    with expect_error(BAD, "one header"):
        admin.projects.UploadArchive(iter([*mixed, mixed[0]]))
    assert _listed(admin) == listed
    assert _stored(server) == stored


def test_tokens_act_only_within_their_rights(server: MicServer, admin: Api) -> None:
    reader = _token(admin, "arc", "read")
    outsider = _token(admin, "other", "write")
    seq = admin.projects.UploadArchive(_upload(BUNDLE)).seq
    listed, stored = _listed(admin), _stored(server)
    with Api(server.address, reader) as api:
        with expect_error(DENIED):
            api.projects.UploadArchive(_upload(BUNDLE))
        assert _listed(api) == listed  # a reader reads
    with Api(server.address, outsider) as api:
        with expect_error(DENIED):
            api.projects.UploadArchive(_upload(BUNDLE))
        with expect_error(DENIED):
            _listed(api)
        with expect_error(DENIED):
            list(api.projects.ReadArchive(pb.ReadArchiveRequest(organization="arc", project="p",
                                                                seq=seq)))  # fmt: skip
    with Api(server.address, None) as api, expect_error(grpc.StatusCode.UNAUTHENTICATED):
        api.projects.UploadArchive(_upload(BUNDLE))
    with expect_error(grpc.StatusCode.NOT_FOUND, "no archive"):
        list(admin.projects.ReadArchive(pb.ReadArchiveRequest(organization="arc", project="p",
                                                              seq=10_000)))  # fmt: skip
    assert _listed(admin) == listed and _stored(server) == stored


def test_a_tampered_archive_is_data_loss(server: MicServer, admin: Api) -> None:
    seq = admin.projects.UploadArchive(_upload(BUNDLE)).seq
    for stored in _stored(server):  # every archive of this module holds BUNDLE
        stored.write_bytes(BUNDLE[:-1] + b"X")
    with expect_error(grpc.StatusCode.DATA_LOSS, "sha256"):
        list(admin.projects.ReadArchive(pb.ReadArchiveRequest(organization="arc", project="p",
                                                              seq=seq)))  # fmt: skip


def test_listing_comes_in_pages_of_bounded_size(server: MicServer, admin: Api) -> None:
    admin.project("arc", "pages")
    big = json.dumps({"refs": {"x": "y" * (1200 << 10)}})
    for _ in range(3):
        admin.projects.UploadArchive(_upload(BUNDLE, project="pages", refs_json=big))
    seen: list[int] = []
    after = 0
    while True:
        page = admin.projects.ListArchives(
            pb.ListArchivesRequest(organization="arc", project="pages", after_seq=after)
        )
        assert page.ByteSize() < 4 << 20
        seen += [a.seq for a in page.archives]
        after = page.next_after_seq
        if not after:
            break
    assert seen == [1, 2, 3]
