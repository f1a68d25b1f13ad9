"""The pure path rules, and both object stores (local files; S3 on SeaweedFS)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from micelio import paths
from micelio.storage import LocalStore, ObjectNotFound, S3Store, UnsafeKey, open_store
from micelio.storage.s3 import PART_SIZE
from tests.support.bad_paths import BAD_PATHS
from tests.support.seaweed import SeaweedS3


@pytest.mark.parametrize("bad", [*BAD_PATHS, "", "a/b/.."], ids=lambda p: repr(p)[:30])
def test_validate_path_refuses(bad: str) -> None:
    with pytest.raises(paths.InvalidPath):
        paths.validate_path(bad.encode())


@pytest.mark.parametrize(
    "good",
    [
        "a",
        "a/b/c.txt",
        ".gitignore",
        "x/.github/ci.yml",
        "a\\b",
        "...",
        "a..b",
        "名前/ファイル",
        "C",
        "dir.git/x",
        "a b/c",
    ],
)
def test_validate_path_accepts(good: str) -> None:
    paths.validate_path(good.encode())


def test_wire_forms() -> None:
    assert paths.to_wire(b"src/a.py") == ("src/a.py", b"")
    text, raw = paths.to_wire(b"caf\xe9")
    assert text == "caf\\xe9" and raw == b"caf\xe9"
    assert paths.from_wire(text, raw) == b"caf\xe9"
    assert paths.from_wire("src/a.py", b"") == b"src/a.py"
    assert paths.storage_key("ses_1", b"a/b.txt") == "sessions/ses_1/changes/a/b.txt"
    for bad_id in ("", "../x", "a/b", ".hidden"):
        with pytest.raises(paths.InvalidPath):
            paths.storage_key(bad_id, b"a")
    with pytest.raises(paths.InvalidPath):
        paths.storage_key("s", b"../a")


def _chunks(data: bytes, size: int = 1024 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _failing(data: bytes) -> Iterator[bytes]:
    yield from _chunks(data)
    raise RuntimeError("client went away")


def _exercise(store: LocalStore | S3Store, big: int) -> None:
    data = os.urandom(big)
    assert store.put_stream("sessions/s/changes/dir/big.bin", _chunks(data)) == big
    read = list(store.open_read("sessions/s/changes/dir/big.bin"))
    assert b"".join(read) == data
    assert max(len(c) for c in read) <= 1024 * 1024
    assert store.exists("sessions/s/changes/dir/big.bin")
    assert store.put_stream("sessions/s/changes/empty", iter(())) == 0
    assert b"".join(store.open_read("sessions/s/changes/empty")) == b""
    with pytest.raises(RuntimeError):
        store.put_stream("sessions/s/changes/failed.bin", _failing(os.urandom(big)))
    assert not store.exists("sessions/s/changes/failed.bin")
    with pytest.raises(ObjectNotFound):
        b"".join(store.open_read("sessions/s/changes/missing"))
    store.put_stream("sessions/t/changes/keep", iter([b"k"]))
    assert store.delete_prefix("sessions/s/") == 2
    assert not store.exists("sessions/s/changes/dir/big.bin")
    assert store.exists("sessions/t/changes/keep")
    store.delete("sessions/t/changes/keep")
    store.delete("sessions/t/changes/keep")  # absent: no error
    assert not store.exists("sessions/t/changes/keep")
    for bad in ("../x", "/abs", "a//b", "a/../../b", ""):
        with pytest.raises(UnsafeKey):
            store.put_stream(bad, iter([b"x"]))


def test_local_store(tmp_path: Path) -> None:
    store = open_store((tmp_path / "objects").as_uri())
    assert isinstance(store, LocalStore)
    _exercise(store, 3 * 1024 * 1024 + 5)
    assert not list((tmp_path / "objects").rglob("*.tmp"))
    # A symlink planted inside the root must not lead writes outside it.
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "objects" / "evil").symlink_to(outside)
    with pytest.raises(UnsafeKey):
        store.put_stream("evil/x", iter([b"x"]))
    assert not list(outside.iterdir())


@pytest.mark.s3
def test_s3_store_multipart(
    seaweed: SeaweedS3, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in seaweed.env().items():
        monkeypatch.setenv(name, value)
    store = open_store(seaweed.storage_url(s3_bucket, prefix="unit/store"))
    assert isinstance(store, S3Store)
    # Over two parts: the upload is multipart, with at most one part in memory.
    _exercise(store, 2 * PART_SIZE + 123)
    # The boto3 client is untyped.
    uploads = (
        cast(Any, seaweed).client().list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])
    )
    assert [u for u in uploads if u["Key"].startswith("unit/store/")] == []
