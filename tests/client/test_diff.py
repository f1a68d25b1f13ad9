"""``ContentService.Diff`` through ``MicClient.diff``: the diff between two positions, computed
by a real server, against known answers (git's format, as `mic diff` prints it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from micelio.client import Change, MicClient, NewSession
from micelio.diffs import FileDiff, render, stat_lines
from micelio.vocabulary import ChangeType, FileMode

ADDED, MODIFIED, DELETED = ChangeType.ADDED, ChangeType.MODIFIED, ChangeType.DELETED
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server(mic_server: Callable[..., Any]) -> Any:
    srv = mic_server()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def landed(server: Any) -> None:
    """Position 1: the files; 2: one change of each kind; 3: a file over the per-file cap."""
    with MicClient(server.address, server.token) as mic:
        mic.create_organization("df")
        mic.create_project("df", "p")
        mic.land(
            [
                Change("a.txt", ADDED, b"one\ntwo\nthree\n"),
                Change("gone.txt", ADDED, b"bye\n"),
                Change("img.bin", ADDED, b"\0\1\2"),
                Change("run.sh", ADDED, b"echo\n"),
                Change("link", ADDED, b"a.txt", mode=FileMode.SYMLINK),
                Change("src/x.py", ADDED, b"x = 1\n"),
                Change("src/deep/y.py", ADDED, b"y = 1"),
                Change("w\xff.txt".encode("latin-1"), ADDED, b"w\n"),
            ],
            create=NewSession("df", "p", "files"),
        )
        mic.land(
            [
                Change("a.txt", MODIFIED, b"one\n2\nthree\n"),
                Change("gone.txt", DELETED),
                Change("img.bin", MODIFIED, b"\0\1\3"),
                Change("run.sh", MODIFIED, b"echo\n", mode=FileMode.EXECUTABLE),
                Change("link", MODIFIED, b"src", mode=FileMode.SYMLINK),
                Change("new.txt", ADDED, b"new\n"),
                Change("src/x.py", MODIFIED, b"x = 2\n"),
                Change("src/deep/y.py", MODIFIED, b"y = 2"),
            ],
            create=NewSession("df", "p", "changes"),
        )
        mic.land(
            [Change("huge.txt", ADDED, b"line\n" * (3 * MIB // 5))],
            create=NewSession("df", "p", "huge"),
        )


@pytest.fixture
def mic(server: Any, landed: None) -> Iterator[MicClient]:
    with MicClient(server.address, server.token) as client:
        yield client


def _text(found: list[FileDiff]) -> bytes:
    return b"".join(line + b"\n" for d in found for _, line in d.lines)


def _diff(mic: MicClient, **kwargs: Any) -> list[FileDiff]:
    result = mic.diff("df", "p", **kwargs)
    assert result.cut is None
    return [render(f.path.decode("utf-8", "backslashreplace"), f.compared) for f in result.files]


def test_every_kind_of_change_against_known_answers(mic: MicClient) -> None:
    found = _diff(mic, from_position=1, to_position=2)
    assert _text(found) == (
        b"diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n"
        b" one\n-two\n+2\n three\n"
        b"diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\n--- a/gone.txt\n"
        b"+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n"
        b"diff --git a/img.bin b/img.bin\nBinary files a/img.bin and b/img.bin differ\n"
        b"diff --git a/link b/link\n--- a/link\n+++ b/link\n@@ -1 +1 @@\n-a.txt\n"
        b"\\ No newline at end of file\n+src\n\\ No newline at end of file\n"
        b"diff --git a/new.txt b/new.txt\nnew file mode 100644\n--- /dev/null\n+++ b/new.txt\n"
        b"@@ -0,0 +1 @@\n+new\n"
        b"diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"
        b"diff --git a/src/deep/y.py b/src/deep/y.py\n--- a/src/deep/y.py\n+++ b/src/deep/y.py\n"
        b"@@ -1 +1 @@\n-y = 1\n\\ No newline at end of file\n+y = 2\n"
        b"\\ No newline at end of file\n"
        b"diff --git a/src/x.py b/src/x.py\n--- a/src/x.py\n+++ b/src/x.py\n@@ -1 +1 @@\n"
        b"-x = 1\n+x = 2\n"
    )
    # The same as the client's own diff of the same contents: one implementation.
    assert stat_lines(found) == [
        " a.txt         | 2 +-",
        " gone.txt      | 1 -",
        " img.bin       | Bin 3 -> 3 bytes",
        " link          | 2 +-",
        " new.txt       | 1 +",
        " run.sh        | 0",
        " src/deep/y.py | 2 +-",
        " src/x.py      | 2 +-",
        " 8 files changed, 5 insertions(+), 5 deletions(-)",
    ]


def test_stat_only_sends_counts_without_hunks(mic: MicClient) -> None:
    result = mic.diff("df", "p", from_position=1, to_position=2, stat_only=True)
    assert [f.compared.hunks for f in result.files] == [[]] * 8
    counts = {f.path: (f.compared.added, f.compared.deleted) for f in result.files}
    assert counts[b"a.txt"] == (1, 1) and counts[b"gone.txt"] == (0, 1)


def test_paths_and_pathspecs_select(mic: MicClient) -> None:
    def names(**kwargs: Any) -> list[bytes]:
        return [f.path for f in mic.diff("df", "p", from_position=1, to_position=2, **kwargs).files]

    assert names(paths=["src"]) == [b"src/deep/y.py", b"src/x.py"]
    assert names(paths=["src/x.py", "a.txt"]) == [b"a.txt", b"src/x.py"]
    assert names(paths=["sr"]) == []  # a folder is a whole component, not a prefix
    assert names(globs=["*.py"]) == [b"src/deep/y.py", b"src/x.py"]
    assert names(globs=["src/*.py"]) == [b"src/x.py"]
    assert names(paths=["src"], globs=["y.py"]) == [b"src/deep/y.py"]


def test_default_positions_and_raw_paths(mic: MicClient) -> None:
    first = mic.diff("df", "p", to_position=1)  # from: the position before
    assert (first.from_position, first.to_position) == (0, 1)
    assert b"w\xff.txt" in [f.path for f in first.files]  # exact bytes, not UTF-8
    head = mic.diff("df", "p")
    assert (head.from_position, head.to_position) == (2, 3)
    assert mic.diff("df", "p", from_position=2, to_position=2).files == []
    back = mic.diff("df", "p", from_position=2, to_position=1, paths=["new.txt"])
    assert back.files[0].compared.new_mode is None  # backwards: the file is deleted


def test_a_file_over_the_cap_is_named_without_hunks(mic: MicClient) -> None:
    result = mic.diff("df", "p", from_position=2, to_position=3)
    assert result.cut is None
    (huge,) = result.files
    assert huge.compared.hunks == [] and "too large to diff" in huge.compared.omitted
    lines = [line for _, line in render("huge.txt", huge.compared).lines]
    assert lines[-1] == b"too large to diff on the server (over 2 MiB)"
