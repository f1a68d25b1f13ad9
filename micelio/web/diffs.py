"""Contents for display: bounded reads, binary detection and server-side unified diffs.

The viewer's diffs are text for HTML (lines decoded, ``\r`` made visible, capped); the
binary rule is ``micelio.diffs``', shared with the CLI and the ``Diff`` call.

Contents come from the database or object storage as chunks; every read here stops at a cap
so that a 6 MiB file (or a 5 GiB one) costs at most the cap in memory and time. difflib is
quadratic in the worst case, hence the tighter caps on what gets diffed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from micelio import diffs

#: Bytes of a content shown in the viewer (the rest is cut with a note).
MAX_VIEW_BYTES = 256 * 1024
#: Each side of a diff: larger contents are "too large to diff".
MAX_DIFF_BYTES = 512 * 1024
MAX_DIFF_INPUT_LINES = 10_000
#: Diff lines shown (a diff longer than this is cut with a note).
MAX_DIFF_LINES = 5_000


@dataclass(frozen=True)
class Capped:
    data: bytes
    truncated: bool  # there was more than the cap


def read_capped(chunks: Iterable[bytes], limit: int) -> Capped:
    """At most ``limit`` bytes of ``chunks``; stops reading (and closes the source) there."""
    buffer = bytearray()
    iterator: Iterator[bytes] = iter(chunks)
    try:
        for chunk in iterator:
            buffer += chunk
            if len(buffer) > limit:
                return Capped(bytes(buffer[:limit]), True)
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()  # releases an object storage stream read only in part
    return Capped(bytes(buffer), False)


def is_binary(data: bytes, metadata: dict[str, Any] | None = None) -> bool:
    """The importer's verdict when it gave one, else Git's NUL heuristic (``micelio.diffs``,
    the rule of every diff mic shows)."""
    flagged = (metadata or {}).get("binary")
    if isinstance(flagged, bool):
        return flagged
    return diffs.is_binary(data)


def as_text(data: bytes) -> str:
    """UTF-8 with U+FFFD for undecodable bytes (Latin-1 files still read mostly right)."""
    return data.decode("utf-8", errors="replace")


CARRIAGE_RETURN = "\u240d"  # ␍: shown where a line has a \r, so CRLF changes are visible


def diff_lines(data: bytes) -> list[str]:
    """Lines as Git sees them (split on \n only), each \r made visible."""
    text = as_text(data)
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return [line.replace("\r", CARRIAGE_RETURN) for line in lines] if text else []


@dataclass(frozen=True)
class Diff:
    lines: list[str] = field(default_factory=list)  # unified diff, no line ends
    note: str = ""  # why no diff is shown ("" when ``lines`` is the diff)
    truncated: bool = False  # only the first MAX_DIFF_LINES lines are in ``lines``


def unified(
    old: Capped | None,
    new: Capped | None,
    *,
    old_name: str,
    new_name: str,
    old_binary: bool = False,
    new_binary: bool = False,
) -> Diff:
    """The unified diff from ``old`` to ``new`` (None: the file does not exist on that side).

    Both sides must have been read with ``read_capped(..., MAX_DIFF_BYTES)``.
    """
    sides = [s for s in (old, new) if s is not None]
    if any(s.truncated for s in sides):
        return Diff(note=f"too large to diff (over {MAX_DIFF_BYTES // 1024} KiB)")
    if old_binary or new_binary:
        return Diff(note="binary: no text diff")
    old_lines = diff_lines(old.data) if old else []
    new_lines = diff_lines(new.data) if new else []
    if max(len(old_lines), len(new_lines)) > MAX_DIFF_INPUT_LINES:
        return Diff(note=f"too large to diff (over {MAX_DIFF_INPUT_LINES:,} lines)")
    if old is not None and new is not None and old.data == new.data:
        return Diff(note="same content (only the mode or the metadata changed)")
    if old_lines == new_lines:
        return Diff(note="the contents differ only in the final newline")
    lines: list[str] = []
    produced = difflib.unified_diff(
        old_lines,
        new_lines,
        fromfile=old_name if old is not None else "/dev/null",
        tofile=new_name if new is not None else "/dev/null",
        lineterm="",
    )
    for line in produced:
        if len(lines) >= MAX_DIFF_LINES:
            return Diff(lines=lines, truncated=True)
        lines.append(line)
    return Diff(lines=lines)
