"""The viewer's only assets, served by the app itself (no CDN, nothing fetched at run time).

The script is the one piece of JavaScript: it loads a change's content or diff when its
``<details>`` opens. Fragments it inserts were escaped on the server; the Content-Security-
Policy allows scripts from this origin only, so nothing inline in them could run anyway.
"""

from __future__ import annotations

CSS = """\
:root { --fg: #1d2430; --muted: #5b6576; --line: #d9dee7; --bg: #fff; --soft: #f5f7fa;
  --accent: #2456b3; --green: #1f7a3a; --red: #b3261e; --amber: #8a5a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--fg); background: var(--bg); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header.top { display: flex; justify-content: space-between; align-items: center;
  padding: 8px 24px; border-bottom: 1px solid var(--line); background: var(--soft); }
header.top nav { font-size: 15px; overflow-wrap: anywhere; }
.brand { font-weight: 700; letter-spacing: .5px; }
.sep { color: var(--muted); }
form.logout button { font-size: 13px; }
main { padding: 16px 24px 32px; max-width: 1200px; }
footer { padding: 12px 24px; color: var(--muted); font-size: 12px;
  border-top: 1px solid var(--line); }
h1 { font-size: 22px; margin: 8px 0 12px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 24px 0 8px; border-bottom: 1px solid var(--line); }
code, pre, .path { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  font-size: 13px; }
.path { white-space: pre-wrap; overflow-wrap: anywhere; }
.empty, .note, .hint, .count, .facts-line { color: var(--muted); }
.error { color: var(--red); font-weight: 600; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px;
  font-weight: 600; line-height: 19px; border: 1px solid transparent; }
.st-active { background: #e7efff; color: var(--accent); border-color: #b9cdf5; }
.st-landed { background: #e6f4ea; color: var(--green); border-color: #b7dfc2; }
.st-abandoned { background: #f1f1f1; color: #666; border-color: #ccc; }
.ch-added { background: #e6f4ea; color: var(--green); }
.ch-modified { background: #fff4dc; color: var(--amber); }
.ch-deleted { background: #fde8e7; color: var(--red); }
table.list { border-collapse: collapse; width: 100%; }
table.list th, table.list td { text-align: left; padding: 5px 8px;
  border-bottom: 1px solid var(--line); vertical-align: top; }
table.list th { font-size: 12px; text-transform: uppercase; color: var(--muted); }
table.list time { white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.goal { max-width: 460px; overflow-wrap: anywhere; }
tr.brought-in td { background: var(--soft); }
.stats .n-added { color: var(--green); } .stats .n-modified { color: var(--amber); }
.stats .n-deleted { color: var(--red); } .stats .total { font-weight: 600; }
ul.plain { padding-left: 18px; }
form.filters { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: end;
  margin: 8px 0 12px; padding: 10px; background: var(--soft); border-radius: 6px; }
form.filters label { display: flex; flex-direction: column; font-size: 12px;
  color: var(--muted); }
input, select, button { font: inherit; padding: 4px 6px; }
nav.tabs { display: flex; gap: 14px; margin: 6px 0 10px; }
nav.tabs a.current { font-weight: 700; color: var(--fg); }
nav.pager { display: flex; gap: 20px; margin: 12px 0; }
header.session { display: flex; gap: 12px; align-items: baseline; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px;
  margin: 8px 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
article.message { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0;
  padding: 8px 12px; }
article.message header { font-size: 13px; color: var(--muted); margin-bottom: 4px; }
article.message .role { font-weight: 700; color: var(--fg); text-transform: uppercase;
  font-size: 11px; letter-spacing: .5px; }
.role-human { border-left: 4px solid var(--accent); }
.role-agent { border-left: 4px solid #7a3fb3; }
.role-commit, .role-merge { border-left: 4px solid var(--green); }
section.decisions li { margin-bottom: 10px; }
p.decision { font-weight: 600; margin: 0; }
p.when { font-size: 12px; color: var(--muted); margin: 2px 0 0; }
.tag { display: inline-block; background: var(--soft); border: 1px solid var(--line);
  border-radius: 4px; padding: 0 6px; font-size: 13px; }
ul.changes { list-style: none; padding: 0; margin: 0; }
li.change { border-bottom: 1px solid var(--line); padding: 3px 0; }
li.change summary { cursor: pointer; }
li.change .size { color: var(--muted); font-size: 12px; margin-left: 6px; }
li.change .note, span.note { color: var(--muted); font-size: 12px; margin-left: 6px; }
.holder { margin: 4px 0 10px; }
pre.code, pre.diff { background: var(--soft); border: 1px solid var(--line);
  border-radius: 4px; padding: 8px; overflow: auto; max-height: 70vh; margin: 4px 0; }
pre.diff span { display: block; white-space: pre; }
.d-add { background: #e6f4ea; } .d-del { background: #fde8e7; }
.d-hunk { color: var(--accent); } .d-file { color: var(--muted); font-weight: 600; }
.binary { font-style: italic; }
pre.diff .cr { display: inline; color: var(--muted); font-size: 11px; }
nav.pathbar { margin: 6px 0; font-size: 15px; }
nav.pathbar .file, nav.pathbar .folder { font-weight: 700; }
form.at { align-items: center; } form.at label { flex-direction: row; gap: 6px;
  align-items: center; }
table.files td.name a.folder { font-weight: 600; }
table.files td.name { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  font-size: 13px; white-space: pre-wrap; overflow-wrap: anywhere; }
table.files td.actions { white-space: nowrap; font-size: 13px; }
table.blame { border-collapse: collapse; width: 100%; font-size: 13px; }
table.blame td { padding: 0 8px; vertical-align: top; }
table.blame tr.run td { border-top: 1px solid var(--line); }
table.blame td.origin { width: 30%; max-width: 360px; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; background: var(--soft); }
table.blame td.origin .goal { color: var(--muted); }
table.blame td.ln { text-align: right; color: var(--muted); width: 1%;
  font-variant-numeric: tabular-nums; }
table.blame td.ln a { color: inherit; }
table.blame td.code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  white-space: pre; }
table.blame tr:target td { background: #fff8c5; }
section.login { max-width: 460px; margin: 40px auto; }
section.login form { display: flex; flex-direction: column; gap: 10px; }
section.login label { display: flex; flex-direction: column; gap: 4px; }
figure.timeline { margin: 8px 0; }
svg.timeline { width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px;
  background: #fcfdfe; }
.tl-axis { stroke: #9aa3b2; stroke-width: 1; }
.tl-label { fill: var(--muted); font-size: 11px; }
.tl-point { fill: var(--accent); fill-opacity: .45; stroke: var(--accent); stroke-width: 1; }
.tl-point.tl-empty { fill: #fff; }
a:hover .tl-point { fill-opacity: .9; }
"""

JS = """\
"use strict";
// A change's <details> loads its content (a server-escaped HTML fragment) the first time
// it opens; its Content/Diff links then load into the same place instead of navigating.
function load(holder, src) {
  holder.textContent = "Loading…";
  fetch(src, { credentials: "same-origin" })
    .then((answer) => answer.text().then((text) => {
      if (answer.redirected || answer.status === 401) {
        holder.textContent = "Logged out: reload the page to log in again.";
      } else {
        holder.innerHTML = text;
      }
    }))
    .catch((error) => { holder.textContent = "Could not load: " + error; });
}
document.addEventListener("toggle", (event) => {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement) || !details.open) return;
  const holder = details.querySelector(":scope > .holder[data-src]");
  if (holder && !holder.dataset.loaded) {
    holder.dataset.loaded = "1";
    load(holder, holder.dataset.src);
  }
}, true);
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element && event.target.closest("a[data-fragment]");
  if (!link) return;
  const holder = link.closest("details")?.querySelector(":scope > .holder");
  if (!holder) return;
  event.preventDefault();
  for (const tab of link.parentElement.children) tab.classList.toggle("current", tab === link);
  holder.dataset.loaded = "1";
  load(holder, link.dataset.fragment);
});
"""

FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<circle cx="8" cy="8" r="7" fill="#2456b3"/></svg>'
)

#: path -> (content type, body)
ASSETS: dict[str, tuple[str, bytes]] = {
    "/static/app.css": ("text/css; charset=utf-8", CSS.encode()),
    "/static/app.js": ("text/javascript; charset=utf-8", JS.encode()),
    "/static/favicon.svg": ("image/svg+xml", FAVICON.encode()),
}
