"""What a project holds, read back through the client (to compare two imports)."""

from __future__ import annotations

from typing import Any

from micelio.client import MicClient


def project_state(env: dict[str, str], project: str) -> list[tuple[Any, ...]]:
    """Everything that must be equal between two imports of the same history."""
    org, name = project.split("/")
    state = []
    with MicClient(env["MIC_SERVER"], env["MIC_TOKEN"]) as client:
        for s in client.iter_sessions(org, name, oldest_first=True, page_size=1000):
            changes = tuple(
                (c.path, str(c.change_type), c.mode, c.size, c.sha256)
                for c in client.iter_changes(s.session_id, page_size=5000)
            )
            state.append(
                (
                    s.landing_position,
                    str(s.status),
                    s.goal,
                    s.external_id,
                    s.metadata["first_commit"],
                    s.metadata["last_commit"],
                    len(s.conversation),
                    changes,
                )
            )
    return state
