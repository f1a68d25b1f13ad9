"""Escaping and templating: every value that reaches a page passes through here.

``Markup`` marks text that is already HTML. ``html(template, **values)`` fills ``{name}`` fields
of a template (a literal written in this package) and escapes every value that is not Markup,
so untrusted input (paths, messages, file contents, metadata) can only ever become text. Values
land inside element content or double-quoted attributes; ``html.escape(quote=True)`` is safe in
both. Templates never put a value in an unquoted attribute, a script or a style.
"""

from __future__ import annotations

import html as _stdlib_html
import string
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode


class Markup(str):
    """A string of trusted HTML: inserted as is."""

    __slots__ = ()

    # ``str + str`` is a plain str, which a later ``html()`` would escape a second time:
    # adding keeps the Markup type and escapes the other side instead.
    def __add__(self, other: str) -> Markup:
        return Markup(str.__add__(self, escape(other)))

    def __radd__(self, other: str) -> Markup:
        return Markup(str.__add__(escape(other), self))


def escape(value: Any) -> Markup:
    """``value`` as HTML text (Markup passes through unchanged; None is empty)."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("")
    return Markup(_stdlib_html.escape(str(value), quote=True))


class _Escaping(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Markup):
            return value
        return escape(super().format_field(value, format_spec))


_FORMATTER = _Escaping()


def html(template: str, /, **values: Any) -> Markup:
    """Fill ``template``'s ``{fields}`` with escaped ``values``."""
    return Markup(_FORMATTER.vformat(template, (), values))


def join(parts: Iterable[Any], separator: str = "") -> Markup:
    """Concatenate, escaping every part that is not Markup."""
    return Markup(escape(separator).join(escape(part) for part in parts))


def url(path: str, query: Mapping[str, Any] | None = None) -> str:
    """A same-site URL: ``path`` as given (built by us from handles and quoted ids), plus a
    query of the non-empty values. Escape it (``html``) before it goes into an attribute."""
    if not query:
        return path
    pairs = [(k, str(v)) for k, v in query.items() if v not in (None, "", False)]
    return f"{path}?{urlencode(pairs)}" if pairs else path


def segment(value: str) -> str:
    """One URL path segment (no ``/`` survives)."""
    return quote(value, safe="")
