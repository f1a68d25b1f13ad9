"""Turning service errors into gRPC statuses: one clear message, details as trailing metadata."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any, NoReturn, TypeVar

import grpc

from micelio.service.errors import ServiceError

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def abort(context: grpc.ServicerContext, error: ServiceError) -> NoReturn:
    code = getattr(grpc.StatusCode, error.code, grpc.StatusCode.INTERNAL)
    if error.details:
        context.set_trailing_metadata(
            tuple((f"mic-{k.replace('_', '-')}", _ascii(v)) for k, v in error.details.items())
        )
    context.abort(code, error.message)


def _ascii(value: str) -> str:
    # Metadata values must be printable ASCII; paths are escaped rather than dropped.
    return value.encode("ascii", "backslashreplace").decode().replace("\r", "")


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
