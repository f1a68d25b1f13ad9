"""`Log` and `Blame` through a real server process, and the pure blame and follow rules."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from micelio.client import Change, MicClient, NewSession
from micelio.client import NotFound as ClientNotFound
from micelio.client.errors import InvalidArgument as ClientInvalid
from micelio.database.history import PathChange
from micelio.service import blame
from micelio.service.history import follow, lineage
from micelio.testing import MicServer
from micelio.vocabulary import ChangeType

ADDED, MODIFIED, DELETED = ChangeType.ADDED, ChangeType.MODIFIED, ChangeType.DELETED


# --- pure rules -------------------------------------------------------------------------------


def test_blame_carries_origins_through_each_version() -> None:
    state = blame.blame(
        [
            (1, b"a\nb\nc\n"),
            (2, b"a\nB\nc\n"),  # b -> B
            (3, b"top\na\nB\nc\nend"),  # lines around, last one without a newline
            (4, b"top\na\nc\nend"),  # B deleted: no line keeps origin 2
        ]
    )
    assert state.lines == (b"top", b"a", b"c", b"end")
    assert state.origins == (3, 1, 1, 3)


def test_blame_of_a_rewrite_and_of_nothing() -> None:
    assert blame.blame([(1, b"x\ny\n"), (2, b"p\nq\n")]).origins == (2, 2)
    assert blame.blame([(1, b"x\n"), (2, b"")]) == blame.BlameState()
    assert blame.split_lines(b"a\r\nb") == (b"a\r", b"b")  # \n only, as git splits
    assert blame.is_binary(b"ab\x00c") and not blame.is_binary(b"abc")


def _change(pos: int, path: str, kind: str, renamed_from: str = "") -> PathChange:
    meta = {"renamed_from": renamed_from} if renamed_from else {}
    return PathChange(pos, pos, pos, path, kind, 0, None, None, 0o100644, meta)


def test_follow_walks_back_through_renames() -> None:
    rows = {
        "new.txt": [_change(7, "new.txt", MODIFIED), _change(5, "new.txt", ADDED, "old.txt")],
        # old.txt's deletion at 5 (the rename) is not below 5: never seen
        "old.txt": [_change(5, "old.txt", DELETED), _change(2, "old.txt", ADDED)],
    }

    def changes_of(path: str, before: int) -> Iterator[PathChange]:
        return (c for c in rows.get(path, []) if c.position < before)

    walked = list(follow(changes_of, "new.txt", 9))
    assert [(c.position, c.file_path) for c in walked] == [
        (7, "new.txt"),
        (5, "new.txt"),
        (2, "old.txt"),
    ]
    assert [c.position for c in follow(changes_of, "new.txt", 6)] == [5, 2]
    # A deletion first: the file is absent there; a re-creation ends its lineage.
    assert lineage([_change(4, "x", DELETED), _change(3, "x", ADDED)]) == []
    assert [c.position for c in lineage([_change(4, "x", ADDED), _change(2, "x", ADDED)])] == [4]


# --- through the server -----------------------------------------------------------------------


@pytest.fixture
def client(sqlite_server: MicServer) -> Iterator[MicClient]:
    with MicClient(sqlite_server.address, sqlite_server.token) as mic:
        yield mic


@pytest.fixture
def project(client: MicClient) -> tuple[str, str]:
    tag = uuid.uuid4().hex[:10]
    org, name = f"org-{tag}", f"proj-{tag}"
    client.create_organization(org)
    client.create_project(org, name)
    return org, name


def _land(client: MicClient, project: tuple[str, str], goal: str, *changes: Change) -> str:
    result = client.land(list(changes), create=NewSession(*project, goal))
    return result.session.session_id


def test_log_and_blame_follow_a_rename(client: MicClient, project: tuple[str, str]) -> None:
    org, name = project
    s1 = _land(client, project, "Create", Change("old.txt", ADDED, b"one\ntwo\nthree\n"))
    s2 = _land(client, project, "Other file", Change("other.txt", ADDED, b"x\n"))
    s3 = _land(
        client,
        project,
        "Rename and edit",
        Change("old.txt", DELETED, metadata={"renamed_to": "new.txt"}),
        Change("new.txt", ADDED, b"one\nTWO\nthree\n", metadata={"renamed_from": "old.txt"}),
    )
    s4 = _land(client, project, "Append", Change("new.txt", MODIFIED, b"one\nTWO\nthree\nfour\n"))

    whole = list(client.log(org, name))
    assert [(e.position, e.session_id) for e in whole] == [(4, s4), (3, s3), (2, s2), (1, s1)]
    assert whole[1].stats.total == 2 and whole[1].stats.added == 1
    assert whole[0].landed_by is not None and whole[0].landed_at is not None
    assert [e.position for e in client.log(org, name, limit=2)] == [4, 3]
    assert [e.position for e in client.log(org, name, position=2)] == [2, 1]

    followed = list(client.log(org, name, "new.txt"))
    assert [(e.position, e.file_path) for e in followed] == [
        (4, "new.txt"),
        (3, "new.txt"),
        (1, "old.txt"),
    ]
    assert [e.position for e in client.log(org, name, "other.txt")] == [2]
    assert list(client.log(org, name, "nothing/here.txt")) == []

    lines = list(client.blame(org, name, "new.txt"))
    assert [(b.line, b.text, b.position, b.session_id) for b in lines] == [
        (1, b"one", 1, s1),
        (2, b"TWO", 3, s3),
        (3, b"three", 1, s1),
        (4, b"four", 4, s4),
    ]
    assert lines[1].goal == "Rename and edit"
    at3 = list(client.blame(org, name, "new.txt", position=3))
    assert [b.position for b in at3] == [1, 3, 1]


def test_blame_errors(client: MicClient, project: tuple[str, str]) -> None:
    org, name = project
    _land(client, project, "Binary", Change("b.bin", ADDED, b"\x00\x01\x02"))
    _land(client, project, "Gone", Change("b.bin", DELETED))
    with pytest.raises(ClientNotFound, match="does not exist"):
        list(client.blame(org, name, "b.bin"))
    with pytest.raises(ClientInvalid, match="binary"):
        list(client.blame(org, name, "b.bin", position=1))
    with pytest.raises(ClientNotFound, match="position 9"):
        list(client.blame(org, name, "b.bin", position=9))
    with pytest.raises(ClientNotFound, match="position 9"):
        list(client.log(org, name, position=9))
    with pytest.raises(ClientInvalid, match="invalid path"):
        list(client.log(org, name, "../x"))


def test_blame_of_a_long_history_in_chunks(client: MicClient, project: tuple[str, str]) -> None:
    """Many versions, and more line text than one answer chunk carries."""
    org, name = project
    wide = b"w" * 4000
    body = [wide + b"%d" % i for i in range(400)]  # ~1.6 MB: two chunks at least
    _land(client, project, "Big", Change("big.txt", ADDED, b"\n".join(body) + b"\n"))
    for version in range(1, 30):
        body[version] = b"v%d" % version
        _land(
            client,
            project,
            f"Edit {version}",
            Change("big.txt", MODIFIED, b"\n".join(body) + b"\n"),
        )
    lines = list(client.blame(org, name, "big.txt"))
    assert len(lines) == 400
    assert [b.position for b in lines[:31]] == [1, *range(2, 31), 1]
    assert lines[5].goal == "Edit 5" and lines[5].text == b"v5"
