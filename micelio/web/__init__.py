"""The read-only web viewer that ``mic server start`` serves next to gRPC (docs/web.md).

It runs in the server process and calls the service layer directly (listings, history and the
timeline come from ``service/browse.py``, as for gRPC): same database, same object store, same
token rules. ``start_web(services, "127.0.0.1:7421")`` starts it in a thread.

| module | job |
| --- | --- |
| ``server`` | the stdlib HTTP server thread, request parsing, security headers |
| ``app`` | routing, authentication, service errors as pages |
| ``auth`` | the login cookie and same-origin checks |
| ``pages`` / ``session_page`` / ``files`` | the pages (``files``: folder browser, blame) |
| ``folders`` | a folder's entries from a tree's rows, a page at a time (pure) |
| ``layout`` / ``html`` | the page shell, formatters, and escaping (every value goes through it) |
| ``diffs`` / ``timeline`` | bounded content reads and diffs; the SVG timeline |
| ``static`` | the stylesheet, the one small script, the icon |
"""

from micelio.web.server import DEFAULT_WEB_LISTEN, WebServer, start_web

__all__ = ["DEFAULT_WEB_LISTEN", "WebServer", "start_web"]
