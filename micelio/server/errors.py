"""Turning service errors into gRPC statuses: one clear message, details as trailing metadata."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any, NoReturn, TypeVar

import grpc

from micelio.service.errors import ServiceError

log = logging.getLogger(__name__)
#: The status message and the detail entries share the client's 8 KiB metadata limit.
MAX_MESSAGE_CHARS = 2000
MAX_DETAILS_CHARS = 4000
F = TypeVar("F", bound=Callable[..., Any])


def abort(context: grpc.ServicerContext, error: ServiceError) -> NoReturn:
    code = getattr(grpc.StatusCode, error.code, grpc.StatusCode.INTERNAL)
    if error.details:
        context.set_trailing_metadata(_trailers(error.details))
    context.abort(code, _ascii(error.message, MAX_MESSAGE_CHARS))


def _trailers(details: dict[str, str | list[str]]) -> tuple[tuple[str, str], ...]:
    """One entry per value. Clients refuse metadata over 8 KiB in all (gRPC's default), so
    the values stop at ``MAX_DETAILS_CHARS``; the message says how many there were."""
    out: list[tuple[str, str]] = []
    budget = MAX_DETAILS_CHARS
    for name, value in details.items():
        key = f"mic-{name.replace('_', '-')}"
        for item in [value] if isinstance(value, str) else value:
            text = _ascii(item, budget)
            if not text or len(text) >= budget:
                break
            out.append((key, text))
            budget -= len(key) + len(text)
    return tuple(out)


def _ascii(value: str, limit: int) -> str:
    """Metadata values are printable ASCII: other characters are escaped (never dropped),
    line breaks become spaces, and the text is cut at ``limit`` characters."""
    text = value.encode("ascii", "backslashreplace").decode()
    text = "".join(c if " " <= c <= "~" else " " for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def unary(method: F) -> F:
    """Wrap a unary-response servicer method: ServiceError → status; crash → INTERNAL."""

    @wraps(method)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return method(self, request, context)
        except ServiceError as error:
            abort(context, error)
        except Exception:
            if context.is_active():
                log.exception("%s failed", method.__qualname__)
                context.abort(grpc.StatusCode.INTERNAL, "internal error (see the server log)")
            raise

    return wrapper  # type: ignore[return-value]


def streaming(method: F) -> F:
    """The same for response-streaming methods (generators)."""

    @wraps(method)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        try:
            yield from method(self, request, context)
        except ServiceError as error:
            abort(context, error)
        except Exception:
            if context.is_active():
                log.exception("%s failed", method.__qualname__)
                context.abort(grpc.StatusCode.INTERNAL, "internal error (see the server log)")
            raise

    return wrapper  # type: ignore[return-value]
