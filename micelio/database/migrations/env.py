"""Alembic environment: runs on the connection ``micelio.database.migrate`` hands it, or on
``sqlalchemy.url`` from the command line (``alembic -c micelio/database/migrations/alembic.ini``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from micelio.database.engine import normalize_url
from micelio.database.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place: batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(normalize_url(config.get_main_option("sqlalchemy.url") or ""))
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("mic migrations run online only (the server applies them at start)")
run_migrations_online()
