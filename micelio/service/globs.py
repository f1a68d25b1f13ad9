"""Path globs of ``ListSessions``, translated to a regular expression both SQLite (Python ``re``
through SQLAlchemy's REGEXP function) and PostgreSQL (``~``) evaluate the same way.

``*`` matches within one path component, ``**`` across components, ``?`` one character but
``/``, ``[abc]``/``[!abc]`` a set. A glob without ``/`` matches the last component at any depth
(``*.py`` matches ``src/a.py``), as in ``.gitignore``.
"""

from __future__ import annotations

from micelio.service.errors import InvalidArgument


def glob_to_regex(glob: str) -> str:
    if not glob:
        raise InvalidArgument("empty path glob")
    if len(glob) > 1000:
        raise InvalidArgument("path glob longer than 1000 characters")
    anchored = "/" in glob.strip("/")
    body = _translate(glob.strip("/"))
    return f"^{body}$" if anchored else f"^(.*/)?{body}$"


def _translate(glob: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if glob.startswith("**/", i):
            out.append("(.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            end = glob.find("]", i + 2)
            if end < 0:
                raise InvalidArgument(f"unclosed '[' in path glob {glob!r}")
            members = glob[i + 1 : end]
            negate = members.startswith("!")
            if negate:
                members = members[1:]
            escaped = "".join(_escape(c) if c != "-" else "-" for c in members)
            out.append(f"[{'^' if negate else ''}{escaped}]")
            i = end + 1
        else:
            out.append(_escape(char))
            i += 1
    return "".join(out)


def _escape(char: str) -> str:
    # A backslash before a non-alphanumeric character is a literal in both regex dialects;
    # before a letter or digit it would start an escape class, so those stay bare.
    return char if char.isalnum() else "\\" + char
