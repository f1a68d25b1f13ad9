"""A project's files at any position: the folder browser and a file's blame page.

Both read through the services the gRPC API answers with: the tree is ``ContentService.tree``
(``GetTree``, ``mic ls``) and the blame ``HistoryService.blame`` (``Blame``, ``mic blame``),
so the viewer shows exactly what the same token reads there. ``at=N`` is a landing position
(none: the head, which moves with each landing); a position that is not a number is 400, one
beyond the head 404, as over gRPC.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from micelio.service.errors import InvalidArgument, NotFound
from micelio.service.history import BlameResult
from micelio.vocabulary import FileMode
from micelio.web import diffs, folders
from micelio.web.exchange import Context, Request, Response, ok, redirect
from micelio.web.html import Markup, html, join, url
from micelio.web.layout import (
    first_line,
    page,
    project_crumbs,
    project_href,
    project_tabs,
    session_href,
    size,
    visible,
)

ENTRIES_PER_PAGE = 200
BLAME_LINES_PER_PAGE = 2000
#: Digits of a position: more than any project holds, few enough to refuse absurd input early.
MAX_POSITION_DIGITS = 18


def _number(request: Request, name: str) -> int | None:
    """A non-negative integer parameter (None when absent); InvalidArgument when malformed."""
    text = request.arg(name).strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_POSITION_DIGITS:
        raise InvalidArgument(f"invalid {name} {text!r}: expected a number such as 12")
    return int(text)


@contextmanager
def _streamed(rows: Iterator[folders.Row]) -> Iterator[Iterator[folders.Row]]:
    """A tree stream, closed (its read transaction ended) however the reading stops."""
    try:
        yield rows
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


def _at_query(asked: int | None, position: int) -> str:
    """The ``at`` of links from a page: kept when the page was asked at a position, absent
    when it shows the head (so that its links follow the head too)."""
    return "" if asked is None else str(position)


def tree_href(org: str, project: str, at: str, path: str, after: str = "") -> str:
    return url(project_href(org, project, "tree"), {"at": at, "path": path, "after": after})


def blame_href(org: str, project: str, at: str, path: str) -> str:
    return url(project_href(org, project, "blame"), {"at": at, "path": path})


def file_href(session_id: str, path: str) -> str:
    """The file as the session that last set it wrote it: its content at the position."""
    return url(session_href(session_id) + "/change", {"path": path})


def _path_trail(org: str, project: str, at: str, path: str, *, last_is_file: bool) -> Markup:
    """``project / a / b / c``: each folder a link into the browser, the last part as text."""
    parts = path.split("/") if path else []
    links = [html('<a href="{h}">{p}</a>', h=tree_href(org, project, at, ""), p=project)]
    for depth, part in enumerate(parts):
        here = "/".join(parts[: depth + 1])
        if depth == len(parts) - 1:
            cls = "file" if last_is_file else "folder"
            links.append(html('<span class="{c}">{p}</span>', c=cls, p=visible(part)))
        else:
            links.append(
                html('<a href="{h}">{p}</a>', h=tree_href(org, project, at, here), p=visible(part))
            )
    return html(
        '<nav class="pathbar path">{links}</nav>',
        links=join(links, Markup(' <span class="sep">/</span> ')),
    )


def _position_form(action: str, path: str, at: str, position: int, head: int) -> Markup:
    return html(
        '<form class="filters at" method="get" action="{action}">'
        '<input type="hidden" name="path" value="{path}">'
        '<label>Position <input type="text" name="at" value="{at}" size="8" '
        'inputmode="numeric" placeholder="head"></label>'
        '<button type="submit">Go</button>'
        '<span class="count">at #{position:,} of {head:,}{latest}</span></form>',
        action=action,
        path=path,
        at=at,
        position=position,
        head=head,
        latest=" (the head)" if position == head else "",
    )


# --- the folder browser ----------------------------------------------------------------------


def _mode_note(mode: int) -> str:
    if mode == FileMode.SYMLINK:
        return "symlink"
    if mode == FileMode.GITLINK:
        return "submodule"
    if mode == FileMode.EXECUTABLE:
        return "executable"
    return ""


def _entry_row(org: str, project: str, at: str, entry: folders.Entry) -> Markup:
    if entry.kind == folders.FOLDER:
        return html(
            '<tr class="folder"><td class="name"><a class="folder" href="{h}">{name}/</a></td>'
            '<td class="num">{n:,} file{s}</td><td></td><td></td><td></td></tr>',
            h=tree_href(org, project, at, entry.path),
            name=visible(entry.name),
            n=entry.files,
            s="" if entry.files == 1 else "s",
        )
    note = _mode_note(entry.mode)
    text_file = entry.mode in (FileMode.FILE, FileMode.EXECUTABLE)
    actions = [html('<a href="{h}">view</a>', h=file_href(entry.session_id, entry.path))]
    if text_file:
        actions.append(html('<a href="{h}">blame</a>', h=blame_href(org, project, at, entry.path)))
    actions.append(
        html(
            '<a href="{h}">history</a>',
            h=url(project_href(org, project, "history"), {"path": entry.path}),
        )
    )
    return html(
        '<tr class="file{kind}"><td class="name"><a href="{view}">{name}</a>{note}</td>'
        '<td class="num">{size}</td><td><code>{mode:06o}</code></td>'
        '<td><a href="{s}">#{pos}</a></td><td class="actions">{actions}</td></tr>',
        kind=f" {note}" if note else "",
        view=file_href(entry.session_id, entry.path),
        name=visible(entry.name),
        note=html(' <span class="note">{n}</span>', n=note) if note else "",
        size="" if entry.mode == FileMode.GITLINK else size(entry.size),
        mode=entry.mode,
        s=session_href(entry.session_id),
        pos=entry.position,
        actions=join(actions, " · "),
    )


def tree(ctx: Context, request: Request, org: str, project: str) -> Response:
    """``/o/ORG/PROJECT/tree?at=N&path=DIR&after=CURSOR``: what ``DIR`` holds at ``N``."""
    user = request.user
    asked = _number(request, "at")
    folder = request.arg("path").strip("/")
    after = request.arg("after")
    if after and folders.parse_cursor(after) is None:
        raise InvalidArgument(f"invalid page cursor {after!r}")
    content = ctx.services.content
    _, head = content.resolve_position(user, org, project, None)
    _, position = content.resolve_position(user, org, project, asked)
    at = _at_query(asked, position)
    with _streamed(content.tree(user, org, project, position, folder)) as rows:
        listing = folders.list_folder(rows, folder, after=after, size=ENTRIES_PER_PAGE)
    if folder and not (listing.folders or listing.files):
        # Nothing under it: a file there opens its view, else nothing is there at all.
        with _streamed(content.tree(user, org, project, position, folders.parent(folder))) as rows:
            for row in rows:
                if row.file_path == folder:
                    return redirect(file_href(row.session_id, folder))
        raise NotFound(f"{visible(folder)} does not exist in {org}/{project} at #{position}")
    here = project_href(org, project, "tree")
    rows_html = join(_entry_row(org, project, at, entry) for entry in listing.entries)
    table = (
        html(
            '<table class="list files"><thead><tr><th>Name</th><th>Size</th><th>Mode</th>'
            "<th>Last change</th><th></th></tr></thead><tbody>{rows}</tbody></table>",
            rows=rows_html,
        )
        if listing.entries
        else html('<p class="empty">No files at #{p:,}.</p>', p=position)
    )
    pager = join(
        [
            html('<a href="{h}">← First page</a>', h=tree_href(org, project, at, folder))
            if after
            else "",
            html(
                '<a rel="next" href="{h}">Next page →</a>',
                h=tree_href(org, project, at, folder, listing.next_after),
            )
            if listing.next_after
            else "",
        ]
    )
    body = html(
        "<h1>Files of {org}/{project}</h1>{tabs}{form}{trail}"
        '<p class="count">{folders:,} folder{fs}, {files:,} file{s}</p>{table}'
        '<nav class="pager">{pager}</nav>',
        org=org,
        project=project,
        tabs=project_tabs(org, project, "tree"),
        form=_position_form(here, folder, at, position, head),
        trail=_path_trail(org, project, at, folder, last_is_file=False),
        folders=listing.folders,
        fs="" if listing.folders == 1 else "s",
        files=listing.files,
        s="" if listing.files == 1 else "s",
        table=table,
        pager=pager,
    )
    crumbs = [*project_crumbs(org, project), ("files", here)]
    title = f"{visible(folder) or project} at #{position}"
    return ok(page(title, body, crumbs=crumbs))


# --- blame ---------------------------------------------------------------------------------


def _blame_rows(result: BlameResult, start: int, stop: int) -> Markup:
    """One row a line; the session's cell only where a run of its lines begins."""
    rows = []
    previous = -1
    for number in range(start, stop):
        index, text = result.lines[number - 1]
        if index != previous:
            origin = result.origins[index]
            cell = html(
                '<td class="origin"><a href="{h}" title="{sid}">#{pos}</a> '
                '<span class="goal" title="{goal_full}">{goal}</span></td>',
                h=session_href(origin.session_id),
                sid=origin.session_id,
                pos=origin.position,
                goal=first_line(origin.goal),
                goal_full=origin.goal,
            )
            cls = "run"
        else:
            cell, cls = html('<td class="origin"></td>'), "more"
        previous = index
        rows.append(
            html(
                '<tr class="{cls}" id="L{n}">{cell}<td class="ln"><a href="#L{n}">{n}</a></td>'
                '<td class="code">{text}</td></tr>',
                cls=cls,
                n=number,
                cell=cell,
                text=diffs.as_text(text).replace("\r", diffs.CARRIAGE_RETURN),
            )
        )
    return join(rows)


def blame(ctx: Context, request: Request, org: str, project: str) -> Response:
    """``/o/ORG/PROJECT/blame?path=FILE&at=N&start=LINE``: each line of ``FILE`` at ``N``
    with the session that last changed it."""
    user = request.user
    path = request.arg("path").strip("/")
    if not path:
        raise InvalidArgument("which file? give its path: blame?path=src/app.py")
    asked = _number(request, "at")
    start = _number(request, "start") or 1
    _, head = ctx.services.content.resolve_position(user, org, project, None)
    result = ctx.services.history.blame(user, org, project, path, b"", asked)
    at = _at_query(asked, result.position)
    total = len(result.lines)
    if total and start > total:
        raise NotFound(
            f"{visible(path)} has {total:,} lines at #{result.position}: no line {start}"
        )
    stop = min(total + 1, start + BLAME_LINES_PER_PAGE)
    sessions = len({index for index, _ in result.lines})
    here = project_href(org, project, "blame")
    pager = join(
        [
            html(
                '<a rel="prev" href="{h}">← Lines {a:,} to {b:,}</a>',
                h=url(
                    here, {"at": at, "path": path, "start": max(1, start - BLAME_LINES_PER_PAGE)}
                ),
                a=max(1, start - BLAME_LINES_PER_PAGE),
                b=start - 1,
            )
            if start > 1
            else "",
            html(
                '<a rel="next" href="{h}">Lines from {a:,} →</a>',
                h=url(here, {"at": at, "path": path, "start": stop}),
                a=stop,
            )
            if stop <= total
            else "",
        ]
    )
    table = (
        html(
            '<table class="blame"><tbody>{rows}</tbody></table>',
            rows=_blame_rows(result, start, stop),
        )
        if total
        else html('<p class="empty">(empty file)</p>')
    )
    body = html(
        '<h1>Blame of <code class="path">{path}</code></h1>{tabs}{form}{trail}'
        '<p class="count">{lines:,} line{ls}, last changed by {sessions:,} session{ss} · '
        '<a href="{history}">history</a></p>{table}<nav class="pager">{pager}</nav>',
        path=visible(path),
        tabs=project_tabs(org, project, "tree"),
        form=_position_form(here, path, at, result.position, head),
        trail=_path_trail(org, project, at, path, last_is_file=True),
        lines=total,
        ls="" if total == 1 else "s",
        sessions=sessions,
        ss="" if sessions == 1 else "s",
        history=url(project_href(org, project, "history"), {"path": path}),
        table=table,
        pager=pager,
    )
    crumbs = [*project_crumbs(org, project), ("blame", url(here, {"at": at, "path": path}))]
    return ok(page(f"Blame of {visible(path)} at #{result.position}", body, crumbs=crumbs))
