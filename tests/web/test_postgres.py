"""The viewer's own queries on PostgreSQL: text search goes through JSON functions that differ
from SQLite's (``json_array_elements`` there, ``json_each`` here), and the path filter."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest

from micelio.client import Change, Message, MicClient, NewSession
from micelio.testing import MicServer
from tests.support.web import Site


@pytest.mark.postgres
def test_search_path_filter_history_and_diff_on_postgres(mic_server: Any) -> None:
    server: MicServer = mic_server(db="postgres")
    with MicClient(server.address, server.token) as mic:
        mic.create_organization("pg", exist_ok=True)
        mic.create_project("pg", "web", exist_ok=True)
        for goal, path, content, said in [
            ("first", "src/a.py", b"one\n", "Ünïcode Straße talk"),
            ("second", "src/a.py", b"two\n", "plain words"),
            ("third", "docs/b.md", b"doc\n", "100% of the_work"),
        ]:
            mic.land(
                [Change(path, "added" if goal != "second" else "modified", content)],
                create=NewSession("pg", "web", goal, conversation=[Message("human", said)]),
            )
    site = Site(server, server.token, "", "")

    def goals(**query: str) -> list[str]:
        answer = site.get("/o/pg/web?" + urlencode(query))
        assert answer.status == 200, answer.body[:300]
        return re.findall(r'<td class="goal"><a href="/s/[^"]+">([^<]+)</a>', answer.body)

    assert goals() == ["third", "second", "first"]
    # Case folds in every script, ß included (as str.casefold does on SQLite).
    assert goals(q="STRASSE") == ["first"]
    assert goals(q="STRAßE") == ["first"]
    assert goals(q="ünÏCODE straße") == ["first"]
    assert goals(q="100%") == ["third"] and goals(q="the_w") == ["third"]
    assert goals(q="0%") == ["third"] and goals(q="e_w") == ["third"]
    assert goals(q="x%") == []
    assert goals(path="src/*.py") == ["second", "first"]
    assert goals(path="*.md", sort="oldest") == ["third"]
    history = site.get("/o/pg/web/history?" + urlencode({"path": "src/a.py"})).body
    assert history.count("<tr>") == 3
    second = re.findall(r'href="/s/([^"]+)"', site.get("/o/pg/web?q=plain").body)[0]
    diff = site.get(f"/s/{second}/change?" + urlencode({"path": "src/a.py", "view": "diff"}))
    assert '<span class="d-del">-one</span>' in diff.body
    assert '<span class="d-add">+two</span>' in diff.body
    # The folder browser and blame over the same data (the tree query's prefix rule, the
    # blame's walk), with a folder whose name differs only in case.
    with MicClient(server.address, server.token) as mic:
        mic.land([Change("SRC/c.py", "added", b"c\n")], create=NewSession("pg", "web", "case"))
    tree = site.get("/o/pg/web/tree?path=src").body
    assert re.findall(r'<td class="name"><a href="[^"]*">([^<]+)</a>', tree) == ["a.py"]
    root = site.get("/o/pg/web/tree?at=3").body
    assert re.findall(r'class="folder" href="[^"]*">([^<]+)</a>', root) == ["docs/", "src/"]
    blame = site.get("/o/pg/web/blame?path=src/a.py").body
    assert re.findall(r'title="[^"]+">#(\d+)</a>', blame) == ["2"]
