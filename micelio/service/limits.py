"""Input limits and validators of the service (each failure: InvalidArgument, one message).

| what | limit |
| --- | --- |
| organization / project handle | 1-100 of ``[A-Za-z0-9._-]``, starting with a letter or digit |
| project name | 200 characters |
| goal | 64 KiB (UTF-8) |
| conversation message content | 1 MiB; role 1-64 characters; author 256; reference 1 KiB |
| decision | 64 KiB; reasoning 1 MiB |
| metadata (session or change) | 1 MiB as JSON |
| abandon reason | 64 KiB |
| external id | 400 characters |
| messages/decisions carried by one request | 10,000 each |
| metadata nesting (``Struct`` in ``Struct``/list) | 32 levels |
| content chunk | 1 MiB |

Per landing, settings of the server (``LandingLimits``, from ``ServerConfig``; docs/deployment.md):
changes per session, content bytes per session, inline (spooled) bytes per landing. The
conversation's size is counted where it is stored (``service/conversation.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from micelio.config import (
    DEFAULT_MAX_SESSION_BYTES,
    DEFAULT_MAX_SESSION_CHANGES,
    DEFAULT_MAX_SPOOL_BYTES,
    ServerConfig,
)
from micelio.service.errors import InvalidArgument
from micelio.service.views import Decision, Message

KIB = 1024
MIB = 1024 * KIB
MAX_GOAL = 64 * KIB
MAX_MESSAGE = MIB
MAX_ROLE = 64
MAX_AUTHOR = 256
MAX_REFERENCE = 1024
MAX_DECISION = 64 * KIB
MAX_REASONING = MIB
MAX_METADATA = MIB
MAX_REASON = 64 * KIB
MAX_EXTERNAL_ID = 400
MAX_PROJECT_NAME = 200
MAX_ITEMS = 10_000
MAX_CHUNK = MIB

_HANDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_handle(kind: str, handle: str) -> str:
    if not _HANDLE.match(handle or ""):
        raise InvalidArgument(
            f"invalid {kind} handle {handle!r}: use 1-100 of [A-Za-z0-9._-], "
            "starting with a letter or digit"
        )
    return handle


def check_text(what: str, text: str, limit: int, *, required: bool = False) -> str:
    if required and not text.strip():
        raise InvalidArgument(f"{what} is empty")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise InvalidArgument(f"{what} is {size} bytes, more than the limit of {limit}")
    return text


def check_messages(messages: Sequence[Message]) -> None:
    if len(messages) > MAX_ITEMS:
        raise InvalidArgument(f"more than {MAX_ITEMS} messages in one request")
    for message in messages:
        check_text("message role", message.role, MAX_ROLE, required=True)
        check_text("message content", message.content, MAX_MESSAGE)
        check_text("message author", message.author, MAX_AUTHOR)
        check_text("message reference", message.reference, MAX_REFERENCE)


def check_decisions(decisions: Sequence[Decision]) -> None:
    if len(decisions) > MAX_ITEMS:
        raise InvalidArgument(f"more than {MAX_ITEMS} decisions in one request")
    for decision in decisions:
        check_text("decision", decision.decision, MAX_DECISION, required=True)
        check_text("decision reasoning", decision.reasoning, MAX_REASONING)


def check_metadata(what: str, metadata: dict[str, Any]) -> dict[str, Any]:
    size = len(json.dumps(metadata, separators=(",", ":")).encode())
    if size > MAX_METADATA:
        raise InvalidArgument(f"{what} metadata is {size} bytes of JSON, over {MAX_METADATA}")
    return metadata


def check_external_id(external_id: str) -> str:
    if len(external_id) > MAX_EXTERNAL_ID:
        raise InvalidArgument(f"external id longer than {MAX_EXTERNAL_ID} characters")
    return external_id


@dataclass(frozen=True)
class LandingLimits:
    """The per-session limits a server enforces (INVALID_ARGUMENT beyond each, nothing stored)."""

    max_changes: int = DEFAULT_MAX_SESSION_CHANGES
    max_bytes: int = DEFAULT_MAX_SESSION_BYTES
    max_spool_bytes: int = DEFAULT_MAX_SPOOL_BYTES

    @classmethod
    def of(cls, config: ServerConfig) -> LandingLimits:
        return cls(
            max_changes=config.max_session_changes,
            max_bytes=config.max_session_bytes,
            max_spool_bytes=config.max_spool_bytes,
        )


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


#: Answers carrying whole sessions stay within gRPC's default 4 MiB message, which most
#: clients receive: a session whose estimate is over ``FULL_ANSWER_BYTES`` is answered brief
#: (GetSession carries it whole), and a page of ``ListSessions`` ends before it would pass
#: ``PAGE_BYTES``.
FULL_ANSWER_BYTES = 2 * MIB
PAGE_BYTES = 3 * MIB
#: A Struct on the wire takes at most about 5.5 times its JSON (a number: 2 bytes of JSON in a
#: list, 11 of protobuf); the session's other fields take well under this.
_STRUCT_FACTOR = 6
_FIXED_BYTES = 1024


def answer_bytes(goal: str, conversation_bytes: int, metadata: dict[str, Any]) -> int:
    """An upper bound of a whole session's size in a protobuf answer (``conversation_bytes``:
    the session's counter, which already counts each item's framing)."""
    meta = len(json.dumps(metadata, separators=(",", ":")).encode()) if metadata else 0
    return _FIXED_BYTES + _size(goal) + conversation_bytes + _STRUCT_FACTOR * meta


def brief_bytes(goal: str) -> int:
    """The size of a brief session's answer, at most."""
    return _FIXED_BYTES + _size(goal)
