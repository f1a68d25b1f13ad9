"""The page shell (head, navigation, log-out) and the small formatters every page shares."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from micelio.vocabulary import ChangeType, SessionStatus
from micelio.web.html import Markup, html, join, segment

STATUS_CLASSES: dict[str, str] = {status: f"st-{status}" for status in SessionStatus}
CHANGE_BADGES: dict[str, tuple[str, str]] = {
    ChangeType.ADDED: ("A", "ch-added"),
    ChangeType.MODIFIED: ("M", "ch-modified"),
    ChangeType.DELETED: ("D", "ch-deleted"),
}


def page(
    title: str,
    body: Markup,
    *,
    crumbs: Sequence[tuple[str, str]] = (),
    logged_in: bool = True,
) -> Markup:
    """A whole document. ``crumbs``: (label, href) pairs after the home link."""
    trail = join(
        html(' <span class="sep">/</span> <a href="{href}">{label}</a>', href=href, label=label)
        for label, href in crumbs
    )
    logout = (
        html(
            '<form class="logout" method="post" action="/logout">'
            '<button type="submit">Log out</button></form>'
        )
        if logged_in
        else Markup("")
    )
    return html(
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{title} · mic</title>"
        '<link rel="stylesheet" href="/static/app.css">'
        '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
        '<script src="/static/app.js" defer></script>'
        "</head><body>"
        '<header class="top"><nav><a class="brand" href="/">mic</a>{trail}</nav>{logout}</header>'
        "<main>{body}</main>"
        "<footer>mic · Git tracks what; mic tracks why. (read-only viewer)</footer>"
        "</body></html>\n",
        title=title,
        trail=trail,
        logout=logout,
        body=body,
    )


# Characters that would end a line or reorder text where a name is shown: C0 and C1 controls,
# DEL, line/paragraph separators and the bidirectional overrides ("Trojan Source"); the same
# set as the CLI's (``cli/output.py``), which the viewer may not import.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def visible(name: str) -> str:
    """A file name as shown: control characters written as escapes (``\\n``, ``\\x1b``)."""
    return _UNSAFE.sub(_escape_char, name)


def first_line(text: str, empty: str = "(no goal)") -> str:
    """The first non-blank line: what a list shows of a goal."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return empty


def org_href(org: str) -> str:
    return f"/o/{segment(org)}"


def project_href(org: str, project: str, sub: str = "") -> str:
    return f"/o/{segment(org)}/{segment(project)}" + (f"/{sub}" if sub else "")


def session_href(session_id: str) -> str:
    return f"/s/{segment(session_id)}"


def project_crumbs(org: str, project: str) -> list[tuple[str, str]]:
    return [(org, org_href(org)), (project, project_href(org, project))]


def project_tabs(org: str, project: str, current: str) -> Markup:
    tabs = [
        ("Sessions", ""),
        ("Files", "tree"),
        ("Timeline", "timeline"),
        ("File history", "history"),
    ]
    return html(
        '<nav class="tabs">{links}</nav>',
        links=join(
            html(
                '<a href="{href}"{cur}>{label}</a>',
                href=project_href(org, project, sub),
                label=label,
                cur=Markup(' class="current"') if sub == current else "",
            )
            for label, sub in tabs
        ),
    )


def when(moment: datetime | None) -> Markup:
    """A UTC time as ``<time>``; an em dash when unknown."""
    if moment is None:
        return Markup("—")
    return html(
        '<time datetime="{iso}">{shown}</time>',
        iso=moment.isoformat(),
        shown=moment.strftime("%Y-%m-%d %H:%M UTC"),
    )


def size(count: int) -> str:
    """Bytes for people: exact below 1 KiB, else one decimal in binary units."""
    if count < 1024:
        return f"{count:,} B"
    value = float(count)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024:
            return f"{value:.1f} {unit}"
    return f"{value / 1024:.1f} TiB"


def status_badge(status: str) -> Markup:
    return html(
        '<span class="badge {cls}">{status}</span>',
        cls=STATUS_CLASSES.get(status, "st-other"),
        status=status,
    )


def change_badge(change_type: str) -> Markup:
    letter, cls = CHANGE_BADGES.get(change_type, ("?", "ch-other"))
    return html(
        '<span class="badge {cls}" title="{t}">{letter}</span>',
        cls=cls,
        t=change_type,
        letter=letter,
    )


def stats_summary(total: int, added: int, modified: int, deleted: int) -> Markup:
    return html(
        '<span class="stats"><span class="total">{total:,}</span> '
        '<span class="n-added">+{a:,}</span> <span class="n-modified">~{m:,}</span> '
        '<span class="n-deleted">-{d:,}</span></span>',
        total=total,
        a=added,
        m=modified,
        d=deleted,
    )


def error_page(status: int, message: str, *, logged_in: bool = True) -> Markup:
    titles = {
        400: "Bad request",
        403: "Forbidden",
        404: "Not found",
        500: "Server error",
        502: "Storage error",
        503: "Unavailable",
    }
    title = titles.get(status, "Error")
    body = html(
        '<h1>{status} {title}</h1><p class="error">{message}</p><p><a href="/">Home</a></p>',
        status=status,
        title=title,
        message=message,
    )
    return page(title, body, logged_in=logged_in)
