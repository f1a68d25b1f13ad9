"""Bearer-token authentication of every call but health checking and reflection.

The interceptor wraps each method's behaviour so that it authenticates first, then runs the
method with the caller's ``Principal`` in a context variable (``current_principal()``).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import grpc

from micelio.service.auth import Principal, TokenAuthority
from micelio.service.errors import ServiceError

EXEMPT_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)
if TYPE_CHECKING:  # generic only in the type stubs
    _Interceptor = grpc.ServerInterceptor[Any, Any]
else:
    _Interceptor = grpc.ServerInterceptor
_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "mic_principal", default=None
)


def current_principal() -> Principal:
    principal = _principal.get()
    if principal is None:  # a servicer reached without the interceptor: a wiring bug
        raise RuntimeError("no authenticated principal for this call")
    return principal


class AuthInterceptor(_Interceptor):
    def __init__(self, tokens: TokenAuthority) -> None:
        self._tokens = tokens

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(EXEMPT_PREFIXES):
            return handler
        return _wrap(handler, self._tokens)


def _authenticate(tokens: TokenAuthority, context: grpc.ServicerContext) -> Principal:
    value = None
    for key, item in context.invocation_metadata():
        if key == "authorization":
            value = item if isinstance(item, str) else item.decode("ascii", "replace")
            break
    try:
        return tokens.authenticate(value)
    except ServiceError as error:
        context.abort(getattr(grpc.StatusCode, error.code), error.message)
        raise  # abort raises; this only satisfies the type checker


def _wrap(
    handler: grpc.RpcMethodHandler[Any, Any], tokens: TokenAuthority
) -> grpc.RpcMethodHandler[Any, Any]:
    def unary_response(behavior: Callable[..., Any]) -> Callable[..., Any]:
        def run(request: Any, context: grpc.ServicerContext) -> Any:
            token = _principal.set(_authenticate(tokens, context))
            try:
                return behavior(request, context)
            finally:
                _principal.reset(token)

        return run

    def stream_response(behavior: Callable[..., Any]) -> Callable[..., Any]:
        def run(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            principal = _authenticate(tokens, context)
            # The response generator runs on grpc's thread, one next() at a time: set the
            # principal around each step rather than once.
            responses = None
            while True:
                token = _principal.set(principal)
                try:
                    if responses is None:
                        responses = iter(behavior(request, context))
                    item = next(responses)
                except StopIteration:
                    return
                finally:
                    _principal.reset(token)
                yield item

        return run

    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(
            unary_response(handler.unary_unary),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(
            unary_response(handler.stream_unary),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(
            stream_response(handler.unary_stream),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    if handler.stream_stream is None:  # grpc sets exactly one of the four behaviours
        raise TypeError("a method handler without behaviour")
    return grpc.stream_stream_rpc_method_handler(
        stream_response(handler.stream_stream),
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )
