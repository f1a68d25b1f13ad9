"""The HTTP side: a stdlib ``ThreadingHTTPServer`` in a thread of the mic server process.

It parses requests into ``Request``, lets ``WebApp`` answer, and adds the security headers
to every response. One thread per connection is plenty for a viewer on loopback; a socket
timeout keeps an idle or slow client from holding its thread forever.
"""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from micelio.service import Services
from micelio.web.app import WebApp
from micelio.web.exchange import Request, Response

log = logging.getLogger("micelio.web")

DEFAULT_WEB_LISTEN = "127.0.0.1:7421"
MAX_FORM_BYTES = 16 * 1024
MAX_QUERY_FIELDS = 50
#: No inline script or style anywhere: the page's own assets only, never framed.
SECURITY_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)


def parse_listen(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) as a bind address; ValueError when malformed."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"expected HOST:PORT, got {listen!r}")
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    app: WebApp


class _IPv6HTTPServer(_HTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "mic-web"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 30

    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def _serve(self) -> None:
        if self.command not in ("GET", "HEAD", "POST"):
            # Their bodies are never read: the connection cannot carry another request.
            self.close_connection = True
        parts = urlsplit(self.path)
        try:
            query = _first_values(parts.query)
            form = self._form() if self.command == "POST" else {}
        except ValueError as exc:
            self.close_connection = True  # an unread or malformed body may follow
            self._send(Response(400, str(exc).encode(), "text/plain; charset=utf-8"))
            return
        request = Request(self.command, parts.path or "/", query, self.headers, form)
        self._send(self.server.app.handle(request))

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_FORM_BYTES:
            raise ValueError("form too large")
        body = self.rfile.read(length)
        if "application/x-www-form-urlencoded" not in (self.headers.get("Content-Type") or ""):
            return {}
        return _first_values(body.decode("utf-8", "replace"))

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        headers = [
            ("Content-Type", response.content_type),
            ("Content-Length", str(len(response.body))),
            ("Cache-Control", response.cache_control),
            *SECURITY_HEADERS,
            *response.headers,
        ]
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def version_string(self) -> str:
        return self.server_version  # no Python version in the Server header

    def log_message(self, format: str, *args: object) -> None:
        log.debug("web %s: " + format, self.address_string(), *args)


def _first_values(text: str) -> dict[str, str]:
    parsed = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_QUERY_FIELDS)
    return {name: values[0] for name, values in parsed.items()}


@dataclass
class WebServer:
    httpd: ThreadingHTTPServer
    thread: threading.Thread
    address: str  # HOST:PORT actually bound (port 0 resolved)

    @property
    def url(self) -> str:
        host, _, port = self.address.rpartition(":")
        return f"http://{host}:{port}/"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def start_web(services: Services, listen: str) -> WebServer:
    """Bind ``listen`` and serve the viewer from a daemon thread; OSError if it cannot bind."""
    host, port = parse_listen(listen)
    server_class = _IPv6HTTPServer if ":" in host else _HTTPServer
    httpd = server_class((host, port), _Handler)
    httpd.app = WebApp(services)
    bound_port = httpd.server_address[1]
    shown_host = f"[{host}]" if ":" in host else host
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.5}, name="mic-web", daemon=True
    )
    thread.start()
    return WebServer(httpd, thread, f"{shown_host}:{bound_port}")
