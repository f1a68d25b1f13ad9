"""Running the CLI so that every failure is one line on stderr and a meaningful exit code.

Exit codes (stable; scripts may rely on them):

====  ================================================================================
0     success
1     any other error (I/O, unexpected)
2     usage: bad command line, invalid argument or path
3     not found: organization, project, session, file, position
4     conflict: the landing touches paths changed by sessions landed since its base
5     auth: missing/bad token (unauthenticated) or a token without the right (denied)
6     state: already exists, session not active, working directory not ready
7     cannot reach the mic server
130   interrupted (Ctrl-C): one line on stderr, no traceback
====  ================================================================================

With ``--json`` on the command line an error is also printed on stdout as JSON:
``{"error": {"message", "code", "kind"}}`` (docs/cli-json.md). ``MIC_DEBUG=1`` re-raises
instead, with the full traceback.

Nothing here imports grpc or the client at start-up: an exception of theirs can only exist
once its module is loaded, so ``describe`` looks them up in ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn

OK, GENERIC, USAGE, NOT_FOUND, CONFLICT, AUTH, STATE, UNREACHABLE = 0, 1, 2, 3, 4, 5, 6, 7
INTERRUPTED = 130

# The ``kind`` of a JSON error: a name for each exit code.
KINDS = {
    GENERIC: "error",
    USAGE: "usage",
    NOT_FOUND: "not_found",
    CONFLICT: "conflict",
    AUTH: "auth",
    STATE: "state",
    UNREACHABLE: "unreachable",
    INTERRUPTED: "interrupted",
}


class CliError(Exception):
    """An error the CLI itself detects; ``code`` is its exit code. ``answered``: the command
    already printed its JSON answer (a report that says what failed), so that stdout stays one
    JSON value and the error is only the line on stderr."""

    def __init__(self, message: str, code: int = GENERIC, *, answered: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.answered = answered


def _mic_code(exc: BaseException) -> int | None:
    """The exit code of a client error (None: not one)."""
    client = sys.modules.get("micelio.client.errors")
    if client is None or not isinstance(exc, client.MicError):
        return None
    codes: list[tuple[type[BaseException], int]] = [
        (client.NotFound, NOT_FOUND),
        (client.Conflict, CONFLICT),
        (client.Unauthenticated, AUTH),
        (client.PermissionDenied, AUTH),
        (client.AlreadyExists, STATE),
        (client.FailedPrecondition, STATE),
        (client.InvalidArgument, USAGE),
        (client.Unavailable, UNREACHABLE),
    ]
    return next((c for cls, c in codes if isinstance(exc, cls)), GENERIC)


def _is_instance(exc: BaseException, module: str, name: str) -> bool:
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(exc, getattr(loaded, name))


def conflict_paths(exc: BaseException) -> tuple[str, ...]:
    """The paths a conflict names (empty for other errors)."""
    if _is_instance(exc, "micelio.client.errors", "Conflict"):
        return tuple(getattr(exc, "paths", ()))
    return ()


def describe(exc: BaseException) -> tuple[str, int]:
    """The one-line message and exit code of an error."""
    if _is_instance(exc, "grpc", "RpcError"):  # a stub used directly, should the client miss one
        from micelio.client.errors import from_rpc_error

        exc = from_rpc_error(exc)  # type: ignore[arg-type]
    if isinstance(exc, CliError):
        return str(exc), exc.code
    code = _mic_code(exc)
    if code is not None:
        message: str = getattr(exc, "message", str(exc))
        shown_paths = conflict_paths(exc)
        if shown_paths and shown_paths[0] not in message:
            shown = ", ".join(shown_paths[:10]) + (" ..." if len(shown_paths) > 10 else "")
            message = f"{message}: {shown}"
        if code == AUTH and _is_instance(exc, "micelio.client.errors", "Unauthenticated"):
            message += " (pass --token or set MIC_TOKEN)"
        return message, code
    if _is_instance(exc, "micelio.workdir.workflow", "UnlandablePaths"):
        return str(exc), USAGE
    if _is_instance(exc, "micelio.workdir.errors", "WorkdirError"):
        return str(exc), STATE
    if _is_instance(exc, "micelio.paths", "InvalidPath"):
        return f"invalid path: {exc}", USAGE
    if isinstance(exc, OSError):
        name = exc.filename
        if isinstance(name, bytes):
            name = os.fsdecode(name)
        where = f": {name}" if name else ""
        return f"{exc.strerror or exc}{where}", GENERIC
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, GENERIC


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(message: str) -> str:
    """Whitespace runs (newlines too) as one space; other control characters escaped."""
    flat = " ".join(message.split()) or "failed"
    return _CONTROL.sub(_escape, flat)


def wants_json(args: list[str]) -> bool:
    """Whether the command line asks for JSON (``--json`` before any ``--``)."""
    for arg in args:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False


def report(message: str, code: int, *, as_json: bool, paths: tuple[str, ...] = ()) -> NoReturn:
    """Print an error (one line on stderr; also JSON on stdout with ``as_json``) and exit."""
    line = one_line(message)
    if as_json:
        error: dict[str, Any] = {"message": line, "code": code, "kind": KINDS.get(code, "error")}
        if paths:
            error["paths"] = list(paths)
        sys.stdout.write(json.dumps({"error": error}, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    sys.stderr.write(f"error: {line}\n")
    sys.stderr.flush()
    sys.exit(code)


def fail(exc: BaseException, *, as_json: bool = False) -> NoReturn:
    message, code = describe(exc)
    answered = isinstance(exc, CliError) and exc.answered
    report(message, code, as_json=as_json and not answered, paths=conflict_paths(exc))


def _usage(exc: Any, as_json: bool) -> NoReturn:
    """A click usage error as one line, naming the command's help."""
    where = exc.ctx.command_path if exc.ctx is not None else "mic"
    report(f"{exc.format_message()} (see `{where} --help`)", USAGE, as_json=as_json)


def run_plain(command: Callable[[], None], *, as_json: bool) -> NoReturn:
    """Run a command parsed without typer (``mic status``'s fast path) with ``run``'s
    contract: one error line and an exit code, ``interrupted`` on Ctrl-C."""
    try:
        command()
    except KeyboardInterrupt:
        report("interrupted", INTERRUPTED, as_json=as_json)
    except SystemExit:
        raise
    except BaseException as exc:
        if os.environ.get("MIC_DEBUG") == "1":
            raise
        fail(exc, as_json=as_json)
    sys.exit(OK)


def run(app: Any, args: list[str] | None = None) -> NoReturn:
    """Run the typer app: its result, its help, or one error line and an exit code."""
    import typer
    from typer._click import exceptions as click_errors  # typer exports no UsageError

    argv = sys.argv[1:] if args is None else args
    as_json = wants_json(argv)
    try:
        # Not standalone: typer would turn Ctrl-C into a silent exit 130 and print usage
        # errors in its own multi-line form; here both get the one-line contract.
        code = app(args=argv, prog_name="mic", standalone_mode=False)
    except KeyboardInterrupt:
        report("interrupted", INTERRUPTED, as_json=as_json)
    except click_errors.NoArgsIsHelpError as exc:  # `mic session`: its help, as git does
        exc.show()
        sys.exit(USAGE)
    except click_errors.UsageError as exc:
        _usage(exc, as_json)
    except typer.Abort:
        report("aborted", GENERIC, as_json=as_json)
    except click_errors.ClickException as exc:
        report(exc.format_message(), exc.exit_code or GENERIC, as_json=as_json)
    except SystemExit:
        raise
    except BaseException as exc:
        if os.environ.get("MIC_DEBUG") == "1":
            raise
        fail(exc, as_json=as_json)
    if code == INTERRUPTED:  # typer's own conversion of a KeyboardInterrupt
        report("interrupted", INTERRUPTED, as_json=as_json)
    sys.exit(code if isinstance(code, int) else OK)
