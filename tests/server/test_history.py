"""`Log` and `Blame` through a real server process, and the pure blame and follow rules."""

from __future__ import annotations

import difflib
import random
import uuid
from collections.abc import Iterator

import pytest

from micelio.client import Change, MicClient, NewSession
from micelio.client import NotFound as ClientNotFound
from micelio.client.errors import InvalidArgument as ClientInvalid
from micelio.database.history import PathChange
from micelio.service import blame
from micelio.service.blame_cache import BlameCache
from micelio.service.history import distinct, follow, lineage
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


def _history(rng: random.Random) -> list[tuple[int, bytes]]:
    """A few versions of a small file of repeated lines: where diffs have several answers."""
    body = [rng.choice([b"a", b"b", b"", b"}"]) for _ in range(rng.randint(0, 8))]
    out = []
    for origin in range(rng.randint(1, 8)):
        for _ in range(rng.randint(0, 3)):
            roll = rng.random()
            if roll < 0.4 and body:
                body[rng.randrange(len(body))] = rng.choice([b"a", b"x", b""])
            elif roll < 0.7:
                body.insert(rng.randint(0, len(body)), rng.choice([b"a", b"z", b"}"]))
            elif body:
                del body[rng.randrange(len(body))]
        out.append((origin, b"".join(line + b"\n" for line in body)))
    return out


def test_walking_back_gives_the_answer_of_walking_forwards() -> None:
    rng = random.Random(12)
    for _ in range(2000):
        versions = _history(rng)
        assert blame.backward(reversed(versions)) == blame.blame(versions), versions
    assert blame.backward([]) == blame.BlameState()


def test_the_compiled_matcher_answers_as_difflib_does() -> None:
    """Blame diffs with cydifflib's SequenceMatcher: the same matching blocks as difflib's
    (which the comparisons with git blame were made with), repeated lines included."""
    rng = random.Random(8)
    for _ in range(3000):
        old = tuple(rng.choice([b"a", b"b", b"", b"}"]) for _ in range(rng.randint(0, 14)))
        new = tuple(rng.choice([b"a", b"b", b"", b"x"]) for _ in range(rng.randint(0, 14)))
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        expected = [tuple(m) for m in matcher.get_matching_blocks() if m.size]
        assert blame._middle_blocks(old, new, 0, 0) == (expected if old and new else [])


def test_walking_back_stops_once_every_line_has_its_origin() -> None:
    read: list[int] = []

    def newest_first() -> Iterator[tuple[int, bytes]]:
        for origin, content in [(3, b"A\nB\n"), (2, b"A\nb\n"), (1, b"a\nb\n"), (0, b"")]:
            read.append(origin)
            yield origin, content

    assert blame.backward(newest_first()).origins == (2, 3)
    assert read == [3, 2, 1]  # every line has its origin once 1 is read: 0 never is


def test_blame_cache_keeps_the_recent_within_its_budget() -> None:
    state = blame.BlameState((b"x" * 100,), (1,))
    cache = BlameCache(budget=3 * (100 + 2 * 64))
    for pk in range(5):
        cache.put(pk, state)
    assert [cache.get(pk) for pk in range(5)] == [None, None, state, state, state]
    cache.get(2)
    cache.put(5, state)  # 3 was used least recently
    assert cache.get(3) is None and cache.get(2) is state
    cache.put(9, blame.BlameState((b"y" * 10_000,), (1,)))  # bigger than the whole budget
    assert cache.get(9) is None and cache.get(5) is state


def test_distinct_keeps_the_oldest_of_equal_versions() -> None:
    rows = [_change(p, "x", MODIFIED) for p in (5, 4, 3, 2)]
    same = [r._replace(sha256=s) for r, s in zip(rows, ["b", "a", "a", "c"], strict=True)]
    assert [c.position for c in distinct(same)] == [5, 3, 2]
    assert list(distinct([])) == []


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


def test_blame_asked_again_and_after_more_landings(
    client: MicClient, project: tuple[str, str]
) -> None:
    """A cached blame answers again, and is carried forwards through later versions: the
    same answers as a blame computed anew (the pure forward walk over every version)."""
    org, name = project
    rng = random.Random(5)
    body = [b"line %d" % i for i in range(40)]
    contents: list[bytes] = []
    for version in range(12):
        if version:
            body[rng.randrange(len(body))] = b"edit %d" % version
            body.insert(rng.randrange(len(body)), b"")
        contents.append(b"\n".join(body) + b"\n")
        kind = ADDED if version == 0 else MODIFIED
        _land(client, project, f"v{version}", Change("f.txt", kind, contents[-1]))
        if version in (3, 4, 9):
            list(client.blame(org, name, "f.txt"))  # cached at 4, 5 and 10
    # renamed without a change of bytes at 13: the lines keep their origins
    _land(
        client,
        project,
        "Rename",
        Change("f.txt", DELETED, metadata={"renamed_to": "g.txt"}),
        Change("g.txt", ADDED, contents[-1], metadata={"renamed_from": "f.txt"}),
    )
    for at in (13, 13, 12, 11, 6, 5, 2):
        path = "g.txt" if at == 13 else "f.txt"
        expected = blame.blame(enumerate(contents[:at], 1)).origins if at < 13 else None
        got = [b.position for b in client.blame(org, name, path, position=at)]
        if expected is None:
            expected = blame.blame(enumerate(contents, 1)).origins
        assert got == list(expected), at
