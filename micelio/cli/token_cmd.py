"""`mic token create`: mint a bearer token (shown once)."""

from __future__ import annotations

from typing import Annotated

import typer

from micelio.cli.output import (
    JsonOpt,
    ServerOpt,
    TokenOpt,
    connect,
    err_console,
    print_json,
)
from micelio.vocabulary import TokenRole

app = typer.Typer(help="Bearer tokens.", no_args_is_help=True)


@app.command("create")
def create(
    role: Annotated[TokenRole, typer.Option("--role", help="What the token may do.")],
    org: Annotated[
        str | None,
        typer.Option(
            "--org", help="Scope the token to one organization (default: server-wide, admin only)."
        ),
    ] = None,
    description: Annotated[str, typer.Option("--description", help="A note for you.")] = "",
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a token and print it. It is shown once: the server keeps only its hash."""
    with connect(server, token) as mic:
        created = mic.create_token(role, organization=org, description=description)
    if as_json:
        print_json(
            {"token": created.token, "organization": created.organization, "role": created.role}
        )
        return
    # The token alone on stdout, so that `TOKEN=$(mic token create ...)` works.
    print(created.token)
    scope = created.organization or "server-wide"
    err_console.print(
        f"[dim]{created.role} token ({scope}); store it now: it is not shown again[/]"
    )
