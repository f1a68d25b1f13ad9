"""Bad arguments and failures come back from `mic mcp` as tool errors carrying the CLI's
one-line messages; the server keeps serving. A read token gets only the read-only tools.
Paths cannot reach outside the checkout."""

from __future__ import annotations

import os
import typing
from pathlib import Path

import pytest

from micelio.mcp.checkout import project_path
from micelio.mcp.server import NoteRole
from micelio.paths import InvalidPath
from micelio.testing import MicServer
from micelio.vocabulary import NOTE_ROLES
from tests.support.cli import Mic, assert_one_line_error
from tests.support.cli import mic as mic_process
from tests.support.mcp import History, Transport, connect, run, tool_error, tool_text

READ_TOOLS = {
    "log",
    "blame",
    "read_file",
    "search_sessions",
    "show_session",
    "session_status",
    "diff",
}


def _cli_line(mic: Mic, cwd: Path, *args: str) -> str:
    """The message of the error line the CLI prints for ``args``."""
    result = mic(cwd, *args, check=False)
    assert result.returncode != 0, result
    return result.stderr.strip().removeprefix("error: ")


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_bad_arguments_are_tool_errors_with_the_clis_messages(
    transport: Transport, mic: Mic, server: MicServer, history: History, checkout: Path
) -> None:
    os.symlink("/etc", checkout / "etc")
    expected = {
        "no session": _cli_line(mic, checkout, "session", "note", "x"),
        "missing file": _cli_line(mic, checkout, "cat", "src/missing.py"),
        "no position": _cli_line(mic, checkout, "cat", "src/app.py", "--at", "99"),
        "unknown session": _cli_line(mic, checkout, "session", "show", "ses_nope"),
    }

    async def body() -> None:
        async with connect(transport, checkout, server.env) as client:

            async def error(tool: str, arguments: dict[str, object]) -> str:
                return tool_error(await client.call_tool(tool, arguments))

            assert await error("add_note", {"content": "x"}) == expected["no session"]
            assert await error("read_file", {"path": "src/missing.py"}) == expected["missing file"]
            assert (
                await error("read_file", {"path": "src/app.py", "at": 99})
                == expected["no position"]
            )
            assert (
                await error("show_session", {"session_id": "ses_nope"})
                == expected["unknown session"]
            )
            # What the JSON schemas refuse, before any call to the mic server.
            assert "goal" in await error("start_session", {})
            assert "limit" in await error("log", {"limit": 0})
            assert "limit" in await error("log", {"limit": "many"})
            assert "role" in await error("add_note", {"content": "x", "role": "admin"})
            assert "at" in await error("read_file", {"path": "src/app.py", "at": -1})
            # Nothing outside the checkout, whatever the path says.
            assert "absolute path" in await error("read_file", {"path": "/etc/passwd"})
            assert "'..'" in await error("blame", {"path": "../outside.txt"})
            assert "'..'" in await error("log", {"path": "src/../../x"})
            assert "symlink etc" in await error("read_file", {"path": "etc/passwd"})
            assert "folder" in await error("blame", {"path": "."})
            # A session ends once: landing again is the CLI's error, and the server lives on.
            await client.call_tool("start_session", {"goal": "Try twice"})
            assert "already active" in await error("start_session", {"goal": "again"})
            await client.call_tool("abandon_session", {"reason": "only a test"})
            assert await error("land_session", {}) == expected["no session"]
            assert "1" in tool_text(await client.call_tool("log", {"limit": 1}))

    run(body)


def test_a_read_token_gets_only_the_read_only_tools(
    mic: Mic, server: MicServer, history: History, checkout: Path
) -> None:
    org = history.project.split("/")[0]
    reader = mic(checkout, "token", "create", "--org", org, "--role", "read", "--json").json()

    async def body() -> None:
        env = {**server.env, "MIC_TOKEN": reader["token"]}
        async with connect("stdio", checkout, env) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert names == READ_TOOLS
            refused = tool_error(await client.call_tool("start_session", {"goal": "x"}))
            assert "start_session" in refused
            assert "Lay out" in tool_text(await client.call_tool("log", {}))

    run(body)


def test_mic_mcp_refuses_to_start_where_it_cannot_serve(
    server: MicServer, tmp_path: Path, checkout: Path
) -> None:
    outside = mic_process("mcp", env=server.env, cwd=tmp_path, check=False)
    assert_one_line_error(outside, 6, "not a mic working directory")
    remote = mic_process("mcp", "--http", "0.0.0.0:0", env=server.env, cwd=checkout, check=False)
    assert_one_line_error(remote, 2, "loopback")
    bad_token = mic_process(
        "mcp", env={**server.env, "MIC_TOKEN": "mic_nope"}, cwd=checkout, check=False
    )
    assert_one_line_error(bad_token, 5, "invalid token")


def test_paths_stay_inside_the_checkout(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    os.symlink(tmp_path.parent, tmp_path / "up")
    assert project_path(tmp_path, "src/a.py") == b"src/a.py"
    assert project_path(tmp_path, "./src/") == b"src"
    assert project_path(tmp_path, ".") == b""
    assert project_path(tmp_path, "new/dir/file") == b"new/dir/file"  # not on disk: fine
    assert project_path(tmp_path, "up") == b"up"  # the link itself is a tracked entry
    for bad in ("/etc/passwd", "../x", "src/../../x", "up/x", "a\x00b", ".mic/state.json"):
        with pytest.raises(InvalidPath):
            project_path(tmp_path, bad)


def test_note_roles_are_the_vocabularys() -> None:
    assert set(typing.get_args(NoteRole)) == {str(r) for r in NOTE_ROLES}
