"""Requests that protobuf cannot parse answer INVALID_ARGUMENT, quietly.

grpc parses each request before any servicer (or the auth interceptor) runs; when parsing
fails (a Struct nested past protobuf's recursion limit, bytes that are no message) it logs a
traceback and answers INTERNAL, for unauthenticated callers too. This interceptor, the
outermost, parses instead: an unparsable request becomes a marker that its method answers
with INVALID_ARGUMENT, without a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf.message import DecodeError

from micelio.service.errors import InvalidArgument

if TYPE_CHECKING:  # generic only in the type stubs
    _Interceptor = grpc.ServerInterceptor[Any, Any]
else:
    _Interceptor = grpc.ServerInterceptor


class _Unparsable:
    """What a request that protobuf refused becomes."""

    def __init__(self, reason: str) -> None:
        self.message = f"the request is not a valid message ({reason})"


class DecodingInterceptor(_Interceptor):
    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        if handler is None or handler.request_deserializer is None:
            return handler
        return _wrap(handler, handler.request_deserializer)


def _tolerant(parse: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    def deserialize(data: bytes) -> Any:
        try:
            return parse(data)
        except (DecodeError, RecursionError, ValueError) as exc:
            return _Unparsable(str(exc) or type(exc).__name__)

    return deserialize


def _checked(requests: Iterator[Any]) -> Iterator[Any]:
    for request in requests:
        if isinstance(request, _Unparsable):
            # A service error: the servicers' wrappers turn it into INVALID_ARGUMENT.
            raise InvalidArgument(request.message)
        yield request


def _wrap(
    handler: grpc.RpcMethodHandler[Any, Any], parse: Callable[[bytes], Any]
) -> grpc.RpcMethodHandler[Any, Any]:
    deserializer = _tolerant(parse)
    serializer = handler.response_serializer

    def single(behavior: Callable[..., Any]) -> Callable[..., Any]:
        def run(request: Any, context: grpc.ServicerContext) -> Any:
            if isinstance(request, _Unparsable):
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.message)
            return behavior(request, context)

        return run

    def stream(behavior: Callable[..., Any]) -> Callable[..., Any]:
        def run(requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
            return behavior(_checked(requests), context)

        return run

    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(
            single(handler.unary_unary), deserializer, serializer
        )
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(
            single(handler.unary_stream), deserializer, serializer
        )
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(
            stream(handler.stream_unary), deserializer, serializer
        )
    if handler.stream_stream is None:  # grpc sets exactly one of the four behaviours
        raise TypeError("a method handler without behaviour")
    return grpc.stream_stream_rpc_method_handler(
        stream(handler.stream_stream), deserializer, serializer
    )
