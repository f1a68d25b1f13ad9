"""An agent's session from start to land through `mic mcp`, with the SDK's own client over
stdio and over streamable HTTP, against a real mic server: the landed session holds the
agent's messages (role ``agent``, the client's name as author, the token's identity), its
decisions and its file changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from micelio.client import MicClient
from micelio.testing import MicServer
from tests.support.mcp import AGENT, History, Transport, connect, run, structured, tool_text

WRITE_TOOLS = {
    "start_session",
    "add_note",
    "record_decision",
    "land_session",
    "abandon_session",
    "sync",
}
READ_TOOLS = {
    "log",
    "blame",
    "read_file",
    "search_sessions",
    "show_session",
    "session_status",
    "diff",
}


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_an_agents_session_lands_with_its_messages_decisions_and_files(
    transport: Transport, server: MicServer, history: History, checkout: Path
) -> None:
    landed: dict[str, object] = {}

    async def body() -> None:
        async with connect(transport, checkout, server.env) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert set(tools) == WRITE_TOOLS | READ_TOOLS
            assert tools["log"].annotations and tools["log"].annotations.read_only_hint
            assert tools["start_session"].input_schema["required"] == ["goal"]

            started = structured(
                await client.call_tool("start_session", {"goal": "Make limits configurable"})
            )
            current = await client.read_resource("mic://session/current")
            assert json.loads(current.contents[0].text)["session_id"] == started["session_id"]  # type: ignore[union-attr]

            note = await client.call_tool("add_note", {"content": "Plan: read LIMIT from env"})
            assert "1 messages" in tool_text(note)
            await client.call_tool(
                "record_decision",
                {"decision": "Read the limit from MIC_LIMIT", "reasoning": "no config file yet"},
            )
            (checkout / "src" / f"config_{transport}.py").write_text("LIMIT = 10\n")
            with (checkout / "src" / "app.py").open("a") as app:
                app.write("limits.configure()\n")
            result = structured(await client.call_tool("land_session", {}))
            assert result["changes"] == 2 and result["landing_position"] > 2
            landed.update(result)
            after = await client.read_resource("mic://session/current")
            assert json.loads(after.contents[0].text)["session"] is None  # type: ignore[union-attr]

    run(body)
    with MicClient(server.address, server.token) as mic:
        session = mic.get_session(str(landed["session_id"]))
        changes = {c.file_path: str(c.change_type) for c in mic.iter_changes(session.session_id)}
        whoami = mic.whoami()
    assert session.goal == "Make limits configurable"
    assert session.landing_position == landed["landing_position"]
    [message] = session.conversation
    assert (message.role, message.author, message.content) == (
        "agent",
        AGENT,
        "Plan: read LIMIT from env",
    )
    assert message.token is not None and message.token.token_id == whoami.id
    [decision] = session.decisions
    assert (decision.decision, decision.reasoning) == (
        "Read the limit from MIC_LIMIT",
        "no config file yet",
    )
    assert changes == {f"src/config_{transport}.py": "added", "src/app.py": "modified"}
