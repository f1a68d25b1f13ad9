"""`mic export git`: a project's sessions as a Git branch (importers/git/export.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from micelio.cli import output
from micelio.cli.errors import GENERIC, STATE, USAGE, CliError
from micelio.cli.import_cmd import connect
from micelio.cli.output import JsonOpt, ServerOpt, TokenOpt

app = typer.Typer(help="Export history to other version control systems.", no_args_is_help=True)

BranchOpt = Annotated[
    str, typer.Option("--branch", help="The branch of DEST to write (default: main).")
]


@app.command("git")
def export_git(
    project: Annotated[str, typer.Argument(help="ORG/PROJECT")],
    dest: Annotated[Path, typer.Argument(help="A Git repository (bare; created if missing).")],
    branch: BranchOpt = "main",
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite a branch or tag someone else moved.")
    ] = False,
    as_json: JsonOpt = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Write the project's landed sessions as commits of DEST's branch, incrementally."""
    from importers.git import export

    org, proj = output.split_ref(project)
    with connect(server, token) as client:
        try:
            result = export.export_git(client, org, proj, dest, branch=branch, force=force)
        except export.ExportRefused as exc:
            raise CliError(str(exc), STATE) from None
        except export.ExportError as exc:
            code = USAGE if str(exc).startswith("not a") else GENERIC
            raise CliError(str(exc), code) from None
    if as_json:
        json.dump({"organization": org, "project": proj, **result.to_json()}, sys.stdout)
        sys.stdout.write("\n")
        return
    if result.up_to_date:
        typer.echo(f"up to date: {result.branch} at {result.head[:12]}")
        return
    typer.echo(
        f"exported {result.exported} sessions of {org}/{proj} to {dest} ({result.branch} at "
        f"{result.head[:12]}): {result.native_commits} native commits, "
        f"{result.archives_restored} archives restored, {result.tags} tags, "
        f"{result.seconds:.1f} s"
    )


def verify_export(
    project: str | None,
    dest: Path,
    branch: str,
    as_json: bool,
    server: str | None,
    token: str | None,
) -> None:
    """`mic verify --export DEST`: every session's tree equals its exported commit's tree."""
    from importers.git import export_verify
    from importers.git.export import ExportError

    try:
        git_dir, org, proj = export_verify.locate(dest, project)
    except ExportError as exc:
        raise CliError(str(exc), USAGE) from None
    with connect(server, token) as client:
        report = export_verify.verify_export(client, org, proj, git_dir, branch)
    if as_json:
        json.dump(report.to_json(), sys.stdout)
        sys.stdout.write("\n")
    elif report.ok:
        typer.echo(
            f"ok: {report.sessions} sessions of {org}/{proj} match their exported commits "
            f"({report.checked_paths} changes)"
        )
    if not report.matches:
        raise CliError(f"verify failed: {report.difference}", GENERIC, answered=as_json)
    if report.commits_behind:
        raise CliError(
            f"behind: {branch} of {dest} has {report.commits_behind} commits after the last "
            "session (made in Git; `mic import git` them)",
            STATE,
            answered=as_json,
        )
