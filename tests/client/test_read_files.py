"""``MicClient.read_files``: many files of a position over one stream, against a real server."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from micelio.client import CHUNK_SIZE, Change, MicClient, NewSession
from micelio.vocabulary import ChangeType, FileMode

ADDED = ChangeType.ADDED
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module")
def server(mic_server: Callable[..., Any]) -> Any:
    srv = mic_server()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def landed(server: Any) -> dict[str, bytes]:
    files = {
        "a.txt": b"a\n",
        "big.bin": os.urandom(CHUNK_SIZE * 2 + 5),
        "empty": b"",
        "z/last.txt": b"z\n",
    }
    with MicClient(server.address, server.token) as mic:
        mic.create_organization("rf")
        mic.create_project("rf", "p")
        changes = [Change(p, ADDED, data) for p, data in files.items()]
        changes.append(Change("sub", ADDED, COMMIT.encode(), mode=FileMode.GITLINK))
        mic.land(changes, create=NewSession("rf", "p", "files"))
    return files


@pytest.fixture
def mic(server: Any) -> Iterator[MicClient]:
    with MicClient(server.address, server.token) as client:
        yield client


def test_the_whole_tree_in_one_stream(mic: MicClient, landed: dict[str, bytes]) -> None:
    got = {}
    for item in mic.read_files("rf", "p", position=1):
        data = b"".join(item.chunks)
        assert hashlib.sha256(data).hexdigest() == item.entry.sha256 or item.entry.mode == (
            FileMode.GITLINK
        )
        got[item.entry.file_path] = (item.entry.mode, data)
    assert {p: d for p, (_, d) in got.items() if p != "sub"} == landed
    assert got["sub"] == (FileMode.GITLINK, b"")  # a gitlink has nothing to check out


def test_unread_contents_are_skipped(mic: MicClient, landed: dict[str, bytes]) -> None:
    names = [item.entry.file_path for item in mic.read_files("rf", "p")]
    assert names == ["a.txt", "big.bin", "empty", "sub", "z/last.txt"]
    items = mic.read_files("rf", "p", ["z/last.txt", "big.bin", "absent"])
    first = next(items)
    assert first.entry.file_path == "big.bin"
    assert next(first.chunks) == landed["big.bin"][:CHUNK_SIZE]  # then left half read
    second = next(items)
    assert (second.entry.file_path, b"".join(second.chunks)) == ("z/last.txt", b"z\n")
    assert list(items) == []


def test_no_paths_is_no_call(mic: MicClient) -> None:
    assert list(mic.read_files("nope", "nothing", [])) == []


def test_read_tree_answers_as_get_tree(mic: MicClient, landed: dict[str, bytes]) -> None:
    assert list(mic.read_tree("rf", "p")) == list(mic.get_tree("rf", "p"))
    assert list(mic.read_tree("rf", "p", position=0)) == []
