"""``python -m micelio.server start ...``: the server command without the rest of the CLI
(what the test fixtures launch)."""

from micelio.cli.server_cmd import app

app(prog_name="python -m micelio.server")
