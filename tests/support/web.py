"""The web viewer under test: its fixture project, an HTTP helper (urllib) and screenshots."""

from __future__ import annotations

import http.client
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from micelio.client import Change, MicClient, NewSession
from micelio.testing import MicServer
from micelio.vocabulary import FileMode
from tests.support.cli import ROOT

ORG, PROJECT = "acme", "kitchen"  # the kitchen-sink fixture repository, imported per commit
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str

    def header(self, name: str) -> str:
        return self.headers.get(name) or ""

    def cookies(self) -> list[str]:
        return self.headers.get_all("Set-Cookie") or []


@dataclass
class Site:
    """The server under test and the tokens the tests log in with."""

    server: MicServer
    admin: str  # server-wide admin token
    reader: str  # read token of acme
    outsider: str  # read token of another organization (globex)
    sessions: dict[int, str] = field(default_factory=dict)  # landing position -> session id

    @property
    def base(self) -> str:
        return self.server.web_url

    def request(
        self,
        path: str,
        *,
        token: str | None = None,
        method: str = "GET",
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """One request, redirects NOT followed (the tests look at them)."""
        parts = urlsplit(self.base)
        sent = dict(headers or {})
        if token is not None:
            sent["Cookie"] = f"mic_token={token}"
        body = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(parts.netloc, timeout=30)
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            return Answer(response.status, response.headers, response.read().decode())
        finally:
            conn.close()

    def get(self, path: str, token: str | None = None) -> Answer:
        return self.request(path, token=self.admin if token is None else token)


def screenshot(driver: Any, name: str) -> Path:
    """Keep a picture of the page under artifacts/screenshots/ (a test artifact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


#: The commit ``land_files_project``'s submodule points at.
SUBMODULE_COMMIT = b"0123456789abcdef0123456789abcdef01234567"


def land_files_project(site: Site, project: str) -> list[str]:
    """A project of known files for the folder browser and blame pages, in three landings;
    its session ids by position - 1.

    1. README.md, bin/run (executable), docs/guide.md, link (symlink to README.md),
       src/app.py ``a b c``, src/lib/util.py, vendor/sub (a submodule)
    2. src/app.py ``a B c d``
    3. docs/guide.md deleted
    """
    landings = [
        (
            "Create the project\nwith a second line",
            [
                Change("README.md", "added", b"hello\nworld\n"),
                Change("bin/run", "added", b"#!/bin/sh\necho run\n", mode=FileMode.EXECUTABLE),
                Change("docs/guide.md", "added", b"# Guide\n"),
                Change("link", "added", b"README.md", mode=FileMode.SYMLINK),
                Change("src/app.py", "added", b"a\nb\nc\n"),
                Change("src/lib/util.py", "added", b"def util():\n    pass\n"),
                Change("vendor/sub", "added", SUBMODULE_COMMIT, mode=FileMode.GITLINK),
            ],
        ),
        ("Edit the app", [Change("src/app.py", "modified", b"a\nB\nc\nd\n")]),
        ("Drop the guide", [Change("docs/guide.md", "deleted")]),
    ]
    ids = []
    with MicClient(site.server.address, site.admin) as mic:
        mic.create_project(ORG, project, exist_ok=True)
        for goal, changes in landings:
            landed = mic.land(changes, create=NewSession(ORG, project, goal))
            ids.append(landed.session.session_id)
    return ids
