"""`mic status`: where a working directory stands, from its cached base tree and one call.

The base tree comes from ``.mic/trees/`` (fetched once per position), unchanged files are
known from the manifest's size and mtime (``state.Manifest``, git's index rule), so the only
call to the server is the project's head position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from micelio import paths
from micelio.client import MicClient
from micelio.vocabulary import ChangeType
from micelio.workdir import syncstate
from micelio.workdir.scan import FileChange
from micelio.workdir.state import State
from micelio.workdir.workflow import pending


@dataclass(frozen=True, slots=True)
class Status:
    """What `mic status` reports."""

    root: Path
    organization: str
    project: str
    session_id: str | None
    base_position: int
    head_position: int
    changes: list[FileChange] = field(default_factory=list)
    invalid: list[tuple[bytes, str]] = field(default_factory=list)  # unlandable: path, reason
    conflicts: list[bytes] = field(default_factory=list)  # paths with unresolved conflicts

    @property
    def behind(self) -> int:
        """Sessions landed after the base."""
        return max(0, self.head_position - self.base_position)

    def count(self, kind: ChangeType) -> int:
        return sum(1 for c in self.changes if c.kind == kind)


def status(mic: MicClient, root: Path, state: State) -> Status:
    """The directory's session, base and head positions, pending changes and conflicts."""
    head = mic.get_project(state.organization, state.project).head_position
    result = pending(mic, root, state)
    return Status(
        root=root,
        organization=state.organization,
        project=state.project,
        session_id=state.session_id,
        base_position=state.base_position,
        head_position=head,
        changes=result.changes,
        invalid=result.invalid,
        conflicts=syncstate.conflicted(root),
    )


def status_to_dict(st: Status) -> dict[str, Any]:
    """The shape of ``mic status --json`` (docs/cli-json.md), which the MCP's
    ``session_status`` answers too."""
    return {
        "root": str(st.root),
        "organization": st.organization,
        "project": st.project,
        "session_id": st.session_id,
        "base_position": st.base_position,
        "head_position": st.head_position,
        "behind": st.behind,
        "changes": [
            {
                "file_path": c.display,
                "change_type": str(c.kind),
                "mode": int(c.mode),
                "size": c.size,
            }
            for c in st.changes
        ],
        "counts": {str(kind): st.count(kind) for kind in ChangeType},
        "conflicts": [paths.display(p) for p in st.conflicts],
        "invalid": [{"file_path": paths.display(p), "reason": r} for p, r in st.invalid],
    }
