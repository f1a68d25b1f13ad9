"""The MCP server of a checkout, on the official SDK's ``MCPServer``: tools, resources, the
prompt, and their errors; served over stdio or streamable HTTP.

Each tool is a thin function over ``tools``; its arguments are typed and described, so the
SDK derives their JSON schemas and refuses bad ones before a call. A failure of any kind is
a tool error (``isError``) carrying the CLI's one-line message: the server never crashes on
it. A token of role ``read`` is offered only the read-only tools (the server refuses the rest
anyway), and every tool says whether it changes anything (``readOnlyHint``).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Annotated, Any, Literal

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from micelio.mcp import prompts, tools
from micelio.mcp.checkout import Checkout
from micelio.vocabulary import TokenRole

#: The CLI's wording of an error: ``cli.errors.describe``'s message, handed in by the CLI.
Describe = Callable[[BaseException], str]

#: Messages longer than this (a goal, a decision) are refused by the mic server anyway.
MAX_TEXT = 1024 * 1024
#: What an agent sees as its author when its client sends no name in the handshake.
UNNAMED_CLIENT = "mcp client"

INSTRUCTIONS = """\
mic sessions for this checkout: git tracks what, mic tracks why. Start a session with its
goal, note your plan, record each decision with its reasoning, edit files, then land. The
prompt `work-in-a-session` says how. `session_status` and `diff` show what you changed;
`sync` merges what others landed. `log`, `blame`, `read_file`, `search_sessions` and
`show_session` read the project's history."""

READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)

#: ``vocabulary.NOTE_ROLES`` as a JSON schema enum (a test keeps the two the same).
NoteRole = Literal["agent", "human", "system"]

Goal = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_TEXT,
        description="What this session sets out to do, in one sentence (e.g. 'Add rate "
        "limiting to the API').",
    ),
]
Content = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_TEXT,
        description="The message: your plan, a finding, a question answered.",
    ),
]
Role = Annotated[
    NoteRole,
    Field(
        description="Who speaks: 'agent' (you, the default), 'human' (quoting your user), "
        "'system' (tool output). The author is always your client's name."
    ),
]
DecisionText = Annotated[
    str,
    Field(min_length=1, max_length=MAX_TEXT, description="What was decided, in one sentence."),
]
Reasoning = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_TEXT,
        description="Why: the constraints, the options weighed and why the others lost.",
    ),
]
Reason = Annotated[
    str,
    Field(min_length=1, max_length=MAX_TEXT, description="Why the session is abandoned."),
]
FilePath = Annotated[
    str,
    Field(
        min_length=1,
        max_length=4096,
        description="A file of the project, relative to the checkout's root (e.g. 'src/app.py').",
    ),
]
OptionalPath = Annotated[
    str | None,
    Field(
        max_length=4096,
        description="Only sessions that changed this file or folder (relative to the "
        "checkout's root, renames followed); omit for all.",
    ),
]
DiffPath = Annotated[
    str | None,
    Field(
        max_length=4096,
        description="Only the changes to this file or under this folder (relative to the "
        "checkout's root); omit for all.",
    ),
]
Limit = Annotated[int, Field(ge=1, le=1000, description="At most this many sessions.")]
Position = Annotated[
    int | None,
    Field(ge=0, description="Landing position to read at; omit for the project's head."),
]
SearchText = Annotated[
    str | None,
    Field(
        max_length=MAX_TEXT,
        description="Words to find in a session's goal or conversation (any case).",
    ),
]
Glob = Annotated[
    str | None,
    Field(
        max_length=4096,
        description="Only sessions that touched a matching path: a git pathspec ('src/*.py', "
        "'**/test_*.py', or a folder such as 'src').",
    ),
]
SessionId = Annotated[
    str, Field(min_length=1, max_length=128, description="The session's id (ses_...).")
]


@dataclass(frozen=True)
class Tool:
    name: str
    fn: Callable[..., CallToolResult]
    description: str
    read_only: bool


def client_name(ctx: Context[Any, Any]) -> str:
    """The MCP client's name from its handshake (``clientInfo.name``)."""
    params = ctx.session.client_params
    info = params.client_info if params is not None else None
    name = str(info.name) if info is not None and info.name else ""
    return name.strip()[:200] or UNNAMED_CLIENT


def _answered(describe: Describe, call: Callable[[], tools.Answer]) -> CallToolResult:
    try:
        answer = call()
    except Exception as exc:  # any failure is the agent's to read, never the server's end
        # A result marked isError rather than a raised ToolError, which the SDK would
        # prefix ("Error executing tool ..."): the agent reads the CLI's very line.
        return CallToolResult(content=[TextContent(type="text", text=describe(exc))], is_error=True)
    return CallToolResult(
        content=[TextContent(type="text", text=answer.text)], structured_content=answer.data
    )


def catalog(checkout: Checkout, describe: Describe) -> list[Tool]:
    """Every tool, bound to ``checkout``."""

    def run(call: Callable[[], tools.Answer]) -> CallToolResult:
        return _answered(describe, call)

    def start_session(goal: Goal) -> CallToolResult:
        return run(lambda: tools.start_session(checkout, goal))

    def add_note(ctx: Context[Any, Any], content: Content, role: Role = "agent") -> CallToolResult:
        author = client_name(ctx)
        return run(lambda: tools.add_note(checkout, content, role, author))

    def record_decision(decision: DecisionText, reasoning: Reasoning) -> CallToolResult:
        return run(lambda: tools.record_decision(checkout, decision, reasoning))

    def land_session() -> CallToolResult:
        return run(lambda: tools.land_session(checkout))

    def abandon_session(reason: Reason) -> CallToolResult:
        return run(lambda: tools.abandon_session(checkout, reason))

    def session_status() -> CallToolResult:
        return run(lambda: tools.session_status(checkout))

    def diff(path: DiffPath = None) -> CallToolResult:
        return run(lambda: tools.diff(checkout, path))

    def sync() -> CallToolResult:
        return run(lambda: tools.sync(checkout))

    def log(path: OptionalPath = None, limit: Limit = 20) -> CallToolResult:
        return run(lambda: tools.log(checkout, path, limit))

    def blame(path: FilePath) -> CallToolResult:
        return run(lambda: tools.blame(checkout, path))

    def read_file(path: FilePath, at: Position = None) -> CallToolResult:
        return run(lambda: tools.read_file(checkout, path, at))

    def search_sessions(text: SearchText = None, path: Glob = None) -> CallToolResult:
        return run(lambda: tools.search_sessions(checkout, text, path))

    def show_session(session_id: SessionId) -> CallToolResult:
        return run(lambda: tools.show_session(checkout, session_id))

    return [
        Tool(
            "start_session",
            start_session,
            "Start a session in this checkout: the unit of work that will hold your notes, "
            "decisions and file changes. Call it first, with the goal.",
            read_only=False,
        ),
        Tool(
            "add_note",
            add_note,
            "Add a message to the active session's conversation: your plan, what you found, "
            "what changed in the plan. Recorded under your client's name.",
            read_only=False,
        ),
        Tool(
            "record_decision",
            record_decision,
            "Record a decision of the active session with its reasoning: call it each time "
            "you choose between options.",
            read_only=False,
        ),
        Tool(
            "land_session",
            land_session,
            "Land the active session: send the checkout's changed files and make them the "
            "project's next landing position. Fails on a conflict with sessions landed since.",
            read_only=False,
        ),
        Tool(
            "abandon_session",
            abandon_session,
            "Abandon the active session: nothing of it lands; the files stay as they are.",
            read_only=False,
        ),
        Tool(
            "sync",
            sync,
            "Bring the checkout to the project's head, merging your local edits with what "
            "other sessions landed; the active session stays and its base moves. Conflicts "
            "(overlapping edits) are listed in the result: fix the files (remove the <<<<<<< "
            "======= >>>>>>> markers), then run `mic resolve PATH` before landing.",
            read_only=False,
        ),
        Tool(
            "session_status",
            session_status,
            "Where the checkout stands: its active session, its base position against the "
            "project's head (how far behind), pending changes (added, modified, deleted) and "
            "unresolved conflicts.",
            read_only=True,
        ),
        Tool(
            "diff",
            diff,
            "The pending changes as unified diffs against the base position (up to 1 MiB), "
            "with per-file line counts; with a path, only that file or folder.",
            read_only=True,
        ),
        Tool(
            "log",
            log,
            "The project's landed sessions, newest first: position, id, time, who, change "
            "counts and goal; with a path, only those that changed it.",
            read_only=True,
        ),
        Tool(
            "blame",
            blame,
            "Each line of a file at the head with the landed session that last changed it "
            "(position, id, goal): why a line is what it is.",
            read_only=True,
        ),
        Tool(
            "read_file",
            read_file,
            "A file's text as landed at a position (default: the head), up to 1 MiB.",
            read_only=True,
        ),
        Tool(
            "search_sessions",
            search_sessions,
            "Sessions of the project (any status, newest first, at most 50) whose goal or "
            "conversation contains the text and/or that touched paths matching the glob.",
            read_only=True,
        ),
        Tool(
            "show_session",
            show_session,
            "One session whole: goal, status, conversation, decisions with reasoning, changes.",
            read_only=True,
        ),
    ]


def build(checkout: Checkout, role: TokenRole, describe: Describe) -> MCPServer:
    """The MCP server of ``checkout`` for a token of ``role``."""
    server = MCPServer(
        "mic",
        title="mic sessions",
        instructions=INSTRUCTIONS,
        version=version("mic"),
        log_level="WARNING",  # stderr: a client shows it as the server's log
    )
    writer = role.includes(TokenRole.WRITE)
    for tool in catalog(checkout, describe):
        if tool.read_only or writer:
            server.add_tool(
                tool.fn,
                name=tool.name,
                description=tool.description,
                annotations=READ_ONLY if tool.read_only else WRITES,
                structured_output=False,
            )

    def resource(call: Callable[[], tools.Answer]) -> str:
        try:
            return tools.as_json(call())
        except Exception as exc:
            raise ResourceError(describe(exc)) from exc

    @server.resource(
        "mic://session/current",
        name="current-session",
        mime_type="application/json",
        description="The checkout's active session, whole (null when none is active).",
    )
    def current_session() -> str:
        return resource(lambda: tools.current_session(checkout))

    @server.resource(
        "mic://session/{id}",
        name="session",
        mime_type="application/json",
        description="A session by id: goal, status, conversation, decisions, changes.",
    )
    def session(id: str) -> str:
        return resource(lambda: tools.show_session(checkout, id))

    @server.resource(
        "mic://project/log",
        name="project-log",
        mime_type="application/json",
        description="The project's latest 50 landed sessions, newest first.",
    )
    def project_log() -> str:
        return resource(lambda: tools.project_log(checkout))

    @server.prompt(
        name="work-in-a-session",
        description="How to work in a mic session: state the goal, note the plan, record "
        "each decision with its reasoning, land.",
    )
    def work_in_a_session(goal: str = "") -> str:
        return prompts.work_in_a_session(goal)

    return server


# --- transports -------------------------------------------------------------------------------

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def loopback_address(value: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[::1]:PORT`` or ``PORT`` (on 127.0.0.1) of a loopback host; a
    ``ValueError`` otherwise. Loopback only: the HTTP endpoint has no authentication of its
    own and acts with the token it was started with."""
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", value
    host = host.removeprefix("[").removesuffix("]") or "127.0.0.1"
    if not port.isdigit() or int(port) > 65535:
        raise ValueError(f"--http wants HOST:PORT, got {value!r}")
    if host not in LOOPBACK:
        raise ValueError(
            f"--http serves loopback addresses only ({', '.join(LOOPBACK)}), not {host}: "
            "the endpoint has no authentication of its own and acts with your token"
        )
    return host, int(port)


def serve_stdio(server: MCPServer) -> None:
    """Serve one client over this process's stdin and stdout (stdout is the protocol's)."""
    anyio.run(server.run_stdio_async)


def serve_http(server: MCPServer, host: str, port: int, announce: Callable[[str], None]) -> None:
    """Serve streamable HTTP at ``http://HOST:PORT/mcp`` on a loopback address (port 0: a
    free one); ``announce`` gets the URL once it listens. The SDK checks the Host and Origin
    headers of every request against loopback names (DNS rebinding)."""
    import uvicorn

    host, port = loopback_address(f"[{host}]:{port}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family)
    app = server.streamable_http_app(host=host)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    announce(f"http://{shown}:{bound}/mcp")
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
