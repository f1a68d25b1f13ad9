"""The round trip of an export: checking it (``mic verify --export``) and importing it again.

Both find a session's commit on the exported branch the same way: an imported session by its
source commit (its ``git:`` external id), a native one by its ``Mic-Session`` trailer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from importers.git import export_format as fmt
from importers.git import walk
from importers.git.export import PROJECT_CONFIG, ExportError, imported_commit, made_from
from importers.git.gitcmd import GitError, run_git
from importers.git.land import ImportConflict, VerifyClient, resume_point
from importers.git.source import git_dir_of
from importers.git.verify import ImportedSession, VerifyReport, verify
from micelio.client import MicClient, Session
from micelio.vocabulary import SessionStatus


def locate(dest: Path, project: str | None) -> tuple[Path, str, str]:
    """DEST's git directory and the project it was exported from (``mic.project``)."""
    git_dir = git_dir_of(dest) if dest.is_dir() else None
    if git_dir is None:
        raise ExportError(f"not a git repository: {dest}")
    if project is None:
        try:
            project = run_git(git_dir, ["config", PROJECT_CONFIG]).decode().strip()
        except GitError:
            raise ExportError(
                f"not an export of mic: {dest} names no project (mic.project); give ORG/PROJECT"
            ) from None
    org, _, proj = project.partition("/")
    if not org or not proj:
        raise ExportError(f"expected ORG/PROJECT, got {project!r}")
    return git_dir, org, proj


def session_trailers(git_dir: Path, tip: str) -> Iterator[tuple[str, str | None]]:
    """Each first-parent commit of ``tip``, newest first, with its ``Mic-Session`` trailer."""
    out = run_git(
        git_dir,
        [
            "log",
            "--first-parent",
            "--no-mailmap",
            f"--format=%H%x00%(trailers:key={fmt.SESSION_TRAILER},valueonly,separator=%x2C)%x00",
            tip,
            "--",
        ],
    )
    fields = out.split(b"\0")
    for commit, value in zip(fields[0::2], fields[1::2], strict=False):
        session = value.decode("utf-8", "replace").strip().split(",")[-1].strip()
        yield commit.decode().strip(), session or None


class ExportedSessions(VerifyClient):
    """mic's side of ``verify`` with each session keyed by its exported commit."""

    def __init__(
        self, client: MicClient, organization: str, project: str, keys: dict[str, str]
    ) -> None:
        super().__init__(client, organization, project)
        self._keys = keys
        self.unexported: ImportedSession | None = None

    def landed_sessions(self) -> Iterator[ImportedSession]:
        for session in super().landed_sessions():
            commit = self._keys.get(session.session_id)
            if commit is None:
                self.unexported = session
                return
            yield ImportedSession(session.session_id, session.landing_position, f"git:{commit}")


def verify_export(
    client: MicClient, organization: str, project: str, git_dir: Path, branch: str
) -> VerifyReport:
    """Every session's tree equals its exported commit's tree (``importers/git/verify.py``
    over DEST, with sessions keyed by their exported commits)."""
    ref = f"refs/heads/{branch}"
    try:
        tip = walk.resolve_ref(git_dir, ref).oid
    except ValueError:
        return VerifyReport(difference=f"{git_dir} has no branch {branch}")
    keys: dict[str, str] = {}
    trailer_of = dict(session_trailers(git_dir, tip))
    by_session = {s: c for c, s in trailer_of.items() if s is not None}
    sessions: list[Session] = list(
        client.iter_sessions(
            organization, project, status=SessionStatus.LANDED, oldest_first=True, page_size=1000
        )
    )
    for session in sessions:
        commit = imported_commit(session)
        if commit is None:
            commit = by_session.get(session.session_id)
        elif commit not in trailer_of:
            commit = None
        if commit is not None:
            keys[session.session_id] = commit
    source = ExportedSessions(client, organization, project, keys)
    report = verify(source, git_dir, ref)
    if source.unexported is not None and report.matches:
        missing = source.unexported
        report.difference = (
            f"position {missing.landing_position} (session {missing.session_id}) has no "
            f"commit on {branch}: export again"
        )
    return report


def resume_after_export(
    client: MicClient, organization: str, project: str, git_dir: Path, tip: str
) -> str | None:
    """Where an import of ``tip``'s history resumes: after the last imported commit, or, when
    the project's last session is native, after the commit an export made of it (found by
    its trailer on the first-parent history), so that nothing lands twice."""
    latest = client.find_session(organization, project, latest=True)
    if latest is None or imported_commit(latest) is not None:
        return resume_point(client, organization, project)
    for commit, session in session_trailers(git_dir, tip):
        if session == latest.session_id and made_from(git_dir, commit, latest):
            return commit
    raise ImportConflict(
        f"{organization}/{project} already has sessions that were not imported from git "
        f"(position {latest.landing_position}), and no commit of this history was exported "
        "from them; import into a new project, or export it first (mic export git)"
    )
