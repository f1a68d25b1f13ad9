"""`session_status`, `diff` and `sync` through `mic mcp`, with the SDK's own client against a
real mic server: the same answers as `mic status --json` and `mic diff`, and a sync whose
overlapping edit (landed from a second checkout) comes back as the tool's result naming the
conflicted path, then resolved with the CLI and landed."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import Mic
from tests.support.mcp import APP_V2, History, connect, run, structured, tool_error, tool_text


def test_status_and_diff_answer_as_the_cli(mic: Mic, history: History, checkout: Path) -> None:
    (checkout / "src" / "app.py").write_bytes(APP_V2 + b"limits.log()\n")
    (checkout / "src" / "new.py").write_text("NEW = 1\n")
    (checkout / "README.md").unlink()
    cli_status = mic(checkout, "status", "--json").json()
    cli_diff = mic(checkout, "diff", "src/app.py").stdout

    async def body() -> None:
        async with connect("stdio", checkout, mic.env) as client:
            status = structured(await client.call_tool("session_status", {}))
            assert status == cli_status
            assert status["counts"] == {"added": 1, "modified": 1, "deleted": 1}
            text = tool_text(await client.call_tool("session_status", {}))
            assert "  M src/app.py" in text and "no conflicts" in text

            one = await client.call_tool("diff", {"path": "src/app.py"})
            assert tool_text(one) == cli_diff
            assert structured(one)["files"] == [
                {"file_path": "src/app.py", "added": 1, "deleted": 0, "binary": False}
            ]
            every = structured(await client.call_tool("diff", {}))
            assert sorted(f["file_path"] for f in every["files"]) == [
                "README.md",
                "src/app.py",
                "src/new.py",
            ]
            none = await client.call_tool("diff", {"path": "src/limits.py"})
            assert tool_text(none) == "no changes under src/limits.py"
            refused = tool_error(await client.call_tool("diff", {"path": "../x"}))
            assert "\n" not in refused and ".." in refused

    run(body)


def test_sync_reports_conflicts_then_the_cli_resolves_them(
    mic: Mic, history: History, checkout: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    mic(tmp_path, "checkout", history.project, str(other))
    mic(other, "session", "start", "Log each request")
    (other / "src" / "app.py").write_bytes(APP_V2.replace(b"'hello'", b"'hello, log'"))
    (other / "NOTES.md").write_text("landed by the other checkout\n")
    mic(other, "session", "land")
    app = checkout / "src" / "app.py"

    async def body() -> None:
        async with connect("stdio", checkout, mic.env) as client:
            started = structured(await client.call_tool("start_session", {"goal": "Greet"}))
            app.write_bytes(APP_V2.replace(b"'hello'", b"'hello, agent'"))
            before = structured(await client.call_tool("session_status", {}))
            assert before["behind"] == 1 and before["conflicts"] == []

            result = await client.call_tool("sync", {})
            report = structured(result)  # a result, not a tool error
            assert report["session_id"] == started["session_id"]
            assert report["to_position"] == report["from_position"] + 1
            assert report["conflicts"] == [
                {"file_path": "src/app.py", "kinds": ["content"], "side_files": []}
            ]
            assert "conflict  src/app.py (content)" in tool_text(result)
            assert (checkout / "NOTES.md").read_text() == "landed by the other checkout\n"
            merged = app.read_bytes()
            assert b"<<<<<<< session " in merged and b">>>>>>> head @" in merged

            status = structured(await client.call_tool("session_status", {}))
            assert status["conflicts"] == ["src/app.py"] and status["behind"] == 0
            refused = tool_error(await client.call_tool("land_session", {}))
            assert "unresolved conflicts in src/app.py" in refused
            again = tool_error(await client.call_tool("sync", {}))
            assert "conflicts in src/app.py" in again

            app.write_bytes(APP_V2.replace(b"'hello'", b"'hello, agent and log'"))
            mic(checkout, "resolve", "src/app.py")
            assert structured(await client.call_tool("session_status", {}))["conflicts"] == []
            landed = structured(await client.call_tool("land_session", {}))
            assert landed["changes"] == 1
            assert structured(await client.call_tool("sync", {}))["conflicts"] == []

    run(body)
    shown = mic(checkout, "cat", "src/app.py").stdout
    assert "'hello, agent and log'" in shown
