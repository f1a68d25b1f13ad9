"""``mic export git``: a project's landed sessions as a Git branch, losing nothing.

* Imported sessions are their original commits, restored byte for byte from the project's
  archives (``importers/git/archive.py``): at an imported session the branch is the source's
  own commit, signatures, encodings and odd idents included.
* Native sessions become one commit each on top, written by ``git fast-import`` from the
  session alone (``export_format``): the session's tree (modes, symlinks, gitlinks exact), the
  landing token as author, the session's dates, the goal and a summary as message with
  ``Mic-Session``/``Mic-Position`` trailers; their full conversations go to ``refs/notes/mic``.
  Deterministic: the same sessions give the same commit ids on any machine.
* Objects first, refs last (as ``git fetch`` does): every ref moves in one ``update-ref``
  transaction that names each ref's old value, so a branch someone else moved is refused, and
  a failed export leaves DEST's refs as they were.
* Incremental: the branch's head names the last exported session (its id, or its trailer), so
  a re-run writes only the sessions landed since.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from importers.git import export_format as fmt
from importers.git.export_repo import (
    TMP_REFS,
    ExportError,
    ExportRefused,
    check_branch,
    check_not_checked_out,
    drop_tmp_refs,
    missing_objects,
    move_refs,
    open_dest,
    ref_value,
    valid_ref,
)
from importers.git.gitcmd import GitError, GitProcess, run_git
from micelio.client import MicClient, MicError, ProjectArchive, Session
from micelio.vocabulary import ChangeType, FileMode, SessionStatus

PROJECT_CONFIG = "mic.project"


__all__ = ["ExportError", "ExportRefused", "ExportResult", "export_git"]


@dataclass(slots=True)
class ExportResult:
    branch: str
    head: str
    sessions: int  # landed sessions of the project
    exported: int  # sessions this run added to the branch
    native_commits: int
    archives_restored: int
    tags: int  # tags created or moved
    notes: str | None
    created: bool  # DEST was created by this run
    up_to_date: bool
    seconds: float = 0.0
    commits: dict[int, str] = field(default_factory=dict)  # position -> commit, this run's

    def to_json(self) -> dict[str, Any]:
        return {
            "branch": self.branch,
            "head": self.head,
            "sessions": self.sessions,
            "exported_sessions": self.exported,
            "native_commits": self.native_commits,
            "archives_restored": self.archives_restored,
            "tags": self.tags,
            "notes": self.notes,
            "created": self.created,
            "up_to_date": self.up_to_date,
            "seconds": round(self.seconds, 3),
        }


def imported_commit(session: Session) -> str | None:
    """The source commit an imported session ends at (its ``git:`` external id)."""
    external = session.external_id or ""
    return external.removeprefix("git:") if external.startswith("git:") else None


# -- which sessions are new ----------------------------------------------------------------


def exported_upto(git_dir: Path, head: str, sessions: Sequence[Session]) -> int | None:
    """How many sessions the branch at ``head`` holds (its last one's index + 1), or None
    when ``head`` is no session's commit: someone else moved the branch."""
    for k in range(len(sessions) - 1, -1, -1):
        if imported_commit(sessions[k]) == head:
            return k + 1
    for k, session in enumerate(sessions):
        if imported_commit(session) is None and made_from(git_dir, head, session):
            return k + 1
    return None


def made_from(git_dir: Path, commit: str, session: Session) -> bool:
    """Whether ``commit`` is the one an export made of the native ``session``: its trailers,
    and its author and committer lines (an amended commit keeps the trailers, not those)."""
    try:
        header, message = run_git(git_dir, ["cat-file", "commit", commit]).split(b"\n\n", 1)
    except (GitError, ValueError):
        return False
    found = fmt.trailers(message)
    lines = set(header.split(b"\n"))
    return (
        found.get(fmt.SESSION_TRAILER) == session.session_id
        and found.get(fmt.POSITION_TRAILER) == str(session.landing_position)
        and b"author " + fmt.ident(session.landed_by, session.started_at) in lines
        and b"committer " + fmt.ident(session.landed_by, session.landed_at) in lines
    )


# -- archives ------------------------------------------------------------------------------


def restore_archives(
    client: MicClient, organization: str, project: str, git_dir: Path
) -> tuple[list[ProjectArchive], dict[int, dict[bytes, str]]]:
    """Unbundle every archive whose objects DEST lacks, oldest first; returns the archives
    and, for each one restored, the refs its bundle names (exact bytes)."""
    archives = client.list_archives(organization, project)
    heads: dict[int, dict[bytes, str]] = {}
    for archive in archives:
        tips = [o for o in (archive.refs.get("refs") or {}).values() if isinstance(o, str)]
        complete = not archive.refs.get("tags_omitted")
        if complete and tips and not missing_objects(git_dir, tips):
            continue
        fd, name = tempfile.mkstemp(prefix="mic-archive-", suffix=".bundle", dir=git_dir)
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                try:
                    for chunk in client.read_archive(organization, project, archive.seq):
                        out.write(chunk)
                except MicError as exc:
                    raise ExportError(
                        f"archive {archive.seq} of {organization}/{project} cannot be read: {exc}"
                    ) from None
            try:
                run_git(git_dir, ["bundle", "unbundle", str(path)])
                listed = run_git(git_dir, ["bundle", "list-heads", str(path)])
            except GitError as exc:
                raise ExportError(
                    f"archive {archive.seq} of {organization}/{project} does not restore: "
                    f"{exc.stderr.decode('utf-8', 'replace').strip()}"
                ) from None
        finally:
            path.unlink(missing_ok=True)
        heads[archive.seq] = {
            refname: oid.decode()
            for oid, refname in (line.split(b" ", 1) for line in listed.splitlines() if line)
        }
    return archives, heads


def archived_tags(
    archives: Sequence[ProjectArchive], heads: dict[int, dict[bytes, str]]
) -> dict[bytes, str]:
    """Every tag the archives hold (a later archive's value wins): from the bundle itself when
    this run restored it, else from what the archive recorded."""
    tags: dict[bytes, str] = {}
    for archive in archives:
        refs = heads.get(archive.seq)
        if refs is None:
            raw_names = archive.refs.get("raw_names") or {}
            refs = {}
            for name, oid in (archive.refs.get("refs") or {}).items():
                if isinstance(name, str) and isinstance(oid, str):
                    raw = raw_names.get(name)
                    refs[base64.b64decode(raw) if isinstance(raw, str) else name.encode()] = oid
        tags.update({n: o for n, o in refs.items() if n.startswith(b"refs/tags/")})
    return tags


def session_tags(sessions: Sequence[Session]) -> dict[bytes, str]:
    """The tags recorded on sessions' metadata (import's ``tags``)."""
    tags: dict[bytes, str] = {}
    for session in sessions:
        for tag in session.metadata.get("tags") or []:
            if not isinstance(tag, dict) or not isinstance(tag.get("name"), str):
                continue
            target = tag.get("object") if tag.get("annotated") else tag.get("commit")
            if isinstance(target, str) and target:
                tags[b"refs/tags/" + tag["name"].encode()] = target
    return tags


# -- native sessions -----------------------------------------------------------------------


class FastImport:
    """One ``git fast-import`` writing native sessions' commits and their notes."""

    def __init__(self, git_dir: Path, marks: Path, ref: str) -> None:
        self._marks = marks
        self._ref = ref
        self._proc = GitProcess(
            git_dir,
            ["fast-import", "--quiet", "--done", f"--export-marks={marks}"],
            stdin=subprocess.PIPE,
        )
        assert self._proc.stdin is not None
        self._out = self._proc.stdin
        self._mark = 0

    def write(self, data: bytes) -> None:
        self._out.write(data)

    def commit(
        self,
        session: Session,
        parent: str | None,
        changes: Iterator[tuple[ChangeType, int, bytes, int, Iterator[bytes]]],
    ) -> str:
        """Write the session's commit; returns its mark (``:N``)."""
        self._mark += 1
        mark = f":{self._mark}"
        w = self.write
        w(f"commit {self._ref}\nmark {mark}\n".encode())
        w(b"author " + fmt.ident(session.landed_by, session.started_at) + b"\n")
        w(b"committer " + fmt.ident(session.landed_by, session.landed_at) + b"\n")
        w(fmt.data(fmt.commit_message(session)))
        if parent is not None:
            w(f"from {parent}\n".encode())
        for kind, mode, path, size, content in changes:
            quoted = fmt.quote_path(path)
            if kind == ChangeType.DELETED:
                w(b"D " + quoted + b"\n")
                continue
            if mode == FileMode.GITLINK:
                oid = b"".join(content).decode("ascii").strip()
                w(b"M 160000 %s %s\n" % (oid.encode(), quoted))
                continue
            w(b"M %o inline %s\ndata %d\n" % (mode, quoted, size))
            written = 0
            for chunk in content:
                written += len(chunk)
                w(chunk)
            if written != size:
                raise ExportError(
                    f"session {session.session_id}: {path!r} has {written} bytes, "
                    f"its change says {size}"
                )
            w(b"\n")
        w(b"\n")
        return mark

    def blob(self, payload: bytes) -> str:
        """Write a blob now (a note: memory holds one at a time); returns its mark."""
        self._mark += 1
        self.write(f"blob\nmark :{self._mark}\n".encode() + fmt.data(payload))
        return f":{self._mark}"

    def notes(self, ref: str, parent: str | None, notes: list[tuple[str, str]], at: int) -> str:
        """One commit of ``refs/notes/mic`` adding each (commit, note blob) pair."""
        self._mark += 1
        mark = f":{self._mark}"
        message = f"mic: notes of {len(notes)} sessions\n".encode()
        self.write(f"commit {ref}\nmark {mark}\n".encode())
        self.write(b"committer mic <mic@mic> %d +0000\n" % at)
        self.write(fmt.data(message))
        if parent is not None:
            self.write(f"from {parent}\n".encode())
        for commit, blob in notes:
            self.write(f"N {blob} {commit}\n".encode())
        self.write(b"\n")
        return mark

    def finish(self) -> dict[str, str]:
        """End the stream; the commit id of every mark."""
        self.write(b"done\n")
        self._proc.finish()
        marks: dict[str, str] = {}
        for line in self._marks.read_text().splitlines():
            mark, oid = line.split()
            marks[mark] = oid
        return marks

    def kill(self) -> None:
        self._proc.kill()


def _changes(
    client: MicClient, session: Session
) -> Iterator[tuple[ChangeType, int, bytes, int, Iterator[bytes]]]:
    """The session's changes, deletions first (a file may replace a folder it deletes)."""
    changes = list(client.iter_changes(session.session_id, page_size=5000))
    changes.sort(key=lambda c: c.change_type != ChangeType.DELETED)
    for c in changes:
        path = c.path or c.file_path.encode()
        content: Iterator[bytes] = iter(())
        if c.change_type != ChangeType.DELETED:
            content = client.read_change(session.session_id, path)
        yield ChangeType(c.change_type), int(c.mode), path, c.size, content


# -- the export ----------------------------------------------------------------------------

ProgressCallback = Callable[[int, int], None]  # (sessions done, sessions to do)


def export_git(
    client: MicClient,
    organization: str,
    project: str,
    dest: Path,
    *,
    branch: str = "main",
    force: bool = False,
    on_progress: ProgressCallback | None = None,
) -> ExportResult:
    """Export the project's landed sessions to ``dest``'s ``branch`` (see the module doc)."""
    start_time = time.perf_counter()
    ref = check_branch(branch)
    if dest.exists() and not dest.is_dir():
        raise ExportError(f"not a git repository: {dest} (name a repository or a new path)")
    client.get_project(organization, project)  # NOT_FOUND before anything is written
    listed = list(
        client.iter_sessions(
            organization, project, status=SessionStatus.LANDED, oldest_first=True, page_size=1000
        )
    )
    if not listed:
        raise ExportError(f"{organization}/{project} has no landed sessions: nothing to export")
    git_dir, created = open_dest(dest, branch)
    if not created:
        check_not_checked_out(git_dir, ref)
    try:
        result = _export(client, organization, project, git_dir, ref, listed, force, on_progress)
    except BaseException:
        if created:
            shutil.rmtree(dest, ignore_errors=True)
        raise
    result.created = created
    result.seconds = time.perf_counter() - start_time
    return result


def _export(
    client: MicClient,
    organization: str,
    project: str,
    git_dir: Path,
    ref: str,
    sessions: list[Session],
    force: bool,
    on_progress: ProgressCallback | None,
) -> ExportResult:
    old = ref_value(git_dir, ref)
    done = 0
    if old is not None:
        upto = exported_upto(git_dir, old, sessions)
        if upto is None and not force:
            raise ExportRefused(
                f"{ref} of {git_dir} is at {old[:12]}, which is no commit this export made of "
                f"{organization}/{project}: someone else moved it; --force overwrites it"
            )
        done = upto or 0
    archives, heads = restore_archives(client, organization, project, git_dir)
    todo = sessions[done:]
    wanted = [(s, c) for s in todo if (c := imported_commit(s)) is not None]
    missing = set(missing_objects(git_dir, [c for _, c in wanted]))
    for session, commit in wanted:
        if commit in missing:
            raise ExportError(
                f"archive object missing: commit {commit} of session {session.session_id} "
                f"(position {session.landing_position}) is in none of the project's archives"
            )
    # The archives name tags exactly (bytes); sessions' metadata only as display text, so
    # it adds only the tags no archive holds (a project imported before archives existed).
    tags = archived_tags(archives, heads)
    archived = {name.decode("utf-8", "backslashreplace") for name in tags}
    for name, oid in session_tags(sessions).items():
        if name.decode() not in archived and valid_ref(name):
            tags[name] = oid
    lost = set(missing_objects(git_dir, sorted(set(tags.values()))))
    for name, oid in sorted(tags.items()):
        if oid in lost:
            shown = name.decode("utf-8", "backslashreplace")
            raise ExportError(f"archive object missing: {oid} of tag {shown}")
    parent = old if done else None
    commits: dict[int, str] = {}
    native = [s for s in todo if imported_commit(s) is None]
    notes_old = ref_value(git_dir, fmt.NOTES_REF)
    notes_new = notes_old
    head = parent
    token = secrets.token_hex(8)
    if native:
        head, notes_new = _write(
            client, git_dir, todo, head, notes_old, commits, token, on_progress
        )
    else:
        for k, session in enumerate(todo, 1):
            head = imported_commit(session)
            commits[session.landing_position or 0] = head or ""
            if on_progress is not None:
                on_progress(k, len(todo))
    assert head is not None
    moved = move_refs(git_dir, ref, head, old, notes_new, notes_old, tags, force, token)
    run_git(git_dir, ["config", PROJECT_CONFIG, f"{organization}/{project}"])
    return ExportResult(
        branch=ref.removeprefix("refs/heads/"),
        head=head,
        sessions=len(sessions),
        exported=len(todo),
        native_commits=len(native),
        archives_restored=len(heads),
        tags=moved,
        notes=notes_new,
        created=False,
        up_to_date=not todo,
        commits=commits,
    )


def _write(
    client: MicClient,
    git_dir: Path,
    todo: Sequence[Session],
    head: str | None,
    notes_old: str | None,
    commits: dict[int, str],
    token: str,
    on_progress: ProgressCallback | None,
) -> tuple[str | None, str]:
    """Write the native sessions of ``todo`` (and their notes) with one fast-import, on top of
    ``head``; imported sessions in between only move the parent. Fills ``commits`` and
    returns the new head and notes commit."""
    native = [s for s in todo if imported_commit(s) is None]
    with tempfile.TemporaryDirectory(prefix="mic-export-") as tmp:
        writer = FastImport(git_dir, Path(tmp) / "marks", f"{TMP_REFS}/{token}/branch")
        try:
            marks_of: dict[int, str] = {}
            notes: list[tuple[str, str]] = []
            for k, session in enumerate(todo, 1):
                source_commit = imported_commit(session)
                if source_commit is None:
                    full = client.get_session(session.session_id)
                    mark = writer.commit(full, head, _changes(client, full))
                    marks_of[session.landing_position or 0] = mark
                    notes.append((mark, writer.blob(fmt.note_text(full))))
                    head = mark
                else:
                    head = source_commit
                    commits[session.landing_position or 0] = source_commit
                if on_progress is not None:
                    on_progress(k, len(todo))
            notes_mark = writer.notes(
                f"{TMP_REFS}/{token}/notes", notes_old, notes, fmt.epoch(native[-1].landed_at)
            )
            marks = writer.finish()
        except BaseException:
            writer.kill()
            drop_tmp_refs(git_dir, token)
            raise
    for position, mark in marks_of.items():
        commits[position] = marks[mark]
    return (marks.get(head, head) if head else head), marks[notes_mark]
