"""What every command shares: the --server/--token/--json options, connecting, rendering.

Data goes to stdout (plain JSON with ``--json``, rich text otherwise); errors go to stderr
through ``errors.run``. JSON is never passed through rich, so it is never wrapped or coloured.

Start-up stays fast (``mic --help`` in well under 0.15 s): this module, and every command
module at import time, imports neither rich, grpc, protobuf nor the client; they are imported
by the commands that use them. ``output.console`` and ``output.err_console`` are made on first
use (importing them by name works, but pays for rich at import time).
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from micelio.cli import plain
from micelio.cli.errors import USAGE, CliError

# The commands import these from here; they live in ``plain`` for `mic status`'s fast path.
safe = plain.safe
print_json = plain.print_json

if TYPE_CHECKING:
    from rich.console import Console

    from micelio.client import MicClient
    from micelio.workdir import State

ServerOpt = Annotated[
    str | None,
    typer.Option(
        "--server",
        help="Server address HOST:PORT (default: $MIC_SERVER, then the local server).",
        show_default=False,
    ),
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token",
        help="Bearer token (default: $MIC_TOKEN, then the local server's admin token).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@functools.cache
def _console(stderr: bool) -> Console:
    from rich.console import Console

    if stderr:
        return Console(stderr=True, highlight=False)
    return Console(highlight=False, soft_wrap=True)


if TYPE_CHECKING:
    console: Console  # stdout
    err_console: Console  # stderr


def __getattr__(name: str) -> Any:
    # ``output.console`` and ``output.err_console`` are made on first use (PEP 562):
    # importing rich costs start-up time that `--help` and the JSON paths never need.
    if name in ("console", "err_console"):
        return _console(name == "err_console")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# rich markup: a backslash before an opening bracket that would start a tag.
_MARKUP = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")


def shown(text: str, *, multiline: bool = False) -> str:
    """``safe(text)`` for a rich ``console.print``: also escapes what rich reads as markup
    (the same rule as ``rich.markup.escape``, without importing rich)."""

    def _tag(match: re.Match[str]) -> str:
        backslashes, tag = match.groups()
        return f"{backslashes}{backslashes}\\{tag}"

    escaped = _MARKUP.sub(_tag, safe(text, multiline=multiline))
    return escaped + "\\" if escaped.endswith("\\") and not escaped.endswith("\\\\") else escaped


def connect(server: str | None, token: str | None, *, fallback: str | None = None) -> MicClient:
    """A client from the options, else the environment, else ``fallback`` or the local server."""
    from micelio.client import MicClient

    return MicClient.from_environment(server, token, fallback_server=fallback)


def print_json_array(items: Iterable[Any]) -> None:
    """One JSON array, written item by item (the same text as ``print_json(list(items))``)."""
    first = True
    for item in items:
        body = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        sys.stdout.write(("[\n  " if first else ",\n  ") + body)
        first = False
    sys.stdout.write("[]\n" if first else "\n]\n")
    sys.stdout.flush()


def when(value: datetime | None) -> str:
    """A time for people: ``2024-05-01 12:00:03Z``; ``-`` when unset."""
    from micelio.client import iso

    text = iso(value)
    return text.replace("T", " ")[:19] + "Z" if text else "-"


def split_ref(ref: str) -> tuple[str, str]:
    """``ORG/PROJECT`` → (org, project), with a usage error when it is not of that form."""
    org, sep, project = ref.partition("/")
    if not sep or not org or not project or "/" in project:
        raise CliError(f"expected ORG/PROJECT (e.g. acme/api), got {safe(repr(ref))}", USAGE)
    return org, project


def checkout_state(start: Path | None = None) -> State | None:
    """The ``.mic/`` state of the checkout around ``start`` (default: here), if any."""
    from micelio.workdir.state import find_root, load_state

    root = find_root((start or Path.cwd()).resolve())
    return load_state(root) if root else None


def project_ref(ref: str | None) -> tuple[str, str]:
    """``ORG/PROJECT`` given, else the project of the checkout here (a usage error outside
    one): the one rule of every command that reads a project."""
    if ref is not None:
        return split_ref(ref)
    state = checkout_state()
    if state is None:
        raise CliError("not in a mic checkout: name the project as ORG/PROJECT", USAGE)
    return state.organization, state.project


@contextlib.contextmanager
def byte_progress(
    label: str, total: int, items: int, *, enabled: bool = True
) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for a big transfer (>= 16 MiB or >= 200 files) on a terminal.

    Yields ``update(bytes_done)``, or None when no bar is shown (small, piped or --json).
    """
    err_console = _console(True)
    if not (enabled and err_console.is_terminal and (total >= 16 << 20 or items >= 200)):
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    bar = Progress(
        TextColumn(label), BarColumn(), DownloadColumn(), console=err_console, transient=True
    )
    task = bar.add_task(label, total=total or None)
    with bar:
        yield lambda done: bar.update(task, completed=done)
