"""`mic import git` and `mic verify`."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from micelio import config
from micelio.cli import output
from micelio.cli.embedded import local_server
from micelio.cli.errors import GENERIC, NOT_FOUND, STATE, USAGE, CliError
from micelio.cli.output import JsonOpt, ServerOpt, TokenOpt

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from importers.git.source import Source
    from micelio.client import MicClient

app = typer.Typer(help="Import history from other version control systems.", no_args_is_help=True)


@functools.cache
def _stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True)


@contextlib.contextmanager
def connect(server: str | None, token: str | None) -> Iterator[MicClient]:
    """The configured (or running local) server, else an embedded one for this command."""
    from micelio.client import discovery

    data_dir = config.default_data_dir()
    if server or os.environ.get("MIC_SERVER") or discovery.local_server(data_dir):
        with output.connect(server, token) as client:
            yield client
        return
    with local_server(data_dir) as address, output.connect(address, token) as client:
        yield client


def _commit_progress() -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("commits"),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]:>8} commits/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=_stderr(),
        transient=False,
    )


@app.command("git")
def import_git(
    repo: Annotated[str, typer.Argument(help="A local repository (bare or not) or a URL.")],
    project: Annotated[
        str | None,
        typer.Option("--project", help="Target ORG/PROJECT (default: local/<repo name>)."),
    ] = None,
    ref: Annotated[str | None, typer.Option("--ref", help="Ref to import (default: HEAD).")] = None,
    strategy: Annotated[
        str, typer.Option("--strategy", help="Grouping: auto, commit, merge or cluster.")
    ] = "auto",
    plan_only: Annotated[
        bool, typer.Option("--plan", help="Walk and group; land nothing.")
    ] = False,
    as_json: JsonOpt = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Turn a Git repository's first-parent history into landed sessions."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from importers.git import export_verify, land, pipeline, walk
    from importers.grouping import STRATEGIES

    if strategy not in STRATEGIES:
        raise CliError(
            f"unknown strategy {strategy!r}: choose one of {', '.join(STRATEGIES)}", USAGE
        )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=_stderr(),
        transient=True,
    ) as fetch_progress:
        task = fetch_progress.add_task("fetching", total=None)

        def on_fetch(phase: str, done: int, total: int) -> None:
            fetch_progress.update(task, description=phase, completed=done, total=total)

        src = _resolve_source(repo, on_fetch)
    _check_ref(src.git_dir, ref)
    if project is None:
        name = Path(src.location.rstrip("/")).name.removesuffix(".git") or "repository"
        project = f"local/{name}"
    org, proj = output.split_ref(project)

    if plan_only:
        plan = pipeline.make_plan(src, ref, strategy)
        if as_json:
            # dumps, not dump: only the one-shot encoder is C (a plan of git.git is ~4 MB).
            sys.stdout.write(json.dumps(plan.to_json(), ensure_ascii=False))
            sys.stdout.write("\n")
        else:
            for k, s in enumerate(plan.sessions, 1):
                typer.echo(
                    f"{k:>6}  {len(s.commits):>4} commits  {s.planned.signal:<10} {s.planned.goal}"
                )
            typer.echo(f"{len(plan.sessions)} sessions from {plan.commits} commits")
        return

    with connect(server, token) as client:
        client.create_organization(org, exist_ok=True)
        client.create_project(org, proj, exist_ok=True)
        # An exported project's native sessions are recognised by their commits' trailers.
        tip = walk.resolve_ref(src.git_dir, ref).oid
        resume = export_verify.resume_after_export(client, org, proj, src.git_dir, tip)
        try:
            plan = pipeline.make_plan(src, ref, strategy, resume_after=resume)
        except pipeline.ImportFailure as exc:
            raise CliError(str(exc), STATE) from None
        tags = walk.tags_by_commit(src.git_dir)
        with _commit_progress() as progress:
            task = progress.add_task(f"importing {org}/{proj}", total=plan.commits, rate="-")

            def on_landed(done_commits: int, rate: float) -> None:
                progress.update(task, advance=done_commits, rate=f"{rate:,.0f}")

            summary = land.land_plan(client, plan, org, proj, tags=tags, on_landed=on_landed)
    if as_json:
        json.dump(
            {
                "organization": org,
                "project": proj,
                "ref": plan.ref,
                "tip": plan.tip,
                **summary.to_json(),
            },
            sys.stdout,
        )
        sys.stdout.write("\n")
        return
    _stderr().print(
        f"[bold green]imported[/] {summary.commits} commits into {summary.sessions} sessions "
        f"of {org}/{proj}: {summary.changes} changes, {_size(summary.bytes_inline)} inline, "
        f"{_size(summary.bytes_stored)} in object storage, {summary.seconds:.1f} s"
        + (
            f" ({summary.already_imported} commits were already imported)"
            if summary.already_imported
            else ""
        )
    )


def verify(
    project: Annotated[
        str | None, typer.Argument(help="ORG/PROJECT (with --export: default, DEST's own).")
    ] = None,
    repo: Annotated[str | None, typer.Argument(help="The repository it was imported from.")] = None,
    ref: Annotated[str | None, typer.Option("--ref", help="Ref that was imported.")] = None,
    deep: Annotated[
        bool, typer.Option("--deep", help="Also read back every stored content.")
    ] = False,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export",
            help="Check a `mic export git` repository instead: every session's tree equals "
            "its exported commit's.",
        ),
    ] = None,
    branch: Annotated[
        str, typer.Option("--branch", help="With --export: the exported branch.")
    ] = "main",
    as_json: JsonOpt = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Check that every imported session's tree equals its Git tree."""
    if export is not None:
        from micelio.cli import export_cmd

        if repo is not None:
            raise CliError("--export DEST takes no REPO", USAGE)
        export_cmd.verify_export(project, export, branch, as_json, server, token)
        return
    if project is None or repo is None:
        raise CliError("expected ORG/PROJECT REPO, or --export DEST", USAGE)
    from importers.git import land
    from importers.git.verify import verify as run_verify

    org, proj = output.split_ref(project)
    src = _resolve_source(repo)
    _check_ref(src.git_dir, ref)
    with connect(server, token) as client:
        report = run_verify(land.VerifyClient(client, org, proj), src.git_dir, ref, deep=deep)
    if as_json:
        json.dump(report.to_json(), sys.stdout)
        sys.stdout.write("\n")
    elif report.ok:
        typer.echo(f"ok: {report.sessions} sessions, {report.checked_paths} changes match git")
    if not report.matches:
        raise CliError(f"verify failed: {report.difference}", GENERIC, answered=as_json)
    if report.commits_behind:
        raise CliError(
            f"behind: {report.sessions} sessions match git, but {report.commits_behind} newer "
            f"commits of {ref or 'HEAD'} are not imported yet",
            STATE,
            answered=as_json,
        )


def _resolve_source(
    repo: str, on_progress: Callable[[str, int, int], None] | None = None
) -> Source:
    from importers.git import source

    try:
        return source.resolve(repo, on_progress)
    except source.ShallowRepository as exc:
        raise CliError(str(exc), STATE) from None
    except source.SourceError as exc:
        raise CliError(str(exc), NOT_FOUND) from None


def _check_ref(git_dir: Path, ref: str | None) -> None:
    """Fail on a bad ref before anything is created on the server."""
    from importers.git import walk
    from importers.git.gitcmd import GitError

    try:
        walk.resolve_ref(git_dir, ref)
    except ValueError as exc:
        raise CliError(str(exc), NOT_FOUND) from None
    except GitError as exc:
        raise CliError(f"cannot read {git_dir}: {exc}", GENERIC) from None


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
