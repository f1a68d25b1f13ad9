"""Start-up: typer's coercion of an absent option without pydantic.

typer (0.29, pinned) coerces every parameter's value through a pydantic ``TypeAdapter`` that
it builds on first use, even when the value is absent (None), where the answer is None (or
``()``) whatever the type. Every group's own ``--help`` flag is absent when a subcommand runs,
so `mic session --help` and `mic status` paid for importing pydantic (about 40 ms) for
nothing. Here an absent value is answered as typer's ``RuntimeParam.coerce`` answers it, and
the adapter is built only for a value that was given. A test pins the behaviour
(tests/cli/test_status_cli.py checks that pydantic stays unloaded).
"""

from __future__ import annotations

from typing import Any

_installed = False


class _Lazy:
    """A parameter's coercion, built when a value first needs it."""

    __slots__ = ("_param", "_real")

    def __init__(self, param: Any) -> None:
        self._param = param
        self._real: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:  # as RuntimeParam.coerce: no adapter needed
            return () if (param.multiple or param.nargs == -1) else None
        if self._real is None:
            from typer._coercion import build_runtime_param

            self._real = build_runtime_param(self._param.type_descriptor)
        return self._real.coerce(value, param=param, ctx=ctx)


def install() -> None:
    """Make typer build each parameter's adapter only for a given value (once per process)."""
    global _installed
    if _installed:
        return
    from typer.core import _TyperParameter

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            self._runtime_param = _Lazy(self)
        return self._runtime_param

    _TyperParameter.get_runtime_param = get_runtime_param  # type: ignore[method-assign]
    _installed = True
