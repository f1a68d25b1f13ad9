"""History at the terminal: `mic log`, `mic blame`, `mic cat`, `mic ls`.

The server computes (``service/history.py``); these commands parse, call and print. The
project is ``--project ORG/PROJECT``, else the checkout's (``.mic/``); a PATH given inside a
checkout is taken relative to the current folder, as git does. Data goes to stdout as plain
text, never through rich's markup (a goal may hold ``[brackets]``), with control characters
in names escaped; file contents (`cat`, blame's lines) go out as their exact bytes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from micelio.cli.errors import NOT_FOUND, USAGE, CliError
from micelio.cli.output import (
    JsonOpt,
    ServerOpt,
    TokenOpt,
    connect,
    print_json_array,
    safe,
    split_ref,
    when,
)
from micelio.cli.plain import shown_path as shown_path  # re-exported for the commands
from micelio.vocabulary import FileMode

if TYPE_CHECKING:  # the client (grpc, protobuf) loads when a command runs, not for --help
    from micelio.client import BlameLine, LogEntry, MicClient, TreeEntry

ProjectOpt = Annotated[
    str | None,
    typer.Option(
        "--project",
        metavar="ORG/PROJECT",
        help="The project (default: the checkout's).",
        show_default=False,
    ),
]
AtOpt = Annotated[
    int | None,
    typer.Option("--at", metavar="POSITION", help="Landing position (default: the head).", min=0),
]
#: How much of a goal a line of text shows.
GOAL_WIDTH = 60


@dataclass(frozen=True)
class Target:
    """Where a command reads: the project, and the checkout's root when there is one."""

    organization: str
    project: str
    server: str | None  # the checkout's recorded server, the fallback for connecting
    root: Path | None


def target(ref: str | None) -> Target:
    """``--project`` when given, else the checkout around the current folder."""
    from micelio.workdir.state import find_root, load_state

    if ref is not None:
        return Target(*split_ref(ref), None, None)
    root = find_root(Path.cwd().resolve())
    state = load_state(root) if root else None
    if state is None or root is None:
        raise CliError("not in a mic checkout: pass --project ORG/PROJECT", USAGE)
    return Target(state.organization, state.project, state.server, root)


def project_path(where: Target, given: str) -> bytes:
    """The project path of a PATH argument: inside a checkout relative to the current folder
    (``..`` may climb to the checkout's root, not above it), else as given."""
    raw = os.fsencode(given)
    if where.root is None:
        path = os.path.normpath(raw.strip(b"/") or b".")
        return b"" if path == b"." else path
    root = os.fsencode(where.root.resolve())
    absolute = os.path.join(os.fsencode(Path.cwd().resolve()), raw)
    joined = os.path.relpath(os.path.normpath(absolute), root)
    if joined == b".":
        return b""
    if joined == b".." or joined.startswith(b"../"):
        raise CliError(f"{given} is outside the checkout {where.root}", USAGE)
    return joined


def first_line(goal: str, width: int = GOAL_WIDTH) -> str:
    line = safe(goal.strip().split("\n", 1)[0])
    return line if len(line) <= width else line[: width - 1] + "…"


def _write(text: str) -> None:
    sys.stdout.write(text)


# --- log --------------------------------------------------------------------------------------


def log_to_dict(entry: LogEntry) -> dict[str, Any]:
    """The shape of ``mic log --json`` (docs/cli-json.md), shared with ``mic mcp``."""
    from micelio.client.shapes import log_entry_to_dict

    return log_entry_to_dict(entry)


def log_line(entry: LogEntry, followed: str) -> str:
    from micelio.client import describe_identity

    s = entry.stats
    renamed = f" [as {safe(entry.file_path)}]" if entry.file_path != followed else ""
    return (
        f"@{entry.position}  {entry.session_id}  {when(entry.landed_at)}  "
        f"{safe(describe_identity(entry.landed_by))}  +{s.added} ~{s.modified} -{s.deleted}  "
        f"{first_line(entry.goal)}{renamed}\n"
    )


def log(
    path: Annotated[
        str | None, typer.Argument(metavar="[PATH]", help="Only sessions that changed it.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", help="At most N sessions (0: all).", min=0)
    ] = 0,
    at: AtOpt = None,
    project: ProjectOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Landed sessions, newest first; with PATH only those that changed it, following
    renames."""
    where = target(project)
    raw = project_path(where, path) if path is not None else b""  # b"": every session
    with connect(server, token, fallback=where.server) as mic:
        entries = mic.log(where.organization, where.project, raw, limit=limit, position=at)
        if as_json:
            print_json_array(log_to_dict(e) for e in entries)
            return
        followed = os.fsdecode(raw).encode("utf-8", "backslashreplace").decode() if raw else ""
        count = 0
        for entry in entries:
            _write(log_line(entry, followed or entry.file_path))
            count += 1
        if not count:
            _write("no sessions\n")


# --- blame ------------------------------------------------------------------------------------


def blame_to_dict(line: BlameLine) -> dict[str, Any]:
    """The shape of ``mic blame --json`` (docs/cli-json.md), shared with ``mic mcp``."""
    from micelio.client.shapes import blame_line_to_dict

    return blame_line_to_dict(line)


def blame_text(lines: Iterable[BlameLine]) -> Iterator[bytes]:
    """git blame's layout: who, then the line number and the line's exact bytes."""
    for line in lines:
        head = f"@{line.position:<5} {line.session_id[:12]:<12} {first_line(line.goal, 30):<30} "
        yield head.encode() + f"{line.line:>5}) ".encode() + line.text + b"\n"


def blame(
    path: Annotated[str, typer.Argument(metavar="PATH", help="A file of the project.")],
    at: AtOpt = None,
    project: ProjectOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Each line of a file with the session that last changed it (position, id, goal)."""
    where = target(project)
    raw = _file_arg(where, path)
    with connect(server, token, fallback=where.server) as mic:
        lines = mic.blame(where.organization, where.project, raw, position=at)
        if as_json:
            print_json_array(blame_to_dict(line) for line in lines)
            return
        out = sys.stdout.buffer
        for chunk in blame_text(lines):
            out.write(chunk)
        out.flush()


# --- cat, ls ----------------------------------------------------------------------------------


def cat(
    path: Annotated[str, typer.Argument(metavar="PATH", help="A file of the project.")],
    at: AtOpt = None,
    project: ProjectOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """A file's exact bytes at a position (default: the head), to stdout."""
    where = target(project)
    raw = _file_arg(where, path)
    with connect(server, token, fallback=where.server) as mic:
        out = sys.stdout.buffer
        for chunk in mic.read_file(where.organization, where.project, raw, position=at):
            out.write(chunk)
        out.flush()


@dataclass(frozen=True)
class Listed:
    """One entry of ``mic ls``: a file (its mode and size) or a folder (once, size 0)."""

    path: bytes
    mode: int
    size: int

    @property
    def kind(self) -> str:
        return {
            FileMode.TREE: "folder",
            FileMode.SYMLINK: "symlink",
            FileMode.GITLINK: "gitlink",
            FileMode.EXECUTABLE: "executable",
        }.get(FileMode(self.mode), "file")


def children(folder: bytes, entries: Iterable[TreeEntry]) -> list[Listed]:
    """The entries directly in ``folder`` (b"": the root): files, and each subfolder once."""
    prefix = folder + b"/" if folder else b""
    out: list[Listed] = []
    seen: set[bytes] = set()
    for entry in entries:
        if not entry.path.startswith(prefix):
            continue
        name, sep, _ = entry.path[len(prefix) :].partition(b"/")
        if sep:
            if name not in seen:
                seen.add(name)
                out.append(Listed(prefix + name, FileMode.TREE, 0))
        else:
            out.append(Listed(entry.path, int(entry.mode), entry.size))
    return sorted(out, key=lambda item: item.path)


def listing(mic: MicClient, where: Target, folder: bytes, at: int | None) -> list[Listed]:
    """What ``mic ls`` shows; NotFound-like error when ``folder`` is neither folder nor file."""
    text = os.fsdecode(folder)
    found = children(
        folder, mic.get_tree(where.organization, where.project, position=at, path_prefix=text)
    )
    if found or not folder:
        return found
    parent = os.path.dirname(folder)
    around = mic.get_tree(
        where.organization, where.project, position=at, path_prefix=os.fsdecode(parent)
    )
    same = [Listed(e.path, int(e.mode), e.size) for e in around if e.path == folder]
    if not same:
        raise CliError(
            f"{shown_path(folder)} does not exist in {where.organization}/"
            f"{where.project}" + (f" at {at}" if at is not None else ""),
            NOT_FOUND,
        )
    return same


def ls(
    folder: Annotated[
        str | None,
        typer.Argument(metavar="[DIR]", help="A folder (default: the current one, or the root)."),
    ] = None,
    at: AtOpt = None,
    project: ProjectOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The files and folders directly in a folder at a position (default: the head)."""
    where = target(project)
    raw = project_path(where, "." if folder is None else folder)
    with connect(server, token, fallback=where.server) as mic:
        items = listing(mic, where, raw, at)
    if as_json:
        print_json_array(
            {
                "path": os.fsdecode(item.path).encode("utf-8", "backslashreplace").decode(),
                "type": item.kind,
                "mode": item.mode,
                "size": item.size,
            }
            for item in items
        )
        return
    if not items:
        _write("empty\n")
    for item in items:
        name = shown_path(item.path) + ("/" if item.mode == FileMode.TREE else "")
        _write(f"{item.mode:06o} {item.size:>10}  {name}\n")


def _file_arg(where: Target, given: str) -> bytes:
    raw = project_path(where, given)
    if not raw:
        raise CliError(f"{given} is a folder, not a file", USAGE)
    return raw
