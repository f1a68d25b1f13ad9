"""The business rules behind each RPC (no gRPC types here: the server layer converts).

``Services.open(config)`` wires them to a database and an object store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from micelio.config import ServerConfig
from micelio.database.engine import Database
from micelio.database.migrate import upgrade
from micelio.service import datadir, gc
from micelio.service.archives import ArchiveService
from micelio.service.auth import TokenAuthority
from micelio.service.browse import BrowseService
from micelio.service.content import ContentService
from micelio.service.diffs import DiffService
from micelio.service.history import HistoryService
from micelio.service.jobs import JobService, SourceRules
from micelio.service.landing import Lander
from micelio.service.limits import LandingLimits
from micelio.service.projects import ProjectService
from micelio.service.sessions import SessionService
from micelio.storage import ObjectStore, open_store

log = logging.getLogger(__name__)


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
    history: HistoryService
    diffs: DiffService
    jobs: JobService
    archives: ArchiveService
    server_id: str = ""

    @classmethod
    def open(cls, config: ServerConfig) -> Services:
        """Connect, migrate the database to the current schema, collect what a killed previous
        run left (``service/gc.py``: its reservations and spool files), and build every
        service."""
        datadir.prepare(config.data_dir)
        datadir.protect_sqlite(config.resolved_db_url)
        db = Database(config.resolved_db_url, pool_size=max(20, config.max_workers // 2))
        upgrade(db.engine)
        datadir.protect_sqlite(config.resolved_db_url)  # the -wal and -shm exist now
        store = open_store(config.resolved_storage_url)
        spool_dir = Path(config.data_dir) / datadir.SPOOL_DIR
        server_id = datadir.server_id(config.data_dir)
        try:
            collected = gc.collect(
                db,
                store,
                server_id=server_id,
                stale_after=config.upload_stale_after,
                restarted=True,
                scan=False,
                spool_dir=spool_dir,
            )
            log.info("start-up garbage collection: %s", collected.as_dict())
        except Exception:  # storage down: serving reads matters more; `mic server gc` later
            log.exception("start-up garbage collection failed")
        session_limits = LandingLimits.of(config)
        content = ContentService(db, store)
        return cls(
            db=db,
            store=store,
            tokens=TokenAuthority(db),
            projects=ProjectService(db),
            sessions=SessionService(db, max_conversation_bytes=config.max_conversation_bytes),
            browse=BrowseService(db),
            lander=Lander(
                db,
                store,
                inline_threshold=config.inline_threshold,
                spool_dir=spool_dir,
                server_id=server_id,
                max_conversation_bytes=config.max_conversation_bytes,
                session_limits=session_limits,
            ),
            content=content,
            history=HistoryService(db, store, content),
            diffs=DiffService(db, content),
            jobs=JobService(
                db,
                SourceRules(
                    roots=config.allowed_source_roots,
                    url_patterns=config.allowed_source_urls,
                    restrict_server_wide=config.restrict_server_wide_sources,
                ),
            ),
            archives=ArchiveService(db, store, max_bytes=config.max_archive_bytes),
            server_id=server_id,
        )

    def close(self) -> None:
        self.db.dispose()
