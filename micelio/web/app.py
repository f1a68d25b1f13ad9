"""Routing: which handler answers a request, authentication first, service errors as pages.

Every route but the assets and the login form needs a valid token in the cookie; the handler
then calls the service layer with that token's principal, so the viewer can show exactly what
the same token could read over gRPC.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlencode

from micelio.service import Services
from micelio.service.errors import (
    DataLoss,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ServiceError,
    Unauthenticated,
    Unavailable,
)
from micelio.web import auth, files, pages, session_page, static
from micelio.web.exchange import Context, Request, Response, ok, redirect
from micelio.web.html import html
from micelio.web.layout import error_page

log = logging.getLogger("micelio.web")

Handler = Callable[..., Response]
_SEGMENT = r"([^/]+)"


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    handler: Handler


def _route(template: str, handler: Handler) -> Route:
    return Route(re.compile("^" + template.replace("{}", _SEGMENT) + "$"), handler)


ROUTES = (
    _route("/", pages.home),
    _route("/o/{}", pages.organization),
    _route("/o/{}/{}", pages.sessions),
    _route("/o/{}/{}/timeline", pages.timeline),
    _route("/o/{}/{}/history", pages.history),
    _route("/o/{}/{}/tree", files.tree),
    _route("/o/{}/{}/blame", files.blame),
    _route("/s/{}", session_page.show),
    _route("/s/{}/change", session_page.change),
)

_STATUS = {
    NotFound: 404,
    PermissionDenied: 403,
    InvalidArgument: 400,
    DataLoss: 502,
    Unavailable: 503,
}


class WebApp:
    def __init__(self, services: Services) -> None:
        self.context = Context(services)

    def handle(self, request: Request) -> Response:
        try:
            return self._dispatch(request)
        except Exception:
            log.exception("web: %s %s failed", request.method, request.path)
            return self._error(request, 500, "internal error (see the server log)")

    def _dispatch(self, request: Request) -> Response:
        path = request.path
        if path in static.ASSETS:
            if request.method not in ("GET", "HEAD"):
                return _not_allowed("GET, HEAD")
            content_type, body = static.ASSETS[path]
            return Response(200, body, content_type, cache_control="max-age=3600")
        if path == "/login":
            return self._login(request)
        if path == "/logout":
            if request.method != "POST":
                return _not_allowed("POST")
            if not auth.same_origin(request.headers):
                return self._error(request, 403, "cross-site request refused", logged_in=False)
            return redirect("/login", auth.clear_cookie())
        for route in ROUTES:
            match = route.pattern.match(path)
            if match is None:
                continue
            if request.method not in ("GET", "HEAD"):
                return _not_allowed("GET, HEAD")
            refused = self._authenticate(request)
            if refused is not None:
                return refused
            args = [unquote(group) for group in match.groups()]
            try:
                return route.handler(self.context, request, *args)
            except ServiceError as error:
                status = _STATUS.get(type(error), 500)
                if status == 500:
                    log.error("web: %s %s: %s", request.method, path, error.message)
                return self._error(request, status, error.message)
        return self._error(
            request,
            404,
            f"no page at {path}",
            logged_in=auth.cookie_token(request.headers) is not None,
        )

    def _authenticate(self, request: Request) -> Response | None:
        """None when the cookie holds a valid token (then ``request.principal`` is set)."""
        token = auth.cookie_token(request.headers)
        target = _login_url(request)
        if token is None:
            if request.fragment:
                return Response(401, b"not logged in")
            return redirect(target)
        try:
            request.principal = auth.authenticate(self.context.services.tokens, token)
        except Unauthenticated:
            if request.fragment:
                return Response(401, b"not logged in", headers=[auth.clear_cookie()])
            return redirect(target + "&error=invalid", auth.clear_cookie())
        return None

    def _login(self, request: Request) -> Response:
        if request.method in ("GET", "HEAD"):
            error = (
                "That token is not valid (any more): log in again."
                if request.arg("error") == "invalid"
                else ""
            )
            return pages.login(auth.safe_next(request.arg("next")), error)
        if request.method != "POST":
            return _not_allowed("GET, HEAD, POST")
        target = auth.safe_next(request.form.get("next"))
        if not auth.same_origin(request.headers):
            return pages.login(target, "Cross-site login refused.", 403)
        token = request.form.get("token", "")
        try:
            auth.authenticate(self.context.services.tokens, token)
        except Unauthenticated:
            return pages.login(target, "Invalid token.", 401)
        return redirect(target, auth.set_cookie(auth.normalized(token)))

    def _error(
        self, request: Request, status: int, message: str, *, logged_in: bool = True
    ) -> Response:
        if request.fragment:
            return ok(html('<p class="error">{m}</p>', m=message), status)
        return ok(error_page(status, message, logged_in=logged_in), status)


def _login_url(request: Request) -> str:
    here = request.path
    if request.query:
        here += "?" + urlencode(request.query)
    return "/login?next=" + quote(here, safe="")


def _not_allowed(allow: str) -> Response:
    return Response(
        405, b"method not allowed", "text/plain; charset=utf-8", headers=[("Allow", allow)]
    )
