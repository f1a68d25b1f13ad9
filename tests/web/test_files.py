"""The folder browser and the blame page over plain HTTP: known answers at several
positions, symlinks and submodules, paging, escaping, 400/404, access rules, and the same
answers as the gRPC ``Blame`` and ``GetTree`` they share a service with."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from micelio.client import Change, MicClient, NewSession
from tests.support.web import ORG, Site, land_files_project

PROJECT = "files"


@pytest.fixture(scope="module")
def ids(site: Site) -> list[str]:
    return land_files_project(site, PROJECT)


def tree(**query: str) -> str:
    return f"/o/{ORG}/{PROJECT}/tree?" + urlencode(query)


def blame(**query: str) -> str:
    return f"/o/{ORG}/{PROJECT}/blame?" + urlencode(query)


def names(body: str) -> list[str]:
    """The entries of a folder page in order, folders with their ``/``."""
    return re.findall(r'<td class="name"><a (?:class="folder" )?href="[^"]*">([^<]+)</a>', body)


def blame_lines(body: str) -> list[tuple[int, int, str]]:
    """``(line, position, text)`` of each row of a blame page (a run's position carried on)."""
    out = []
    position = 0
    for row in re.findall(r"<tr class=\"(?:run|more)\" id=\"L\d+\">(.*?)</tr>", body, re.S):
        found = re.search(r'href="/s/[^"]+" title="[^"]+">#(\d+)</a>', row)
        if found:
            position = int(found.group(1))
        number = int(re.search(r'<td class="ln"><a href="#L\d+">(\d+)</a>', row).group(1))  # type: ignore[union-attr]
        text = re.search(r'<td class="code">(.*?)</td>', row).group(1)  # type: ignore[union-attr]
        out.append((number, position, text))
    return out


def test_the_root_folder_at_the_head_and_before(site: Site, ids: list[str]) -> None:
    head = site.get(tree())
    assert head.status == 200
    # Folders first, then files, each by name; the guide's folder is gone at the head.
    assert names(head.body) == ["bin/", "src/", "vendor/", "README.md", "link"]
    assert "3 folders, 2 files" in head.body
    assert "at #3 of 3 (the head)" in head.body
    assert '<span class="note">symlink</span>' in head.body
    readme = re.search(r'<tr class="file">.*?README\.md.*?</tr>', head.body)
    assert readme is not None and "12 B" in readme.group(0) and "100644" in readme.group(0)
    assert f'href="/s/{ids[0]}/change?path=README.md"' in readme.group(0)
    assert 'href="/o/acme/files/blame?path=README.md"' in readme.group(0)  # follows the head
    link = re.search(r'<tr class="file symlink">.*?</tr>', head.body)
    assert link is not None and "blame" not in link.group(0)  # a symlink has no lines
    first = site.get(tree(at="1")).body
    assert names(first) == ["bin/", "docs/", "src/", "vendor/", "README.md", "link"]
    assert "at #1 of 3" in first
    # Links from a page asked at a position stay at that position.
    assert 'href="/o/acme/files/tree?at=1&amp;path=docs"' in first
    assert site.get(tree(at="0")).body.count('class="empty"') == 1  # before any landing


def test_a_subfolder_with_breadcrumbs_and_special_files(site: Site, ids: list[str]) -> None:
    src = site.get(tree(path="src", at="2")).body
    assert names(src) == ["lib/", "app.py"]
    assert "1 folder, 1 file" in src
    trail = re.search(r'<nav class="pathbar path">(.*?)</nav>', src)
    assert trail is not None
    assert 'href="/o/acme/files/tree?at=2">files</a>' in trail.group(1)
    assert '<span class="folder">src</span>' in trail.group(1)
    app = re.search(r'<tr class="file">.*?app\.py.*?</tr>', src)
    assert app is not None and f'href="/s/{ids[1]}"' in app.group(0) and "#2" in app.group(0)
    assert "blame?at=2&amp;path=src%2Fapp.py" in app.group(0)
    deep = site.get(tree(path="src/lib/")).body  # slashes around the path are ignored
    assert names(deep) == ["util.py"]
    crumbs = re.search(r'<nav class="pathbar path">(.*?)</nav>', deep)
    assert crumbs is not None and 'path=src">src</a>' in crumbs.group(1)
    vendor = site.get(tree(path="vendor")).body
    sub = re.search(r'<tr class="file submodule">.*?</tr>', vendor)
    assert sub is not None and "160000" in sub.group(0) and "blame" not in sub.group(0)
    bin_page = site.get(tree(path="bin")).body
    assert '<span class="note">executable</span>' in bin_page and "100755" in bin_page


def test_missing_paths_and_bad_positions(site: Site, ids: list[str]) -> None:
    for url, status, says in [
        (tree(path="nope"), 404, "nope does not exist in acme/files at #3"),
        (tree(path="docs"), 404, "docs does not exist in acme/files at #3"),
        (tree(at="4"), 404, "position 4 does not exist in acme/files (head is 3)"),
        (tree(at="99999999999999999999"), 400, "invalid at"),
        (tree(at="abc"), 400, "invalid at &#x27;abc&#x27;"),
        (tree(at="-1"), 400, "invalid at"),
        (tree(at="\u0661"), 400, "invalid at"),  # a digit, but not an ASCII one
        (tree(path="../etc"), 400, "invalid path"),
        (tree(after="garbage"), 400, "invalid page cursor"),
        (blame(path="nope.txt"), 404, "nope.txt does not exist in acme/files at 3"),
        (blame(path="docs/guide.md"), 404, "does not exist"),
        (blame(path="src/app.py", at="7"), 404, "position 7 does not exist"),
        (blame(path="src/app.py", at="x"), 400, "invalid at"),
        (blame(path="src/app.py", start="9"), 404, "has 4 lines at #3: no line 9"),
        (blame(), 400, "which file?"),
        (f"/o/{ORG}/nothing/tree", 404, "nothing"),
    ]:
        answer = site.get(url)
        assert answer.status == status, (url, answer.status)
        assert says in answer.body, (url, answer.body[-600:])
    assert site.get(tree(path="docs", at="1")).status == 200
    assert site.get(blame(path="docs/guide.md", at="2")).status == 200
    # A file's path in the browser opens the file as the session that last set it wrote it.
    opened = site.get(tree(path="src/app.py", at="1"))
    assert opened.status == 303
    assert opened.header("Location") == f"/s/{ids[0]}/change?path=src%2Fapp.py"


def test_blame_at_the_head_and_before(site: Site, ids: list[str]) -> None:
    head = site.get(blame(path="src/app.py"))
    assert head.status == 200
    assert blame_lines(head.body) == [(1, 1, "a"), (2, 2, "B"), (3, 1, "c"), (4, 2, "d")]
    assert "4 lines, last changed by 2 sessions" in head.body
    # Each run names its session: link, id and goal (its first line).
    assert f'<a href="/s/{ids[1]}" title="{ids[1]}">#2</a>' in head.body
    assert '<span class="goal" title="Edit the app">Edit the app</span>' in head.body
    assert ">Create the project</span>" in head.body
    before = site.get(blame(path="src/app.py", at="1")).body
    assert blame_lines(before) == [(1, 1, "a"), (2, 1, "b"), (3, 1, "c")]
    assert "at #1 of 3" in before
    # The same answer as the gRPC Blame (one service answers both).
    with MicClient(site.server.address, site.admin) as mic:
        grpc = [
            (b.line, b.position, b.text.decode()) for b in mic.blame(ORG, PROJECT, "src/app.py")
        ]
    assert grpc == blame_lines(head.body)


def test_file_views_link_to_blame_and_folder(site: Site, ids: list[str]) -> None:
    change = site.get(f"/s/{ids[1]}/change?path=src/app.py").body
    assert 'href="/o/acme/files/blame?at=2&amp;path=src%2Fapp.py">Blame</a>' in change
    assert 'href="/o/acme/files/tree?at=2&amp;path=src">Folder</a>' in change
    session = site.get(f"/s/{ids[0]}").body
    assert "blame?at=1&amp;path=README.md" in session
    assert "blame?at=1&amp;path=link" not in session  # a symlink: folder link only
    deleted = site.get(f"/s/{ids[2]}/change?path=docs/guide.md").body
    assert ">Blame</a>" not in deleted
    tabs = site.get(f"/o/{ORG}/{PROJECT}").body
    assert 'href="/o/acme/files/tree">Files</a>' in tabs


def test_binary_files_are_refused_with_a_clear_400(site: Site) -> None:
    with MicClient(site.server.address, site.admin) as mic:
        mic.create_project(ORG, "files-binary", exist_ok=True)
        mic.land(
            [Change("b.bin", "added", b"\x00\x01")], create=NewSession(ORG, "files-binary", "bin")
        )
    answer = site.get(f"/o/{ORG}/files-binary/blame?path=b.bin")
    assert answer.status == 400 and "b.bin is a binary file" in answer.body


HOSTILE_DIR = "<svg onload=alert(1)>"  # a folder: no slash in its name
CONTROL_NAME = "bell\x07\x1b[31mred\u202eevil.txt"


def test_names_and_lines_are_escaped(site: Site) -> None:
    with MicClient(site.server.address, site.admin) as mic:
        mic.create_project(ORG, "files-xss", exist_ok=True)
        mic.land(
            [
                Change(f"{HOSTILE_DIR}/<img src=x>.txt", "added", b"<script>alert(2)</script>\n"),
                Change(CONTROL_NAME, "added", b"\x1b[31m\n"),
            ],
            create=NewSession(ORG, "files-xss", "goal <b>bold</b>"),
        )
    root = site.get(f"/o/{ORG}/files-xss/tree")
    assert root.status == 200
    assert "<svg" not in root.body and "<img" not in root.body
    assert "&lt;svg onload=alert(1)&gt;/" in root.body
    # Control characters are shown as escapes, never as themselves.
    assert "bell\\x07\\x1b[31mred\\u202eevil.txt" in root.body
    assert "\x07" not in root.body and "\x1b" not in root.body and "\u202e" not in root.body
    inner = site.get(f"/o/{ORG}/files-xss/tree?" + urlencode({"path": HOSTILE_DIR}))
    assert inner.status == 200 and "<svg" not in inner.body and "<img" not in inner.body
    assert "&lt;img src=x&gt;.txt" in inner.body
    page = site.get(
        f"/o/{ORG}/files-xss/blame?" + urlencode({"path": f"{HOSTILE_DIR}/<img src=x>.txt"})
    )
    assert page.status == 200
    assert "<script>alert" not in page.body and "<b>bold" not in page.body
    assert "<svg" not in page.body and "<img" not in page.body
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page.body
    assert "goal &lt;b&gt;bold&lt;/b&gt;" in page.body
    missing = site.get(f"/o/{ORG}/files-xss/tree?" + urlencode({"path": "<i>x</i>"}))
    assert missing.status == 404 and "<i>" not in missing.body


def test_folders_whose_names_differ_only_in_case_stay_apart(site: Site) -> None:
    with MicClient(site.server.address, site.admin) as mic:
        mic.create_project(ORG, "files-case", exist_ok=True)
        changes = [Change(p, "added", b"x\n") for p in ["src/a.py", "SRC/b.py", "Src/c/d.py"]]
        mic.land(changes, create=NewSession(ORG, "files-case", "cases"))
    base = f"/o/{ORG}/files-case/tree"
    assert names(site.get(base).body) == ["SRC/", "Src/", "src/"]
    assert names(site.get(f"{base}?path=src").body) == ["a.py"]
    assert names(site.get(f"{base}?path=SRC").body) == ["b.py"]
    assert names(site.get(f"{base}?path=Src").body) == ["c/"]
    with MicClient(site.server.address, site.admin) as mic:  # the service behind GetTree too
        assert [e.path for e in mic.get_tree(ORG, "files-case", path_prefix="src")] == [b"src/a.py"]


def test_huge_folders_come_a_page_at_a_time(site: Site) -> None:
    with MicClient(site.server.address, site.admin) as mic:
        mic.create_project(ORG, "files-many", exist_ok=True)
        changes = [Change(f"d/{i:04d}.txt", "added", b"x") for i in range(450)]
        changes += [Change(f"d/sub{i}/f.txt", "added", b"y") for i in range(3)]
        mic.land(changes, create=NewSession(ORG, "files-many", "many"))
    url = f"/o/{ORG}/files-many/tree?path=d"
    seen: list[str] = []
    pages = 0
    while url:
        body = site.get(url).body
        pages += 1
        assert "3 folders, 450 files" in body
        seen += names(body)
        found = re.search(r'<a rel="next" href="([^"]+)"', body)
        url = found.group(1).replace("&amp;", "&") if found else ""
    assert pages == 3
    assert seen == ["sub0/", "sub1/", "sub2/", *(f"{i:04d}.txt" for i in range(450))]


def test_access_is_the_same_as_for_the_other_pages(site: Site, ids: list[str]) -> None:
    for url in [tree(), tree(path="src"), blame(path="src/app.py")]:
        assert site.get(url, site.reader).status == 200, url
        refused = site.get(url, site.outsider)
        assert refused.status == 403, url
        assert "<script" not in refused.body.replace('<script src="/static/app.js"', "")
        answer = site.request(url, token=None)
        assert answer.status == 303 and answer.header("Location").startswith("/login?next=")
    assert site.request(tree(), token=site.admin, method="POST").status == 405
