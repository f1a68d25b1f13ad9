"""The business rules behind each RPC (no gRPC types here: the server layer converts).

``Services.open(config)`` wires them to a database and an object store.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from micelio.config import ServerConfig
from micelio.database.engine import Database
from micelio.database.migrate import upgrade
from micelio.service.auth import TokenAuthority
from micelio.service.browse import BrowseService
from micelio.service.content import ContentService
from micelio.service.jobs import JobService
from micelio.service.landing import Lander
from micelio.service.limits import LandingLimits
from micelio.service.projects import ProjectService
from micelio.service.sessions import SessionService
from micelio.storage import ObjectStore, open_store


@dataclass
class Services:
    db: Database
    store: ObjectStore
    tokens: TokenAuthority
    projects: ProjectService
    sessions: SessionService
    browse: BrowseService
    lander: Lander
    content: ContentService
    jobs: JobService

    @classmethod
    def open(cls, config: ServerConfig) -> Services:
        """Connect, migrate the database to the current schema, and build every service."""
        config.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(config.resolved_db_url, pool_size=max(20, config.max_workers // 2))
        upgrade(db.engine)
        store = open_store(config.resolved_storage_url)
        spool_dir = Path(config.data_dir) / "tmp"
        spool_dir.mkdir(exist_ok=True)
        session_limits = LandingLimits.of(config)
        return cls(
            db=db,
            store=store,
            tokens=TokenAuthority(db),
            projects=ProjectService(db),
            sessions=SessionService(db, session_limits),
            browse=BrowseService(db),
            lander=Lander(
                db,
                store,
                inline_threshold=config.inline_threshold,
                spool_dir=spool_dir,
                session_limits=session_limits,
            ),
            content=ContentService(db, store),
            jobs=JobService(db),
        )

    def close(self) -> None:
        self.db.dispose()
