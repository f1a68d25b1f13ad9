"""Talking to `mic mcp` with the official SDK's own client, over stdio and streamable HTTP.

``connect(transport, checkout, env)`` starts ``python -m micelio mcp`` in ``checkout`` (stdio:
the client spawns it; http: a background process on a free loopback port, whose URL it
announces on stderr) and yields an entered ``mcp.Client`` named ``AGENT``. ``run`` drives an
async test body from a plain test. ``tool_text`` and ``tool_error`` read a call's result.

``land_history(mic, base)`` lands, through the CLI, a project the tests know:

=====  ======================================  ==========================================
pos    goal                                    files
=====  ======================================  ==========================================
1      Lay out the service                     ``src/app.py`` (``APP_V1``), ``README.md``
2      Add rate limiting                       ``src/app.py`` (``APP_V2``), ``src/limits.py``
=====  ======================================  ==========================================
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import anyio
from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult, Implementation, TextContent

from tests.support.cli import Env, Mic, process_env, spawn_mic

AGENT = "test-agent"
APP_V1 = b"import limits\nprint('hello')\n"
APP_V2 = APP_V1 + b"limits.apply()\n"
Transport = Literal["stdio", "http"]
_URL = re.compile(r"at (http://\S+/mcp)")


def run(body: Callable[[], Awaitable[None]]) -> None:
    anyio.run(body)


@contextmanager
def http_server(checkout: Path, env: Env, *args: str) -> Iterator[str]:
    """``mic mcp --http 127.0.0.1:0`` in the background; yields its URL."""
    proc = spawn_mic(
        "mcp", "--http", "127.0.0.1:0", *args, env=env, cwd=checkout, stderr=subprocess.PIPE
    )
    try:
        assert proc.stderr is not None
        seen: list[str] = []
        found = None
        while found is None and (line := proc.stderr.readline()):
            seen.append(line)
            found = _URL.search(line)
        assert found, f"mic mcp --http announced no URL: {''.join(seen)}"
        # Keep reading what it logs, so that a full pipe never blocks the server.
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        yield found.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


@asynccontextmanager
async def connect(
    transport: Transport, checkout: Path, env: Env, *args: str
) -> AsyncIterator[Client]:
    """An SDK client connected to `mic mcp` in ``checkout`` (stdio: the modern protocol
    with its per-request client info; http: the legacy initialize handshake)."""
    info = Implementation(name=AGENT, version="1.0")
    if transport == "stdio":
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "micelio", "mcp", *args],
            env=process_env(env),
            cwd=checkout,
        )
        async with Client(params, client_info=info, read_timeout_seconds=120) as client:
            yield client
        return
    with http_server(checkout, env, *args) as url:
        async with Client(url, client_info=info, mode="legacy", read_timeout_seconds=120) as client:
            yield client


def tool_text(result: CallToolResult) -> str:
    """The text of a successful call."""
    text = "".join(c.text for c in result.content if isinstance(c, TextContent))
    assert not result.is_error, text
    return text


def tool_error(result: CallToolResult) -> str:
    """The message of a failed call (a tool error, not a protocol error)."""
    text = "".join(c.text for c in result.content if isinstance(c, TextContent))
    assert result.is_error, f"expected a tool error, got: {text}"
    return text


def structured(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict), result
    return result.structured_content


@dataclass(frozen=True)
class History:
    project: str  # ORG/PROJECT
    sessions: tuple[str, str]  # the session ids landed at positions 1 and 2


def land_history(mic: Mic, base: Path) -> History:
    org = f"mcp-{uuid.uuid4().hex[:8]}"
    project = f"{org}/api"
    mic(base, "org", "create", org)
    mic(base, "project", "create", project)
    work = base / "work"
    mic(base, "checkout", project, str(work))
    ids = []
    for goal, files in (
        ("Lay out the service", {"src/app.py": APP_V1, "README.md": b"# api\n"}),
        ("Add rate limiting", {"src/app.py": APP_V2, "src/limits.py": b"def apply(): ...\n"}),
    ):
        ids.append(mic(work, "session", "start", goal).stdout.strip())
        for name, data in files.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_bytes(data)
        mic(work, "session", "land")
    return History(project, (ids[0], ids[1]))
