"""`mic status`, without typer or rich: the command's fast path (``cli/main.py``) and its
typer command (``status_cmd``) both run ``show``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from micelio.cli.plain import print_json, safe, shown_path
from micelio.vocabulary import ChangeType

if TYPE_CHECKING:
    from micelio.workdir.status import Status

_MARK = {ChangeType.ADDED: "A", ChangeType.MODIFIED: "M", ChangeType.DELETED: "D"}


def status_text(st: Status) -> list[str]:
    """The lines `mic status` prints."""
    where = f"{safe(st.organization)}/{safe(st.project)} at position {st.base_position}"
    if st.behind:
        where += f" (head {st.head_position}: {st.behind} behind; `mic sync` brings it)"
    else:
        where += " (the head)"
    lines = [f"{where}  {safe(str(st.root))}"]
    lines.append(f"session {st.session_id}" if st.session_id else "no active session")
    if st.changes:
        counts = ", ".join(f"{st.count(kind)} {kind}" for kind in _MARK)
        lines.append(f"pending changes: {counts}")
        lines += [f"  {_MARK[c.kind]} {shown_path(c.path)}" for c in st.changes]
    else:
        lines.append("no pending changes")
    if st.conflicts:
        lines.append(f"conflicts ({len(st.conflicts)}): `mic resolve PATH` once fixed")
        lines += [f"  C {shown_path(p)}" for p in st.conflicts]
    else:
        lines.append("no conflicts")
    lines += [f"  cannot land {shown_path(p)}: {safe(r)}" for p, r in st.invalid]
    return lines


def show(server: str | None, token: str | None, as_json: bool) -> None:
    """`mic status [--json]` (the JSON shape: docs/cli-json.md)."""
    from micelio.client import MicClient
    from micelio.workdir import workflow
    from micelio.workdir.status import status as compute
    from micelio.workdir.status import status_to_dict

    root, state = workflow.current(Path.cwd())
    with MicClient.from_environment(server, token, fallback_server=state.server) as mic:
        st = compute(mic, root, state)
    if as_json:
        print_json(status_to_dict(st))
        return
    sys.stdout.write("".join(line + "\n" for line in status_text(st)))


def fast_args(argv: list[str]) -> tuple[str | None, str | None, bool] | None:
    """``(server, token, as_json)`` when ``argv`` is a plain `status` command line, which
    ``main`` then runs without typer (its import and parsing are a third of the command's
    start-up); None for anything else (``--help``, a typo: typer answers those)."""
    if not argv or argv[0] != "status":
        return None
    found: dict[str, str | None] = {"--server": None, "--token": None}
    as_json = False
    rest = argv[1:]
    while rest:
        arg = rest.pop(0)
        name, eq, value = arg.partition("=")
        if arg == "--json":
            as_json = True
        elif name in found and eq and value:
            found[name] = value
        elif arg in found and rest and not rest[0].startswith("-"):
            found[arg] = rest.pop(0)
        else:
            return None
    return found["--server"], found["--token"], as_json
