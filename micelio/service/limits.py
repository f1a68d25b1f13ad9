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
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

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
