"""Importing one repository of a job: the steps of ``mic import git``, as functions.

resolve the source → check the ref → make sure the project exists → resume point → plan →
land. Every step is the Git importer's own (``importers.git``); this module only strings
them together without a terminal and turns the repository's own problems into
:class:`RepositoryFailure` with a one-line reason. Errors talking to the server stay
``MicError`` so that the caller can tell the transient ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from micelio.client import MicClient, NotFound, RepositorySpec

#: (commits to import in all, commits imported so far, last commit imported)
ProgressCallback = Callable[[int, int, str], None]
MAX_REASON = 600


class RepositoryFailure(Exception):
    """The repository cannot be imported (missing, corrupt, bad ref, rewritten, ...)."""


@dataclass(frozen=True)
class Imported:
    commits_total: int  # first-parent commits up to the tip
    tip: str
    sessions_landed: int  # by this call
    commits_landed: int  # by this call


def import_repository(
    client: MicClient, spec: RepositorySpec, on_progress: ProgressCallback | None = None
) -> Imported:
    """Import (or resume importing) ``spec`` into its project; idempotent."""
    from importers.git import land, pipeline, source, walk
    from importers.git.gitcmd import GitError

    organization, _, project = spec.project.partition("/")
    try:
        src = source.resolve(spec.source)
        walk.resolve_ref(src.git_dir, spec.ref or None)  # a bad ref fails before any write
    except (source.SourceError, ValueError) as exc:
        raise RepositoryFailure(_reason(exc)) from None
    except GitError as exc:
        raise RepositoryFailure(f"cannot read {spec.source}: {_reason(exc)}") from None
    ensure_project(client, organization, project)
    try:
        resume = land.resume_point(client, organization, project)
        plan = pipeline.make_plan(src, spec.ref or None, spec.strategy, resume_after=resume)
        tags = walk.tags_by_commit(src.git_dir)
    except (land.ImportConflict, pipeline.ImportFailure, ValueError) as exc:
        raise RepositoryFailure(_reason(exc)) from None
    except GitError as exc:
        raise RepositoryFailure(f"cannot read {spec.source}: {_reason(exc)}") from None

    total = plan.skipped_commits + plan.commits
    done = plan.skipped_commits
    if on_progress is not None:
        on_progress(total, done, resume or "")
    # Sessions land in plan order, so the k-th callback is the k-th planned session.
    pending = iter(plan.sessions)

    def on_landed(commits: int, _rate: float) -> None:
        nonlocal done
        done += commits
        session = next(pending)
        if on_progress is not None:
            on_progress(total, done, session.last.oid)

    try:
        summary = land.land_plan(
            client, plan, organization, project, tags=tags, on_landed=on_landed
        )
    except GitError as exc:  # an object that cannot be read while its content streams
        raise RepositoryFailure(f"cannot read {spec.source}: {_reason(exc)}") from None
    return Imported(total, plan.tip, summary.sessions, summary.commits)


def ensure_project(client: MicClient, organization: str, project: str) -> None:
    """Create the organization (when missing: that needs a server-wide admin token) and the
    project (write in the organization is enough)."""
    try:
        client.get_organization(organization)
    except NotFound:
        client.create_organization(organization, exist_ok=True)
    client.create_project(organization, project, exist_ok=True)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 3] + "..."
