"""Which repositories a batch job may read: allowed path roots and URL patterns.

A job names its sources (paths on the worker's host, or URLs) and a worker imports them into
the job's organizations, so a source is a read on the worker's behalf: the server checks every
source when the job is created, and the worker again before it reads, with the policy the
server gave it with its lease. Nothing is allowed unless configured (``mic server start
--allow-source-root`` / ``--allow-source-url``); server-wide tokens (the operator's: only a
server-wide admin mints them) may read any source unless the server restricts them too.

- A path is allowed when its real path (symlinks and ``..`` resolved, on the host that checks)
  is an allowed root or lies under one (the root's real path too).
- A URL is allowed when its scheme, host, port and path match a pattern
  ``SCHEME://HOST[:PORT]/PATH-GLOB`` exactly: never by substring or prefix. In the path glob,
  ``*`` matches within one segment, ``**`` (a whole segment) any number of segments. The scp
  form ``user@host:path`` is ``ssh://user@host/path``. Refused whatever the patterns: other
  schemes than https, http, ssh and git (``file://``, ``ext::``: name a path instead),
  credentials (any user name but ssh's, any password), a query or fragment, ``%`` escapes,
  backslashes, whitespace, and empty, ``.`` or ``..`` path segments.

Pure: imports nothing of ours; reads the file system only to resolve symlinks.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

URL_SCHEMES = ("https", "http", "ssh", "git")
_DEFAULT_PORTS = {"https": 443, "http": 80, "ssh": 22, "git": 9418}
# importers.git.source's notion of a URL: "scheme://..." or scp-like "user@host:path".
_URL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|[^/@:\s]+@[^/:\s]+:)")
_SCP = re.compile(r"^(?P<user>[^/@:\s]+)@(?P<host>[^/:\s]+):(?P<path>.*)$")
_HOST = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
)
_USER = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_BAD_PATH_CHARS = re.compile(r"[%\\\s\x00-\x1f\x7f]")


class SourceDenied(ValueError):
    """A source the policy does not allow; the message says which and why."""


def is_url(source: str) -> bool:
    return bool(_URL.match(source))


@dataclass(frozen=True, slots=True)
class UrlPattern:
    scheme: str
    host: str
    port: int
    path: tuple[str, ...]  # segments, with "**" for any number of them
    text: str

    @classmethod
    def parse(cls, text: str) -> UrlPattern:
        """A pattern as configured; ValueError naming what is wrong."""
        try:
            parts = urlsplit(text)
        except ValueError as exc:
            raise ValueError(f"URL pattern {text!r}: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in URL_SCHEMES:
            raise ValueError(
                f"URL pattern {text!r}: scheme must be one of {', '.join(URL_SCHEMES)}"
            )
        if parts.username is not None or parts.query or parts.fragment:
            raise ValueError(f"URL pattern {text!r}: only SCHEME://HOST[:PORT]/PATH-GLOB")
        host = (parts.hostname or "").lower()
        if not _HOST.match(host):
            raise ValueError(f"URL pattern {text!r}: the host must be a plain host name")
        try:
            port = parts.port or _DEFAULT_PORTS[scheme]
        except ValueError as exc:
            raise ValueError(f"URL pattern {text!r}: {exc}") from None
        segments = _segments(parts.path)
        if not segments or any(s in ("", ".", "..") for s in segments):
            raise ValueError(f"URL pattern {text!r}: needs a path glob such as /org/*")
        return cls(scheme, host, port, segments, text)

    def matches(self, url: ParsedUrl) -> bool:
        if (url.scheme, url.host, url.port) != (self.scheme, self.host, self.port):
            return False
        return _match_segments(self.path, url.path)


@dataclass(frozen=True, slots=True)
class ParsedUrl:
    scheme: str
    host: str
    port: int
    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SourcePolicy:
    """What a token may name as a source. ``unrestricted``: anything (server-wide tokens)."""

    unrestricted: bool = False
    roots: tuple[str, ...] = ()
    url_patterns: tuple[str, ...] = ()

    def check(self, source: str) -> str:
        """The source as it must be read (a path: its real path), or SourceDenied."""
        if "\0" in source:
            raise SourceDenied(f"source {source!r}: contains NUL")
        if self.unrestricted:
            return source
        if is_url(source):
            self._check_url(source)
            return source
        return self.check_path(source, what="source")

    def check_path(self, path: str, *, what: str) -> str:
        """The real path of ``path`` when it lies within an allowed root, else SourceDenied."""
        if not os.path.isabs(path):
            raise SourceDenied(f"{what} {path!r} is not an absolute path")
        real = os.path.realpath(path)
        for root in self.roots:
            real_root = os.path.realpath(root)
            if os.path.commonpath([real, real_root]) == real_root:
                return real
        allowed = ", ".join(self.roots) or "none configured"
        shown = path if real == path else f"{path} (really {real})"
        raise SourceDenied(f"{what} {shown} is not under an allowed source root ({allowed})")

    def _check_url(self, source: str) -> None:
        url = parse_url(source)
        patterns = [UrlPattern.parse(p) for p in self.url_patterns]
        if not any(p.matches(url) for p in patterns):
            allowed = ", ".join(self.url_patterns) or "none configured"
            raise SourceDenied(f"source {source} matches no allowed URL pattern ({allowed})")


def parse_url(source: str) -> ParsedUrl:
    """A source URL in the parts patterns match, or SourceDenied for a URL no pattern may
    allow (see the module's docstring). Messages never repeat user information."""
    shown = _redact(source)
    scp = _SCP.match(source) if "://" not in source else None
    if scp is not None:
        scheme, user, password = "ssh", scp["user"], None
        host, port, path = scp["host"].lower(), 22, scp["path"]
    else:
        try:
            parts = urlsplit(source)
            scheme, user, password = parts.scheme.lower(), parts.username, parts.password
            host, path = (parts.hostname or "").lower(), parts.path
            port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
        except ValueError as exc:
            raise SourceDenied(f"source {shown}: {exc}") from None
        if parts.query or parts.fragment or "?" in source or "#" in source:
            raise SourceDenied(f"source {shown}: a query or fragment is not allowed")
        if "[" in parts.netloc or "]" in parts.netloc:
            raise SourceDenied(f"source {shown}: name the host, not an IPv6 literal")
    if password is not None or (user is not None and (scheme != "ssh" or not _USER.match(user))):
        raise SourceDenied(
            f"source {shown}: credentials in a source URL are not allowed (they would be "
            "stored in the job and shown to its readers); give the workers their own"
        )
    if scheme not in URL_SCHEMES:
        raise SourceDenied(
            f"source {shown}: scheme {scheme}:// is not allowed (only "
            f"{', '.join(URL_SCHEMES)}; name a local repository by its path)"
        )
    if not _HOST.match(host):
        raise SourceDenied(f"source {shown}: {host!r} is not a plain host name")
    if _BAD_PATH_CHARS.search(path):
        raise SourceDenied(
            f"source {shown}: the path has a % escape, a backslash, whitespace or a control "
            "character"
        )
    segments = _segments(path)
    if not segments or any(s in ("", ".", "..") for s in segments):
        raise SourceDenied(f"source {shown}: the path has an empty, '.' or '..' segment")
    return ParsedUrl(scheme, host, port, segments)


def _segments(path: str) -> tuple[str, ...]:
    """The segments of a URL path: one leading and one trailing ``/`` dropped, no more (an
    empty segment is a different path, which the callers refuse)."""
    path = path.removeprefix("/").removesuffix("/")
    return tuple(path.split("/")) if path else ()


def _match_segments(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    """Whether ``path`` matches ``pattern`` segment by segment (``**``: any number of them);
    dynamic programming over the two positions, so no input backtracks."""
    reachable = {0}
    for segment in path:
        after: set[int] = set()
        for i in _with_globstars(pattern, reachable):
            if i < len(pattern):
                if pattern[i] == "**":
                    after.add(i)
                elif fnmatchcase(segment, pattern[i]):
                    after.add(i + 1)
        if not after:
            return False
        reachable = after
    return len(pattern) in _with_globstars(pattern, reachable)


def _with_globstars(pattern: tuple[str, ...], positions: set[int]) -> set[int]:
    """Positions, and those reached by letting each ``**`` match no segment."""
    out = set(positions)
    for i in sorted(positions):
        while i < len(pattern) and pattern[i] == "**":
            i += 1
            out.add(i)
    return out


def _redact(source: str) -> str:
    """The URL without its user information: errors must not repeat a secret."""
    return re.sub(r"(?<=://)[^/]*@", "***@", source, count=1)
