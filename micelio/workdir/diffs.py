"""Unified diffs of files as `git diff` prints them (pure: contents in, lines out).

Contents are bytes and stay bytes (a diff shows a file's exact lines, whatever its encoding);
names are given already made printable by the caller. Binary files (git's rule: a NUL in the
first 8000 bytes of either side) are said as such, and a last line without its newline gets
git's ``\\ No newline at end of file``.
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
class FileDiff:
    """A file's diff: its lines (without line ends) and counts for ``--stat``."""

    name: str
    lines: list[tuple[Line, bytes]]
    added: int
    deleted: int
    binary: bool
    old_size: int
    new_size: int


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_SNIFF]


def _lines(data: bytes) -> list[bytes]:
    """Lines as git splits them: on ``\n`` only, each keeping its end (the last may lack it)."""
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def file_diff(name: str, old: Side | None, new: Side | None) -> FileDiff:
    """The diff of one file from ``old`` to ``new`` (None: absent on that side)."""
    label = name.encode("utf-8", "surrogateescape")
    out: list[tuple[Line, bytes]] = [(Line.META, b"diff --git a/" + label + b" b/" + label)]
    if old is None and new is not None:
        out.append((Line.META, b"new file mode %o" % new.mode))
    elif new is None and old is not None:
        out.append((Line.META, b"deleted file mode %o" % old.mode))
    elif old is not None and new is not None and old.mode != new.mode:
        out.append((Line.META, b"old mode %o" % old.mode))
        out.append((Line.META, b"new mode %o" % new.mode))
    a = old.data if old else b""
    b = new.data if new else b""
    from_name = b"a/" + label if old is not None else b"/dev/null"
    to_name = b"b/" + label if new is not None else b"/dev/null"
    sizes = (len(a), len(b))
    if is_binary(a) or is_binary(b):
        if a != b:
            out.append((Line.META, b"Binary files " + from_name + b" and " + to_name + b" differ"))
        return FileDiff(name, out, 0, 0, True, *sizes)
    if a == b:
        return FileDiff(name, out, 0, 0, False, *sizes)
    out.append((Line.META, b"--- " + from_name))
    out.append((Line.META, b"+++ " + to_name))
    added = deleted = 0
    body = difflib.diff_bytes(difflib.unified_diff, _lines(a), _lines(b), n=3, lineterm=b"\n")
    for raw in list(body)[2:]:  # the ---/+++ lines are written above, as git names them
        kind = {b"@": Line.HUNK, b"-": Line.DELETED, b"+": Line.ADDED}.get(raw[:1], Line.CONTEXT)
        added += kind == Line.ADDED
        deleted += kind == Line.DELETED
        ended = raw.endswith(b"\n")
        out.append((kind, raw[:-1] if ended else raw))
        if kind != Line.HUNK and not ended:
            out.append((Line.META, NO_NEWLINE))
    return FileDiff(name, out, added, deleted, False, *sizes)


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
