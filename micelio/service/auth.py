"""Bearer tokens: minting, the bootstrap admin token, authentication and scope checks.

Roles are ordered read < write < admin. A token is server-wide (organization NULL) or scoped to
one organization. Only hashes (sha256) are stored; a token is shown once, when minted.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from micelio.database.engine import Database
from micelio.database.models import Organization, Token
from micelio.service.errors import (
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from micelio.service.views import NewToken
from micelio.vocabulary import TokenRole

log = logging.getLogger(__name__)

TOKEN_PREFIX = "mic_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's scope (None: server-wide) and role."""

    token_id: int
    organization_id: int | None
    organization: str | None
    role: str

    @property
    def server_wide(self) -> bool:
        return self.organization_id is None

    def has_role(self, role: TokenRole) -> bool:
        return TokenRole(self.role).includes(role)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token_value() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def require_role(principal: Principal, role: TokenRole, action: str) -> None:
    if not principal.has_role(role):
        raise PermissionDenied(f"a {principal.role} token cannot {action} (needs {role})")


def require_org(principal: Principal, organization: str, role: TokenRole, action: str) -> None:
    """The token may act on ``organization`` with at least ``role``."""
    if not principal.server_wide and principal.organization != organization:
        raise PermissionDenied(
            f"a token of organization {principal.organization!r} cannot {action} "
            f"in organization {organization!r}"
        )
    require_role(principal, role, action)


class TokenAuthority:
    def __init__(self, db: Database) -> None:
        self._db = db
        # Tokens are never revoked, so a verified hash stays valid: cache it (the hash, not
        # the token) to keep a database round trip off every call.
        self._known: dict[str, Principal] = {}
        self._lock = threading.Lock()

    def authenticate(self, authorization: str | None) -> Principal:
        """``authorization`` is the metadata value ``Bearer <token>``."""
        if not authorization:
            raise Unauthenticated(
                "missing token: send the metadata 'authorization: Bearer <token>'"
            )
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("malformed authorization metadata: expected 'Bearer <token>'")
        digest = hash_token(token.strip())
        with self._lock:
            cached = self._known.get(digest)
        if cached is not None:
            return cached
        with self._db.read() as db:
            row = db.execute(
                select(Token, Organization.handle)
                .outerjoin(Organization, Organization.id == Token.organization_id)
                .where(Token.token_hash == digest)
            ).one_or_none()
        if row is None:
            raise Unauthenticated("invalid token")
        token_row, org_handle = row
        principal = Principal(
            token_id=token_row.id,
            organization_id=token_row.organization_id,
            organization=org_handle,
            role=token_row.role,
        )
        with self._lock:
            self._known[digest] = principal
        return principal

    def mint(
        self, principal: Principal, organization: str, role: str, description: str
    ) -> NewToken:
        """A new token; only admins mint, an organization's admin only for that organization."""
        if role not in frozenset(TokenRole):
            raise InvalidArgument(f"unknown role {role!r} (read, write, admin)")
        if not organization:
            if not (principal.server_wide and principal.has_role(TokenRole.ADMIN)):
                raise PermissionDenied("only a server-wide admin token mints server-wide tokens")
        else:
            require_org(principal, organization, TokenRole.ADMIN, "mint tokens")
        value = new_token_value()
        with self._db.write() as db:
            org_id = None
            if organization:
                org_id = db.scalar(
                    select(Organization.id).where(Organization.handle == organization)
                )
                if org_id is None:
                    raise NotFound(f"organization {organization!r} not found")
            db.add(
                Token(
                    token_hash=hash_token(value),
                    organization_id=org_id,
                    role=role,
                    description=description[:1000],
                )
            )
        return NewToken(token=value, organization=organization, role=role)

    def ensure_admin_token(self, path: Path) -> bool:
        """Make sure ``path`` holds a server-wide admin token known to the database.

        Creates the file (mode 0600) with a new token on first start; re-registers the hash
        of an existing file's token when the database is new. True when it created the file.
        """
        created = False
        if path.exists():
            value = path.read_text().strip()
        else:
            value = new_token_value()
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL + 0600 from the start: the token is never readable by others.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(value + "\n")
            created = True
        digest = hash_token(value)
        with self._db.write() as db:
            if db.scalar(select(Token.id).where(Token.token_hash == digest)) is None:
                db.add(
                    Token(
                        token_hash=digest,
                        organization_id=None,
                        role=TokenRole.ADMIN,
                        description=f"bootstrap admin token ({path})",
                    )
                )
        return created
