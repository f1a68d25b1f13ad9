"""`mic token create|list|revoke`: bearer tokens (a secret is shown once, when minted)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any

import typer

from micelio.cli import output
from micelio.cli.errors import USAGE, CliError
from micelio.cli.output import (
    JsonOpt,
    ServerOpt,
    TokenOpt,
    connect,
    print_json,
    shown,
    when,
)
from micelio.vocabulary import TokenRole

if TYPE_CHECKING:
    from micelio.client import TokenInfo

app = typer.Typer(help="Bearer tokens.", no_args_is_help=True)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


def parse_duration(text: str) -> int:
    """``30d``, ``12h``, ``90m``, ``2w``, ``45s`` → seconds (a usage error otherwise)."""
    match = _DURATION.match(text.lower())
    if not match or int(match.group(1)) == 0:
        raise CliError(f"expected a duration such as 30d, 12h or 90m, got {text!r}", USAGE)
    return int(match.group(1)) * _UNITS[match.group(2)]


def token_to_dict(info: TokenInfo) -> dict[str, Any]:
    from micelio.client import iso

    return {
        "id": info.id,
        "organization": info.organization,
        "role": str(info.role),
        "description": info.description,
        "created_at": iso(info.created_at),
        "expires_at": iso(info.expires_at),
        "last_used_at": iso(info.last_used_at),
        "revoked_at": iso(info.revoked_at),
    }


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
    expires: Annotated[
        str | None,
        typer.Option(
            "--expires", help="Refuse it after this long: 30d, 12h, 90m (default: never)."
        ),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a token and print it. It is shown once: the server keeps only its hash."""
    expires_in = parse_duration(expires) if expires else 0
    with connect(server, token) as mic:
        created = mic.create_token(
            role, organization=org, description=description, expires_in_s=expires_in
        )
    from micelio.client import iso

    if as_json:
        out: dict[str, Any] = {
            "token": created.token,
            "organization": created.organization,
            "role": created.role,
        }
        if created.info is not None:
            out |= {"id": created.info.id, "expires_at": iso(created.info.expires_at)}
        print_json(out)
        return
    # The token alone on stdout, so that `TOKEN=$(mic token create ...)` works.
    print(created.token)
    scope = shown(created.organization or "server-wide")
    ident = f" {created.info.id}" if created.info else ""
    until = (
        f", expires {when(created.info.expires_at)}"
        if created.info and created.info.expires_at
        else ""
    )
    output.err_console.print(
        f"[dim]{created.role} token{ident} ({scope}{until}); store it now: it is not shown again[/]"
    )


@app.command("list")
def list_tokens(
    org: Annotated[
        str | None,
        typer.Option(
            "--org", help="Only this organization's tokens (default: all you administer)."
        ),
    ] = None,
    revoked: Annotated[bool, typer.Option("--revoked", help="Include revoked tokens.")] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Tokens you administer: id, organization, role, description, created, expires, last
    used (never the secret). JSON: [{"id", "organization", "role", "description",
    "created_at", "expires_at", "last_used_at", "revoked_at"}]."""
    with connect(server, token) as mic:
        tokens = mic.list_tokens(org, include_revoked=revoked)
    if as_json:
        print_json([token_to_dict(t) for t in tokens])
        return
    if not tokens:
        output.console.print("no tokens")
        return
    for t in tokens:
        state = f"  [red]revoked {when(t.revoked_at)}[/]" if t.revoked_at else ""
        output.console.print(
            f"{t.id:>5}  {shown(t.organization or '(server-wide)')}  {t.role}  "
            f"created {when(t.created_at)}  expires {when(t.expires_at)}  "
            f"last used {when(t.last_used_at)}{state}  {shown(t.description)}"
        )


@app.command("revoke")
def revoke(
    which: Annotated[
        str, typer.Argument(help="The token's id (see `mic token list`) or the token.")
    ],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a token: every server sharing the database refuses it from its next call."""
    with connect(server, token) as mic:
        if which.isdigit():
            info = mic.revoke_token(token_id=int(which))
        else:
            info = mic.revoke_token(token=which.strip())
    if as_json:
        print_json(token_to_dict(info))
        return
    output.console.print(f"revoked token {info.id} ({shown(info.description)})")
