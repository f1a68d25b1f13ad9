"""Project archives: the Git bundles an import stores so that ``mic export git`` loses nothing.

An archive is stored whole or not at all: its bytes go to object storage under a key the
server picks (``projects/{project id}/archives/{random}.bundle``), are checked against the
size and sha256 the client declared, and only then get their row, numbered after the
project's last one. Writing needs write in the project's organization, reading needs read;
one archive holds at most the server's ``max_archive_bytes`` and a project at most
``MAX_ARCHIVES`` of them.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from micelio.database.engine import Database
from micelio.database.models import ProjectArchive
from micelio.service import limits, lookup
from micelio.service.auth import Principal, require_org
from micelio.service.errors import InvalidArgument, NotFound, ResourceExhausted
from micelio.service.stored import storage_failure, verified
from micelio.storage import ObjectStore, StorageError
from micelio.vocabulary import TokenRole

#: The only kind of archive so far: a Git bundle (``git bundle create``), v2 or v3.
GIT_BUNDLE = "git-bundle"
BUNDLE_SIGNATURES = (b"# v2 git bundle\n", b"# v3 git bundle\n")
MAX_ARCHIVES = 100_000
MAX_REFS_BYTES = 3 * limits.MIB  # the JSON of what the client says the bundle holds
PAGE_ARCHIVES = 1000
PAGE_BYTES = 3 * limits.MIB  # a listing page ends before this much JSON (one archive at least)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ArchiveView:
    seq: int
    kind: str
    size: int
    sha256: str
    refs: dict[str, Any]
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class ArchiveHeader:
    """What an upload declares before its bytes."""

    organization: str
    project: str
    kind: str
    size: int
    sha256: str
    refs: dict[str, Any]


def _view(row: ProjectArchive) -> ArchiveView:
    return ArchiveView(
        row.seq, row.kind, row.size, row.sha256, row.refs, row.created_at, row.created_by or ""
    )


def archive_key(project_id: int) -> str:
    """A fresh key under the project: random, so two uploads never share one."""
    return f"projects/{project_id}/archives/{secrets.token_hex(16)}.bundle"


class ArchiveService:
    def __init__(self, db: Database, store: ObjectStore, *, max_bytes: int) -> None:
        self._db = db
        self._store = store
        self._max_bytes = max_bytes

    def check_header(self, principal: Principal, header: ArchiveHeader) -> int:
        """The project's id, once the header is acceptable; nothing is stored before."""
        require_org(principal, header.organization, TokenRole.WRITE, "archive into projects")
        if header.kind != GIT_BUNDLE:
            raise InvalidArgument(f"unknown archive kind {header.kind!r} (expected {GIT_BUNDLE})")
        if header.size <= 0:
            raise InvalidArgument("an archive needs its size in bytes")
        if header.size > self._max_bytes:
            raise ResourceExhausted(
                f"archive of {header.size} bytes is over this server's limit of "
                f"{self._max_bytes} bytes (mic server start --max-archive-bytes)"
            )
        if not _SHA256.match(header.sha256):
            raise InvalidArgument("an archive needs its sha256 (64 lower-case hex digits)")
        if len(json.dumps(header.refs)) > MAX_REFS_BYTES:
            raise InvalidArgument(f"an archive's refs take at most {MAX_REFS_BYTES} bytes")
        with self._db.read() as db:
            project = lookup.project(db, header.organization, header.project)
            count = db.scalar(select(func.count()).where(ProjectArchive.project_id == project.id))
            if (count or 0) >= MAX_ARCHIVES:
                raise ResourceExhausted(f"a project holds at most {MAX_ARCHIVES} archives")
            return project.id

    def upload(
        self, principal: Principal, header: ArchiveHeader, chunks: Iterable[bytes]
    ) -> ArchiveView:
        """Store the archive and record it; on any failure nothing stays stored."""
        project_id = self.check_header(principal, header)
        key = archive_key(project_id)
        digest = hashlib.sha256()
        try:
            size = self._store.put_stream(key, _checked(chunks, header.size, digest))
        except StorageError as exc:
            self._store.delete(key)
            raise storage_failure(exc, "storing an archive") from exc
        except BaseException:
            self._store.delete(key)
            raise
        try:
            if size != header.size or digest.hexdigest() != header.sha256:
                raise InvalidArgument(
                    f"archive does not match its header: {size} bytes, sha256 "
                    f"{digest.hexdigest()[:12]}; declared {header.size}, {header.sha256[:12]}"
                )
            with self._db.write() as db:
                project = lookup.project(db, header.organization, header.project, for_update=True)
                last = db.scalar(
                    select(func.max(ProjectArchive.seq)).where(
                        ProjectArchive.project_id == project.id
                    )
                )
                row = ProjectArchive(
                    project_id=project.id,
                    seq=(last or 0) + 1,
                    kind=header.kind,
                    storage_key=key,
                    size=size,
                    sha256=header.sha256,
                    refs=header.refs,
                    created_by_token_id=principal.token_id,
                    created_by=principal.description,
                )
                db.add(row)
                db.flush()
                return _view(row)
        except BaseException:
            self._store.delete(key)
            raise

    def list_archives(
        self, principal: Principal, organization: str, project: str, after_seq: int = 0
    ) -> tuple[list[ArchiveView], int]:
        """A page of the project's archives after ``after_seq``, and where the next page
        starts (0: none): at most ``PAGE_ARCHIVES``, ending before ``PAGE_BYTES`` of refs."""
        require_org(principal, organization, TokenRole.READ, "read projects")
        with self._db.read() as db:
            found = lookup.project(db, organization, project)
            rows = db.scalars(
                select(ProjectArchive)
                .where(ProjectArchive.project_id == found.id, ProjectArchive.seq > after_seq)
                .order_by(ProjectArchive.seq)
                .limit(PAGE_ARCHIVES + 1)
            )
            page: list[ArchiveView] = []
            size = 0
            for row in rows:
                size += len(json.dumps(row.refs)) + 256
                if page and (size > PAGE_BYTES or len(page) == PAGE_ARCHIVES):
                    return page, page[-1].seq
                page.append(_view(row))
            return page, 0

    def read(
        self, principal: Principal, organization: str, project: str, seq: int
    ) -> Iterator[bytes]:
        """The archive's bytes, checked against its size and sha256 (DATA_LOSS otherwise)."""
        require_org(principal, organization, TokenRole.READ, "read projects")
        with self._db.read() as db:
            found = lookup.project(db, organization, project)
            row = db.scalar(
                select(ProjectArchive).where(
                    ProjectArchive.project_id == found.id, ProjectArchive.seq == seq
                )
            )
            if row is None:
                raise NotFound(f"project {organization}/{project} has no archive {seq}")
            key, size, sha = row.storage_key, row.size, row.sha256
        what = f"archive {seq} of {organization}/{project} ({key})"
        try:
            chunks = self._store.open_read(key)
        except StorageError as exc:
            raise storage_failure(exc, what) from exc
        return verified(chunks, size, sha, what)


def _checked(chunks: Iterable[bytes], declared: int, digest: Any) -> Iterator[bytes]:
    """The upload's chunks, refused as soon as they leave what the header declared."""
    seen = 0
    head = b""
    for chunk in chunks:
        if len(chunk) > limits.MAX_CHUNK:
            raise InvalidArgument(f"archive chunks take at most {limits.MAX_CHUNK} bytes")
        seen += len(chunk)
        if seen > declared:
            raise InvalidArgument(f"archive is longer than its declared {declared} bytes")
        if len(head) < 16:
            head = (head + chunk)[:16]
            if len(head) == 16 and head not in BUNDLE_SIGNATURES:
                raise InvalidArgument("archive is not a Git bundle (v2 or v3)")
        digest.update(chunk)
        yield chunk
    if len(head) < 16:
        raise InvalidArgument("archive is not a Git bundle (v2 or v3)")
