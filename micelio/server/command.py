"""``mic server start`` and ``python -m micelio.server start``: run a mic server in the
foreground.

The server package owns its command, so that it starts without the rest of the CLI (as
``python -m http.server`` does); ``mic`` mounts this same typer app as its ``server`` group.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer

from micelio.config import (
    DEFAULT_INLINE_THRESHOLD,
    DEFAULT_LISTEN,
    DEFAULT_MAX_CONVERSATION_BYTES,
    DEFAULT_MAX_SESSION_BYTES,
    DEFAULT_MAX_SESSION_CHANGES,
    DEFAULT_MAX_SPOOL_BYTES,
    ServerConfig,
    default_data_dir,
)

app = typer.Typer(help="Run a mic server.", no_args_is_help=True, add_completion=False)


@app.callback()
def _group() -> None:
    """Run a mic server (gRPC: sessions, projects, content)."""


@app.command()
def start(
    data_dir: Path = typer.Option(
        None,
        "--data-dir",
        help="Where the server keeps mic.db, objects/, admin.token and server.json "
        "(default: $MIC_DATA_DIR, else $XDG_DATA_HOME/mic, else ~/.local/share/mic).",
        show_default=False,
    ),
    listen: str = typer.Option(
        DEFAULT_LISTEN, "--listen", help="HOST:PORT to listen on; port 0 picks a free one."
    ),
    db: str = typer.Option(
        None,
        "--db",
        envvar="MIC_DB_URL",
        help="Database URL: sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB "
        "(default: SQLite mic.db in the data dir).",
        show_default=False,
    ),
    storage: str = typer.Option(
        None,
        "--storage",
        envvar="MIC_STORAGE_URL",
        help="Object storage URL: file:///DIR or s3://BUCKET/PREFIX?endpoint=URL&region=R "
        "(credentials from the standard AWS sources; default: DATA_DIR/objects).",
        show_default=False,
    ),
    inline_threshold: int = typer.Option(
        DEFAULT_INLINE_THRESHOLD,
        "--inline-threshold",
        min=0,
        help="Contents smaller than this many bytes are stored in the database.",
    ),
    workers: int = typer.Option(64, "--workers", min=4, help="Concurrent calls served."),
    # -- Landing limits (docs/deployment.md, "Limits"): INVALID_ARGUMENT beyond each.
    max_session_changes: int = typer.Option(
        DEFAULT_MAX_SESSION_CHANGES,
        "--max-session-changes",
        envvar="MIC_MAX_SESSION_CHANGES",
        min=1,
        help="Changes one session may land.",
    ),
    max_session_bytes: int = typer.Option(
        DEFAULT_MAX_SESSION_BYTES,
        "--max-session-bytes",
        envvar="MIC_MAX_SESSION_BYTES",
        min=0,
        help="Content bytes one session may land.",
    ),
    max_spool_bytes: int = typer.Option(
        DEFAULT_MAX_SPOOL_BYTES,
        "--max-spool-bytes",
        envvar="MIC_MAX_SPOOL_BYTES",
        min=0,
        help="Inline content bytes one landing may spool before its commit.",
    ),
    max_conversation_bytes: int = typer.Option(
        DEFAULT_MAX_CONVERSATION_BYTES,
        "--max-conversation-bytes",
        envvar="MIC_MAX_CONVERSATION_BYTES",
        min=0,
        max=DEFAULT_MAX_CONVERSATION_BYTES,  # GetSession must fit a client's 16 MiB message
        help="Bytes of a session's conversation and decisions (their texts).",
    ),
    web: str = typer.Option(
        None,
        "--web",
        envvar="MIC_WEB",
        help="HOST:PORT of the read-only web viewer (port 0 picks a free one), or 'off'. "
        "Default 127.0.0.1:7421, skipped with a warning when that port is taken.",
        show_default=False,
    ),
) -> None:
    """Start the server in the foreground (SIGTERM or Ctrl-C stops it gracefully)."""
    from micelio.server.app import serve
    from micelio.web import DEFAULT_WEB_LISTEN
    from micelio.web.server import parse_listen

    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config = ServerConfig(
        data_dir=(data_dir or default_data_dir()).expanduser().resolve(),
        listen=listen,
        db_url=db,
        storage_url=storage,
        inline_threshold=inline_threshold,
        max_workers=workers,
        max_session_changes=max_session_changes,
        max_session_bytes=max_session_bytes,
        max_spool_bytes=max_spool_bytes,
        max_conversation_bytes=max_conversation_bytes,
    )
    # An explicit --web must work; the default one is best effort (see `serve`).
    web_listen = None if web == "off" else (web or DEFAULT_WEB_LISTEN)
    if web_listen is not None:
        try:
            parse_listen(web_listen)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--web") from None
    serve(config, web=web_listen, web_required=web is not None)
