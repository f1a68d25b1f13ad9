"""errors.run: one line on stderr, a documented exit code, no traceback (in process, no server)."""

from __future__ import annotations

import pytest
import typer

from micelio import paths
from micelio.cli import errors
from micelio.client import Conflict, NotFound, PermissionDenied, Unavailable
from micelio.workdir import WorkdirError
from tests.support.cli import assert_one_line_error, invoke


def make_app(exc: BaseException) -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.command()
    def boom(flag: bool = False) -> None:
        raise exc

    @app.command()
    def fine() -> None:
        print("fine")

    return app


@pytest.mark.parametrize(
    ("exc", "code", "text"),
    [
        (NotFound("session x not found"), errors.NOT_FOUND, "error: session x not found"),
        (Conflict("conflict", paths=("a.txt",)), errors.CONFLICT, "error: conflict: a.txt"),
        (PermissionDenied("read token"), errors.AUTH, "error: read token"),
        (Unavailable("cannot reach mic server at h:1"), errors.UNREACHABLE, "cannot reach"),
        (WorkdirError("not a checkout"), errors.STATE, "error: not a checkout"),
        (paths.InvalidPath("absolute path: /x"), errors.USAGE, "invalid path: absolute path"),
        (FileNotFoundError(2, "No such file or directory", "/nope"), errors.GENERIC, "/nope"),
        (
            errors.CliError("multi\nline   message", errors.STATE),
            errors.STATE,
            "error: multi line message",
        ),
        (RuntimeError("unexpected"), errors.GENERIC, "error: RuntimeError: unexpected"),
    ],
)
def test_one_line_and_exit_code(exc: BaseException, code: int, text: str) -> None:
    result = invoke("boom", env={}, app=make_app(exc), check=False)
    assert_one_line_error(result, code)
    assert text in result.stderr


def test_success_exits_zero() -> None:
    result = invoke("fine", env={}, app=make_app(RuntimeError()))
    assert result.returncode == 0 and result.stdout == "fine\n"


def test_usage_errors_are_typers_with_code_2() -> None:
    result = invoke("boom", "--no-such-option", env={}, app=make_app(RuntimeError()), check=False)
    assert result.returncode == errors.USAGE
    assert "No such option" in result.stderr and "Traceback" not in result.stderr


def test_debug_reraises() -> None:
    with pytest.raises(RuntimeError, match=r"^x$"):
        invoke("boom", env={"MIC_DEBUG": "1"}, app=make_app(RuntimeError("x")))


def test_keyboard_interrupt_is_130() -> None:
    result = invoke("boom", env={}, app=make_app(KeyboardInterrupt()), check=False)
    assert result.returncode == errors.INTERRUPTED and "Traceback" not in result.stderr


def json_app(exc: BaseException, answer: str) -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.command()
    def report(as_json: bool = typer.Option(False, "--json")) -> None:
        print(answer)
        raise exc

    @app.command()
    def other() -> None:
        pass

    return app


def test_json_error_object_unless_the_command_answered() -> None:
    plain = errors.CliError("job failed", errors.GENERIC)
    result = invoke("report", "--json", env={}, app=json_app(plain, ""), check=False)
    assert_one_line_error(result, errors.GENERIC, "job failed")
    assert result.stdout == '\n{"error": {"message": "job failed", "code": 1, "kind": "error"}}\n'
    # A command whose JSON answer is the report of what failed keeps stdout one JSON value.
    answered = errors.CliError("job failed", errors.GENERIC, answered=True)
    result = invoke("report", "--json", env={}, app=json_app(answered, "{}"), check=False)
    assert_one_line_error(result, errors.GENERIC, "job failed")
    assert result.stdout == "{}\n"


def test_escapes_control_characters_in_the_error_line() -> None:
    exc = errors.CliError("bad name: red\x1b[31m\u202eend\nnext", errors.USAGE)
    result = invoke("boom", env={}, app=make_app(exc), check=False)
    assert_one_line_error(result, errors.USAGE)
    assert result.stderr == "error: bad name: red\\x1b[31m\\u202eend next\n"
