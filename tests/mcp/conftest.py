"""Fixtures of the `mic mcp` tests: one real server per module, and a project with a known
history landed through the CLI:

=====  ======================================  ==========================================
pos    goal                                    files
=====  ======================================  ==========================================
1      Lay out the service                     ``src/app.py`` (2 lines), ``README.md``
2      Add rate limiting                       ``src/app.py`` (3rd line), ``src/limits.py``
=====  ======================================  ==========================================
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from micelio.testing import MicServer
from tests.support.cli import Mic
from tests.support.fixture_types import MicServerFactory

APP_V1 = b"import limits\nprint('hello')\n"
APP_V2 = APP_V1 + b"limits.apply()\n"


@dataclass(frozen=True)
class History:
    project: str  # ORG/PROJECT
    sessions: tuple[str, str]  # the session ids landed at positions 1 and 2


@pytest.fixture(scope="module")
def server(mic_server: MicServerFactory) -> Iterator[MicServer]:
    srv = mic_server()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def mic(server: MicServer) -> Mic:
    return Mic(server.env)


@pytest.fixture(scope="module")
def history(mic: Mic, tmp_path_factory: pytest.TempPathFactory) -> History:
    org = f"mcp-{uuid.uuid4().hex[:8]}"
    project = f"{org}/api"
    base = tmp_path_factory.mktemp("history")
    mic(base, "org", "create", org)
    mic(base, "project", "create", project)
    work = base / "work"
    mic(base, "checkout", project, str(work))
    ids = []
    for goal, files in (
        ("Lay out the service", {"src/app.py": APP_V1, "README.md": b"# api\n"}),
        ("Add rate limiting", {"src/app.py": APP_V2, "src/limits.py": b"def apply(): ...\n"}),
    ):
        ids.append(mic(work, "session", "start", goal).stdout.strip())
        for name, data in files.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_bytes(data)
        mic(work, "session", "land")
    return History(project, (ids[0], ids[1]))


@pytest.fixture
def checkout(mic: Mic, history: History, tmp_path: Path) -> Path:
    """A fresh checkout of the project at its head, for one agent."""
    directory = tmp_path / "checkout"
    mic(tmp_path, "checkout", history.project, str(directory))
    return directory
