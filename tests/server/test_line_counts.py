"""Line counts of landed changes against the versions they replace (no server needed)."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from micelio.service.ingest import ChangeHeaderIn, Peekable, Receiver
from micelio.service.line_counts import Previous, group_line_counts, line_delta
from micelio.storage.local import LocalStore


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (b"a\nb\nc\n", b"a\nb\nc\n", (0, 0)),
        (b"a\nb\nc\n", b"a\nx\nc\n", (1, 1)),
        (b"a\nb\nb\nc\n", b"b\na\nd\nd\n", (2, 2)),  # duplicates count as a multiset
        (b"", b"x\ny", (2, 0)),
        (b"x\n", b"", (0, 1)),
        (b"a\r\nb\r\n", b"a\nb\n", (0, 0)),  # splitlines: line ends do not count
    ],
)
def test_line_delta(old: bytes, new: bytes, expected: tuple[int, int]) -> None:
    assert line_delta(old, new) == expected


def test_line_delta_equals_the_multiset_difference_of_whole_texts() -> None:
    """Trimming the common start and end must not change a count: small random texts over
    the characters that make line ends ("\r", "\n", "\r\n"), edited in a few places."""
    rnd = random.Random(14)
    pieces = [b"a", b"b", b"\n", b"\r", b"\r\n", b"\n\n"]
    for _ in range(20_000):
        old = b"".join(rnd.choice(pieces) for _ in range(rnd.randrange(12)))
        new = old
        for _ in range(rnd.randrange(3)):
            at = rnd.randrange(len(new) + 1)
            insert = b"".join(rnd.choice(pieces) for _ in range(rnd.randrange(3)))
            new = new[:at] + insert + new[at + rnd.randrange(3) :]
        old_lines, new_lines = old.splitlines(), new.splitlines()
        common = sum((Counter(old_lines) & Counter(new_lines)).values())
        expected = (len(new_lines) - common, len(old_lines) - common)
        assert line_delta(old, new) == expected, (old, new)


def _receiver(tmp_path: Path, session: str, changes: dict[str, tuple[str, bytes]]) -> Receiver:
    receiver = Receiver(LocalStore(tmp_path / "objects"), session, 100 * 1024, tmp_path)
    items: list[object] = []
    for path, (kind, data) in changes.items():
        size = 0 if kind == "deleted" else len(data)
        items.append(ChangeHeaderIn(path, b"", kind, 0, size))
        if size:
            items.append(data)
    receiver.receive(Peekable(iter(items)))
    return receiver


def test_a_group_compares_with_its_earlier_landings_then_the_database(tmp_path: Path) -> None:
    asked: list[list[str]] = []

    def lookup(paths: list[str]) -> dict[str, Previous]:
        asked.append(sorted(paths))
        return {
            "db.txt": Previous(binary=False, lines=3, content=b"1\n2\n3\n"),
            "gone.txt": Previous(binary=False, lines=7, content=None),
            "blob.bin": Previous(binary=True, lines=0, content=None),
        }

    first = _receiver(
        tmp_path,
        "s1",
        {
            "a.txt": ("added", b"1\n2\n"),
            "db.txt": ("modified", b"1\n2\n4\n5\n"),
            "gone.txt": ("deleted", b""),
            "blob.bin": ("modified", b"text now\n"),
        },
    )
    second = _receiver(
        tmp_path,
        "s2",
        {
            "a.txt": ("modified", b"1\n3\n"),
            "db.txt": ("deleted", b""),
            "gone.txt": ("added", b"back\n"),
        },
    )
    try:
        counts = group_line_counts([first, second], lookup)
    finally:
        first.close()
        second.close()
    # Only the paths no earlier landing of the group changed are looked up, once.
    assert asked == [["blob.bin", "db.txt", "gone.txt"]]
    assert counts[0] == {"db.txt": (2, 1), "gone.txt": (0, 7)}  # binary before: no counts
    assert counts[1] == {"a.txt": (1, 1), "db.txt": (0, 4)}
