"""Errors of the mic client: one class per gRPC status the CLI and importers act on.

Every class carries the server's message (``str(err)``) and the gRPC status name (``code``).
"""

from __future__ import annotations

from typing import cast

import grpc


class MicError(Exception):
    """Any error talking to a mic server (or preparing what to send it)."""

    code: str = "UNKNOWN"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(MicError):
    code = "NOT_FOUND"


class AlreadyExists(MicError):
    """ALREADY_EXISTS; for a landing with a known external id, ``session_id`` names the holder."""

    code = "ALREADY_EXISTS"

    def __init__(self, message: str, *, session_id: str | None = None) -> None:
        super().__init__(message)
        self.session_id = session_id


class InvalidArgument(MicError):
    code = "INVALID_ARGUMENT"


class FailedPrecondition(MicError):
    code = "FAILED_PRECONDITION"


class Unauthenticated(MicError):
    code = "UNAUTHENTICATED"


class PermissionDenied(MicError):
    code = "PERMISSION_DENIED"


class Conflict(MicError):
    """ABORTED: sessions landed since the base position touched ``paths``."""

    code = "ABORTED"

    def __init__(self, message: str, *, paths: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.paths = paths


class Unavailable(MicError):
    """The server cannot be reached (not running, wrong address, network)."""

    code = "UNAVAILABLE"

    def __init__(self, message: str, *, address: str = "") -> None:
        super().__init__(message)
        self.address = address


class LandingError(MicError):
    """The client could not produce a change it was asked to send; nothing was landed."""

    code = "CANCELLED"


_BY_STATUS: dict[grpc.StatusCode, type[MicError]] = {
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgument,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
}

# Trailing metadata the server attaches to explain an error (``mic-<name>``); a few spellings
# are accepted so that a renamed detail degrades to "no detail", never to a crash.
_CONFLICT_PATHS_KEYS = ("mic-conflicting-paths", "mic-paths", "mic-conflict-paths")
_SESSION_ID_KEYS = ("mic-session-id", "mic-session")


def _trailer(err: grpc.RpcError, keys: tuple[str, ...]) -> list[str]:
    values: list[str] = []
    try:
        # grpc-stubs types these as opaque _Metadatum; grpc's are (key, value) namedtuples.
        trailers = cast("grpc.Metadata", err.trailing_metadata() or ())
    except Exception:  # not every RpcError is a Call (e.g. raised before the call started)
        return values
    for k, v in trailers:
        if k in keys:
            values.append(v.decode("utf-8", "replace") if isinstance(v, bytes) else v)
    return values


def from_rpc_error(err: grpc.RpcError, address: str = "") -> MicError:
    """The MicError for a failed call, keeping the server's message."""
    status = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    details = (err.details() if hasattr(err, "details") else None) or ""
    if status == grpc.StatusCode.UNAVAILABLE:
        where = f" at {address}" if address else ""
        return Unavailable(
            f"cannot reach mic server{where} ({details or 'unavailable'})", address=address
        )
    if status == grpc.StatusCode.DEADLINE_EXCEEDED:
        where = f" at {address}" if address else ""
        return Unavailable(f"mic server{where} did not answer in time", address=address)
    if status == grpc.StatusCode.ABORTED:
        paths: list[str] = []
        for value in _trailer(err, _CONFLICT_PATHS_KEYS):
            paths.extend(p for p in value.split("\n") if p)
        return Conflict(details or "conflict", paths=tuple(paths))
    if status == grpc.StatusCode.ALREADY_EXISTS:
        ids = _trailer(err, _SESSION_ID_KEYS)
        return AlreadyExists(details or "already exists", session_id=ids[0] if ids else None)
    cls = _BY_STATUS.get(status, MicError)
    error = cls(details or status.name.lower().replace("_", " "))
    if cls is MicError:
        error.code = status.name
    return error
