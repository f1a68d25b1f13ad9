"""``python -m micelio.server start ...``: the server command alone, without the mic CLI
(what the test fixtures and ``micelio.testing`` launch)."""

from micelio.server.command import app

app(prog_name="python -m micelio.server")
