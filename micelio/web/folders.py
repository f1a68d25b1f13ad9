"""One folder of a tree, a page at a time (pure): the rows of the files under a folder, as
``ContentService.tree`` streams them, grouped into what sits directly in it.

Folders come first, then files, each by name (as GitHub and ``ls --group-directories-first``
show them). A page holds at most ``size`` entries after the ``after`` cursor, kept in a bounded
heap, so a folder of 100,000 files costs one pass and a page of memory, not a sort of all of
them. Subfolders are counted as the rows pass (one counter per subfolder name).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

#: The kind of an entry, in the order a page shows them.
FOLDER, FILE = 0, 1


class Row(Protocol):
    """What a listing needs of a tree row (``database.tree.TreeRow``)."""

    @property
    def file_path(self) -> str: ...
    @property
    def mode(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def session_id(self) -> str: ...
    @property
    def landing_position(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Entry:
    kind: int  # FOLDER or FILE
    name: str
    path: str  # from the project's root
    files: int = 0  # a folder: the files anywhere under it
    mode: int = 0  # a file: its mode, size and the session that last set it
    size: int = 0
    session_id: str = ""
    position: int = 0

    @property
    def key(self) -> str:
        return cursor(self.kind, self.name)


@dataclass(frozen=True, slots=True)
class Listing:
    entries: list[Entry]
    folders: int  # in the whole folder, not only this page
    files: int
    next_after: str  # the cursor of the next page ("" on the last)


def cursor(kind: int, name: str) -> str:
    """A page's position: ``d:NAME`` after a folder, ``f:NAME`` after a file."""
    return ("d:" if kind == FOLDER else "f:") + name


def parse_cursor(text: str) -> tuple[int, str] | None:
    """The ``(kind, name)`` of a cursor; None for none or a malformed one."""
    tag, sep, name = text.partition(":")
    if not sep or tag not in ("d", "f"):
        return None
    return (FOLDER if tag == "d" else FILE), name


def parent(path: str) -> str:
    return path.rpartition("/")[0]


class _Backwards:
    """An entry ordered by name backwards: on top of ``heapq``'s min-heap sits the largest
    name, the one a smaller newcomer replaces."""

    __slots__ = ("entry",)

    def __init__(self, entry: Entry) -> None:
        self.entry = entry

    def __lt__(self, other: _Backwards) -> bool:
        return self.entry.name > other.entry.name


def list_folder(rows: Iterable[Row], folder: str, *, after: str = "", size: int) -> Listing:
    """The entries directly in ``folder`` ("" the root) of ``rows`` (every file under it),
    the first ``size`` after the cursor ``after``."""
    start = parse_cursor(after) if after else None
    prefix = folder + "/" if folder else ""
    folder_files: dict[str, int] = {}
    smallest: list[_Backwards] = []  # the first size + 1 files: a page, and whether more follow
    file_count = 0
    for row in rows:
        if not row.file_path.startswith(prefix):
            continue  # not under the folder: nothing the tree query should give
        name, sep, _ = row.file_path[len(prefix) :].partition("/")
        if sep:
            folder_files[name] = folder_files.get(name, 0) + 1
            continue
        file_count += 1
        if start is not None and (FILE, name) <= start:
            continue
        if len(smallest) > size and name >= smallest[0].entry.name:
            continue
        entry = Entry(
            FILE,
            name,
            row.file_path,
            mode=row.mode,
            size=row.size,
            session_id=row.session_id,
            position=row.landing_position,
        )
        if len(smallest) > size:
            heapq.heapreplace(smallest, _Backwards(entry))
        else:
            heapq.heappush(smallest, _Backwards(entry))
    names = (n for n in folder_files if start is None or (FOLDER, n) > start)
    folders = [
        Entry(FOLDER, name, prefix + name, files=folder_files[name])
        for name in heapq.nsmallest(size + 1, names)
    ]
    files = sorted((item.entry for item in smallest), key=lambda e: e.name)
    chosen = [*folders, *files]
    page = chosen[:size]
    more = len(chosen) > size
    return Listing(page, len(folder_files), file_count, page[-1].key if more and page else "")
