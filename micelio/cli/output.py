"""What every command shares: the --server/--token/--json options, connecting, rendering.

Data goes to stdout (plain JSON with ``--json``, rich text otherwise); errors go to stderr
through ``errors.run``. JSON is never passed through rich, so it is never wrapped or coloured.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

from micelio.cli.errors import USAGE, CliError
from micelio.client import MicClient, iso

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

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False)


def connect(server: str | None, token: str | None, *, fallback: str | None = None) -> MicClient:
    """A client from the options, else the environment, else ``fallback`` or the local server."""
    return MicClient.from_environment(server, token, fallback_server=fallback)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


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
    text = iso(value)
    return text.replace("T", " ")[:19] + "Z" if text else "-"


def split_ref(ref: str) -> tuple[str, str]:
    """``ORG/PROJECT`` → (org, project), with a usage error when it is not of that form."""
    org, sep, project = ref.partition("/")
    if not sep or not org or not project or "/" in project:
        raise CliError(f"expected ORG/PROJECT, got {ref!r}", USAGE)
    return org, project


@contextlib.contextmanager
def byte_progress(
    label: str, total: int, items: int, *, enabled: bool = True
) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for a big transfer (>= 16 MiB or >= 200 files) on a terminal.

    Yields ``update(bytes_done)``, or None when no bar is shown (small, piped or --json).
    """
    if not (enabled and err_console.is_terminal and (total >= 16 << 20 or items >= 200)):
        yield None
        return
    bar = Progress(
        TextColumn(label), BarColumn(), DownloadColumn(), console=err_console, transient=True
    )
    task = bar.add_task(label, total=total or None)
    with bar:
        yield lambda done: bar.update(task, completed=done)
