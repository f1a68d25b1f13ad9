"""Loading organizations, projects and sessions by their public names (NotFound otherwise)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from micelio.database import api
from micelio.database.models import Organization, Project, Session, SessionChange
from micelio.service.errors import InvalidArgument, NotFound


def organization(db: DbSession, handle: str) -> Organization:
    if not handle:
        raise InvalidArgument("organization is required")
    org = db.scalar(select(Organization).where(Organization.handle == handle))
    if org is None:
        raise NotFound(f"organization {handle!r} not found")
    return org


def project(db: DbSession, org_handle: str, handle: str, *, for_update: bool = False) -> Project:
    if not handle:
        raise InvalidArgument("project is required")
    org = organization(db, org_handle)
    query = select(Project).where(Project.organization_id == org.id, Project.handle == handle)
    if for_update:
        query = query.with_for_update()
    found = db.scalar(query)
    if found is None:
        raise NotFound(f"project {org_handle}/{handle} not found")
    return found


def session(
    db: DbSession, session_id: str, *, for_update: bool = False
) -> tuple[Session, str, str]:
    """The session and its organization and project handles."""
    if not session_id:
        raise InvalidArgument("session_id is required")
    query = (
        select(Session, Organization.handle, Project.handle)
        .join(Project, Project.id == Session.project_id)
        .join(Organization, Organization.id == Project.organization_id)
        .where(Session.session_id == session_id)
    )
    if for_update:
        query = query.with_for_update(of=Session)
    row = db.execute(query).one_or_none()
    if row is None:
        raise NotFound(f"session {session_id!r} not found")
    return row[0], row[1], row[2]


def change(db: DbSession, session: Session, file_path: str) -> SessionChange:
    """The session's change of a path (its wire form)."""
    found = api.get_session_change(db, session, file_path)
    if found is None:
        raise NotFound(f"session {session.session_id} has no change of {file_path}")
    return found


def change_by_key(
    db: DbSession, session: Session, path_key: str, shown: str, *, display_too: bool = False
) -> SessionChange:
    """The session's change of the path whose ``paths.path_key`` is ``path_key``; with
    ``display_too``, else the one whose display text is ``shown`` (web links carry only
    that)."""
    found = api.get_session_change_by_key(db, session, path_key)
    if found is None and display_too:
        found = api.get_session_change(db, session, shown)
    if found is None:
        raise NotFound(f"session {session.session_id} has no change of {shown}")
    return found
