"""Running the CLI so that every failure is one line on stderr and a meaningful exit code.

Exit codes (stable; scripts may rely on them):

====  ================================================================================
0     success
1     any other error (I/O, unexpected)
2     usage: bad command line (typer's own message), invalid argument or path
3     not found: organization, project, session, file, position
4     conflict: the landing touches paths changed by sessions landed since its base
5     auth: missing/bad token (unauthenticated) or a token without the right (denied)
6     state: already exists, session not active, working directory not ready
7     cannot reach the mic server
130   interrupted (Ctrl-C)
====  ================================================================================

``MIC_DEBUG=1`` re-raises instead, with the full traceback.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

import grpc

from micelio import paths
from micelio.client import (
    AlreadyExists,
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    MicError,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from micelio.client.errors import from_rpc_error
from micelio.workdir import WorkdirError
from micelio.workdir.workflow import UnlandablePaths

OK, GENERIC, USAGE, NOT_FOUND, CONFLICT, AUTH, STATE, UNREACHABLE = 0, 1, 2, 3, 4, 5, 6, 7
INTERRUPTED = 130


class CliError(Exception):
    """An error the CLI itself detects; ``code`` is its exit code."""

    def __init__(self, message: str, code: int = GENERIC) -> None:
        super().__init__(message)
        self.code = code


_MIC_CODES: list[tuple[type[MicError], int]] = [
    (NotFound, NOT_FOUND),
    (Conflict, CONFLICT),
    (Unauthenticated, AUTH),
    (PermissionDenied, AUTH),
    (AlreadyExists, STATE),
    (FailedPrecondition, STATE),
    (InvalidArgument, USAGE),
    (Unavailable, UNREACHABLE),
]


def describe(exc: BaseException) -> tuple[str, int]:
    """The one-line message and exit code of an error."""
    if isinstance(exc, grpc.RpcError):  # a stub used directly, should the client miss one
        exc = from_rpc_error(exc)
    if isinstance(exc, CliError):
        return str(exc), exc.code
    if isinstance(exc, MicError):
        code = next((c for cls, c in _MIC_CODES if isinstance(exc, cls)), GENERIC)
        message = exc.message
        if isinstance(exc, Conflict) and exc.paths and exc.paths[0] not in message:
            shown = ", ".join(exc.paths[:10]) + (" ..." if len(exc.paths) > 10 else "")
            message = f"{message}: {shown}"
        if isinstance(exc, Unauthenticated):
            message += " (pass --token or set MIC_TOKEN)"
        return message, code
    if isinstance(exc, UnlandablePaths):
        return str(exc), USAGE
    if isinstance(exc, WorkdirError):
        return str(exc), STATE
    if isinstance(exc, paths.InvalidPath):
        return f"invalid path: {exc}", USAGE
    if isinstance(exc, OSError):
        name = exc.filename
        if isinstance(name, bytes):
            name = os.fsdecode(name)
        where = f": {name}" if name else ""
        return f"{exc.strerror or exc}{where}", GENERIC
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, GENERIC


def _one_line(message: str) -> str:
    return " ".join(message.split()) or "failed"


def fail(exc: BaseException) -> NoReturn:
    message, code = describe(exc)
    sys.stderr.write(f"error: {_one_line(message)}\n")
    sys.stderr.flush()
    sys.exit(code)


def run(app: Any, args: list[str] | None = None) -> NoReturn:
    """Run the typer app (standalone: it prints its usage errors, exit 2, and help)."""
    try:
        app(args=args, prog_name="mic")
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.exit(INTERRUPTED)
    except BaseException as exc:
        if os.environ.get("MIC_DEBUG") == "1":
            raise
        fail(exc)
    sys.exit(OK)
