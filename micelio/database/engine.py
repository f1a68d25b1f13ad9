"""Engine set-up for SQLite (WAL, busy timeout) and PostgreSQL, and the two kinds of transaction.

``Database.read()`` is a plain transaction. ``Database.write()`` is one that may write: on SQLite
it starts with ``BEGIN IMMEDIATE`` so that it takes the write lock up front and waits for it
(busy timeout) instead of failing half-way with "database is locked" when a read transaction
upgrades; on PostgreSQL it is a normal transaction in which callers lock rows explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

#: How long a SQLite writer waits for the lock before giving up ("database is locked").
SQLITE_BUSY_TIMEOUT_S = 60.0
_IMMEDIATE = "mic_sqlite_immediate"


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` as psycopg 3 URLs."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def make_engine(url: str, *, pool_size: int = 20) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    raise ValueError(f"unsupported database URL {url!r} (use sqlite:/// or postgresql+psycopg://)")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own handling would
        # defer it and could not make it IMMEDIATE).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # In WAL mode NORMAL loses no committed transaction when the process dies, only
        # (possibly) the last ones on an OS crash or power loss; FULL fsyncs every commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's lower() folds ASCII only: text search folds every script with this.
        dbapi_conn.create_function("casefold", 1, _casefold, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _casefold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


class Database:
    """An engine plus the session factories the service layer uses."""

    def __init__(self, url: str, *, pool_size: int = 20) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url, pool_size=pool_size)
        self.dialect = self.engine.dialect.name
        # Objects stay usable after commit: the service converts them to views afterwards.
        self._factory = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def read(self) -> Iterator[DbSession]:
        with self._factory() as db, db.begin():
            yield db

    @contextmanager
    def write(self) -> Iterator[DbSession]:
        """A transaction that commits on success and rolls back on any exception."""
        with self._factory() as db:
            if self.is_sqlite:
                # Procuring the connection begins the transaction, as BEGIN IMMEDIATE.
                db.connection(execution_options={_IMMEDIATE: True})
            try:
                yield db
            except BaseException:
                db.rollback()
                raise
            db.commit()

    def dispose(self) -> None:
        self.engine.dispose()
