"""errors.run: one line on stderr, a documented exit code, no traceback (no server)."""

from __future__ import annotations

import pytest
import typer

from micelio import paths
from micelio.cli import errors
from micelio.client import Conflict, NotFound, PermissionDenied, Unavailable
from micelio.workdir import WorkdirError


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
def test_one_line_and_exit_code(exc, code, text, capsys, monkeypatch) -> None:
    monkeypatch.delenv("MIC_DEBUG", raising=False)
    with pytest.raises(SystemExit) as caught:
        errors.run(make_app(exc), ["boom"])
    assert caught.value.code == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert text in err
    assert "Traceback" not in err


def test_success_exits_zero(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        errors.run(make_app(RuntimeError()), ["fine"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == "fine\n"


def test_usage_errors_are_typers_with_code_2(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        errors.run(make_app(RuntimeError()), ["boom", "--no-such-option"])
    assert caught.value.code == errors.USAGE
    assert "Traceback" not in capsys.readouterr().err


def test_debug_reraises(monkeypatch) -> None:
    monkeypatch.setenv("MIC_DEBUG", "1")
    with pytest.raises(RuntimeError):
        errors.run(make_app(RuntimeError("x")), ["boom"])


def test_keyboard_interrupt_is_130(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        errors.run(make_app(KeyboardInterrupt()), ["boom"])
    assert caught.value.code == errors.INTERRUPTED
