"""`mic mcp` outlives what fails under it: a mic server that dies and a checkout whose state
disappears are tool errors with the CLI's lines, and the MCP server keeps answering."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.cli import Mic
from tests.support.fixture_types import MicServerFactory
from tests.support.mcp import connect, land_history, run, tool_error, tool_text


def test_failures_under_the_server_are_tool_errors(
    mic_server: MicServerFactory, tmp_path: Path
) -> None:
    server = mic_server()
    mic = Mic(server.env)
    history = land_history(mic, tmp_path)
    checkout = tmp_path / "checkout"
    mic(tmp_path, "checkout", history.project, str(checkout))

    async def body() -> None:
        async with connect("stdio", checkout, server.env) as client:
            assert "Add rate limiting" in tool_text(await client.call_tool("log", {}))
            server.kill()
            gone = tool_error(await client.call_tool("log", {}))
            cli = mic(checkout, "log", check=False)
            assert gone == cli.stderr.strip().removeprefix("error: ")
            assert "cannot reach mic server" in gone
            shutil.rmtree(checkout / ".mic")
            lost = tool_error(await client.call_tool("start_session", {"goal": "x"}))
            assert "no longer a mic checkout" in lost
            # Still serving: the prompt needs neither the mic server nor the checkout.
            prompt = await client.get_prompt("work-in-a-session", {})
            assert prompt.messages

    run(body)
