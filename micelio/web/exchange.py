"""What a page handler receives and returns: a parsed request, a response, the services."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import TypeAlias

from micelio.service import Services
from micelio.service.auth import Principal
from micelio.web.html import Markup

HTML = "text/html; charset=utf-8"
#: A request's headers: the HTTP server's (case-insensitive) message, or a plain mapping.
Headers: TypeAlias = "Mapping[str, str] | Message[str, str]"


@dataclass(frozen=True)
class Context:
    """The process's services: the same objects the gRPC servicers use."""

    services: Services


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]  # first value of each parameter
    headers: Headers
    form: dict[str, str] = field(default_factory=dict)
    principal: Principal | None = None

    def arg(self, name: str, default: str = "") -> str:
        return self.query.get(name, default)

    @property
    def user(self) -> Principal:
        """The authenticated principal (handlers behind the login only)."""
        if self.principal is None:
            raise RuntimeError("handler reached without authentication")
        return self.principal

    @property
    def fragment(self) -> bool:
        """A part of a page fetched by the viewer's script, not a whole document."""
        return self.query.get("fragment") == "1"


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: list[tuple[str, str]] = field(default_factory=list)
    # Pages show data a token may see: never keep them in a shared or disk cache.
    cache_control: str = "no-store"


def ok(markup: Markup, status: int = 200) -> Response:
    return Response(status, markup.encode("utf-8"))


def redirect(location: str, *headers: tuple[str, str]) -> Response:
    """303: the browser follows with a GET (also after a POST)."""
    return Response(303, b"", headers=[("Location", location), *headers])
