"""Printing without typer or rich: escaping names and JSON (``mic status``'s fast path).

``cli/output.py`` re-exports these for the typer commands.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

# Characters that would move the cursor, end a line, colour the terminal or reorder text
# when printed as they are: C0 and C1 controls, DEL, line/paragraph separators and the
# bidirectional overrides ("Trojan Source"). Paths may hold any of them.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNSAFE_IN_PROSE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: str, *, multiline: bool = False) -> str:
    """``text`` (a file name, a goal) with control characters written as escapes
    (``\\n``, ``\\x1b``, ``\\u202e``), so that printing it cannot change the terminal.
    ``multiline`` (prose: a message, a decision) keeps newlines and tabs."""
    return (_UNSAFE_IN_PROSE if multiline else _UNSAFE).sub(_escape_char, text)


def shown_path(raw: bytes) -> str:
    """A path's bytes for the terminal: UTF-8 (invalid bytes as ``\\xNN``), escaped."""
    return safe(os.fsdecode(raw).encode("utf-8", "backslashreplace").decode("utf-8"))


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()
