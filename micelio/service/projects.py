"""Organizations and projects.

Creating an organization needs a server-wide admin token; creating a project needs write in its
organization; reading needs read. An organization's token sees only its organization.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from micelio.database.engine import Database
from micelio.database.models import Organization, Project
from micelio.service import limits, lookup
from micelio.service.auth import Principal, require_org, require_role
from micelio.service.errors import AlreadyExists, InvalidArgument, PermissionDenied
from micelio.service.views import OrganizationView, ProjectView, organization_view, project_view
from micelio.vocabulary import TokenRole


class ProjectService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create_organization(
        self, principal: Principal, handle: str, *, exist_ok: bool = False
    ) -> OrganizationView:
        limits.check_handle("organization", handle)
        if exist_ok and not principal.server_wide and principal.organization == handle:
            # An organization's own token "creating" it (`mic import git` into an existing
            # organization): the organization exists, since the token belongs to it.
            return self.get_organization(principal, handle)
        if not principal.server_wide:
            raise PermissionDenied("only a server-wide admin token creates organizations")
        require_role(principal, TokenRole.ADMIN, "create organizations")
        try:
            with self._db.write() as db:
                existing = db.scalar(select(Organization).where(Organization.handle == handle))
                if existing is not None:
                    if exist_ok:
                        return organization_view(existing)
                    raise AlreadyExists(f"organization {handle!r} already exists")
                org = Organization(handle=handle)
                db.add(org)
                db.flush()
                return organization_view(org)
        except IntegrityError:
            # Another server process created it between our check and insert.
            return self._created_concurrently(handle, exist_ok)

    def _created_concurrently(self, handle: str, exist_ok: bool) -> OrganizationView:
        if not exist_ok:
            raise AlreadyExists(f"organization {handle!r} already exists") from None
        with self._db.read() as db:
            return organization_view(lookup.organization(db, handle))

    def get_organization(self, principal: Principal, handle: str) -> OrganizationView:
        require_org(principal, handle, TokenRole.READ, "read organizations")
        with self._db.read() as db:
            return organization_view(lookup.organization(db, handle))

    def list_organizations(self, principal: Principal) -> list[OrganizationView]:
        query = select(Organization).order_by(Organization.handle)
        if not principal.server_wide:
            query = query.where(Organization.id == principal.organization_id)
        with self._db.read() as db:
            return [organization_view(org) for org in db.scalars(query)]

    def create_project(
        self,
        principal: Principal,
        organization: str,
        handle: str,
        name: str = "",
        *,
        exist_ok: bool = False,
    ) -> ProjectView:
        limits.check_handle("project", handle)
        if len(name) > limits.MAX_PROJECT_NAME:
            raise InvalidArgument(f"project name longer than {limits.MAX_PROJECT_NAME} characters")
        require_org(principal, organization, TokenRole.WRITE, "create projects")
        try:
            with self._db.write() as db:
                org = lookup.organization(db, organization)
                existing = db.scalar(
                    select(Project).where(
                        Project.organization_id == org.id, Project.handle == handle
                    )
                )
                if existing is not None:
                    if exist_ok:
                        return project_view(existing, organization)
                    raise AlreadyExists(f"project {organization}/{handle} already exists")
                project = Project(
                    organization_id=org.id, handle=handle, name=name or handle, head_position=0
                )
                db.add(project)
                db.flush()
                return project_view(project, organization)
        except IntegrityError:
            if not exist_ok:
                raise AlreadyExists(f"project {organization}/{handle} already exists") from None
            return self.get_project(principal, organization, handle)

    def get_project(self, principal: Principal, organization: str, handle: str) -> ProjectView:
        require_org(principal, organization, TokenRole.READ, "read projects")
        with self._db.read() as db:
            return project_view(lookup.project(db, organization, handle), organization)

    def list_projects(self, principal: Principal, organization: str) -> list[ProjectView]:
        require_org(principal, organization, TokenRole.READ, "read projects")
        with self._db.read() as db:
            org = lookup.organization(db, organization)
            projects = db.scalars(
                select(Project).where(Project.organization_id == org.id).order_by(Project.handle)
            )
            return [project_view(p, organization) for p in projects]
