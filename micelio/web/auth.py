"""The login cookie: a token pasted once, kept HttpOnly and SameSite=Strict, checked on every
request by the same ``TokenAuthority`` as gRPC calls (so the same scopes apply).

The cookie holds the token itself (the server stores only hashes, as for gRPC): HttpOnly keeps
it from scripts, SameSite=Strict keeps other sites from riding on it. It is not ``Secure``
because the viewer speaks plain HTTP on loopback; put it behind TLS to expose it further.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from micelio.service.auth import Principal, TokenAuthority
from micelio.web.exchange import Headers

COOKIE = "mic_token"
_TOKEN = re.compile(r"^[A-Za-z0-9._~-]{1,512}$")


def cookie_token(headers: Headers) -> str | None:
    """The token in the ``Cookie`` header, if any (parsed by hand: ``http.cookies`` gives up
    on a whole header when another site's cookie on the same host is malformed)."""
    header = headers.get("Cookie") or ""
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and value:
            return value.strip('"')
    return None


def normalized(token: str) -> str:
    """The bare token of what was pasted (``Bearer`` and blanks dropped); "" when it is not
    shaped like a token, since anything else could smuggle separators into ``Set-Cookie``."""
    cleaned = token.strip()
    if cleaned.lower().startswith("bearer "):
        cleaned = cleaned[7:].strip()
    return cleaned if _TOKEN.match(cleaned) else ""


def authenticate(tokens: TokenAuthority, token: str) -> Principal:
    """The token's principal; ``Unauthenticated`` when unknown or malformed."""
    cleaned = normalized(token)
    return tokens.authenticate(f"Bearer {cleaned}" if cleaned else None)


def set_cookie(token: str) -> tuple[str, str]:
    return ("Set-Cookie", f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict")


def clear_cookie() -> tuple[str, str]:
    return ("Set-Cookie", f"{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict")


def safe_next(target: str | None) -> str:
    """Where to go after logging in: only a path of this site (no ``//host``, no scheme)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 0x20 for c in target):
        return "/"
    return target


def same_origin(headers: Headers) -> bool:
    """A form post comes from one of our pages: refuses cross-site posts (login CSRF)."""
    site = headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = headers.get("Origin")
    if origin is None:
        return True
    host = headers.get("Host") or ""
    return urlsplit(origin).netloc == host
