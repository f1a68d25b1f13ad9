"""Lines added and deleted by each change of a group of landings, against the versions they
replace: the previous landing of the group that changed the path, else the project's
database as of the group's start."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from micelio.service.ingest import IncomingChange, Receiver
from micelio.vocabulary import ChangeType

#: Texts are compared line by line up to this size (larger ones keep whole-file counts).
DIFF_MAX_BYTES = 64 * 1024
#: Previous versions loaded from the database at once (their contents are in memory).
DB_BATCH = 100
#: (lines_added, lines_deleted)
LineCounts = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Previous:
    """The version a change replaces: its line count and, when small enough, its text."""

    binary: bool
    lines: int
    content: bytes | None


#: Previous versions of some paths in the database (absent or deleted paths omitted).
PreviousLookup = Callable[[list[str]], dict[str, Previous]]


def group_line_counts(
    receivers: Sequence[Receiver], lookup: PreviousLookup
) -> list[dict[str, LineCounts]]:
    """Per landing of the group, in order, the counts of its modified and deleted texts."""
    counts: list[dict[str, LineCounts]] = [{} for _ in receivers]
    latest: dict[str, tuple[Receiver, IncomingChange]] = {}
    from_db: list[tuple[int, IncomingChange]] = []
    for index, receiver in enumerate(receivers):
        last = index + 1 == len(receivers)
        if last and receiver.changes.kinds[ChangeType.ADDED] == len(receiver.changes):
            break  # additions only, and no later landing to compare with: nothing to count
        for change in receiver.changes:
            if change.change_type != ChangeType.ADDED and not change.binary:
                earlier = latest.get(change.path_key)
                if earlier is None:
                    from_db.append((index, change))
                else:
                    previous = _spooled_previous(*earlier)
                    _count(counts[index], receiver, change, previous)
            if not last:  # paths are unique within a landing
                latest[change.path_key] = (receiver, change)
    for start in range(0, len(from_db), DB_BATCH):
        batch = from_db[start : start + DB_BATCH]
        found = lookup([change.path_key for _, change in batch])
        for index, change in batch:
            _count(counts[index], receivers[index], change, found.get(change.path_key))
    return counts


def _spooled_previous(receiver: Receiver, change: IncomingChange) -> Previous | None:
    if change.change_type == ChangeType.DELETED:
        return None
    text = change.inline and not change.binary and change.size <= DIFF_MAX_BYTES
    return Previous(
        binary=change.binary,
        lines=change.lines,
        content=receiver.read_spooled(change) if text else None,
    )


def _count(
    counts: dict[str, LineCounts],
    receiver: Receiver,
    change: IncomingChange,
    previous: Previous | None,
) -> None:
    if previous is None or previous.binary:
        return
    if change.change_type == ChangeType.DELETED:
        counts[change.path_key] = (0, previous.lines)
    elif change.inline and change.size <= DIFF_MAX_BYTES and previous.content is not None:
        counts[change.path_key] = line_delta(previous.content, receiver.read_spooled(change))


def line_delta(old: bytes, new: bytes) -> LineCounts:
    """Lines added and deleted as multisets: exact for edits, cheap (linear), and only
    blind to lines that merely moved.

    Whole lines both texts start or end with are kept by both and change neither count, so
    only what lies between is split and counted (an edit is usually a few lines of a file).
    """
    head = _common_prefix(old, new)
    head = old.rfind(b"\n", 0, head) + 1  # back to a line start: just after a "\n"
    limit = min(len(old), len(new)) - head
    tail = _common_suffix(old, new, limit)
    if tail:
        # Forward to a line start inside the common end: after its first "\n", if any (a
        # "\n" always ends a line, alone or after "\r", so both texts split there).
        newline = old.find(b"\n", len(old) - tail)
        tail = len(old) - newline - 1 if newline >= 0 else 0
    return _multiset_delta(old[head : len(old) - tail], new[head : len(new) - tail])


def _multiset_delta(old: bytes, new: bytes) -> LineCounts:
    old_lines = old.splitlines()
    new_lines = new.splitlines()
    before = Counter(old_lines)
    common = 0
    for line, count in Counter(new_lines).items():
        kept = before.get(line)
        if kept:
            common += count if count < kept else kept
    return len(new_lines) - common, len(old_lines) - common


def _common_prefix(a: bytes, b: bytes) -> int:
    """The length of the longest common prefix (binary search over slice comparisons, which
    run at memcmp speed)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """The length of the longest common suffix, at most ``limit``."""
    la, lb = len(a), len(b)
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid : la - lo] == b[lb - mid : lb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo
