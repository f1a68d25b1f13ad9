"""The web viewer in a real headless Chromium against a real ``mic server start`` process
serving the imported kitchen-sink repository. Screenshots land in artifacts/screenshots/."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from selenium.common.exceptions import NoAlertPresentException

# The viewer is tested in Chrome, whose driver also reads the console (get_log).
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from micelio.client import Change, Message, MicClient, NewSession
from tests.support.web import ORG, PROJECT, Site, land_files_project, screenshot

WAIT = 10.0


def wait_for(driver: WebDriver, css: str) -> WebElement:
    return WebDriverWait(driver, WAIT).until(lambda d: d.find_element(By.CSS_SELECTOR, css))


def click_and_load(driver: WebDriver, element: WebElement) -> None:
    """Click a link or submit button and wait until the next page replaced this one."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, WAIT).until(expected_conditions.staleness_of(page))


def login(driver: WebDriver, site: Site, token: str) -> None:
    driver.get(site.base + "/login")
    driver.delete_all_cookies()
    driver.get(site.base + "/login")
    driver.find_element(By.NAME, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "section.login button").click()
    WebDriverWait(driver, WAIT).until(lambda d: "/login" not in d.current_url)
    # Drained: each test judges only its own console. (Selenium leaves get_log untyped.)
    driver.get_log("browser")  # type: ignore[no-untyped-call]


def texts(driver: WebDriver, css: str) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, css)]


def severe_logs(driver: WebDriver) -> list[dict[str, Any]]:
    """Console errors: a CSP violation by our own pages would show here."""
    logs: list[dict[str, Any]] = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return [e for e in logs if e.get("level") == "SEVERE"]


def project_url(site: Site, sub: str = "", **query: str) -> str:
    url = f"{site.base}/o/{ORG}/{PROJECT}" + (f"/{sub}" if sub else "")
    return url + ("?" + urlencode(query) if query else "")


def test_no_token_redirects_to_login_and_login_returns_there(
    browser: WebDriver, site: Site
) -> None:
    browser.get(site.base + "/login")
    browser.delete_all_cookies()
    browser.get(project_url(site))
    assert "/login?next=" in browser.current_url
    screenshot(browser, "login")
    browser.find_element(By.NAME, "token").send_keys(site.reader)
    browser.find_element(By.CSS_SELECTOR, "section.login button").click()
    wait_for(browser, "table.sessions")
    assert browser.current_url == project_url(site)
    cookie = browser.get_cookie("mic_token")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # Logging out forgets the token: the next page asks for one again.
    browser.find_element(By.CSS_SELECTOR, "form.logout button").click()
    WebDriverWait(browser, WAIT).until(lambda d: "/login" in d.current_url)
    assert browser.get_cookie("mic_token") is None
    browser.get(project_url(site))
    assert "/login" in browser.current_url


def test_a_bad_token_gets_the_login_form_with_an_error(browser: WebDriver, site: Site) -> None:
    browser.get(site.base + "/login")
    browser.delete_all_cookies()
    browser.get(site.base + "/login")
    browser.find_element(By.NAME, "token").send_keys("mic_not-a-real-token")
    browser.find_element(By.CSS_SELECTOR, "section.login button").click()
    error = wait_for(browser, "section.login .error")
    assert "Invalid token" in error.text
    assert browser.get_cookie("mic_token") is None


def test_session_list_sorts_filters_and_pages(browser: WebDriver, site: Site) -> None:
    login(browser, site, site.reader)
    browser.get(project_url(site))
    total = len(site.sessions)  # one per first-parent commit of kitchen-sink
    assert 50 < total < 100
    assert f"{total} sessions" in browser.find_element(By.CSS_SELECTOR, "p.count").text
    positions = texts(browser, "table.sessions tbody td:first-child")
    assert positions[:2] == [f"#{total}", f"#{total - 1}"] and len(positions) == 50
    screenshot(browser, "sessions")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "nav.pager a[rel=next]"))
    positions = texts(browser, "table.sessions tbody td:first-child")
    assert positions[0] == f"#{total - 50}" and positions[-1] == "#1"
    assert len(positions) == total - 50
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "nav.pager a[rel=prev]"))
    assert texts(browser, "table.sessions tbody td:first-child")[0] == f"#{total}"

    browser.get(project_url(site, sort="oldest", status="landed"))
    positions = texts(browser, "table.sessions tbody td:first-child")
    assert positions[:3] == ["#1", "#2", "#3"]
    assert set(texts(browser, "table.sessions .badge")) == {"landed"}

    browser.get(project_url(site, q="ALICE"))  # case-insensitive, conversation included
    goals = texts(browser, "table.sessions td.goal")
    assert goals == ["feature: part 1 by alice"]
    assert severe_logs(browser) == []


def test_filter_by_path(browser: WebDriver, site: Site) -> None:
    login(browser, site, site.reader)
    browser.get(project_url(site))
    box = browser.find_element(By.NAME, "path")
    box.send_keys("binary/*")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button"))
    assert parse_qs(urlsplit(browser.current_url).query)["path"] == ["binary/*"]
    goals = texts(browser, "table.sessions td.goal")
    assert goals and all(g.startswith("binary:") for g in goals), goals
    assert "4 sessions matching" in browser.find_element(By.CSS_SELECTOR, "p.count").text
    screenshot(browser, "sessions-path-filter")


def open_change(driver: WebDriver, path: str) -> WebElement:
    """Expand the change of ``path`` on the current session page; return its <details>."""
    for item in driver.find_elements(By.CSS_SELECTOR, "li.change details"):
        if item.find_element(By.CSS_SELECTOR, "summary .path").text == path:
            item.find_element(By.CSS_SELECTOR, "summary").click()
            return item
    raise AssertionError(f"no change of {path} on {driver.current_url}")


def test_session_page_expands_a_change_and_its_diff(browser: WebDriver, site: Site) -> None:
    login(browser, site, site.reader)
    browser.get(f"{site.base}/s/{site.sessions[32]}")  # "rename: rename and edit"
    assert browser.find_element(By.CSS_SELECTOR, "header.session h1").text == (
        "rename: rename and edit"
    )
    assert browser.find_element(By.CSS_SELECTOR, "header.session .badge").text == "landed"
    facts = browser.find_element(By.CSS_SELECTOR, "dl.facts").text
    assert "A U Thor <author@example.com>" in facts and "#32" in facts
    commits = browser.find_element(By.CSS_SELECTOR, "table.commits").text
    assert "rename: rename and edit" in commits
    listed = browser.find_element(By.CSS_SELECTOR, "section.changes").text
    assert "4 +2 ~0 -2" in listed
    assert "renamed from rename/edit.txt" in listed  # git's similarity found the edit

    change = open_change(browser, "rename/edited.txt")
    content = WebDriverWait(browser, WAIT).until(
        lambda d: change.find_element(By.CSS_SELECTOR, ".holder pre.code")
    )
    assert content.text.strip(), "the content shows"
    change.find_element(By.LINK_TEXT, "Diff").click()
    diff = WebDriverWait(browser, WAIT).until(
        lambda d: change.find_element(By.CSS_SELECTOR, ".holder pre.diff")
    )
    # The addition of a rename compares with the file it was renamed from.
    assert "Against the version of rename/edit.txt in #" in change.text
    added = [e.text for e in diff.find_elements(By.CSS_SELECTOR, ".d-add")]
    deleted = [e.text for e in diff.find_elements(By.CSS_SELECTOR, ".d-del")]
    assert added == ["+changed"] and deleted == ["-line 9 of a file that moves"]
    screenshot(browser, "session")
    assert severe_logs(browser) == []


def test_large_binary_content_comes_from_object_storage(browser: WebDriver, site: Site) -> None:
    login(browser, site, site.reader)
    browser.get(f"{site.base}/s/{site.sessions[27]}")  # "large: add 6 MiB" (object storage)
    change = open_change(browser, "large/big.bin")
    shown = WebDriverWait(browser, WAIT).until(
        lambda d: change.find_element(By.CSS_SELECTOR, ".holder .binary")
    )
    assert shown.text == "binary, 6,291,456 bytes"


def test_diff_page_against_the_previous_version(browser: WebDriver, site: Site) -> None:
    login(browser, site, site.reader)
    session = site.sessions[62]  # "crlf: to LF"
    browser.get(f"{site.base}/s/{session}")
    path = browser.find_element(By.CSS_SELECTOR, "li.change summary .path").text
    browser.get(f"{site.base}/s/{session}/change?" + urlencode({"path": path, "view": "diff"}))
    against = browser.find_element(By.CSS_SELECTOR, ".facts-line").text
    assert "#61" in against
    assert browser.find_elements(By.CSS_SELECTOR, "pre.diff .d-del")
    assert browser.find_elements(By.CSS_SELECTOR, "pre.diff .d-add")
    screenshot(browser, "diff")


def test_file_history_lists_every_session_that_touched_the_path(
    browser: WebDriver, site: Site
) -> None:
    login(browser, site, site.reader)
    browser.get(f"{site.base}/s/{site.sessions[32]}")
    change = open_change(browser, "rename/edit.txt")
    click_and_load(browser, change.find_element(By.LINK_TEXT, "History"))
    assert "rename/edit.txt" in browser.find_element(By.TAG_NAME, "h1").text
    rows = [
        (
            r.find_element(By.CSS_SELECTOR, "td:nth-child(1)").text,
            r.find_element(By.CSS_SELECTOR, "td:nth-child(2) .badge").get_attribute("title"),
        )
        for r in browser.find_elements(By.CSS_SELECTOR, "table.history tbody tr")
    ]
    assert rows == [("#32", "deleted"), ("#30", "added")]
    screenshot(browser, "history")


def test_the_folder_browser_leads_to_a_blame_page(browser: WebDriver, site: Site) -> None:
    ids = land_files_project(site, "files-ui")
    login(browser, site, site.reader)
    browser.get(f"{site.base}/o/{ORG}/files-ui")
    click_and_load(browser, browser.find_element(By.LINK_TEXT, "Files"))
    names = texts(browser, "table.files td.name > a")
    assert names == ["bin/", "src/", "vendor/", "README.md", "link"]
    click_and_load(browser, browser.find_element(By.LINK_TEXT, "src/"))
    assert texts(browser, "table.files td.name > a") == ["lib/", "app.py"]
    screenshot(browser, "tree")
    row = browser.find_element(By.CSS_SELECTOR, "table.files tr.file")
    click_and_load(browser, row.find_element(By.LINK_TEXT, "blame"))
    assert "src/app.py" in browser.find_element(By.TAG_NAME, "h1").text
    lines = [
        (
            r.find_element(By.CSS_SELECTOR, "td.ln").text,
            r.find_element(By.CSS_SELECTOR, "td.code").text,
        )
        for r in browser.find_elements(By.CSS_SELECTOR, "table.blame tr")
    ]
    assert lines == [("1", "a"), ("2", "B"), ("3", "c"), ("4", "d")]
    origins = texts(browser, "table.blame td.origin a")
    assert origins == ["#1", "#2", "#1", "#2"]  # one per run of lines
    screenshot(browser, "blame")
    # Back in time with the position form, then on to the session of a line.
    field = browser.find_element(By.CSS_SELECTOR, "form.at input[name=at]")
    field.send_keys("1")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form.at button"))
    assert texts(browser, "table.blame td.origin a") == ["#1"]
    assert "at=1" in browser.current_url
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "table.blame td.origin a"))
    assert browser.current_url.endswith(f"/s/{ids[0]}")
    wait_for(browser, "header.session")
    # The breadcrumbs go back up to the folder, at the position asked.
    browser.back()
    click_and_load(
        browser, browser.find_element(By.CSS_SELECTOR, "nav.pathbar a[href*='path=src']")
    )
    assert texts(browser, "table.files td.name > a") == ["lib/", "app.py"]
    assert parse_qs(urlsplit(browser.current_url).query)["at"] == ["1"]
    assert severe_logs(browser) == []


def test_timeline_draws_every_landed_session(browser: WebDriver, site: Site) -> None:
    login(browser, site, site.reader)
    browser.get(project_url(site, "timeline"))
    circles = browser.find_elements(By.CSS_SELECTOR, "svg.timeline circle.tl-point")
    assert len(circles) == len(site.sessions)
    radii = {float(c.get_attribute("r") or "nan") for c in circles}
    assert len(radii) > 3, "circles are sized by change count"
    screenshot(browser, "timeline")
    href = browser.find_element(By.CSS_SELECTOR, "svg.timeline a").get_dom_attribute("href")
    assert href.startswith("/s/")
    browser.get(site.base + href)
    wait_for(browser, "header.session")
    assert severe_logs(browser) == []


def test_another_organizations_read_token_is_refused(browser: WebDriver, site: Site) -> None:
    login(browser, site, site.outsider)
    browser.get(site.base + "/")
    assert texts(browser, "main ul.plain li") == ["globex"]
    browser.get(project_url(site))
    assert browser.find_element(By.TAG_NAME, "h1").text == "403 Forbidden"
    assert "globex" in browser.find_element(By.CSS_SELECTOR, "p.error").text
    browser.get(f"{site.base}/s/{site.sessions[1]}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "403 Forbidden"
    screenshot(browser, "forbidden")


@pytest.fixture(scope="module")
def hostile(site: Site) -> str:
    """A session whose every text is markup: it must show as text."""
    with MicClient(site.server.address, site.admin) as mic:
        mic.create_project(ORG, "xss", exist_ok=True)
        landed = mic.land(
            [Change("xss/<b>bold</b>.txt", "added", b"<script>alert(2)</script>\n")],
            create=NewSession(
                ORG,
                "xss",
                '<img src=x onerror="alert(3)"> goal',
                conversation=[
                    Message("human", "<script>alert(1)</script>", author='"><svg onload=alert(4)>')
                ],
                metadata={"note": "</pre><script>alert(5)</script>"},
            ),
        )
    return landed.session.session_id


def test_untrusted_text_shows_as_text_and_no_script_runs(
    browser: WebDriver, site: Site, hostile: str
) -> None:
    login(browser, site, site.reader)
    browser.get(f"{site.base}/s/{quote(hostile)}")
    message = browser.find_element(By.CSS_SELECTOR, "article.message .text")
    assert message.text == "<script>alert(1)</script>"
    assert browser.find_element(By.CSS_SELECTOR, "header.session h1").text == (
        '<img src=x onerror="alert(3)"> goal'
    )
    path = browser.find_element(By.CSS_SELECTOR, "li.change summary .path")
    assert path.text == "xss/<b>bold</b>.txt"
    assert path.find_elements(By.TAG_NAME, "b") == []
    # The page's one script is its own; no element came from the session's text.
    scripts = [s.get_attribute("src") for s in browser.find_elements(By.TAG_NAME, "script")]
    assert scripts == [site.base + "/static/app.js"]
    assert browser.find_elements(By.CSS_SELECTOR, "main img, main svg") == []
    change = open_change(browser, "xss/<b>bold</b>.txt")
    code = WebDriverWait(browser, WAIT).until(
        lambda d: change.find_element(By.CSS_SELECTOR, ".holder pre.code")
    )
    assert code.text == "<script>alert(2)</script>"
    screenshot(browser, "untrusted-text")
    browser.get(f"{site.base}/o/{ORG}/xss")
    assert browser.find_element(By.CSS_SELECTOR, "td.goal").text.startswith("<img src=x")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 (reading it raises when there is none)
    assert severe_logs(browser) == []
