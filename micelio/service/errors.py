"""Errors of the business rules; the server maps each kind to its gRPC status code.

``details`` travel as trailing metadata (``mic-<name>``, one entry per value of a list), e.g. the
session that already holds an external id, or the conflicting paths, so that clients need not
parse messages.
"""

from __future__ import annotations


class ServiceError(Exception):
    code = "INTERNAL"

    def __init__(self, message: str, **details: str | list[str]) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(ServiceError):
    code = "NOT_FOUND"


class AlreadyExists(ServiceError):
    code = "ALREADY_EXISTS"


class InvalidArgument(ServiceError):
    code = "INVALID_ARGUMENT"


class FailedPrecondition(ServiceError):
    code = "FAILED_PRECONDITION"


class Unauthenticated(ServiceError):
    code = "UNAUTHENTICATED"


class PermissionDenied(ServiceError):
    code = "PERMISSION_DENIED"


class Conflict(ServiceError):
    """Another session landed after this one's base position and touched the same paths."""

    code = "ABORTED"


class Cancelled(ServiceError):
    """The client went away before the operation could complete."""

    code = "CANCELLED"


class Unavailable(ServiceError):
    """A dependency (object store, database) failed in a way a retry may fix."""

    code = "UNAVAILABLE"


class DataLoss(ServiceError):
    """A change's content is referenced but missing from object storage."""

    code = "DATA_LOSS"


class ResourceExhausted(ServiceError):
    """A configured limit (e.g. a session's conversation size) would be exceeded."""

    code = "RESOURCE_EXHAUSTED"
