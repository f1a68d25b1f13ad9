"""Trees that a checkout can write: no entry may lie under a file, a symlink or a gitlink.

A landing that would make a path both an entry (``x``, ``link -> /tmp``, a gitlink) and a
folder (``x/y``, ``link/pwned``) is refused with INVALID_ARGUMENT naming the paths, as
``git fsck`` refuses a tree with ``duplicateEntries``. Deleting ``x`` and adding ``x/y`` in
one session is fine, as is the reverse.

Paths here are path keys (``paths.path_key``: a path's bytes, with ``/`` still separating
folders), so that two paths with one display text never pass for one another.

The check runs twice: once the stream is received, within the session and against the tree
at the head of that moment (indexed queries on the session's paths and their folders, outside
the landing lock); and in the commit's transaction, against what landed since (the changes
after the checked position, and the sessions before it in the same group), in memory. A
landing that clashed with the head when received is not refused then (the session before it
in its stream may delete what is in the way): its commit checks it whole, against the head
less what the sessions before it in the group delete.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from sqlalchemy.orm import Session as DbSession

from micelio import paths
from micelio.database import shapes
from micelio.service.errors import InvalidArgument
from micelio.vocabulary import ChangeType

#: Paths named in the error message (all travel in trailing metadata).
SHOWN = 10


@dataclass(frozen=True)
class Shape:
    """What a session leaves in the tree: every path it changes, and those it deletes (its
    entries are the others). The sets are the receiver's own, not copies: a landing of a
    million changes must not hold its paths twice."""

    paths: AbstractSet[str]
    deleted: AbstractSet[str]

    @classmethod
    def of(cls, changes: Iterable[tuple[str, str]]) -> Shape:
        paths: set[str] = set()
        deleted: set[str] = set()
        for path, change_type in changes:
            paths.add(path)
            if change_type == ChangeType.DELETED:
                deleted.add(path)
        return cls(paths, deleted)

    def entries(self) -> Iterator[str]:
        return (path for path in self.paths if path not in self.deleted)

    def is_entry(self, path: str) -> bool:
        return path in self.paths and path not in self.deleted

    def folders(self) -> set[str]:
        """Every folder the session's entries lie in."""
        return {folder for path in self.entries() for folder in parents(path)}


def parents(path: str) -> Iterable[str]:
    """The folders of a path, outermost first: ``a/b/c`` → ``a``, ``a/b``."""
    at = path.find("/")
    while at != -1:
        yield path[:at]
        at = path.find("/", at + 1)


def refuse(clashes: Sequence[tuple[str, str]]) -> InvalidArgument:
    """The error for ``(entry, path under it)`` pairs."""
    pairs = sorted({(_display(entry), _display(under)) for entry, under in clashes})
    shown = "; ".join(f"{entry!r} and {under!r}" for entry, under in pairs[:SHOWN])
    more = f" and {len(pairs) - SHOWN} more" if len(pairs) > SHOWN else ""
    return InvalidArgument(
        "duplicateEntries: a path would be both a file (or symlink, or gitlink) and a folder, "
        f"which no checkout can write: {shown}{more}",
        paths=[p for pair in pairs for p in pair],
    )


def _display(key: str) -> str:
    return paths.display(paths.key_to_raw(key))


def within(shape: Shape) -> list[tuple[str, str]]:
    """Clashes among the session's own entries."""
    return [
        (folder, path)
        for path in shape.entries()
        for folder in parents(path)
        if shape.is_entry(folder)
    ]


def against_tree(
    db: DbSession, project_id: int, position: int, shape: Shape
) -> list[tuple[str, str]]:
    """Clashes of the session's entries with the tree at ``position`` (what the session
    deletes no longer counts)."""
    if position <= 0 or len(shape.paths) == len(shape.deleted):
        return []
    clashes: list[tuple[str, str]] = []
    folders = {f for f in shape.folders() if f not in shape.paths}
    # One lookup for both: which of the session's folders are files there, and which of its
    # entries are already (those need no look under them: a file has nothing under it).
    keys = sorted(folders)
    keys.extend(shape.entries())
    live = shapes.live_files(db, project_id, keys, position)
    del keys
    if not live.isdisjoint(folders):
        clashes.extend(
            (folder, path)
            for path in shape.entries()
            for folder in parents(path)
            if folder in live and folder in folders
        )
    new = sorted(path for path in shape.entries() if path not in live)
    del live, folders
    under = shapes.files_under(db, project_id, new, position) - shape.deleted
    for path in under:
        clashes.extend((folder, path) for folder in parents(path) if shape.is_entry(folder))
    return clashes


def _apply(live: set[str], under: dict[str, int], changes: Iterable[tuple[str, str]]) -> None:
    """Apply changes to a set of entries and the count of entries under each folder."""
    for path, change_type in changes:
        if change_type == ChangeType.DELETED:
            if path in live:
                live.discard(path)
                for folder in parents(path):
                    left = under[folder] - 1
                    if left:
                        under[folder] = left
                    else:
                        del under[folder]
        elif path not in live:
            live.add(path)
            for folder in parents(path):
                under[folder] = under.get(folder, 0) + 1


@dataclass
class Landed:
    """The entries that landed after some position, with how many lie under each folder, for
    the in-memory check of the sessions of a commit. (Counts, not the entries' names: a
    group's check applies every change landed since its sessions' checks, and naming is only
    needed for an error.)"""

    live: set[str] = field(default_factory=set)
    under: dict[str, int] = field(default_factory=dict)  # folder -> live entries in it

    def apply(self, changes: Iterable[tuple[str, str]]) -> None:
        _apply(self.live, self.under, changes)

    def clashes(self, shape: Shape) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        crowded: set[str] = set()  # the session's entries with landed entries under them
        for path in shape.entries():
            found.extend(
                (folder, path)
                for folder in parents(path)
                if folder in self.live and folder not in shape.deleted
            )
            if path in self.under:
                crowded.add(path)
        if crowded:  # rare: name what lies under them (unless the session deletes it)
            found.extend(
                (folder, inside)
                for inside in self.live
                if inside not in shape.deleted
                for folder in parents(inside)
                if folder in crowded
            )
        return found


def landed_after(db: DbSession, project_id: int, after: int, upto: int) -> Landed:
    landed = Landed()
    if upto > after:
        landed.apply(shapes.changes_after(db, project_id, after, upto))
    return landed


@dataclass
class LandedCache:
    """A stream's ``Landed`` kept from one group commit to the next (``landing_commit``):
    the changes after ``since`` up to ``upto``, to which each group adds only what landed
    since the last, instead of reading every change after its landings' checks again (a
    stream receives hundreds of landings ahead of its commits). Dropped (``landed`` None)
    when a commit fails, or when it holds more than ``MODEL_ENTRIES`` entries."""

    since: int = 0
    upto: int = 0
    landed: Landed | None = None


#: A stream's tree model (``TreeModel``) holds at most this many entries; beyond, its
#: landings are checked by indexed queries instead (memory per stream stays a few MiB).
MODEL_ENTRIES = 100_000
#: ...and is loaded from at most this many change rows (a long history is queried instead).
MODEL_LOAD_ROWS = 400_000


class TreeModel:
    """The shape of a project's tree at ``position``, in memory, for the receive-time checks
    of one landing stream: its entries, and how many entries lie under each folder.

    An importer's stream lands thousands of small sessions one after another: asking the
    database about each one's paths and folders cost more than its upload. The model is
    moved forward with what landed since (``advance``), and the commit checks what landed
    after the model's position, as it does for a check against the database."""

    def __init__(self, position: int = 0) -> None:
        self.position = position
        self._live: set[str] = set()
        self._under: dict[str, int] = {}  # folder -> entries lying (at any depth) under it

    def __len__(self) -> int:
        return len(self._live)

    def apply(self, changes: Iterable[tuple[str, str]]) -> None:
        _apply(self._live, self._under, changes)

    def clashes(self, shape: Shape) -> bool:
        """Whether the session's entries clash with this tree (``against_tree``'s rule: what
        the session deletes no longer counts)."""
        if self.position <= 0 or len(shape.paths) == len(shape.deleted):
            return False
        live, under = self._live, self._under
        crowded: list[str] = []  # new entries with something under them in this tree
        for path in shape.entries():
            for folder in parents(path):
                if folder in live and folder not in shape.paths:
                    return True
            if path not in live and path in under:
                crowded.append(path)
        if not crowded:
            return False
        freed: dict[str, int] = {}  # folder -> its entries that the session deletes
        for path in shape.deleted:
            if path in live:
                for folder in parents(path):
                    freed[folder] = freed.get(folder, 0) + 1
        return any(under[path] > freed.get(path, 0) for path in crowded)


def load_model(db: DbSession, project_id: int, position: int) -> TreeModel | None:
    """The model of the tree at ``position``; None when that history or tree is too large to
    hold (its landings are then checked by queries)."""
    model = TreeModel(position)
    for rows, change in enumerate(shapes.changes_after(db, project_id, 0, position), 1):
        if rows > MODEL_LOAD_ROWS:
            return None
        model.apply((change,))
    return model if len(model) <= MODEL_ENTRIES else None


def advance(db: DbSession, project_id: int, model: TreeModel, position: int) -> bool:
    """Move ``model`` to ``position``; False (the model is then left behind, half moved)
    when it grew too large to keep."""
    if position <= model.position:
        return True
    changes = shapes.changes_after(db, project_id, model.position, position)
    for rows, change in enumerate(changes, 1):
        model.apply((change,))
        if rows % 1024 == 0 and len(model) > MODEL_ENTRIES:
            return False
    model.position = position
    return len(model) <= MODEL_ENTRIES
