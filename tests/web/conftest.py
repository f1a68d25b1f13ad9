"""Fixtures of the web viewer tests: a real ``mic server start`` (with ``--web``) holding the
kitchen-sink fixture repository imported by the real CLI, tokens of several scopes, an HTTP
helper (urllib) and a real headless Chromium driven by Selenium.

Chromium and its driver are Debian's (``scripts/setup --test`` installs them); like the
other services of the suite, a missing browser FAILS the tests rather than skipping them.
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from micelio.client import MicClient
from tests.support.micserver import MicServer

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--window-size=1280,1100",
)
ORG, PROJECT = "acme", "kitchen"


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
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            return Answer(response.status, response.headers, response.read().decode())
        finally:
            conn.close()

    def get(self, path: str, token: str | None = None) -> Answer:
        return self.request(path, token=self.admin if token is None else token)


def mic_cli(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "micelio", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, f"mic {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="session")
def site(mic_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Site:
    server: MicServer = mic_server()
    assert server.web, "the server announces its web viewer in server.json"
    repo = tmp_path_factory.mktemp("web-fixture") / "kitchen-sink"
    subprocess.run(
        [sys.executable, str(ROOT / "fixtures" / "build.py"), "kitchen-sink", str(repo)],
        check=True,
        capture_output=True,
    )
    mic_cli(
        "import",
        "git",
        str(repo),
        "--project",
        f"{ORG}/{PROJECT}",
        "--strategy",
        "commit",
        env=server.env,
    )
    with MicClient(server.address, server.token) as mic:
        mic.create_organization("globex", exist_ok=True)
        mic.create_project("globex", "secret", exist_ok=True)
        reader = mic.create_token("read", organization=ORG, description="web tests").token
        outsider = mic.create_token("read", organization="globex").token
        sessions = {s.landing_position or 0: s.session_id for s in mic.iter_sessions(ORG, PROJECT)}
    return Site(server, server.token, reader, outsider, sessions)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium for the web tests (tests log in as they need)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is missing: scripts/setup --test installs it", pytrace=False)
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.fail(
            "Debian's chromium and chromium-driver are missing: scripts/setup --test installs them",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path_factory.getbasetemp())
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager (which downloads drivers) never runs.
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: Any, name: str) -> Path:
    """Keep a picture of the page under artifacts/screenshots/ (a test artifact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
