"""`mic org create|list` and `mic project create|list`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from micelio.cli import output
from micelio.cli.output import (
    JsonOpt,
    ServerOpt,
    TokenOpt,
    connect,
    print_json,
    shown,
    split_ref,
    when,
)

if TYPE_CHECKING:
    from micelio.client import Organization, Project

org_app = typer.Typer(help="Organizations: the owners of projects.", no_args_is_help=True)
project_app = typer.Typer(
    help="Projects: linear histories of landed sessions.", no_args_is_help=True
)


def _org(o: Organization) -> dict[str, Any]:
    from micelio.client import iso

    return {"handle": o.handle, "created_at": iso(o.created_at)}


def _project(p: Project) -> dict[str, Any]:
    from micelio.client import iso

    return {
        "organization": p.organization,
        "handle": p.handle,
        "name": p.name,
        "head_position": p.head_position,
        "created_at": iso(p.created_at),
    }


@org_app.command("create")
def org_create(
    org: Annotated[str, typer.Argument(help="Handle of the new organization.")],
    exist_ok: Annotated[bool, typer.Option("--exist-ok", help="Succeed if it exists.")] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an organization."""
    with connect(server, token) as mic:
        created = mic.create_organization(org, exist_ok=exist_ok)
    if as_json:
        print_json(_org(created))
    else:
        output.console.print(f"created organization {shown(created.handle)}")


@org_app.command("list")
def org_list(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """List the organizations the token can see."""
    with connect(server, token) as mic:
        orgs = mic.list_organizations()
    if as_json:
        print_json([_org(o) for o in orgs])
        return
    if not orgs:
        output.console.print("no organizations")
        return
    from rich.table import Table

    table = Table("organization", "created")
    for o in orgs:
        table.add_row(shown(o.handle), when(o.created_at))
    output.console.print(table)


@project_app.command("create")
def project_create(
    ref: Annotated[str, typer.Argument(metavar="ORG/PROJECT", help="The new project.")],
    name: Annotated[str, typer.Option("--name", help="A display name.")] = "",
    exist_ok: Annotated[bool, typer.Option("--exist-ok", help="Succeed if it exists.")] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a project in an organization."""
    org, handle = split_ref(ref)
    with connect(server, token) as mic:
        created = mic.create_project(org, handle, name=name, exist_ok=exist_ok)
    if as_json:
        print_json(_project(created))
    else:
        output.console.print(
            f"created project {shown(created.organization)}/{shown(created.handle)}"
        )


@project_app.command("list")
def project_list(
    org: Annotated[str, typer.Argument(help="The organization.")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the projects of an organization."""
    with connect(server, token) as mic:
        projects = mic.list_projects(org)
    if as_json:
        print_json([_project(p) for p in projects])
        return
    if not projects:
        output.console.print(f"no projects in {shown(org)}")
        return
    from rich.table import Table

    table = Table("project", "name", "head", "created")
    for p in projects:
        table.add_row(
            shown(f"{p.organization}/{p.handle}"),
            shown(p.name),
            str(p.head_position),
            when(p.created_at),
        )
    output.console.print(table)
