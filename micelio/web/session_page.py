"""The session page (story, metadata, paginated changes) and the change viewer behind it."""

from __future__ import annotations

import json
from typing import Any

from micelio.service.browse import ChangeDetail, author_of
from micelio.service.views import Identity, SessionView
from micelio.vocabulary import ChangeType, FileMode
from micelio.web import diffs, files
from micelio.web.exchange import Context, Request, Response, ok
from micelio.web.html import Markup, html, join, url
from micelio.web.layout import (
    change_badge,
    first_line,
    org_href,
    page,
    project_href,
    session_href,
    size,
    stats_summary,
    status_badge,
    when,
)

CHANGES_PER_PAGE = 200
#: Messages shown before "show all": a conversation may hold 10,000 messages of 1 MiB.
MESSAGES_SHOWN = 200
MESSAGE_CHARS = 64 * 1024
CHANGE_TYPES = tuple(ChangeType)


def show(ctx: Context, request: Request, session_id: str) -> Response:
    user = request.user
    session = ctx.services.sessions.get(user, session_id)
    change_type = request.arg("type") if request.arg("type") in CHANGE_TYPES else ""
    changes = ctx.services.sessions.list_changes(
        user, session_id, CHANGES_PER_PAGE, request.arg("changes"), change_type
    )
    org, project = session.organization, session.project
    title = first_line(session.goal)
    body = html(
        '<header class="session"><h1>{goal}</h1>{badge}</header>{rest_of_goal}{facts}'
        "{conversation}{decisions}{metadata}{changes}",
        goal=title,
        badge=status_badge(session.status),
        rest_of_goal=html('<div class="text goal-rest">{g}</div>', g=session.goal)
        if session.goal.strip() != title
        else "",
        facts=_facts(session),
        conversation=_conversation(session, show_all=request.arg("messages") == "all"),
        decisions=_decisions(session),
        metadata=_metadata(session.metadata),
        changes=_changes(session, changes.changes, changes.next_page_token, change_type),
    )
    crumbs = [
        (org, org_href(org)),
        (project, project_href(org, project)),
        (session_id, session_href(session_id)),
    ]
    return ok(page(title[:80], body, crumbs=crumbs))


def _facts(session: SessionView) -> Markup:
    author = author_of(session.metadata) or next(
        (m.author for m in session.conversation if m.author), ""
    )
    position = (
        html(
            '<a href="{h}">#{p}</a>',
            h=url(
                project_href(session.organization, session.project, "timeline"),
                {"last": session.landing_position + 250},
            ),
            p=session.landing_position,
        )
        if session.landing_position
        else "not landed"
    )
    rows: list[tuple[str, Any]] = [
        ("Session", html("<code>{s}</code>", s=session.session_id)),
        (
            "Project",
            html(
                '<a href="{h}">{o}/{p}</a>',
                o=session.organization,
                p=session.project,
                h=project_href(session.organization, session.project),
            ),
        ),
        ("Landing position", position),
        ("Base position", f"#{session.base_position}"),
        ("Started", when(session.started_at)),
        ("Landed", when(session.landed_at)),
    ]
    if session.abandoned_at:
        rows.append(("Abandoned", when(session.abandoned_at)))
        reason = session.metadata.get("abandon_reason")
        if reason:
            rows.append(("Reason", str(reason)))
    rows.append(
        ("Author", html('{a} <span class="claimed">(claimed)</span>', a=author) if author else "—")
    )
    rows.append(("Started by", _identity(session.started_by)))
    if session.landed_at:
        rows.append(("Landed by", _identity(session.landed_by)))
    if session.abandoned_at:
        rows.append(("Abandoned by", _identity(session.abandoned_by)))
    if session.external_id:
        rows.append(("External id", html("<code>{e}</code>", e=session.external_id)))
    rows.append(("Changes", stats_summary(*session.stats)))
    return html(
        '<dl class="facts">{rows}</dl>',
        rows=join(html("<dt>{k}</dt><dd>{v}</dd>", k=k, v=v) for k, v in rows),
    )


def _identity(value: Identity | None) -> Markup:
    """A verified identity (escaped: a token's description is free text)."""
    if value is None:
        return html('<span class="identity unknown">unrecorded</span>')
    return html(
        '<span class="identity">token {i}{d}</span>',
        i=value.token_id,
        d=html(" ({d})", d=value.description) if value.description else "",
    )


def _conversation(session: SessionView, *, show_all: bool) -> Markup:
    messages = session.conversation
    if not messages:
        return html(
            '<section class="conversation"><h2>Conversation</h2>'
            '<p class="empty">No messages.</p></section>'
        )
    shown = messages if show_all else messages[:MESSAGES_SHOWN]
    items = []
    for message in shown:
        text = message.content
        cut = (
            ""
            if show_all or len(text) <= MESSAGE_CHARS
            else html(
                '<p class="note">… {n:,} more characters (<a href="{h}">show all</a>)</p>',
                n=len(text) - MESSAGE_CHARS,
                h=url(session_href(session.session_id), {"messages": "all"}),
            )
        )
        items.append(
            html(
                '<article class="message role-{role_class}"><header>'
                '<span class="role">{role}</span> {author}{token} '
                '{at}{reference}</header><div class="text">{text}</div>{cut}</article>',
                role_class="".join(c for c in message.role if c.isalnum()) or "other",
                role=message.role,
                author=html(
                    '<span class="author">{a}</span> <span class="claimed">(claimed)</span> ',
                    a=message.author,
                )
                if message.author
                else "",
                token=_identity(message.token),
                at=when(message.at),
                reference=html(' <code class="ref">{r}</code>', r=message.reference)
                if message.reference
                else "",
                text=text if show_all else text[:MESSAGE_CHARS],
                cut=cut,
            )
        )
    more = (
        html(
            '<p class="note">{n:,} more messages. <a href="{h}">Show all</a></p>',
            n=len(messages) - len(shown),
            h=url(session_href(session.session_id), {"messages": "all"}),
        )
        if len(shown) < len(messages)
        else ""
    )
    return html(
        '<section class="conversation"><h2>Conversation ({n:,})</h2>{items}{more}</section>',
        n=len(messages),
        items=join(items),
        more=more,
    )


def _decisions(session: SessionView) -> Markup:
    if not session.decisions:
        return Markup("")
    items = join(
        html(
            '<li><p class="decision">{d}</p>{why}<p class="when">{at} {who}</p></li>',
            d=d.decision,
            at=when(d.at),
            who=_identity(d.token),
            why=html('<div class="text reasoning">{r}</div>', r=d.reasoning) if d.reasoning else "",
        )
        for d in session.decisions
    )
    return html(
        '<section class="decisions"><h2>Decisions ({n})</h2><ol>{items}</ol></section>',
        n=len(session.decisions),
        items=items,
    )


def _signature(sig: Any) -> Markup:
    if not isinstance(sig, dict):
        return Markup("—")
    name, email = str(sig.get("name") or ""), str(sig.get("email") or "")
    # "date" is UTC (ISO 8601, "Z"); "tz" is the zone the author was in, kept as Git wrote it.
    date = str(sig.get("date") or "").replace("T", " ").removesuffix("Z")
    return html(
        '<span class="who">{name}</span> <span class="email">&lt;{email}&gt;</span><br>'
        '<span class="date">{date} UTC</span> <span class="tz">(zone {tz})</span>',
        name=name,
        email=email,
        date=date,
        tz=str(sig.get("tz") or "?"),
    )


def _commit_row(commit: dict[str, Any], *, brought_in: bool) -> Markup:
    oid = str(commit.get("id") or "")
    return html(
        '<tr class="{cls}"><td><code title="{oid}">{marker}{short}</code></td>'
        "<td>{author}</td><td>{subject}</td></tr>",
        cls="brought-in" if brought_in else "commit",
        oid=oid,
        short=oid[:12],
        marker="↳ " if brought_in else "",
        author=_signature(commit.get("author")),
        subject=str(commit.get("subject") or ""),
    )


def _metadata(metadata: dict[str, Any]) -> Markup:
    parts: list[Markup] = []
    source = metadata.get("source")
    if isinstance(source, dict):
        parts.append(
            html(
                '<p class="source">Imported from {kind} <code>{repo}</code> at <code>{ref}</code>'
                "</p>",
                kind=str(source.get("kind") or "?"),
                repo=str(source.get("repository") or "?"),
                ref=str(source.get("ref") or "?"),
            )
        )
    commits = metadata.get("commits")
    if isinstance(commits, list) and commits:
        rows: list[Markup] = []
        for commit in commits:
            if not isinstance(commit, dict):
                continue
            rows.extend(
                _commit_row(b, brought_in=True)
                for b in commit.get("brought_in") or []
                if isinstance(b, dict)
            )
            rows.append(_commit_row(commit, brought_in=False))
        parts.append(
            html(
                '<table class="list commits"><thead><tr><th>Commit</th><th>Author</th>'
                "<th>Subject</th></tr></thead><tbody>{rows}</tbody></table>",
                rows=join(rows),
            )
        )
    tags = metadata.get("tags")
    if isinstance(tags, list) and tags:
        parts.append(
            html(
                '<p class="tags">Tags: {tags}</p>',
                tags=join(
                    (
                        html(
                            '<span class="tag" title="{c}">{name}</span>',
                            name=str(t.get("name") or ""),
                            c=str(t.get("commit") or ""),
                        )
                        for t in tags
                        if isinstance(t, dict)
                    ),
                    " ",
                ),
            )
        )
    raw = json.dumps(metadata, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    parts.append(
        html(
            '<details class="raw"><summary>All metadata (JSON)</summary>'
            '<pre class="code">{raw}</pre></details>',
            raw=raw,
        )
    )
    return html('<section class="metadata"><h2>Metadata</h2>{parts}</section>', parts=join(parts))


def _changes(session: SessionView, changes: list[Any], next_token: str, change_type: str) -> Markup:
    here = session_href(session.session_id)
    filters = join(
        (
            html(
                '<a href="{h}"{cur}>{label}</a>',
                h=url(here, {"type": value}),
                label=label,
                cur=Markup(' class="current"') if value == change_type else "",
            )
            for value, label in [("", "all"), *((t, t) for t in CHANGE_TYPES)]
        ),
        " ",
    )
    items = join(_change_item(session, c) for c in changes)
    more = (
        html(
            '<nav class="pager"><a href="{first}">First page</a> '
            '<a rel="next" href="{h}">Next {n} changes →</a></nav>',
            first=url(here, {"type": change_type}),
            h=url(here, {"type": change_type, "changes": next_token}),
            n=CHANGES_PER_PAGE,
        )
        if next_token
        else ""
    )
    return html(
        '<section class="changes"><h2>Changes</h2><p class="count">{stats} · show {filters}'
        '</p><ul class="changes">{items}</ul>{more}</section>',
        stats=stats_summary(*session.stats),
        filters=filters,
        items=items or html('<li class="empty">No changes.</li>'),
        more=more,
    )


def _change_item(session: SessionView, change: Any) -> Markup:
    href = session_href(session.session_id) + "/change"
    content_url = url(href, {"path": change.file_path})
    diff_url = url(href, {"path": change.file_path, "view": "diff"})
    history_url = url(
        project_href(session.organization, session.project, "history"), {"path": change.file_path}
    )
    return html(
        '<li class="change"><details class="viewer">'
        '<summary>{badge} <span class="path">{path}</span> <span class="size">{size}</span>'
        "{note}</summary>"
        '<nav class="tabs"><a class="current" href="{content}" data-fragment="{content_f}">'
        "Content</a>"
        '<a href="{diff}" data-fragment="{diff_f}">Diff</a>'
        '<a href="{history}">History</a>{blame}</nav>'
        '<div class="holder" data-src="{content_f}">'
        '<a href="{content}">Open the content</a></div></details></li>',
        blame=_blame_link(
            session.organization,
            session.project,
            session.landing_position,
            change.file_path,
            change.change_type,
            change.mode,
        ),
        badge=change_badge(change.change_type),
        path=change.file_path,
        size=size(change.size) if change.change_type != ChangeType.DELETED else "",
        note=_kind_note(change.mode, change.metadata),
        content=content_url,
        content_f=url(href, {"path": change.file_path, "fragment": "1"}),
        diff=diff_url,
        diff_f=url(href, {"path": change.file_path, "view": "diff", "fragment": "1"}),
        history=history_url,
    )


def _blame_link(
    org: str, project: str, position: int, path: str, change_type: str, mode: int
) -> Markup:
    """Blame and folder links of a file as a landed session left it (none for a deletion,
    a symlink or a submodule: no lines to blame)."""
    if not position or change_type == ChangeType.DELETED:
        return Markup("")
    at = str(position)
    folder = html(
        '<a href="{h}">Folder</a>', h=files.tree_href(org, project, at, path.rpartition("/")[0])
    )
    if mode not in (FileMode.FILE, FileMode.EXECUTABLE):
        return folder
    return html(
        '<a href="{h}">Blame</a>{folder}',
        h=files.blame_href(org, project, at, path),
        folder=folder,
    )


def _kind_note(mode: int, metadata: dict[str, Any]) -> Markup:
    notes = []
    if mode == FileMode.SYMLINK:
        notes.append("symlink")
    elif mode == FileMode.GITLINK:
        notes.append("submodule")
    elif mode == 0o100755:
        notes.append("executable")
    for key, label in (("renamed_from", "from"), ("renamed_to", "to")):
        if isinstance(metadata.get(key), str):
            notes.append(f"renamed {label} {metadata[key]}")
    return join(html(' <span class="note">{n}</span>', n=n) for n in notes)


# --- the change viewer ---------------------------------------------------------------------


def change(ctx: Context, request: Request, session_id: str) -> Response:
    """One change's content or diff: a fragment for the page's script, or a whole page."""
    path = request.arg("path")
    detail = ctx.services.browse.change(request.user, session_id, path)
    view = "diff" if request.arg("view") == "diff" else "content"
    inner = _diff(ctx, request, detail) if view == "diff" else _content(ctx, request, detail)
    if request.fragment:
        return ok(inner)
    href = session_href(session_id) + "/change"
    tabs = html(
        '<nav class="tabs"><a href="{c}"{cc}>Content</a><a href="{d}"{dc}>Diff</a>'
        '<a href="{h}">History</a>{blame}</nav>',
        blame=_blame_link(
            detail.organization,
            detail.project,
            detail.landing_position,
            detail.change.file_path,
            detail.change.change_type,
            detail.change.mode,
        ),
        c=url(href, {"path": path}),
        d=url(href, {"path": path, "view": "diff"}),
        cc=Markup(' class="current"') if view == "content" else "",
        dc=Markup(' class="current"') if view == "diff" else "",
        h=url(project_href(detail.organization, detail.project, "history"), {"path": path}),
    )
    body = html(
        '<h1>{badge} <code class="path">{path}</code></h1>'
        '<p>In session <a href="{s}">{sid}</a>{pos}</p>{tabs}{inner}',
        badge=change_badge(detail.change.change_type),
        path=detail.change.file_path,
        s=session_href(session_id),
        sid=session_id,
        pos=f", landed at #{detail.landing_position}" if detail.landing_position else "",
        tabs=tabs,
        inner=inner,
    )
    crumbs = [
        (detail.organization, org_href(detail.organization)),
        (detail.project, project_href(detail.organization, detail.project)),
        (session_id, session_href(session_id)),
    ]
    return ok(page(detail.change.file_path, body, crumbs=crumbs))


def _content(ctx: Context, request: Request, detail: ChangeDetail) -> Markup:
    change = detail.change
    if change.change_type == ChangeType.DELETED:
        return html(
            '<p class="note">Deleted in this session: it has no content '
            "(see the diff for what was removed).</p>"
        )
    chunks = ctx.services.content.read_change(
        request.user, detail.session_id, change.file_path, b""
    )
    read = diffs.read_capped(chunks, diffs.MAX_VIEW_BYTES)
    facts = html(
        '<p class="facts-line">{size} · mode {mode:o} · sha256 <code>{sha}</code></p>',
        size=f"{change.size:,} bytes",
        mode=change.mode,
        sha=change.sha256 or "—",
    )
    if change.mode == FileMode.SYMLINK:
        return facts + html(
            '<p>Symbolic link to <code class="path">{t}</code></p>', t=diffs.as_text(read.data)
        )
    if change.mode == FileMode.GITLINK:
        return facts + html(
            "<p>Submodule at commit <code>{c}</code></p>", c=diffs.as_text(read.data)
        )
    if diffs.is_binary(read.data, change.metadata):
        return facts + html('<p class="binary">binary, {n:,} bytes</p>', n=change.size)
    if not read.data:
        return facts + html('<p class="empty">(empty file)</p>')
    cut = (
        html(
            '<p class="note">Showing the first {shown} of {total}.</p>',
            shown=size(len(read.data)),
            total=size(change.size),
        )
        if read.truncated
        else ""
    )
    return facts + html(
        '<pre class="code">{text}</pre>{cut}', text=diffs.as_text(read.data), cut=cut
    )


def _diff(ctx: Context, request: Request, detail: ChangeDetail) -> Markup:
    change, previous = detail.change, detail.previous
    old = new = None
    old_binary = new_binary = False
    old_path = previous.change.file_path if previous is not None else change.file_path
    if previous is not None and previous.change.change_type != ChangeType.DELETED:
        chunks = ctx.services.content.read_file(
            request.user,
            detail.organization,
            detail.project,
            old_path,
            b"",
            previous.landing_position,
        )
        old = diffs.read_capped(chunks, diffs.MAX_DIFF_BYTES)
        old_binary = diffs.is_binary(old.data, previous.change.metadata)
    if change.change_type != ChangeType.DELETED:
        chunks = ctx.services.content.read_change(
            request.user, detail.session_id, change.file_path, b""
        )
        new = diffs.read_capped(chunks, diffs.MAX_DIFF_BYTES)
        new_binary = diffs.is_binary(new.data, change.metadata)
    if previous is None:
        against = html(
            '<p class="facts-line">No earlier version in the project: '
            "the diff is against an empty file.</p>"
        )
    else:
        against = html(
            '<p class="facts-line">Against the version of {path}<a href="{h}">#{p}</a> '
            "({kind})</p>",
            path=f"{old_path} in " if old_path != change.file_path else "",
            h=session_href(previous.session_id),
            p=previous.landing_position,
            kind=previous.change.change_type,
        )
    result = diffs.unified(
        old,
        new,
        old_name=f"a/{old_path}",
        new_name=f"b/{change.file_path}",
        old_binary=old_binary,
        new_binary=new_binary,
    )
    if result.note:
        return against + html('<p class="note diff-note">{n}</p>', n=result.note)
    lines = join(
        # Block spans: each is a line (copying the text still gives one line per span).
        html('<span class="{cls}">{line}</span>', cls=_diff_class(line), line=_show_cr(line))
        for line in result.lines
    )
    cut = (
        html('<p class="note">Diff cut at {n:,} lines.</p>', n=diffs.MAX_DIFF_LINES)
        if result.truncated
        else ""
    )
    return against + html('<pre class="diff">{lines}</pre>{cut}', lines=lines, cut=cut)


def _show_cr(line: str) -> Markup:
    # A styled "\r" rather than the ␍ symbol itself, which common monospace fonts lack.
    marker = html('<span class="cr" title="carriage return">\\r</span>')
    return join(line.split(diffs.CARRIAGE_RETURN), marker)


def _diff_class(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "d-file"
    if line.startswith("@@"):
        return "d-hunk"
    if line.startswith("+"):
        return "d-add"
    if line.startswith("-"):
        return "d-del"
    return "d-ctx"
