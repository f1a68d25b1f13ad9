"""The web viewer under test: its fixture project, an HTTP helper (urllib) and screenshots."""

from __future__ import annotations

import http.client
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from micelio.testing import MicServer
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
