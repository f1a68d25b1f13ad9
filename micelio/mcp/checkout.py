"""The checkout an MCP server works in, pinned when it starts, and the paths under it.

An agent names files as project paths (``src/app.py``), relative to the checkout's root. The
server reads and writes nothing outside that root: an argument is refused when it is
absolute, climbs with ``..``, or passes through a symlink of the checkout (mic never tracks a
file below a symlink, so such a path can only mean a place outside).
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from micelio import paths
from micelio.client import MicClient
from micelio.workdir import workflow
from micelio.workdir.errors import WorkdirError
from micelio.workdir.state import State, load_state


def project_path(root: Path, given: str) -> bytes:
    """The project path ``given`` names (b"" for the root itself); ``InvalidPath`` when it
    could reach outside ``root``."""
    text = given.strip()
    while text.startswith("./"):
        text = text[2:]
    text = text.rstrip("/") if text not in ("/", "") else text
    if text in ("", "."):
        return b""
    raw = os.fsencode(text)
    paths.validate_path(raw)
    parts = raw.split(b"/")
    for depth in range(1, len(parts)):
        folder = os.path.join(os.fsencode(root), *parts[:depth])
        try:
            mode = os.lstat(folder).st_mode
        except (FileNotFoundError, NotADirectoryError):
            break  # not here (yet): nothing on disk to follow
        if stat.S_ISLNK(mode):
            link = paths.display(b"/".join(parts[:depth]))
            raise paths.InvalidPath(f"{paths.display(raw)} goes through the symlink {link}")
    return raw


class Checkout:
    """The checkout's root and how to reach its server. Tools that change the directory
    (start, land, abandon) take ``lock``: one at a time, as one terminal would run them."""

    def __init__(self, root: Path, server: str | None = None, token: str | None = None) -> None:
        self.root = root
        self._server = server
        self._token = token
        self.lock = threading.Lock()

    @classmethod
    def at(cls, directory: Path, server: str | None = None, token: str | None = None) -> Checkout:
        """The checkout at or above ``directory``; an error outside one."""
        root, _ = workflow.current(directory.resolve())
        return cls(root, server, token)

    def state(self) -> State:
        """Its ``.mic/`` state, read anew: the CLI may have changed it meanwhile."""
        state = load_state(self.root)
        if state is None:
            raise WorkdirError(f"{self.root} is no longer a mic checkout (no .mic/ state)")
        return state

    def connect(self, state: State | None = None) -> MicClient:
        """A client as the CLI makes one: options, environment, then the recorded server."""
        recorded = (state or self.state()).server
        return MicClient.from_environment(self._server, self._token, fallback_server=recorded)

    def path(self, given: str) -> bytes:
        return project_path(self.root, given)
