"""Unified diffs of files as `git diff` prints them (pure: contents in, lines out).

One implementation for every diff mic shows: the server's ``Diff`` call between positions
(``service/diffs.py``), the client's working-directory diff (``workdir/compare.py``) and the
web viewer's binary rule (``web/diffs.py``). A diff is computed in two steps so that the side
that computes it need not be the side that names it: ``compare`` gives the hunks and counts of
two versions (no name), ``render`` adds git's header for a printable name.

Contents are bytes and stay bytes (a diff shows a file's exact lines, whatever its encoding).
Binary files (git's rule: a NUL in the first 8000 bytes of either side) are said as such, and
a last line without its newline gets git's ``\\ No newline at end of file``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import StrEnum

#: Git's heuristic: a NUL byte in the first 8000 bytes means binary.
BINARY_SNIFF = 8000
NO_NEWLINE = b"\\ No newline at end of file"


class Line(StrEnum):
    """What a diff line is, for colouring."""

    META = "meta"  # diff --git, modes, ---/+++ and "Binary files ... differ"
    HUNK = "hunk"
    DELETED = "deleted"
    ADDED = "added"
    CONTEXT = "context"


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a file's diff: its content and mode."""

    data: bytes
    mode: int


@dataclass(frozen=True, slots=True)
class Compared:
    """Two versions of a file compared, without a name: what the server sends per file.

    ``old_mode``/``new_mode`` are None where the file is absent; ``hunks`` are the unified
    diff's lines after the ``---``/``+++`` header; ``omitted`` says why there are no hunks
    although the contents differ (too large to diff), "" otherwise."""

    old_mode: int | None
    new_mode: int | None
    old_size: int
    new_size: int
    same: bool  # the same content on both sides (only the mode changed, or nothing)
    binary: bool
    added: int
    deleted: int
    hunks: list[tuple[Line, bytes]]
    omitted: str = ""


@dataclass(frozen=True, slots=True)
class FileDiff:
    """A file's diff: its lines (without line ends) and counts for ``--stat``."""

    name: str
    lines: list[tuple[Line, bytes]]
    added: int
    deleted: int
    binary: bool
    old_size: int
    new_size: int


@dataclass(frozen=True, slots=True)
class PathDiff:
    """A path that differs between two positions (exact bytes) and its comparison."""

    path: bytes
    compared: Compared


@dataclass(frozen=True, slots=True)
class Cut:
    """Where a bounded diff stopped: ``files_left`` differing files are not in it, and why."""

    files_left: int
    reason: str


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_SNIFF]


def _lines(data: bytes) -> list[bytes]:
    """Lines as git splits them: on ``\n`` only, each keeping its end (the last may lack it)."""
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


_KINDS = {b"@": Line.HUNK, b"-": Line.DELETED, b"+": Line.ADDED, b"\\": Line.META}


def compare(old: Side | None, new: Side | None) -> Compared:
    """Hunks and line counts from ``old`` to ``new`` (None: absent on that side)."""
    a = old.data if old else b""
    b = new.data if new else b""
    modes = (old.mode if old else None, new.mode if new else None)
    sizes = (len(a), len(b))
    same = a == b
    if is_binary(a) or is_binary(b):
        return Compared(*modes, *sizes, same, binary=True, added=0, deleted=0, hunks=[])
    hunks: list[tuple[Line, bytes]] = []
    added = deleted = 0
    if not same:
        body = difflib.diff_bytes(difflib.unified_diff, _lines(a), _lines(b), n=3, lineterm=b"\n")
        for raw in list(body)[2:]:  # the ---/+++ lines: ``render`` writes them, as git names them
            kind = _KINDS.get(raw[:1], Line.CONTEXT)
            added += kind == Line.ADDED
            deleted += kind == Line.DELETED
            ended = raw.endswith(b"\n")
            hunks.append((kind, raw[:-1] if ended else raw))
            if kind != Line.HUNK and not ended:
                hunks.append((Line.META, NO_NEWLINE))
    return Compared(*modes, *sizes, same, binary=False, added=added, deleted=deleted, hunks=hunks)


def render(name: str, c: Compared) -> FileDiff:
    """Git's header for ``name`` (printable, chosen by the caller) over a comparison."""
    label = name.encode("utf-8", "surrogateescape")
    out: list[tuple[Line, bytes]] = [(Line.META, b"diff --git a/" + label + b" b/" + label)]
    if c.old_mode is None and c.new_mode is not None:
        out.append((Line.META, b"new file mode %o" % c.new_mode))
    elif c.new_mode is None and c.old_mode is not None:
        out.append((Line.META, b"deleted file mode %o" % c.old_mode))
    elif c.old_mode is not None and c.new_mode is not None and c.old_mode != c.new_mode:
        out.append((Line.META, b"old mode %o" % c.old_mode))
        out.append((Line.META, b"new mode %o" % c.new_mode))
    from_name = b"a/" + label if c.old_mode is not None else b"/dev/null"
    to_name = b"b/" + label if c.new_mode is not None else b"/dev/null"
    if c.same:
        pass
    elif c.binary:
        out.append((Line.META, b"Binary files " + from_name + b" and " + to_name + b" differ"))
    elif c.omitted:
        # git has no such case; said in one meta line where the hunks would be
        out.append((Line.META, b"--- " + from_name))
        out.append((Line.META, b"+++ " + to_name))
        out.append((Line.META, c.omitted.encode()))
    else:
        out.append((Line.META, b"--- " + from_name))
        out.append((Line.META, b"+++ " + to_name))
        out += c.hunks
    return FileDiff(name, out, c.added, c.deleted, c.binary, c.old_size, c.new_size)


def file_diff(name: str, old: Side | None, new: Side | None) -> FileDiff:
    """The diff of one file from ``old`` to ``new`` (None: absent on that side)."""
    return render(name, compare(old, new))


def hunk_kind(line: bytes) -> Line:
    """The kind of a hunk line by its first byte (how a client colours hunks it received)."""
    return _KINDS.get(line[:1], Line.CONTEXT)


def stat_lines(diffs: list[FileDiff], width: int = 50) -> list[str]:
    """`git diff --stat`: a line per file and the summary line."""
    if not diffs:
        return []
    name_width = max(len(d.name) for d in diffs)
    most = max((d.added + d.deleted for d in diffs), default=0)
    count_width = max(len(str(d.added + d.deleted)) for d in diffs)
    scale = min(1.0, width / most) if most else 1.0
    lines = []
    for d in diffs:
        if d.binary:
            detail = f"Bin {d.old_size} -> {d.new_size} bytes"
        else:
            plus = round(d.added * scale) or (1 if d.added else 0)
            minus = round(d.deleted * scale) or (1 if d.deleted else 0)
            detail = f"{d.added + d.deleted:>{count_width}} {'+' * plus}{'-' * minus}".rstrip()
        lines.append(f" {d.name:<{name_width}} | {detail}")
    added = sum(d.added for d in diffs)
    deleted = sum(d.deleted for d in diffs)
    summary = f" {len(diffs)} file{'s' if len(diffs) != 1 else ''} changed"
    if added or not deleted:
        summary += f", {added} insertion{'s' if added != 1 else ''}(+)"
    if deleted:
        summary += f", {deleted} deletion{'s' if deleted != 1 else ''}(-)"
    lines.append(summary)
    return lines
