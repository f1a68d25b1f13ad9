"""Garbage collection of what a killed landing left behind (``mic server gc``, and start-up).

What it collects: spool files in ``DATA_DIR/tmp``, upload reservations whose holder died
(its server restarted) or went stale (untouched for ``stale_after``), and objects under
``sessions/{id}/`` that no change row references: unfinished writes (a local ``.put-*.tmp``,
an S3 multipart upload) and contents of sessions that never committed.

It is safe while servers run (online): objects of a session are only judged while the
collector holds that session's upload reservation (``service/reservations.py``), so no
upload writes there meanwhile and every landing that wrote there has either committed its
rows or given its id back. A session whose reservation a live upload holds is skipped.
Start-up collects only the reservations (cheap: nothing is listed); ``mic server gc`` also
scans the whole store.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import timedelta
from itertools import groupby
from pathlib import Path

from sqlalchemy import select

from micelio.config import ServerConfig
from micelio.database.engine import Database
from micelio.database.migrate import upgrade
from micelio.database.models import Session, SessionChange, utcnow
from micelio.paths import InvalidPath, session_prefix, validate_session_id
from micelio.service import reservations
from micelio.storage import ObjectStore, StoredObject, open_store

SESSIONS = "sessions/"


@dataclass
class GcReport:
    reservations: int = 0  # dead or stale reservations taken over and released
    objects: int = 0  # unreferenced objects (and unfinished writes) deleted
    spool_files: int = 0
    skipped_sessions: int = 0  # held by a live upload: left alone

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def collect(
    db: Database,
    store: ObjectStore,
    *,
    server_id: str,
    stale_after: float,
    restarted: bool = False,
    scan: bool = True,
    spool_dir: Path | None = None,
) -> GcReport:
    """Collect orphans. ``restarted``: this server is starting, so every reservation its
    previous run held is dead and every spool file is; ``scan``: list the whole store."""
    report = GcReport()
    holder = reservations.new_holder(server_id)
    deadline = utcnow() - timedelta(seconds=stale_after)
    done: set[str] = set()
    for session_id, old, touched in reservations.held(db):
        mine = restarted and old.startswith(f"{server_id}:")
        if not (mine or touched < deadline):
            continue
        if reservations.take_over(db, session_id, old, holder):
            report.reservations += 1
            report.objects += _sweep(db, store, session_id, holder)
            done.add(session_id)
    if scan:
        listing = store.list_objects(SESSIONS)
        for session_id, _ in groupby(listing, key=lambda found: _session_of(found.key)):
            if not session_id or session_id in done:
                continue
            done.add(session_id)
            if not reservations.grab(db, session_id, holder):
                report.skipped_sessions += 1
                continue
            report.objects += _sweep(db, store, session_id, holder)
    if spool_dir is not None:
        report.spool_files = _clean_spool(spool_dir, None if restarted else stale_after)
    return report


def run(config: ServerConfig) -> GcReport:
    """``mic server gc``: a full collection over a server's database and store, safe while
    servers run on them (only stale reservations are taken over)."""
    from micelio.service import datadir

    db = Database(config.resolved_db_url, pool_size=2)
    try:
        upgrade(db.engine)
        return collect(
            db,
            open_store(config.resolved_storage_url),
            server_id=datadir.server_id(config.data_dir) + "-gc",
            stale_after=config.upload_stale_after,
            spool_dir=config.data_dir / datadir.SPOOL_DIR,
        )
    finally:
        db.dispose()


def _session_of(key: str) -> str:
    parts = key.split("/")
    if len(parts) < 3:
        return ""
    try:
        validate_session_id(parts[1])
    except InvalidPath:
        return ""
    return parts[1]


def _sweep(db: Database, store: ObjectStore, session_id: str, holder: str) -> int:
    """Delete the session's unreferenced objects, holding its reservation; then release it."""
    try:
        with db.read() as tx:
            referenced = set(
                tx.scalars(
                    select(SessionChange.storage_key)
                    .join(Session, Session.id == SessionChange.session_pk)
                    .where(Session.session_id == session_id, SessionChange.storage_key.is_not(None))
                )
            )
        orphans: list[StoredObject] = [
            found
            for found in store.list_objects(session_prefix(session_id))
            if found.partial or found.key not in referenced
        ]
        for found in orphans:
            store.remove(found)
        return len(orphans)
    finally:
        reservations.release(db, session_id, holder)


def _clean_spool(spool_dir: Path, older_than: float | None) -> int:
    """Files left in the spool directory (all of them at start-up)."""
    if not spool_dir.is_dir():
        return 0
    now = time.time()
    count = 0
    for path in spool_dir.iterdir():
        with contextlib.suppress(OSError):
            if path.is_file() and (older_than is None or now - path.stat().st_mtime > older_than):
                path.unlink()
                count += 1
    return count
