"""Path rules shared by the server, the client and the importers (pure, no I/O).

A path is relative, ``/``-separated, non-empty, at most 4096 bytes, with no empty, ``.`` or ``..``
component, no NUL, no ``.git``/``.mic`` component (compared case-insensitively, since such a
path would land inside the repository metadata on case-insensitive file systems), no part that
is ``.``/``..``/``.git``/``.mic`` once a component is split on ``\\``, no leading ``\\`` and no
drive prefix (``C:``). Paths are bytes (Git allows any byte but NUL); on the wire a path that is
not valid UTF-8 travels as ``raw_path`` with a ``file_path`` display form where each invalid byte
reads ``\\xNN``. That display form is ambiguous (``b"w\\xff"`` and the text ``w\\xff`` share it),
so a path's identity is its *key* (``path_key``): the UTF-8 text with ``%`` written ``%25`` and
each byte that is not valid UTF-8 written ``%XX`` (upper-case hex). The key is reversible
(``key_to_raw``), unique per byte string, and names the path in the database and object storage.
"""

from __future__ import annotations

import re

MAX_PATH_BYTES = 4096
_FORBIDDEN_NAMES = frozenset({b".git", b".mic"})
_DRIVE = re.compile(rb"^[A-Za-z]:")
#: Session ids become object storage key components, so they are kept to a safe alphabet.
_SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class InvalidPath(ValueError):
    """A path (or a storage key built from one) breaks the rules; the message says which."""


def validate_path(raw: bytes) -> None:
    """Raise ``InvalidPath`` unless ``raw`` is an acceptable repository path."""
    shown = display(raw)
    if not raw:
        raise InvalidPath("empty path")
    if len(raw) > MAX_PATH_BYTES:
        raise InvalidPath(f"path longer than {MAX_PATH_BYTES} bytes: {shown[:80]}...")
    if b"\x00" in raw:
        raise InvalidPath(f"path contains NUL: {shown!r}")
    if raw.startswith((b"/", b"\\")):
        raise InvalidPath(f"absolute path: {shown}")
    if _DRIVE.match(raw):
        raise InvalidPath(f"path with a drive prefix: {shown}")
    for component in raw.split(b"/"):
        if component in (b"", b".", b".."):
            raise InvalidPath(f"path with an empty, '.' or '..' component: {shown}")
        # A Windows checkout would read a backslash as a separator: judge those parts too.
        for part in component.split(b"\\"):
            if part in (b".", b".."):
                raise InvalidPath(f"path with a '.' or '..' part between backslashes: {shown}")
            if part.lower() in _FORBIDDEN_NAMES:
                raise InvalidPath(f"path inside {part.decode()}: {shown}")


def display(raw: bytes) -> str:
    """Text form of a path: UTF-8, with each invalid byte written as ``\\xNN``."""
    return raw.decode("utf-8", "backslashreplace")


def to_wire(raw: bytes) -> tuple[str, bytes]:
    """``(file_path, raw_path)`` for the protocol: raw_path is empty when raw is valid UTF-8."""
    try:
        return raw.decode("utf-8"), b""
    except UnicodeDecodeError:
        return display(raw), raw


def from_wire(file_path: str, raw_path: bytes) -> bytes:
    """The exact bytes of a path received as ``(file_path, raw_path)``."""
    if raw_path:
        return raw_path
    return file_path.encode("utf-8", "surrogateescape")


_KEY_ESCAPES = re.compile("[%\udc80-\udcff]")
_KEY_UNESCAPES = re.compile(rb"%([0-9A-F]{2})")


def path_key(raw: bytes) -> str:
    """The reversible text key of a path's bytes (see the module docstring)."""
    # surrogateescape turns each invalid byte into one lone surrogate U+DC80..U+DCFF.
    text = raw.decode("utf-8", "surrogateescape")
    if "%" not in text and text.isascii():
        return text
    return _KEY_ESCAPES.sub(_escape_key_char, text)


def _escape_key_char(match: re.Match[str]) -> str:
    char = match.group()
    return "%25" if char == "%" else f"%{ord(char) - 0xDC00:02X}"


def key_to_raw(key: str) -> bytes:
    """The bytes of the path whose ``path_key`` is ``key``."""
    return _KEY_UNESCAPES.sub(lambda m: bytes([int(m.group(1), 16)]), key.encode("utf-8"))


def wire_key(file_path: str, raw_path: bytes) -> str:
    """The key of a path received as ``(file_path, raw_path)``."""
    return path_key(from_wire(file_path, raw_path))


def validate_session_id(session_id: str) -> None:
    """Session ids: 1-128 characters of ``[A-Za-z0-9._-]``, not starting with ``.``/``_``/``-``."""
    if not _SESSION_ID.match(session_id):
        raise InvalidPath(f"invalid session id {session_id!r}: use 1-128 of [A-Za-z0-9._-]")


def storage_key(session_id: str, raw: bytes) -> str:
    """Object storage key of a change's content: ``sessions/{session_id}/changes/{key}``, with
    ``key`` the path's ``path_key`` (its text for UTF-8 paths without ``%``).

    Both parts are validated again here, just before the key can touch a store.
    """
    validate_session_id(session_id)
    validate_path(raw)
    return f"sessions/{session_id}/changes/{path_key(raw)}"


def session_prefix(session_id: str) -> str:
    """The prefix of every object of a session (``sessions/{session_id}/``)."""
    validate_session_id(session_id)
    return f"sessions/{session_id}/"
