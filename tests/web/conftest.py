"""Fixtures of the web viewer tests: a real ``mic server start`` (with ``--web``) holding the
kitchen-sink fixture repository imported by the real CLI, tokens of several scopes, an HTTP
helper (urllib) and a real headless Chromium driven by Selenium.

Chromium and its driver are Debian's (``scripts/setup --test`` installs them); like the
other services of the suite, a missing browser FAILS the tests rather than skipping them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from micelio.client import MicClient
from micelio.testing import MicServer
from tests.support import cli
from tests.support.cli import ROOT
from tests.support.web import ORG, PROJECT, Site

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
    cli.mic(
        "import",
        "git",
        str(repo),
        "--project",
        f"{ORG}/{PROJECT}",
        "--strategy",
        "commit",
        env=server.env,
        timeout=300,
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
