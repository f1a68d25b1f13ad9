"""Landing a plan through the mic server, and reading an import back for ``verify``.

The importer never writes to the database: every session goes through the server's
``LandSessions`` stream in its atomic create-and-land form, keyed by its last commit
(``external_id``), so that a session landed by a run that died before hearing the answer is
recognised, not landed twice.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from importers.git.archive import archive_plan
from importers.git.blobs import BlobReader
from importers.git.gitcmd import empty_tree
from importers.git.mapping import PlannedChange, net_changes
from importers.git.pipeline import ImportPlan, ImportSummary, PlannedImportSession, drafts
from importers.git.renames import RenameFinder
from importers.git.sessions import SessionDraft
from importers.git.verify import ImportedSession, StoredChange
from importers.history import Commit, Tag
from micelio.client import (
    AlreadyExists,
    Change,
    Decision,
    Landing,
    Message,
    MicClient,
    MicError,
    NewSession,
)
from micelio.vocabulary import ChangeType, FileMode, SessionStatus

#: Contents asked of git ahead of their sending (one round trip each otherwise).
PREFETCH = 128

LandedCallback = Callable[[int, float], None]  # (commits just landed, commits per second)


class ImportConflict(MicError):
    """The project's history is not (only) this import's: refuse rather than guess."""


def resume_point(client: MicClient, organization: str, project: str) -> str | None:
    """The last commit an earlier import landed in the project, None for an empty project."""
    latest = client.find_session(organization, project, latest=True)
    if latest is None:
        return None
    external = latest.external_id or ""
    if not external.startswith("git:"):
        raise ImportConflict(
            f"{organization}/{project} already has sessions that were not imported from git "
            f"(position {latest.landing_position}); import into a new project"
        )
    return external.removeprefix("git:")


@dataclass(slots=True)
class Clock:
    """Seconds the landing spent reading contents from git and finding renames, for the
    import's summary (what is left of the landing's time is making and sending requests)."""

    content_s: float = 0.0
    renames_s: float = 0.0


def _timed(chunks: Iterable[bytes], clock: Clock) -> Iterator[bytes]:
    iterator = iter(chunks)
    while True:
        started = time.perf_counter()
        chunk = next(iterator, None)
        clock.content_s += time.perf_counter() - started
        if chunk is None:
            return
        yield chunk


def to_change(change: PlannedChange, blobs: BlobReader, clock: Clock | None = None) -> Change:
    """A planned change as the client sends it; blob contents stream from git when sent."""
    metadata: dict[str, Any] = {"kind": change.kind, "git_oid": change.oid or change.old_oid}
    if change.old_mode and change.mode and change.old_mode != change.mode:
        metadata["old_mode"] = change.old_mode
    if change.renamed_from is not None:
        metadata["renamed_from"] = change.renamed_from.decode("utf-8", "backslashreplace")
    if change.renamed_to is not None:
        metadata["renamed_to"] = change.renamed_to.decode("utf-8", "backslashreplace")
    if change.similarity is not None:
        metadata["similarity"] = change.similarity
    if change.change_type == ChangeType.DELETED:
        return Change(change.path, ChangeType.DELETED, metadata=metadata)
    if change.mode == FileMode.GITLINK:
        content = change.oid.encode("ascii")
        return Change(
            change.path,
            change.change_type,
            content,
            mode=change.mode,
            size=len(content),
            metadata=metadata,
        )
    # The client asks for change N+1 only after sending all of change N, so opening the blob
    # here keeps cat-file's one-request-at-a-time order and gives the size for free.
    started = time.perf_counter()
    blob = blobs.open(change.oid)
    if clock is not None:
        clock.content_s += time.perf_counter() - started
    return Change(
        change.path,
        change.change_type,
        blob if clock is None else _timed(blob, clock),
        mode=change.mode,
        size=blob.size,
        metadata=metadata,
    )


def land_plan(
    client: MicClient,
    plan: ImportPlan,
    organization: str,
    project: str,
    *,
    tags: dict[str, list[Tag]] | None = None,
    on_landed: LandedCallback | None = None,
) -> ImportSummary:
    """Land every planned session in order over one stream; returns what was landed.

    A session that an earlier, killed run landed (its external id exists) ends the stream
    with ALREADY_EXISTS: it is counted as landed and the stream resumes after it.
    """
    summary = ImportSummary(already_imported=plan.skipped_commits)
    clock = Clock()
    start = time.perf_counter()
    # Objects first: what this run read is archived before any of its sessions lands.
    archive_plan(client, plan, organization, project)
    head = client.get_project(organization, project).head_position
    remaining: Iterator[tuple[PlannedImportSession, SessionDraft]] = iter(
        drafts(plan, organization, project, tags)
    )

    def landed(session: PlannedImportSession) -> None:
        summary.sessions += 1
        summary.commits += len(session.commits)
        if on_landed is not None:
            elapsed = time.perf_counter() - start
            on_landed(len(session.commits), summary.commits / elapsed if elapsed else 0.0)

    git_dir = plan.source.git_dir
    empty = empty_tree(git_dir)
    while True:
        sent: deque[tuple[PlannedImportSession, SessionDraft]] = deque()
        with (
            BlobReader(git_dir) as blobs,
            RenameFinder(git_dir, empty, plan.tip) as finder,
        ):
            landings = _landings(
                remaining, sent, blobs, organization, project, head, finder.session_renames, clock
            )
            try:
                for result in client.land_many(landings):
                    session, _ = sent.popleft()
                    head = result.landing_position
                    summary.changes += result.changes
                    summary.bytes_inline += result.bytes_inline
                    summary.bytes_stored += result.bytes_stored
                    landed(session)
                break
            except AlreadyExists:
                session, draft = sent.popleft()
                existing = client.find_session(organization, project, external_id=draft.external_id)
                if existing is None or existing.landing_position is None:
                    raise
                head = existing.landing_position
                landed(session)
                # Sessions drawn for the ended stream but not landed go first in the next.
                remaining = itertools.chain(list(sent), remaining)
    summary.seconds = time.perf_counter() - start
    summary.extra["phases"] = {
        **{name: round(seconds, 3) for name, seconds in plan.timings.items()},
        "content_reads_s": round(clock.content_s, 3),
        "renames_s": round(clock.renames_s, 3),
        "send_s": round(max(0.0, summary.seconds - clock.content_s - clock.renames_s), 3),
        "land_s": round(summary.seconds, 3),
    }
    return summary


def _landings(
    drafts_left: Iterator[tuple[PlannedImportSession, SessionDraft]],
    sent: deque[tuple[PlannedImportSession, SessionDraft]],
    blobs: BlobReader,
    organization: str,
    project: str,
    head: int,
    renames: Callable[[Sequence[Commit], list[PlannedChange]], list[PlannedChange]],
    clock: Clock,
) -> Iterator[Landing]:
    """The landings of the sessions left, noting each in ``sent`` as it is drawn."""
    for position, (session, draft) in enumerate(drafts_left, head):
        sent.append((session, draft))
        started = time.perf_counter()
        changes = renames(session.commits, net_changes(session.commits))
        clock.renames_s += time.perf_counter() - started
        yield Landing(
            changes=_changes(changes, blobs, clock),
            create=NewSession(
                organization=organization,
                project=project,
                goal=draft.goal,
                session_id=draft.session_id,
                conversation=[
                    Message(m.role, m.content, m.author, m.at, m.reference)
                    for m in draft.conversation
                ],
                decisions=[Decision(d.decision, d.reasoning, d.at) for d in draft.decisions],
                metadata=draft.metadata,
                base_position=position,
            ),
            landed_at=draft.landed_at,
            started_at=draft.started_at,
            external_id=draft.external_id,
        )


def _changes(changes: list[PlannedChange], blobs: BlobReader, clock: Clock) -> Iterator[Change]:
    """The session's changes as sent, their contents asked of git a batch ahead."""
    for start in range(0, len(changes), PREFETCH):
        batch = changes[start : start + PREFETCH]
        blobs.prefetch(
            c.oid
            for c in batch
            if c.change_type != ChangeType.DELETED and c.mode != FileMode.GITLINK
        )
        for change in batch:
            yield to_change(change, blobs, clock)


class VerifyClient:
    """What ``verify`` reads from mic, through the client."""

    def __init__(self, client: MicClient, organization: str, project: str) -> None:
        self._client = client
        self._organization = organization
        self._project = project

    def landed_sessions(self) -> Iterator[ImportedSession]:
        for session in self._client.iter_sessions(
            self._organization,
            self._project,
            status=SessionStatus.LANDED,
            oldest_first=True,
            page_size=1000,
        ):
            yield ImportedSession(
                session.session_id, session.landing_position or 0, session.external_id or ""
            )

    def changes(self, session_id: str) -> Iterator[StoredChange]:
        for change in self._client.iter_changes(session_id, page_size=5000):
            yield StoredChange(
                change.path,
                str(change.change_type),
                change.mode,
                change.sha256 or "",
                change.size,
            )

    def head_tree(self) -> Iterator[StoredChange]:
        for entry in self._client.get_tree(self._organization, self._project):
            yield StoredChange(entry.path, ChangeType.ADDED, entry.mode, entry.sha256, entry.size)

    def read_change(self, session_id: str, path: bytes) -> Iterator[bytes]:
        return self._client.read_change(session_id, path)
