"""`mic mcp`: serve this checkout's sessions to an MCP client (a coding agent, an IDE).

The command finds the checkout (the current folder or ``--dir``), the server and the token
as every command does, asks the server what the token may do, and serves the Model Context
Protocol over stdio (the default: the client starts ``mic mcp`` itself) or streamable HTTP
on a loopback address (``--http HOST:PORT``). The tools are ``micelio.mcp``'s; see
docs/mcp.md.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from micelio.cli.errors import USAGE, CliError, describe, one_line
from micelio.cli.output import ServerOpt, TokenOpt


def http_address(value: str) -> tuple[str, int]:
    from micelio.mcp.server import loopback_address

    try:
        return loopback_address(value)
    except ValueError as exc:
        raise CliError(str(exc), USAGE) from None


def _error_line(exc: BaseException) -> str:
    """A tool error's text: the line the CLI would print for the same failure."""
    return one_line(describe(exc)[0])


def mcp(
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            metavar="DIR",
            help="The checkout to work in (default: the one around the current folder).",
            show_default=False,
        ),
    ] = None,
    http: Annotated[
        str | None,
        typer.Option(
            "--http",
            metavar="HOST:PORT",
            help="Serve streamable HTTP at http://HOST:PORT/mcp (loopback only; port 0 picks "
            "a free one) instead of stdio.",
            show_default=False,
        ),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Serve this checkout's sessions to an MCP client (stdio, or HTTP with --http)."""
    from micelio.mcp import checkout as mcp_checkout
    from micelio.mcp import server as mcp_server

    where = http_address(http) if http is not None else None
    checkout = mcp_checkout.Checkout.at(directory or Path.cwd(), server, token)
    with checkout.connect() as mic:
        mic.timeout = 30.0  # a server that does not answer must not hold the client's start
        role = mic.whoami().role  # fails here, in one line, when the server or token is wrong
    app = mcp_server.build(checkout, role, _error_line)
    if where is None:
        mcp_server.serve_stdio(app)
        return

    def announce(url: str) -> None:
        sys.stderr.write(f"mic mcp: serving {checkout.root} at {url} ({role} token)\n")
        sys.stderr.flush()

    mcp_server.serve_http(app, *where, announce)
