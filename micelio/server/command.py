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

from micelio import config as defaults
from micelio.config import DEFAULT_INLINE_THRESHOLD, DEFAULT_LISTEN, ServerConfig, default_data_dir
from micelio.sources import UrlPattern

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
    workers: int = typer.Option(
        defaults.DEFAULT_MAX_WORKERS, "--workers", min=4, help="Threads serving unary calls."
    ),
    # --- Bounded work per client (docs/deployment.md, "Limits") ---
    stream_idle_timeout: float = typer.Option(
        defaults.DEFAULT_STREAM_IDLE_TIMEOUT,
        "--stream-idle-timeout",
        envvar="MIC_STREAM_IDLE_TIMEOUT",
        min=0.1,
        help="Seconds a call may keep the server waiting on its client; then CANCELLED.",
    ),
    max_streams: int = typer.Option(
        defaults.DEFAULT_MAX_STREAMS,
        "--max-streams",
        envvar="MIC_MAX_STREAMS",
        min=1,
        help="Streaming calls served at once (own threads); beyond: RESOURCE_EXHAUSTED.",
    ),
    max_streams_per_org: int = typer.Option(
        defaults.DEFAULT_MAX_STREAMS_PER_ORG,
        "--max-streams-per-org",
        envvar="MIC_MAX_STREAMS_PER_ORG",
        min=1,
        help="Streaming calls at once by one organization's tokens.",
    ),
    max_streams_per_token: int = typer.Option(
        defaults.DEFAULT_MAX_STREAMS_PER_TOKEN,
        "--max-streams-per-token",
        envvar="MIC_MAX_STREAMS_PER_TOKEN",
        min=1,
        help="Streaming calls at once by one token.",
    ),
    max_calls_per_org: int = typer.Option(
        defaults.DEFAULT_MAX_CALLS_PER_ORG,
        "--max-calls-per-org",
        envvar="MIC_MAX_CALLS_PER_ORG",
        min=1,
        help="Unary calls at once by one organization's tokens.",
    ),
    max_calls_per_token: int = typer.Option(
        defaults.DEFAULT_MAX_CALLS_PER_TOKEN,
        "--max-calls-per-token",
        envvar="MIC_MAX_CALLS_PER_TOKEN",
        min=1,
        help="Unary calls at once by one token.",
    ),
    # --- sources of batch jobs (micelio/sources.py; docs/deployment.md) ---
    allow_source_root: list[Path] = typer.Option(
        [],
        "--allow-source-root",
        envvar="MIC_ALLOW_SOURCE_ROOTS",
        help="A directory whose repositories batch jobs may read (repeatable; symlinks and .. "
        "resolved). Default: none for organization tokens.",
        show_default=False,
    ),
    allow_source_url: list[str] = typer.Option(
        [],
        "--allow-source-url",
        envvar="MIC_ALLOW_SOURCE_URLS",
        help="A SCHEME://HOST[:PORT]/PATH-GLOB pattern of URLs batch jobs may read "
        "(repeatable; * within a path segment, ** across). Default: none for organization "
        "tokens.",
        show_default=False,
    ),
    restrict_server_wide_sources: bool = typer.Option(
        False,
        "--restrict-server-wide-sources",
        envvar="MIC_RESTRICT_SERVER_WIDE_SOURCES",
        help="Apply the allowed roots and URLs to server-wide tokens too (by default they, "
        "minted only by a server-wide admin, may read any source).",
    ),
    # --- stored contents (docs/deployment.md, "Stored contents") ---
    upload_stale_after: float = typer.Option(
        defaults.DEFAULT_UPLOAD_STALE_AFTER,
        "--upload-stale-after",
        min=1.0,
        help="Seconds after which an upload reservation nobody touched is collected as dead.",
    ),
    # --- identities and conversations (docs/deployment.md, "Security") ---
    max_conversation_bytes: int = typer.Option(
        defaults.DEFAULT_MAX_CONVERSATION_BYTES,
        "--max-conversation-bytes",
        envvar="MIC_MAX_CONVERSATION_BYTES",
        min=1024,
        max=defaults.MAX_CONVERSATION_SETTING,
        help="Bytes of one session's conversation and decisions (texts, token descriptions "
        "and 64 per item); an append beyond answers RESOURCE_EXHAUSTED.",
    ),
    # -- Landing limits (docs/deployment.md, "Limits"): INVALID_ARGUMENT beyond each.
    max_session_changes: int = typer.Option(
        defaults.DEFAULT_MAX_SESSION_CHANGES,
        "--max-session-changes",
        envvar="MIC_MAX_SESSION_CHANGES",
        min=1,
        help="Changes one session may land.",
    ),
    max_session_bytes: int = typer.Option(
        defaults.DEFAULT_MAX_SESSION_BYTES,
        "--max-session-bytes",
        envvar="MIC_MAX_SESSION_BYTES",
        min=0,
        help="Content bytes one session may land.",
    ),
    max_spool_bytes: int = typer.Option(
        defaults.DEFAULT_MAX_SPOOL_BYTES,
        "--max-spool-bytes",
        envvar="MIC_MAX_SPOOL_BYTES",
        min=0,
        help="Inline content bytes one landing may spool before its commit.",
    ),
    max_archive_bytes: int = typer.Option(
        defaults.DEFAULT_MAX_ARCHIVE_BYTES,
        "--max-archive-bytes",
        envvar="MIC_MAX_ARCHIVE_BYTES",
        min=0,
        help="Bytes of one Git bundle an import archives for its project.",
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
    for root in allow_source_root:
        if not root.is_absolute():
            raise typer.BadParameter(
                f"{root}: not an absolute path", param_hint="--allow-source-root"
            )
    for pattern in allow_source_url:
        try:
            UrlPattern.parse(pattern)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--allow-source-url") from None
    config = ServerConfig(
        data_dir=(data_dir or default_data_dir()).expanduser().resolve(),
        listen=listen,
        db_url=db,
        storage_url=storage,
        inline_threshold=inline_threshold,
        max_workers=workers,
        stream_idle_timeout=stream_idle_timeout,
        max_streams=max_streams,
        max_streams_per_org=max_streams_per_org,
        max_streams_per_token=max_streams_per_token,
        max_calls_per_org=max_calls_per_org,
        max_calls_per_token=max_calls_per_token,
        allowed_source_roots=tuple(str(r) for r in allow_source_root),
        allowed_source_urls=tuple(allow_source_url),
        restrict_server_wide_sources=restrict_server_wide_sources,
        upload_stale_after=upload_stale_after,
        max_session_changes=max_session_changes,
        max_session_bytes=max_session_bytes,
        max_spool_bytes=max_spool_bytes,
        max_conversation_bytes=max_conversation_bytes,
        max_archive_bytes=max_archive_bytes,
    )
    # An explicit --web must work; the default one is best effort (see `serve`).
    web_listen = None if web == "off" else (web or DEFAULT_WEB_LISTEN)
    if web_listen is not None:
        try:
            parse_listen(web_listen)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--web") from None
    serve(config, web=web_listen, web_required=web is not None)


@app.command()
def gc(
    data_dir: Path = typer.Option(
        None,
        "--data-dir",
        help="The server's data directory (default: as for `start`).",
        show_default=False,
    ),
    db: str = typer.Option(
        None, "--db", envvar="MIC_DB_URL", help="Database URL, as for `start`.", show_default=False
    ),
    storage: str = typer.Option(
        None,
        "--storage",
        envvar="MIC_STORAGE_URL",
        help="Object storage URL, as for `start`.",
        show_default=False,
    ),
    upload_stale_after: float = typer.Option(
        defaults.DEFAULT_UPLOAD_STALE_AFTER,
        "--upload-stale-after",
        min=1.0,
        help="Seconds after which an untouched upload reservation is taken as dead.",
    ),
) -> None:
    """Delete what killed landings left: stale reservations, unreferenced objects, spool
    files. Safe while servers run on the same database and storage; prints a JSON report."""
    import json

    from micelio.service.gc import run

    config = ServerConfig(
        data_dir=(data_dir or default_data_dir()).expanduser().resolve(),
        db_url=db,
        storage_url=storage,
        upload_stale_after=upload_stale_after,
    )
    typer.echo(json.dumps(run(config).as_dict()))
