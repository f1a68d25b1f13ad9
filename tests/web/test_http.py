"""The web viewer over plain HTTP: authentication, cookie flags, security headers, escaping,
access rules, errors, contents and diffs, and the ``--web`` option of ``mic server start``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

from micelio.client import Change, Decision, Message, MicClient, NewSession
from micelio.testing import wait_until
from tests.support.cli import ROOT
from tests.support.web import ORG, PROJECT, Site

HOSTILE = "<script>alert(1)</script>"


def test_pages_carry_the_security_headers(site: Site) -> None:
    for path, token in [
        ("/", site.admin),
        (f"/o/{ORG}/{PROJECT}", site.admin),
        ("/login", None),
        ("/static/app.css", None),
        ("/nowhere", site.admin),
    ]:
        answer = site.request(path, token=token)
        csp = answer.header("Content-Security-Policy")
        assert "frame-ancestors 'none'" in csp, path
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert "default-src 'none'" in csp, path
        assert answer.header("X-Content-Type-Options") == "nosniff", path
        assert answer.header("X-Frame-Options") == "DENY", path
        assert "Python" not in answer.header("Server")
    page = site.get(f"/o/{ORG}/{PROJECT}")
    assert page.header("Cache-Control") == "no-store"
    assert page.header("Content-Type") == "text/html; charset=utf-8"
    assert site.request("/static/app.js").header("Content-Type").startswith("text/javascript")


def test_no_token_redirects_to_the_login_form(site: Site) -> None:
    answer = site.request(f"/o/{ORG}/{PROJECT}?status=landed", token=None)
    assert answer.status == 303
    location = answer.header("Location")
    assert location.startswith("/login?")
    assert parse_qs(urlsplit(location).query)["next"] == [f"/o/{ORG}/{PROJECT}?status=landed"]
    # The viewer's script fetches fragments: those get a 401 instead of a login page.
    fragment = site.request(f"/s/{site.sessions[1]}/change?path=x&fragment=1", token=None)
    assert fragment.status == 401


def test_login_sets_an_http_only_strict_cookie_and_goes_back(site: Site) -> None:
    answer = site.request("/login", method="POST", form={"token": site.reader, "next": f"/o/{ORG}"})
    assert answer.status == 303 and answer.header("Location") == f"/o/{ORG}"
    (cookie,) = answer.cookies()
    flags = [part.strip() for part in cookie.split(";")]
    assert flags[0] == f"mic_token={site.reader}"
    assert {"HttpOnly", "SameSite=Strict", "Path=/"} <= set(flags)
    # "Bearer TOKEN" as pasted from a header works too.
    answer = site.request("/login", method="POST", form={"token": f"Bearer {site.reader}"})
    assert answer.status == 303 and answer.header("Location") == "/"


def test_login_refuses_bad_tokens_and_foreign_targets(site: Site) -> None:
    for bad in ["mic_nope", "", "x; Path=/evil", HOSTILE]:
        answer = site.request("/login", method="POST", form={"token": bad, "next": "/"})
        assert answer.status == 401, bad
        assert answer.cookies() == []
        assert "Invalid token." in answer.body
        assert "<script>alert" not in answer.body
    for target in ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"]:
        answer = site.request("/login", method="POST", form={"token": site.reader, "next": target})
        assert answer.status == 303 and answer.header("Location") == "/", target


def test_cross_site_form_posts_are_refused(site: Site) -> None:
    for headers in [{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}]:
        answer = site.request("/login", method="POST", form={"token": site.reader}, headers=headers)
        assert answer.status == 403 and answer.cookies() == []
        assert (
            site.request(
                "/logout", method="POST", token=site.reader, form={}, headers=headers
            ).status
            == 403
        )
    same = site.request(
        "/login",
        method="POST",
        form={"token": site.reader},
        headers={"Origin": site.base, "Sec-Fetch-Site": "same-origin"},
    )
    assert same.status == 303


def test_an_invalid_cookie_goes_back_to_login_with_an_error(site: Site) -> None:
    answer = site.request(f"/o/{ORG}", token="mic_revoked-or-never-was")
    assert answer.status == 303
    assert "error=invalid" in answer.header("Location")
    assert any("Max-Age=0" in c for c in answer.cookies())
    form = site.request(answer.header("Location"))
    assert "not valid" in form.body


def test_logout_clears_the_cookie(site: Site) -> None:
    answer = site.request("/logout", method="POST", token=site.reader, form={})
    assert answer.status == 303 and answer.header("Location") == "/login"
    (cookie,) = answer.cookies()
    assert cookie.startswith("mic_token=;") and "Max-Age=0" in cookie
    assert site.request("/logout", token=site.reader).status == 405


def test_methods_other_than_get_are_refused_on_pages(site: Site) -> None:
    answer = site.request(f"/o/{ORG}", method="POST", token=site.admin, form={})
    assert answer.status == 405 and "GET" in answer.header("Allow")
    head = site.request(f"/o/{ORG}", method="HEAD", token=site.admin)
    assert head.status == 200 and head.body == ""
    assert site.request(f"/o/{ORG}", method="PUT", token=site.admin).status == 405
    huge = site.request("/login", method="POST", form={"token": "x" * 20_000})
    assert huge.status == 400


def test_read_tokens_see_their_organization_only(site: Site) -> None:
    assert site.get(f"/o/{ORG}/{PROJECT}", site.reader).status == 200
    assert site.get("/o/globex", site.reader).status == 403
    assert site.get("/o/globex/secret", site.reader).status == 403
    refused = site.get(f"/s/{site.sessions[1]}", site.outsider)
    assert refused.status == 403 and "globex" in refused.body
    for path in [
        f"/o/{ORG}",
        f"/o/{ORG}/{PROJECT}/timeline",
        f"/o/{ORG}/{PROJECT}/history?path=a",
        f"/s/{site.sessions[1]}/change?path=a",
    ]:
        assert site.get(path, site.outsider).status == 403, path
    home = site.get("/", site.outsider).body
    assert "globex" in home and f'href="/o/{ORG}"' not in home
    everything = site.get("/", site.admin).body
    assert 'href="/o/globex"' in everything and f'href="/o/{ORG}"' in everything


def test_unknown_things_are_404(site: Site) -> None:
    for path in [
        "/nowhere",
        "/o/nobody",
        f"/o/{ORG}/nothing",
        "/s/ses_nope",
        f"/s/{site.sessions[1]}/change?path=not/there",
        f"/o/{ORG}/{PROJECT}/timeline/extra",
    ]:
        answer = site.get(path)
        assert answer.status == 404, path
        assert "404 Not found" in answer.body
    assert site.get(f"/o/{ORG}/{PROJECT}?after=ses_unknown").status == 400
    assert site.get(f"/o/{ORG}/{PROJECT}?path=" + quote("[abc")).status == 400
    assert site.get(f"/s/{site.sessions[1]}?changes=garbage").status == 400


@pytest.fixture(scope="module")
def hostile(site: Site) -> str:
    with MicClient(site.server.address, site.admin) as mic:
        mic.create_project(ORG, "xss-http", exist_ok=True)
        landed = mic.land(
            [
                Change("x/<b>bold</b>.txt", "added", b"<script>alert(2)</script>\n"),
                Change('x/"quoted" & <i>.txt', "added", b"fine\n"),
            ],
            create=NewSession(
                ORG,
                "xss-http",
                f"goal {HOSTILE}",
                conversation=[
                    Message(
                        "human",
                        HOSTILE,
                        author="<b>eve</b>",
                        reference='"><script>alert(6)</script>',
                    )
                ],
                decisions=[Decision(f"decide {HOSTILE}", reasoning=f"<i>why</i> {HOSTILE}")],
                metadata={
                    "commits": [
                        {
                            "id": HOSTILE,
                            "subject": HOSTILE,
                            "author": {"name": HOSTILE, "email": "<e>"},
                        }
                    ],
                    "tags": [{"name": HOSTILE}],
                    "source": {"repository": HOSTILE},
                },
            ),
        )
        decided = mic.land(
            [Change("x/<b>bold</b>.txt", "modified", b"</pre><script>alert(3)</script>\n")],
            create=NewSession(ORG, "xss-http", "second"),
        )
    assert decided.landing_position == 2
    return landed.session.session_id


def assert_no_markup_from_data(body: str) -> None:
    """No tag that came from the data survived: every such tag starts with ``<script>alert``,
    ``<b>``, ``<i>`` or ``<e>``, and all of them must arrive as entities."""
    for tag in ("<script>alert", "<b>", "<i>", "<e>", "<svg", "<img"):
        assert tag not in body, tag
    assert len(re.findall(r"<script\b", body)) <= 1  # the page's own script tag only


def test_every_untrusted_text_is_escaped(site: Site, hostile: str) -> None:
    page = site.get(f"/s/{hostile}")
    assert page.status == 200
    assert_no_markup_from_data(page.body)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.body
    assert "x/&lt;b&gt;bold&lt;/b&gt;.txt" in page.body
    assert "&quot;quoted&quot; &amp; &lt;i&gt;.txt" in page.body
    listing = site.get(f"/o/{ORG}/xss-http")
    assert_no_markup_from_data(listing.body)
    path = "x/<b>bold</b>.txt"
    for url in [
        f"/s/{hostile}/change?" + urlencode({"path": path}),
        f"/s/{hostile}/change?" + urlencode({"path": path, "fragment": "1"}),
        f"/o/{ORG}/xss-http/history?" + urlencode({"path": path}),
    ]:
        answer = site.get(url)
        assert answer.status == 200, url
        assert_no_markup_from_data(answer.body)
    second = site.get(f"/o/{ORG}/xss-http").body
    session_2 = re.findall(r'href="/s/([^"]+)"', second)[0]
    diff = site.get(f"/s/{session_2}/change?" + urlencode({"path": path, "view": "diff"}))
    assert_no_markup_from_data(diff.body)
    assert "+&lt;/pre&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in diff.body
    assert "-&lt;script&gt;alert(2)&lt;/script&gt;" in diff.body


def test_reflected_parameters_are_escaped(site: Site) -> None:
    query = urlencode({"q": '"><script>alert(7)</script>', "path": "<b>*</b>"})
    answer = site.get(f"/o/{ORG}/{PROJECT}?{query}")
    assert answer.status == 200
    assert_no_markup_from_data(answer.body)
    assert 'value="&quot;&gt;&lt;script&gt;alert(7)&lt;/script&gt;"' in answer.body
    missing = site.get("/o/" + quote("<script>alert(8)</script>"))
    assert missing.status == 404 and "<script>alert" not in missing.body
    login = site.request("/login?" + urlencode({"next": '/"><script>alert(9)</script>'}))
    assert "<script>alert" not in login.body


@pytest.fixture(scope="module")
def contents(site: Site) -> dict[str, str]:
    """Sessions with a binary file, and a text file too large to diff (object storage)."""
    big_old = b"".join(b"line %06d of the old version\n" % i for i in range(20_000))
    big_new = big_old.replace(b"line 000100", b"LINE 000100")
    binary = bytes(range(256)) * 40
    with MicClient(site.server.address, site.admin) as mic:
        mic.create_project(ORG, "contents", exist_ok=True)
        ids = {}
        for name, changes in [
            (
                "first",
                [
                    Change("big.txt", "added", big_old),
                    Change("blob.bin", "added", binary),
                    Change("small.txt", "added", b"one\ntwo\nthree\n"),
                ],
            ),
            (
                "second",
                [
                    Change("big.txt", "modified", big_new),
                    Change("small.txt", "modified", b"one\n2\nthree\n"),
                    Change("blob.bin", "deleted"),
                ],
            ),
        ]:
            landed = mic.land(changes, create=NewSession(ORG, "contents", name))
            ids[name] = landed.session.session_id
    return ids


def change_url(session_id: str, path: str, **query: str) -> str:
    return f"/s/{session_id}/change?" + urlencode({"path": path, **query})


def test_contents_binary_large_and_diffs(site: Site, contents: dict[str, str]) -> None:
    first, second = contents["first"], contents["second"]
    blob = site.get(change_url(first, "blob.bin", fragment="1"))
    assert "binary, 10,240 bytes" in blob.body
    big = site.get(change_url(first, "big.txt", fragment="1")).body
    assert "line 000000 of the old version" in big
    assert "Showing the first 256.0 KiB of" in big  # read from object storage, cut
    too_large = site.get(change_url(second, "big.txt", view="diff", fragment="1")).body
    assert "too large to diff" in too_large
    small = site.get(change_url(second, "small.txt", view="diff")).body
    assert '<span class="d-del">-two</span>' in small
    assert '<span class="d-add">+2</span>' in small
    assert "Against the version of" in small
    deleted = site.get(change_url(second, "blob.bin", view="diff")).body
    assert "binary: no text diff" in deleted
    gone = site.get(change_url(second, "blob.bin")).body
    assert "Deleted in this session" in gone
    new_file = site.get(change_url(first, "small.txt", view="diff")).body
    assert "No earlier version" in new_file and "+three" in new_file


def test_session_changes_are_paginated_by_path(site: Site) -> None:
    with MicClient(site.server.address, site.admin) as mic:
        mic.create_project(ORG, "many", exist_ok=True)
        changes = [Change(f"f/{i:04d}.txt", "added", b"x") for i in range(450)]
        landed = mic.land(changes, create=NewSession(ORG, "many", "many files"))
        session_id = landed.session.session_id
    page = site.get(f"/s/{session_id}").body
    paths = re.findall(r'<span class="path">(f/\d+\.txt)</span>', page)
    assert paths == [f"f/{i:04d}.txt" for i in range(200)]
    next_link = re.search(r'<a rel="next" href="([^"]+)"', page)
    assert next_link is not None
    page_2 = site.get(next_link.group(1).replace("&amp;", "&")).body
    paths = re.findall(r'<span class="path">(f/\d+\.txt)</span>', page_2)
    assert paths[0] == "f/0200.txt" and len(paths) == 200
    only_added = site.get(f"/s/{session_id}?type=deleted").body
    assert "No changes." in only_added


def run_server(data_dir: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "micelio.server",
            "start",
            "--data-dir",
            str(data_dir),
            "--listen",
            "127.0.0.1:0",
            *args,
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
    )


def test_web_off_and_malformed_web_addresses(tmp_path: Path) -> None:
    proc = run_server(tmp_path / "off", "--web", "off")
    try:
        info_path = tmp_path / "off" / "server.json"
        info = wait_until(
            lambda: json.loads(info_path.read_text()), timeout=60, what="server.json", alive=proc
        )
        assert "address" in info and "web" not in info
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    started = time.monotonic()
    bad = run_server(tmp_path / "bad", "--web", "no-port-here")
    _, err = bad.communicate(timeout=60)
    assert bad.returncode == 2 and b"--web" in err, err
    # Refused at once; the bound, generous for a loaded CI, catches a server that starts up
    # (database, gRPC port) before it checks --web, or hangs on it.
    assert time.monotonic() - started < 60


def test_search_and_path_filters_match_the_grpc_rules(site: Site) -> None:
    """The web lists through the same read service as ListSessions: case folded in every
    script, conversation included, a folder glob covering what the folder holds."""
    with MicClient(site.server.address, site.admin) as mic:
        mic.create_project(ORG, "scripts", exist_ok=True)
        eclair = mic.land(
            [Change("pâtisserie/recette.md", "added", b"x\n")],
            create=NewSession(ORG, "scripts", "Éclair au café"),
        ).session.session_id
        talk = mic.land(
            [Change("other.txt", "added", b"y\n")],
            create=NewSession(
                ORG, "scripts", "quiet", conversation=[Message("human", "ПРИВЕТ мир")]
            ),
        ).session.session_id

    def listed(**query: str) -> str:
        answer = site.get(f"/o/{ORG}/scripts?{urlencode(query)}", site.reader)
        assert answer.status == 200
        return answer.body

    assert eclair in listed(q="éCLAIR") and talk not in listed(q="éCLAIR")
    assert talk in listed(q="привет") and eclair not in listed(q="привет")
    assert eclair in listed(path="pâtisserie") and talk not in listed(path="pâtisserie/")
