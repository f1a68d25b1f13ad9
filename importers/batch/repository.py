"""Importing one repository of a job: the steps of ``mic import git``, as functions.

check the source against the policy the server gave with the lease → resolve the source →
check the ref → make sure the project exists → resume point → plan → land. Every step is the
Git importer's own (``importers.git``); this module only strings them together without a
terminal and turns the repository's own problems into
:class:`RepositoryFailure` with a one-line reason. Errors talking to the server stay
``MicError`` so that the caller can tell the transient ones.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from micelio.client import MicClient, NotFound, RepositorySpec
from micelio.sources import SourceDenied, SourcePolicy, is_url

#: (commits to import in all, commits imported so far, last commit imported)
ProgressCallback = Callable[[int, int, str], None]
MAX_REASON = 600
#: git follows alternates this deep (its own limit); we check as deep.
MAX_ALTERNATE_DEPTH = 5


class RepositoryFailure(Exception):
    """The repository cannot be imported (missing, corrupt, bad ref, rewritten, ...)."""


@dataclass(frozen=True)
class Imported:
    commits_total: int  # first-parent commits up to the tip
    tip: str
    sessions_landed: int  # by this call
    commits_landed: int  # by this call


def import_repository(
    client: MicClient,
    spec: RepositorySpec,
    on_progress: ProgressCallback | None = None,
    *,
    policy: SourcePolicy,
) -> Imported:
    """Import (or resume importing) ``spec`` into its project; idempotent.

    ``policy`` (from the server, with the lease) decides what may be read, on this host: a
    source it does not allow fails the repository before git touches it.
    """
    from importers.git import land, pipeline, source, walk
    from importers.git.gitcmd import GitError

    organization, _, project = spec.project.partition("/")
    try:
        location = policy.check(spec.source)  # a path: its real path, read from now on
    except SourceDenied as exc:
        raise RepositoryFailure(f"not allowed: {_reason(exc)}") from None
    try:
        src = source.resolve(
            location,
            follow_redirects=policy.unrestricted,
            as_url=None if policy.unrestricted else is_url(location),
        )
        if not policy.unrestricted and not src.is_url:
            check_git_dir(policy, src.git_dir)
        walk.resolve_ref(src.git_dir, spec.ref or None)  # a bad ref fails before any write
    except SourceDenied as exc:
        raise RepositoryFailure(f"not allowed: {_reason(exc)}") from None
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


def check_git_dir(policy: SourcePolicy, git_dir: Path) -> None:
    """Where git really reads must be allowed too: the git directory (a ``.git`` file may
    point elsewhere), its common directory (a linked worktree's) and every alternate object
    directory, which would otherwise let a repository under a root read another's objects."""
    policy.check_path(str(git_dir), what="its git directory")
    common = git_dir / "commondir"
    if common.is_file():
        target = (git_dir / common.read_text(errors="replace").strip()).resolve()
        policy.check_path(str(target), what="its common git directory")
    if (git_dir / "objects" / "info" / "http-alternates").exists():
        raise SourceDenied(f"{git_dir} has http-alternates (objects read from elsewhere)")
    _check_alternates(policy, git_dir / "objects", MAX_ALTERNATE_DEPTH)


def _check_alternates(policy: SourcePolicy, objects: Path, depth: int) -> None:
    listing = objects / "info" / "alternates"
    if not listing.is_file():
        return
    for raw in listing.read_bytes().splitlines():
        line = raw.strip()
        if not line or line.startswith(b"#"):
            continue
        if line.startswith(b'"') or depth == 0:
            # Quoted (C-style escaped) entries, or deeper than git goes: refuse what we do
            # not read exactly as git would.
            raise SourceDenied(f"{objects}: alternates entry {line!r} cannot be checked")
        target = Path(os.path.realpath(objects / os.fsdecode(line)))
        policy.check_path(str(target), what=f"the alternate object directory of {objects}")
        _check_alternates(policy, target, depth - 1)


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
