"""Every call's way in: authentication, admission, bounded waits on the client, decoding.

The interceptor wraps each method so that, before a request byte is read:

1. the caller authenticates (bearer token; health checking and reflection are anonymous);
2. a method only writers may call (a landing stream) refuses other tokens;
3. the call is counted in (``admission``): over a limit it is refused with RESOURCE_EXHAUSTED;
4. every wait on the client (a request message, a response it does not take) is watched by
   the ``watchdog``, which cancels a call that keeps the server waiting too long.

To make 4 possible for unary requests too, every method is served as request-streaming: grpcio
would otherwise wait for a unary request on the handler's thread before any of our code runs,
with no bound. The wire protocol is the same. Requests are decoded here (a message that does
not parse is INVALID_ARGUMENT, logged as one line, never a traceback) and the method runs with
the caller's ``Principal`` in a context variable (``current_principal()``).

Streams run on their own thread pool, health checks on another: neither can take the threads
of the other calls.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc

from micelio.server.admission import CALL, STREAM, Admission
from micelio.server.errors import abort
from micelio.server.watchdog import Watch, Watchdog
from micelio.service.auth import Principal, TokenAuthority, require_role
from micelio.service.errors import InvalidArgument, ServiceError
from micelio.v1 import micelio_pb2 as pb
from micelio.vocabulary import TokenRole

log = logging.getLogger("micelio.server.guard")

HEALTH_PREFIX = "/grpc.health.v1.Health/"
EXEMPT_PREFIXES = (
    HEALTH_PREFIX,
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)
_SESSIONS = pb.DESCRIPTOR.services_by_name["SessionService"].full_name
_PROJECTS = pb.DESCRIPTOR.services_by_name["ProjectService"].full_name
#: Methods that only a token with this role may even open (a stream holds a thread).
REQUIRED_ROLE = {
    f"/{_SESSIONS}/LandSession": TokenRole.WRITE,
    f"/{_SESSIONS}/LandSessions": TokenRole.WRITE,
    f"/{_PROJECTS}/UploadArchive": TokenRole.WRITE,
}
#: A health check's request is a few bytes sent at once: a client that keeps one waiting
#: longer than this is not a health checker.
HEALTH_IDLE_TIMEOUT = 2.0

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


@dataclass(frozen=True)
class Guard:
    """What the interceptor enforces, and the pools it runs calls on."""

    admission: Admission
    watchdog: Watchdog
    stream_pool: ThreadPoolExecutor
    health_pool: ThreadPoolExecutor


class AuthInterceptor(_Interceptor):
    def __init__(self, tokens: TokenAuthority, guard: Guard) -> None:
        self._tokens = tokens
        self._guard = guard

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        # This runs on grpc's polling thread: nothing here may block.
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        return _wrap(
            handler, _Method.of(handler_call_details.method, handler), self._tokens, self._guard
        )


@dataclass(frozen=True)
class _Method:
    name: str
    anonymous: bool
    health: bool
    streaming: bool  # requests or responses stream: a call that may last
    role: TokenRole | None

    @classmethod
    def of(cls, name: str, handler: grpc.RpcMethodHandler[Any, Any]) -> _Method:
        return cls(
            name=name,
            anonymous=name.startswith(EXEMPT_PREFIXES),
            health=name.startswith(HEALTH_PREFIX),
            streaming=bool(handler.request_streaming or handler.response_streaming),
            role=REQUIRED_ROLE.get(name),
        )


class _Behavior:
    """A wrapped behaviour, carrying the grpcio attributes that choose how it runs."""

    def __init__(
        self, run: Callable[..., Any], pool: ThreadPoolExecutor | None, non_blocking: bool
    ) -> None:
        self._run = run
        # grpcio reads these two attributes off the behaviour (server-side "experimental").
        self.experimental_thread_pool = pool
        self.experimental_non_blocking = non_blocking

    def __call__(self, *args: Any) -> Any:
        return self._run(*args)


class _Requests:
    """The call's request messages: each wait for one is watched, each one decoded here."""

    def __init__(
        self, raw: Iterator[bytes], watch: Watch, decode: Callable[[bytes], Any] | None
    ) -> None:
        self._raw = raw
        self._watch = watch
        self._decode = decode

    def __iter__(self) -> _Requests:
        return self

    def __next__(self) -> Any:
        with self._watch.waiting():
            data = next(self._raw)
        if self._decode is None:
            return data
        try:
            return self._decode(data)
        except Exception as exc:  # protobuf's DecodeError, nesting beyond its limit, ...
            raise InvalidArgument(f"malformed request message ({type(exc).__name__})") from None

    def one(self) -> Any:
        try:
            return next(self)
        except StopIteration:
            raise InvalidArgument("expected one request message, got none") from None


def _authenticate(tokens: TokenAuthority, context: grpc.ServicerContext) -> Principal:
    value = None
    for key, item in context.invocation_metadata():
        if key == "authorization":
            value = item if isinstance(item, str) else item.decode("ascii", "replace")
            break
    return tokens.authenticate(value)


def _refuse(context: grpc.ServicerContext, method: _Method, error: ServiceError) -> None:
    # One line, no traceback: hostile input is expected, and the filter in ``quiet`` bounds
    # how many of these a flood can write.
    log.warning("refused %s from %s: %s %s", method.name, context.peer(), error.code, error.message)
    abort(context, error)


def _wrap(
    handler: grpc.RpcMethodHandler[Any, Any],
    method: _Method,
    tokens: TokenAuthority,
    guard: Guard,
) -> grpc.RpcMethodHandler[Any, Any]:
    behavior: Callable[..., Any] | None = (
        handler.unary_unary or handler.unary_stream or handler.stream_unary or handler.stream_stream
    )
    if behavior is None:  # grpc sets exactly one of the four behaviours
        raise TypeError("a method handler without behaviour")
    non_blocking = bool(getattr(behavior, "experimental_non_blocking", False))
    decode = handler.request_deserializer
    one_request = not handler.request_streaming
    idle = HEALTH_IDLE_TIMEOUT if method.health else guard.watchdog.idle_timeout

    def admit(context: grpc.ServicerContext) -> tuple[Principal | None, Watch]:
        """Authenticate, check the role, count the call in and start watching it."""
        try:
            principal = None if method.anonymous else _authenticate(tokens, context)
            if principal is not None and method.role is not None:
                require_role(principal, method.role, f"call {method.name}")
            ticket = None
            if not method.health:  # health is anonymous and tiny: its own pool bounds it
                ticket = guard.admission.admit(STREAM if method.streaming else CALL, principal)
        except ServiceError as error:
            _refuse(context, method, error)
            raise  # abort raised already; this only satisfies the type checker
        watch = guard.watchdog.watch(context, method.name, idle)
        peer = context.peer()  # gone once the call has ended

        def release() -> None:
            guard.watchdog.release(watch)
            if ticket is not None:
                ticket.release()
            if watch.expired:
                log.warning("cancelled %s from %s: idle for %.0f s", method.name, peer, idle)

        if not context.add_callback(release):  # the call has already ended
            release()
        return principal, watch

    def argument(raw: Iterator[bytes], watch: Watch) -> Any:
        requests = _Requests(raw, watch, decode)
        if not one_request:
            return requests
        try:
            return requests.one()
        except ServiceError as error:
            _refuse(watch.context, method, error)
            raise

    def unary_response(raw: Iterator[bytes], context: grpc.ServicerContext, *rest: Any) -> Any:
        principal, watch = admit(context)
        request = argument(raw, watch)
        token = _principal.set(principal)
        try:
            return behavior(request, context, *rest)
        finally:
            _principal.reset(token)

    def stream_response(raw: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[Any]:
        principal, watch = admit(context)
        request = argument(raw, watch)
        # The response generator runs one next() at a time: set the principal around each
        # step rather than once; the time grpcio takes to send each response is a wait on
        # the client (flow control), watched like a request.
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
            with watch.waiting():
                yield item

    pool = guard.health_pool if method.health else guard.stream_pool if method.streaming else None
    # Non-blocking behaviours (health's Watch) answer through a callback, not a generator.
    run = unary_response if non_blocking or not handler.response_streaming else stream_response
    wrapped = _Behavior(run, pool, non_blocking)
    if handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(
            wrapped, request_deserializer=None, response_serializer=handler.response_serializer
        )
    return grpc.stream_unary_rpc_method_handler(
        wrapped, request_deserializer=None, response_serializer=handler.response_serializer
    )
