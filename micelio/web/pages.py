"""The listing pages: organizations, projects, a project's sessions, a file's history, the
timeline, and the login form. Each handler returns a whole page built with ``html()``."""

from __future__ import annotations

from micelio.service.browse import SessionFilter
from micelio.vocabulary import ChangeType, SessionStatus
from micelio.web import timeline as timeline_svg
from micelio.web.exchange import Context, Request, Response, ok
from micelio.web.html import Markup, html, join, url
from micelio.web.layout import (
    change_badge,
    first_line,
    org_href,
    page,
    project_crumbs,
    project_href,
    project_tabs,
    session_href,
    size,
    stats_summary,
    status_badge,
    when,
)

SESSIONS_PER_PAGE = 50
HISTORY_PER_PAGE = 100
TIMELINE_SPAN = 500
STATUSES = tuple(SessionStatus)


def home(ctx: Context, request: Request) -> Response:
    organizations = ctx.services.projects.list_organizations(request.user)
    items = join(
        html('<li><a href="{href}">{handle}</a></li>', href=org_href(o.handle), handle=o.handle)
        for o in organizations
    )
    body = html(
        "<h1>Organizations</h1>{list}",
        list=html('<ul class="plain">{items}</ul>', items=items)
        if organizations
        else html('<p class="empty">No organization yet.</p>'),
    )
    return ok(page("Organizations", body))


def organization(ctx: Context, request: Request, org: str) -> Response:
    projects = ctx.services.browse.projects(request.user, org)
    rows = join(
        html(
            '<tr><td><a href="{href}">{handle}</a></td><td>{name}</td>'
            '<td class="num">{head:,}</td><td class="num">{active:,}</td>'
            '<td class="num">{landed:,}</td><td class="num">{abandoned:,}</td></tr>',
            href=project_href(org, p.handle),
            handle=p.handle,
            name=p.name if p.name != p.handle else "",
            head=p.head_position,
            active=p.counts.get(SessionStatus.ACTIVE, 0),
            landed=p.counts.get(SessionStatus.LANDED, 0),
            abandoned=p.counts.get(SessionStatus.ABANDONED, 0),
        )
        for p in projects
    )
    table = (
        html(
            '<table class="list"><thead><tr><th>Project</th><th>Name</th><th>Head</th>'
            "<th>Active</th><th>Landed</th><th>Abandoned</th></tr></thead><tbody>{rows}</tbody>"
            "</table>",
            rows=rows,
        )
        if projects
        else html('<p class="empty">No project in this organization yet.</p>')
    )
    body = html("<h1>Projects of {org}</h1>{table}", org=org, table=table)
    return ok(page(org, body, crumbs=[(org, org_href(org))]))


def sessions(ctx: Context, request: Request, org: str, project: str) -> Response:
    where = SessionFilter(
        organization=org,
        project=project,
        status=request.arg("status") if request.arg("status") in STATUSES else "",
        path_glob=request.arg("path").strip(),
        text=request.arg("q").strip(),
        oldest_first=request.arg("sort") == "oldest",
        after=request.arg("after"),
        before=request.arg("before"),
    )
    listing = ctx.services.browse.list_sessions(request.user, where, size=SESSIONS_PER_PAGE)
    filters = {
        "sort": "oldest" if where.oldest_first else "",
        "status": where.status,
        "path": where.path_glob,
        "q": where.text,
    }
    here = project_href(org, project)
    rows = join(
        html(
            '<tr><td class="num">{pos}</td><td>{badge}</td>'
            '<td class="goal"><a href="{href}">{goal}</a></td>'
            '<td><span title="{author}">{author_name}</span></td>'
            "<td>{started}</td><td>{landed}</td><td>{stats}</td></tr>",
            pos=f"#{r.landing_position}" if r.landing_position else "—",
            badge=status_badge(r.status),
            href=session_href(r.session_id),
            goal=first_line(r.goal),
            author=r.author,
            author_name=r.author.split(" <")[0] or "—",
            started=when(r.started_at),
            landed=when(r.landed_at),
            stats=stats_summary(*r.stats),
        )
        for r in listing.rows
    )
    count = f"{listing.total:,}{'+' if listing.total_capped else ''}"
    noun = "session" if listing.total == 1 else "sessions"
    newer, older = ("Older", "Newer") if where.oldest_first else ("Newer", "Older")
    pager = join(
        [
            html(
                '<a rel="prev" href="{h}">← {label}</a>',
                label=newer,
                h=url(here, {**filters, "before": listing.previous_key}),
            )
            if listing.previous_key
            else "",
            html(
                '<a rel="next" href="{h}">{label} →</a>',
                label=older,
                h=url(here, {**filters, "after": listing.next_key}),
            )
            if listing.next_key
            else "",
        ]
    )
    table = (
        html(
            '<table class="list sessions"><thead><tr><th>Pos.</th><th>Status</th><th>Goal</th>'
            "<th>Author</th><th>Started</th><th>Landed</th><th>Changes</th></tr></thead>"
            "<tbody>{rows}</tbody></table>",
            rows=rows,
        )
        if listing.rows
        else html('<p class="empty">No session matches.</p>')
    )
    body = html(
        "<h1>{org}/{project}</h1>{tabs}{form}"
        '<p class="count">{count} {noun}{matching}</p>{table}<nav class="pager">{pager}</nav>',
        org=org,
        project=project,
        tabs=project_tabs(org, project, ""),
        form=_filter_form(here, where),
        count=count,
        noun=noun,
        matching=" matching" if any(filters.values()) else "",
        table=table,
        pager=pager,
    )
    return ok(page(f"{org}/{project}", body, crumbs=project_crumbs(org, project)))


def _filter_form(action: str, where: SessionFilter) -> Markup:
    def option(value: str, label: str, current: str) -> Markup:
        selected = Markup(" selected") if value == current else ""
        return html('<option value="{v}"{s}>{label}</option>', v=value, s=selected, label=label)

    statuses = join(
        option(value, label, where.status)
        for value, label in [("", "all"), *((s, s) for s in STATUSES)]
    )
    sort = "oldest" if where.oldest_first else "newest"
    return html(
        '<form class="filters" method="get" action="{action}">'
        '<label>Sort <select name="sort">{newest}{oldest}</select></label>'
        '<label>Status <select name="status">{statuses}</select></label>'
        '<label>Path <input type="text" name="path" value="{path}" placeholder="src/**/*.py">'
        "</label>"
        '<label>Search <input type="search" name="q" value="{q}" '
        'placeholder="goal or conversation"></label>'
        '<button type="submit">Filter</button></form>',
        action=action,
        statuses=statuses,
        path=where.path_glob,
        q=where.text,
        newest=option("newest", "newest first", sort),
        oldest=option("oldest", "oldest first", sort),
    )


def history(ctx: Context, request: Request, org: str, project: str) -> Response:
    path = request.arg("path")
    crumbs = [*project_crumbs(org, project), ("history", project_href(org, project, "history"))]
    form = html(
        '<form class="filters" method="get" action="{action}">'
        '<label>Path <input type="text" name="path" value="{path}" size="60" '
        'placeholder="exact path, e.g. src/app.py"></label>'
        '<button type="submit">Show history</button></form>',
        action=project_href(org, project, "history"),
        path=path,
    )
    if not path:
        body = html(
            "<h1>File history</h1>{tabs}{form}",
            tabs=project_tabs(org, project, "history"),
            form=form,
        )
        return ok(page("File history", body, crumbs=crumbs))
    before = request.arg("before")
    listing = ctx.services.browse.file_history(
        request.user,
        org,
        project,
        path,
        before=int(before) if before.isdigit() else 0,
        size=HISTORY_PER_PAGE,
    )
    rows = join(
        html(
            '<tr><td class="num">#{pos}</td><td>{badge}</td><td class="goal">'
            '<a href="{href}">{goal}</a></td><td>{landed}</td><td class="num">{size}</td>'
            '<td>{note}</td><td><a href="{diff}">diff</a></td></tr>',
            pos=r.landing_position,
            badge=change_badge(r.change_type),
            href=session_href(r.session_id),
            goal=first_line(r.goal),
            landed=when(r.landed_at),
            size=size(r.size) if r.change_type != ChangeType.DELETED else "",
            note=_rename_note(r.metadata),
            diff=url(session_href(r.session_id) + "/change", {"path": path, "view": "diff"}),
        )
        for r in listing.rows
    )
    table = (
        html(
            '<table class="list history"><thead><tr><th>Pos.</th><th>Change</th><th>Session</th>'
            "<th>Landed</th><th>Size</th><th></th><th></th></tr></thead><tbody>{rows}</tbody>"
            "</table>",
            rows=rows,
        )
        if listing.rows
        else html('<p class="empty">No landed session changed this path.</p>')
    )
    more = (
        html(
            '<nav class="pager"><a rel="next" href="{h}">Older →</a></nav>',
            h=url(
                project_href(org, project, "history"), {"path": path, "before": listing.next_before}
            ),
        )
        if listing.next_before
        else ""
    )
    body = html(
        '<h1>History of <code class="path">{path}</code></h1>{tabs}{form}{table}{more}',
        path=path,
        tabs=project_tabs(org, project, "history"),
        form=form,
        table=table,
        more=more,
    )
    return ok(page(f"History of {path}", body, crumbs=crumbs))


def _rename_note(metadata: dict[str, object]) -> Markup:
    for key, label in (("renamed_from", "renamed from"), ("renamed_to", "renamed to")):
        other = metadata.get(key)
        if isinstance(other, str):
            return html(
                '<span class="note">{label} <code class="path">{p}</code></span>',
                label=label,
                p=other,
            )
    return Markup("")


def timeline(ctx: Context, request: Request, org: str, project: str) -> Response:
    last = request.arg("last")
    view = ctx.services.browse.timeline(
        request.user,
        org,
        project,
        last=int(last) if last.isdigit() else 0,
        span=TIMELINE_SPAN,
    )
    here = project_href(org, project, "timeline")
    pager = join(
        [
            html('<a rel="prev" href="{h}">← Earlier</a>', h=url(here, {"last": view.first - 1}))
            if view.first > 1
            else "",
            html(
                '<a rel="next" href="{h}">Later →</a>',
                h=url(here, {"last": min(view.head, view.last + TIMELINE_SPAN)}),
            )
            if view.last < view.head
            else "",
        ]
    )
    body = html(
        "<h1>Timeline of {org}/{project}</h1>{tabs}"
        '<p class="count">Landing positions #{first:,} to #{last:,} of {head:,}; '
        "a circle's area grows with the session's number of changes.</p>"
        '<figure class="timeline">{svg}</figure><nav class="pager">{pager}</nav>',
        org=org,
        project=project,
        tabs=project_tabs(org, project, "timeline"),
        first=view.first if view.head else 0,
        last=view.last,
        head=view.head,
        svg=timeline_svg.render(view),
        pager=pager,
    )
    crumbs = [*project_crumbs(org, project), ("timeline", here)]
    return ok(page(f"Timeline of {org}/{project}", body, crumbs=crumbs))


def login(next_path: str, error: str = "", status: int = 200) -> Response:
    body = html(
        '<section class="login"><h1>Log in</h1>'
        '{error}<form method="post" action="/login">'
        '<input type="hidden" name="next" value="{next}">'
        '<label>Token <input type="password" name="token" autocomplete="off" required '
        'autofocus placeholder="mic_..."></label>'
        '<button type="submit">Log in</button></form>'
        '<p class="hint">A mic token, as for the <code>mic</code> command: '
        "<code>mic token create --org ORG --role read</code> makes one that can read one "
        "organization. It is kept in an HTTP-only cookie until you log out.</p></section>",
        error=html('<p class="error" role="alert">{e}</p>', e=error) if error else "",
        next=next_path,
    )
    return ok(page("Log in", body, logged_in=False), status)
