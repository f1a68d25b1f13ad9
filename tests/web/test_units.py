"""The viewer's pure pieces: escaping, redirect targets, diffs, the listen address, the
timeline's scale."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import pytest

from micelio.web import diffs, folders
from micelio.web.auth import normalized, safe_next, same_origin
from micelio.web.html import Markup, escape, html, join, url
from micelio.web.layout import visible
from micelio.web.server import parse_listen
from micelio.web.timeline import MAX_RADIUS, MIN_RADIUS, radius


def test_html_escapes_every_value_but_markup() -> None:
    out = html(
        '<a href="{h}" title="{t}">{x}</a>{m}',
        h="/?a=1&b=2",
        t='"><script>',
        x="<b>&</b>",
        m=Markup("<i>ok</i>"),
    )
    assert out == (
        '<a href="/?a=1&amp;b=2" title="&quot;&gt;&lt;script&gt;">'
        "&lt;b&gt;&amp;&lt;/b&gt;</a><i>ok</i>"
    )
    assert isinstance(out, Markup)
    assert escape("'") == "&#x27;" and escape(None) == ""
    assert html("{n:,}", n=1234567) == "1,234,567"
    assert join(["<a>", Markup("<br>")], " ") == "&lt;a&gt; <br>"
    # Adding to Markup escapes the other side instead of losing the Markup type.
    combined = Markup("<p>") + "<x>"
    assert combined == "<p>&lt;x&gt;" and isinstance(combined, Markup)
    assert "<x>" + Markup("<p>") == "&lt;x&gt;<p>"


def test_url_keeps_only_set_values() -> None:
    assert url("/o/a", {"q": "x y&z", "after": "", "n": 0, "sort": "oldest"}) == (
        "/o/a?q=x+y%26z&sort=oldest"
    )
    assert url("/o/a") == "/o/a"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/o/acme?x=1", "/o/acme?x=1"),
        ("", "/"),
        (None, "/"),
        ("//evil", "/"),
        ("/\\evil", "/"),
        ("https://evil/", "/"),
        ("evil", "/"),
        ("/a\nb", "/"),
    ],
)
def test_login_only_returns_to_this_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_tokens_are_normalized_or_refused() -> None:
    assert normalized("  Bearer mic_abc-_.~  ") == "mic_abc-_.~"
    assert normalized("mic_x; Path=/") == ""
    assert normalized("mic_x\r\nSet-Cookie: y") == ""


def test_same_origin() -> None:
    assert same_origin({"Host": "127.0.0.1:1", "Origin": "http://127.0.0.1:1"})
    assert same_origin({"Host": "h"})  # no Origin: not a browser's cross-site post
    assert not same_origin({"Host": "127.0.0.1:1", "Origin": "http://evil"})
    assert not same_origin({"Host": "h", "Sec-Fetch-Site": "same-site"})


def test_read_capped_stops_and_closes_the_source() -> None:
    closed = []

    def chunks() -> Iterator[bytes]:
        try:
            for _ in range(100):
                yield b"x" * 10
        finally:
            closed.append(True)

    read = diffs.read_capped(chunks(), 25)
    assert read == diffs.Capped(b"x" * 25, True) and closed == [True]
    assert diffs.read_capped([b"ab", b"c"], 3) == diffs.Capped(b"abc", False)


def test_unified_diffs() -> None:
    old, new = diffs.Capped(b"a\nb\nc\n", False), diffs.Capped(b"a\nB\nc\n", False)
    diff = diffs.unified(old, new, old_name="a/f", new_name="b/f")
    assert diff.lines == ["--- a/f", "+++ b/f", "@@ -1,3 +1,3 @@", " a", "-b", "+B", " c"]
    created = diffs.unified(None, new, old_name="a/f", new_name="b/f")
    assert created.lines[0] == "--- /dev/null" and "+B" in created.lines
    crlf = diffs.unified(
        diffs.Capped(b"a\r\n", False), diffs.Capped(b"a\n", False), old_name="a", new_name="b"
    )
    assert "-a\u240d" in crlf.lines and "+a" in crlf.lines
    eol = diffs.unified(
        diffs.Capped(b"a", False), diffs.Capped(b"a\n", False), old_name="a", new_name="b"
    )
    assert "final newline" in eol.note
    assert (
        "too large" in diffs.unified(diffs.Capped(b"x", True), new, old_name="a", new_name="b").note
    )
    assert "binary" in diffs.unified(old, new, old_name="a", new_name="b", new_binary=True).note
    many = diffs.Capped(b"x\n" * (diffs.MAX_DIFF_INPUT_LINES + 1), False)
    assert "too large" in diffs.unified(old, many, old_name="a", new_name="b").note
    long_old = diffs.Capped(b"".join(b"%d\n" % i for i in range(9000)), False)
    long_new = diffs.Capped(b"".join(b"%d!\n" % i for i in range(9000)), False)
    cut = diffs.unified(long_old, long_new, old_name="a", new_name="b")
    assert cut.truncated and len(cut.lines) == diffs.MAX_DIFF_LINES


def test_binary_detection() -> None:
    assert diffs.is_binary(b"a\0b")
    assert not diffs.is_binary(b"a" * 9000 + b"\0")  # Git's 8000-byte window
    assert not diffs.is_binary(b"\0", {"binary": False})  # the importer's verdict wins
    assert diffs.is_binary(b"text", {"binary": True})


def test_parse_listen() -> None:
    assert parse_listen("127.0.0.1:7421") == ("127.0.0.1", 7421)
    assert parse_listen("[::1]:0") == ("::1", 0)
    assert parse_listen(":80") == ("127.0.0.1", 80)
    for bad in ["7421", "host:", "host:port", "h:70000"]:
        with pytest.raises(ValueError):
            parse_listen(bad)


def test_timeline_radius_grows_with_changes_and_is_bounded() -> None:
    assert radius(0) == MIN_RADIUS
    assert MIN_RADIUS < radius(4) < radius(100) <= MAX_RADIUS
    assert radius(10**9) == MAX_RADIUS


class _Row(NamedTuple):
    file_path: str
    mode: int = 0o100644
    size: int = 1
    session_id: str = "ses_x"
    landing_position: int = 1


def test_a_folder_lists_folders_first_then_files_a_page_at_a_time() -> None:
    paths = ["a.txt", "a/x", "a/y/z", "b", "c/d", "c.txt", "zz/1", "m"]
    rows = [_Row(p) for p in sorted(paths)]
    whole = folders.list_folder(rows, "", size=10)
    assert [(e.kind, e.name, e.files) for e in whole.entries] == [
        (folders.FOLDER, "a", 2),
        (folders.FOLDER, "c", 1),
        (folders.FOLDER, "zz", 1),
        (folders.FILE, "a.txt", 0),
        (folders.FILE, "b", 0),
        (folders.FILE, "c.txt", 0),
        (folders.FILE, "m", 0),
    ]
    assert (whole.folders, whole.files, whole.next_after) == (3, 4, "")
    # Pages of 2 walk the same entries; the cursor names the last entry shown.
    seen, after = [], ""
    while True:
        page = folders.list_folder(rows, "", after=after, size=2)
        seen += [e.name for e in page.entries]
        if not page.next_after:
            break
        after = page.next_after
    assert seen == [e.name for e in whole.entries]
    inner = folders.list_folder([_Row("A/w"), _Row("a/x"), _Row("a/y/z")], "a", size=5)
    assert [(e.name, e.path) for e in inner.entries] == [("y", "a/y"), ("x", "a/x")]
    assert (inner.folders, inner.files) == (1, 1)  # A/w is another folder's
    assert folders.parse_cursor("d:a") == (folders.FOLDER, "a")
    assert folders.parse_cursor("f:") == (folders.FILE, "")
    assert folders.parse_cursor("x:a") is None and folders.parse_cursor("nothing") is None


def test_a_page_of_a_huge_folder_keeps_only_a_page() -> None:
    rows = (_Row(f"f/{i:06d}") for i in range(100_000, 0, -1))  # any order
    page = folders.list_folder(rows, "f", after="f:000010", size=3)
    assert [e.name for e in page.entries] == ["000011", "000012", "000013"]
    assert page.files == 100_000 and page.next_after == "f:000013"


def test_names_are_shown_with_control_characters_escaped() -> None:
    assert visible("a\x1b[31mb\nc\td\u202ee\x7f") == "a\\x1b[31mb\\nc\\td\\u202ee\\x7f"
    assert visible("plain/é.txt") == "plain/é.txt"
