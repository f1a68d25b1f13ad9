"""The import pipeline: walk → group → draft → land, resumable at any session boundary.

Planning is pure over the walked records; landing is the only step with side effects, and each
session lands atomically under an idempotency key (its last commit), so a run killed at any
moment and run again converges on the state of an uninterrupted run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from importers.git import walk
from importers.git.sessions import SessionDraft, draft
from importers.git.source import Source
from importers.grouping import PlannedSession, plan_sessions
from importers.history import Commit, Tag


class ImportFailure(Exception):
    """An import that cannot go on; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class PlannedImportSession:
    commits: tuple[Commit, ...]
    planned: PlannedSession

    @property
    def last(self) -> Commit:
        return self.commits[-1]

    @property
    def goal(self) -> str:
        """The grouping's goal; a commit with an empty message still gives the session one."""
        first = self.commits[0]
        return self.planned.goal or first.subject or f"commit {first.oid[:12]}"


@dataclass(slots=True)
class ImportPlan:
    source: Source
    ref: str  # the ref as resolved for the record, e.g. "refs/heads/main"
    tip: str
    strategy: str
    sessions: list[PlannedImportSession]
    skipped_commits: int = 0  # already imported by an earlier run
    #: Seconds spent walking and grouping (``walk_s``, ``plan_s``), for the import's summary.
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def commits(self) -> int:
        return sum(len(s.commits) for s in self.sessions)

    def to_json(self) -> dict[str, Any]:
        return {
            "sessions": [
                {
                    "goal": s.goal,
                    "commits": [c.oid for c in s.commits],
                    "signal": s.planned.signal,
                    "score": s.planned.score,
                }
                for s in self.sessions
            ]
        }


@dataclass(slots=True)
class ImportSummary:
    sessions: int = 0
    commits: int = 0
    changes: int = 0
    bytes_inline: int = 0
    bytes_stored: int = 0
    already_imported: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "commits": self.commits,
            "changes": self.changes,
            "bytes_inline": self.bytes_inline,
            "bytes_stored": self.bytes_stored,
            "already_imported_commits": self.already_imported,
            "seconds": round(self.seconds, 3),
            **self.extra,
        }


def group(commits: Sequence[Commit], strategy: str) -> list[PlannedImportSession]:
    planned = plan_sessions(commits, strategy)
    return [PlannedImportSession(tuple(commits[p.start : p.end]), p) for p in planned]


def make_plan(
    source: Source, ref: str | None, strategy: str, resume_after: str | None = None
) -> ImportPlan:
    """Walk the first-parent history of ``ref`` and group it, skipping what is imported.

    ``resume_after`` is the last commit an earlier run landed. The whole history is grouped
    first so that a resumed run makes the sessions an uninterrupted run would have made; only
    when that commit is not a session boundary of the fresh plan (new commits changed how the
    tail groups) are the new commits grouped on their own.
    """
    started = time.perf_counter()
    resolved, tip = walk.resolve_ref(source.git_dir, ref)
    commits = list(walk.walk(source.git_dir, tip))
    walked = time.perf_counter()
    sessions = group(commits, strategy)
    skipped = 0
    if resume_after is not None:
        index = next((i for i, c in enumerate(commits) if c.oid == resume_after), None)
        if index is None:
            raise ImportFailure(
                f"the branch was rewritten: the last imported commit {resume_after[:12]} is not "
                f"on the first-parent history of {resolved}; import into a new project instead"
            )
        skipped = index + 1
        boundary = next((k for k, s in enumerate(sessions) if s.last.oid == resume_after), None)
        if boundary is not None:
            sessions = sessions[boundary + 1 :]
        else:
            sessions = group(commits[index + 1 :], strategy)
    timings = {"walk_s": walked - started, "plan_s": time.perf_counter() - walked}
    return ImportPlan(source, resolved, tip, strategy, sessions, skipped, timings)


def drafts(
    plan: ImportPlan, organization: str, project: str, tags: dict[str, list[Tag]] | None = None
) -> Iterator[tuple[PlannedImportSession, SessionDraft]]:
    """The draft of every planned session, in landing order."""
    tags = tags or {}
    source_json = {"kind": "git", "repository": plan.source.location, "ref": plan.ref}
    for session in plan.sessions:
        planned = session.planned
        yield (
            session,
            draft(
                session.commits,
                organization=organization,
                project=project,
                goal=session.goal,
                decisions=[(d.decision, d.reasoning) for d in planned.decisions],
                source=source_json,
                grouping={
                    "strategy": plan.strategy,
                    "signal": planned.signal,
                    "score": planned.score,
                },
                # A tag of a commit that a merge brought in goes to the merge's session.
                tags=[
                    tag
                    for commit in session.commits
                    for reached in (*commit.brought_in, commit)
                    for tag in tags.get(reached.oid, [])
                ],
            ),
        )
