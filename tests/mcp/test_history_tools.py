"""The history tools, resources and prompt of `mic mcp` answer the project's known values
(``tests.support.mcp.land_history``), over stdio and HTTP, with the SDK's own client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp.types import TextContent, TextResourceContents

from micelio.testing import MicServer
from tests.support.mcp import (
    APP_V1,
    APP_V2,
    History,
    Transport,
    connect,
    run,
    structured,
    tool_text,
)


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_history_tools_answer_known_values(
    transport: Transport, server: MicServer, history: History, checkout: Path
) -> None:
    first, second = history.sessions

    async def body() -> None:
        async with connect(transport, checkout, server.env) as client:
            log = structured(await client.call_tool("log", {"path": "src/limits.py"}))
            assert [(e["position"], e["session_id"]) for e in log["entries"]] == [(2, second)]
            whole = await client.call_tool("log", {"limit": 20})
            positions = [e["position"] for e in structured(whole)["entries"]]
            assert positions[-2:] == [2, 1] and positions == sorted(positions, reverse=True)
            assert f"@1 {first}" in tool_text(whole)
            assert "Lay out the service" in tool_text(whole)

            blame = structured(await client.call_tool("blame", {"path": "src/app.py"}))
            assert [(b["line"], b["text"], b["position"]) for b in blame["lines"]][:3] == [
                (1, "import limits", 1),
                (2, "print('hello')", 1),
                (3, "limits.apply()", 2),
            ]

            old = await client.call_tool("read_file", {"path": "src/app.py", "at": 1})
            assert tool_text(old) == APP_V1.decode()
            at_two = await client.call_tool("read_file", {"path": "./src/app.py", "at": 2})
            assert structured(at_two)["text"] == APP_V2.decode()

            found = structured(await client.call_tool("search_sessions", {"text": "RATE"}))
            assert [s["session_id"] for s in found["sessions"]] == [second]
            by_path = await client.call_tool("search_sessions", {"path": "README.md"})
            assert [s["session_id"] for s in structured(by_path)["sessions"]] == [first]

            shown = await client.call_tool("show_session", {"session_id": second})
            data = structured(shown)
            assert (data["goal"], data["status"], data["landing_position"]) == (
                "Add rate limiting",
                "landed",
                2,
            )
            assert {c["file_path"] for c in data["changes"]} == {"src/app.py", "src/limits.py"}
            assert "M src/app.py" in tool_text(shown)

            resource = await client.read_resource(f"mic://session/{first}")
            [content] = resource.contents
            assert isinstance(content, TextResourceContents)
            assert json.loads(content.text)["goal"] == "Lay out the service"
            project_log = await client.read_resource("mic://project/log")
            [log_text] = project_log.contents
            assert isinstance(log_text, TextResourceContents)
            entries = json.loads(log_text.text)["entries"]
            assert [e["session_id"] for e in entries][-2:] == [second, first]

            prompts = {p.name for p in (await client.list_prompts()).prompts}
            assert prompts == {"work-in-a-session"}
            prompt = await client.get_prompt("work-in-a-session", {"goal": "Fix the cache"})
            [message] = prompt.messages
            assert isinstance(message.content, TextContent)
            words = message.content.text
            assert '"Fix the cache"' in words
            for step in ("start_session", "add_note", "record_decision", "land_session"):
                assert step in words

    run(body)
