"""Bearer tokens: minting, the bootstrap admin token, authentication and scope checks.

Roles are ordered read < write < admin. A token is server-wide (organization NULL) or scoped to
one organization. Only hashes (sha256) are stored; a token is shown once, when minted.

Every call looks its token up (one indexed query on the hash): a revoked or expired token is
refused at once by every server sharing the database, the web viewer included. The last-used
time is written at most once a minute per token, so that calls do not each write.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import or_, select, update

from micelio.database.engine import Database
from micelio.database.models import Organization, Token, utcnow
from micelio.service.errors import (
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from micelio.service.views import Identity, NewToken, TokenView, token_view
from micelio.vocabulary import TokenRole

log = logging.getLogger(__name__)

TOKEN_PREFIX = "mic_"
#: A token's last-used time is written at most this often (per token and server).
LAST_USED_EVERY_S = 60.0
#: The longest expiry ``mint`` accepts (10 years): a longer one is almost surely a mistake.
MAX_EXPIRY_S = 10 * 366 * 86400


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's scope (None: server-wide) and role."""

    token_id: int
    organization_id: int | None
    organization: str | None
    role: str
    description: str = ""

    @property
    def server_wide(self) -> bool:
        return self.organization_id is None

    @property
    def identity(self) -> Identity:
        """What the server records as the author of an action: verified, unlike ``author``."""
        return Identity(self.token_id, self.description)

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


def require_admin_of(principal: Principal, organization: str | None, action: str) -> None:
    """An admin of ``organization`` (None: server-wide things) or a server-wide admin."""
    if principal.server_wide and principal.has_role(TokenRole.ADMIN):
        return
    if organization is None:
        raise PermissionDenied(f"only a server-wide admin token can {action}")
    require_org(principal, organization, TokenRole.ADMIN, action)


class TokenAuthority:
    def __init__(self, db: Database) -> None:
        self._db = db
        # token id -> monotonic time of its last recorded use, by this server.
        self._used: dict[int, float] = {}
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
        # No cache: a revocation on any server sharing the database counts from the next call.
        with self._db.read() as db:
            row = db.execute(
                select(Token, Organization.handle)
                .outerjoin(Organization, Organization.id == Token.organization_id)
                .where(Token.token_hash == digest)
            ).one_or_none()
        if row is None:
            raise Unauthenticated("invalid token")
        token_row, org_handle = row
        now = utcnow()
        if token_row.revoked_at is not None:
            raise Unauthenticated(f"token {token_row.id} was revoked")
        if token_row.expires_at is not None and token_row.expires_at <= now:
            raise Unauthenticated(
                f"token {token_row.id} expired at {token_row.expires_at.isoformat()}"
            )
        self._note_use(token_row.id)
        return Principal(
            token_id=token_row.id,
            organization_id=token_row.organization_id,
            organization=org_handle,
            role=token_row.role,
            description=token_row.description,
        )

    def _note_use(self, token_id: int) -> None:
        """Record the use at most once a minute per token: a write on every call would cost
        more than the call (and serialise calls on SQLite)."""
        clock = time.monotonic()
        with self._lock:
            last = self._used.get(token_id)
            if last is not None and clock - last < LAST_USED_EVERY_S:
                return
            self._used[token_id] = clock
        now = utcnow()
        stale = now - timedelta(seconds=LAST_USED_EVERY_S)
        with self._db.write() as db:
            # Another server may have written it meanwhile: only move it when stale.
            db.execute(
                update(Token)
                .where(Token.id == token_id)
                .where(or_(Token.last_used_at.is_(None), Token.last_used_at < stale))
                .values(last_used_at=now)
            )

    def whoami(self, principal: Principal) -> TokenView:
        """The calling token as ``mic token list`` shows it: any token may see itself."""
        with self._db.read() as db:
            row = db.get(Token, principal.token_id)
            if row is None:  # deleted between authentication and now
                raise Unauthenticated("invalid token")
            return token_view(row, principal.organization)

    def list_tokens(
        self, principal: Principal, organization: str = "", *, include_revoked: bool = False
    ) -> list[TokenView]:
        """Tokens the caller administers: its organization's, or all for a server-wide admin."""
        if organization:
            require_admin_of(principal, organization, "list tokens")
        elif not (principal.server_wide and principal.has_role(TokenRole.ADMIN)):
            require_admin_of(principal, principal.organization, "list tokens")
            organization = principal.organization or ""
        query = (
            select(Token, Organization.handle)
            .outerjoin(Organization, Organization.id == Token.organization_id)
            .order_by(Token.id)
        )
        if organization:
            query = query.where(Organization.handle == organization)
        if not include_revoked:
            query = query.where(Token.revoked_at.is_(None))
        with self._db.read() as db:
            return [token_view(t, org) for t, org in db.execute(query)]

    def revoke(self, principal: Principal, token_id: int = 0, token: str = "") -> TokenView:
        """Revoke a token by id or by value: refused from the next call on, everywhere."""
        require_role(principal, TokenRole.ADMIN, "revoke tokens")
        if bool(token_id) == bool(token):
            raise InvalidArgument("give either a token id or the token itself")
        with self._db.write() as db:
            where = Token.id == token_id if token_id else Token.token_hash == hash_token(token)
            row = db.execute(
                select(Token, Organization.handle)
                .outerjoin(Organization, Organization.id == Token.organization_id)
                .where(where)
                .with_for_update(of=Token)
            ).one_or_none()
            # Same answer for a token that does not exist and one the caller may not see.
            missing = NotFound(f"token {token_id or '(given)'} not found")
            if row is None:
                raise missing
            target, org = row
            try:
                require_admin_of(principal, org, "revoke tokens")
            except PermissionDenied:
                raise missing from None
            if target.revoked_at is None:
                target.revoked_at = utcnow()
            db.flush()
            return token_view(target, org)

    def mint(
        self,
        principal: Principal,
        organization: str,
        role: str,
        description: str,
        *,
        expires_in_s: int = 0,
    ) -> NewToken:
        """A new token; only admins mint, an organization's admin only for that organization.
        ``expires_in_s``: seconds until it is refused (0: never)."""
        if role not in frozenset(TokenRole):
            raise InvalidArgument(f"unknown role {role!r} (read, write, admin)")
        if not 0 <= expires_in_s <= MAX_EXPIRY_S:
            raise InvalidArgument(f"expiry must be between 1 s and {MAX_EXPIRY_S} s (or 0)")
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
            now = utcnow()
            row = Token(
                token_hash=hash_token(value),
                organization_id=org_id,
                role=role,
                description=description[:1000],
                created_at=now,
                expires_at=now + timedelta(seconds=expires_in_s) if expires_in_s else None,
            )
            db.add(row)
            db.flush()
            info = token_view(row, organization or None)
        return NewToken(token=value, organization=organization, role=role, info=info)

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
