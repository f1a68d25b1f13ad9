"""Folding the raw diffs of consecutive first-parent commits into one net change set.

A session made of commits ``c1..cn`` changes the tree of ``c1``'s first parent into the tree
of ``cn``: one :class:`PlannedChange` per path whose entry (mode, object id) differs between
the two, whatever happened in between (added then deleted: nothing; deleted then added back:
modified, or nothing when identical).

Applying a change set: **all deletions first, then additions and modifications** (any order
within each group). A file replaced by a directory (``a`` deleted, ``a/b`` added) and back
needs exactly that order; type changes that keep the path (file to symlink, to gitlink) are
plain modifications whose ``mode``/``kind`` differ from ``old_mode``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from importers.history import Commit
from micelio.vocabulary import ChangeType, FileMode

Kind = Literal["file", "executable", "symlink", "gitlink"]
Entry = tuple[int, str]  # (mode, object id) of a tree entry
Tree = Mapping[bytes, Entry]

EMPTY_BLOB_OID = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
_EMPTY_BLOBS = {  # SHA-1 and SHA-256 repositories
    EMPTY_BLOB_OID,
    "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813",
}


@dataclass(frozen=True, slots=True)
class PlannedChange:
    """One path's net change; ``""``/``0`` stand for the side that does not exist.

    ``oid`` is the new blob id, or for a gitlink the commit id that is its content (a gitlink
    has no blob). ``size`` is the new content's size when known (gitlinks: always).
    A rename is a deletion and an addition naming each other, with git's similarity score
    (100 for an exact rename; :mod:`importers.git.renames` finds renames with edits).
    """

    path: bytes
    change_type: ChangeType
    mode: int  # new mode; 0 for deletions
    old_mode: int  # 0 for additions
    oid: str  # "" for deletions
    old_oid: str  # "" for additions
    size: int | None = None
    renamed_from: bytes | None = None  # on the addition of a rename
    renamed_to: bytes | None = None  # on the deletion of a rename
    kind: Kind = "file"  # of the new entry; of the old one for deletions
    similarity: int | None = None  # of a rename, in percent

    @property
    def path_text(self) -> str:
        return self.path.decode("utf-8", "backslashreplace")

    @property
    def old_kind(self) -> Kind | None:
        return kind_of(self.old_mode) if self.old_mode else None


def kind_of(mode: int) -> Kind:
    """The kind of a tree entry's mode (git canonicalises file modes to 100644/100755)."""
    if mode == FileMode.SYMLINK:
        return "symlink"
    if mode == FileMode.GITLINK:
        return "gitlink"
    if mode & 0o170000 != 0o100000:
        raise ValueError(f"not a file mode: {mode:o}")
    return "executable" if mode & 0o100 else "file"  # the owner's bit, as git's canon_mode


# -- folding -------------------------------------------------------------------------------


def net_changes(commits: Iterable[Commit]) -> list[PlannedChange]:
    """The net change set of a run of consecutive first-parent commits, sorted by path bytes.

    Apply it deletions first, then additions and modifications (see :func:`apply`).
    Raises ``ValueError`` when the commits are not consecutive, or a change does not start
    from the entry the previous one left (the raw diffs do not chain).
    """
    before: dict[bytes, Entry | None] = {}  # the entry before the run (None: absent)
    after: dict[bytes, Entry | None] = {}  # the entry after the last change seen so far
    previous: str | None = None
    for commit in commits:
        if previous is not None and commit.parents[:1] != (previous,):
            raise ValueError(f"{commit.oid} does not follow {previous} on the first parent")
        previous = commit.oid
        for change in commit.changes:
            old = (change.old_mode, change.old_oid) if change.old_mode else None
            new = (change.new_mode, change.new_oid) if change.new_mode else None
            if change.path not in before:
                before[change.path] = old
            elif after[change.path] != old:
                raise ValueError(
                    f"{commit.oid} changes {change.path_text!r} from an entry the previous "
                    "commits did not leave"
                )
            after[change.path] = new
    changes = [
        planned
        for path in sorted(before)
        if (planned := _planned(path, before[path], after[path])) is not None
    ]
    return pair_renames(changes)


def _planned(path: bytes, old: Entry | None, new: Entry | None) -> PlannedChange | None:
    if old == new:
        return None  # never existed, or back to where it started
    if new is None:
        assert old is not None
        return PlannedChange(path, ChangeType.DELETED, 0, old[0], "", old[1], kind=kind_of(old[0]))
    mode, oid = new
    size = len(oid) if mode == FileMode.GITLINK else None  # a gitlink's content is its id, in hex
    if old is None:
        return PlannedChange(path, ChangeType.ADDED, mode, 0, oid, "", size, kind=kind_of(mode))
    return PlannedChange(
        path, ChangeType.MODIFIED, mode, old[0], oid, old[1], size, kind=kind_of(mode)
    )


def _rename_class(kind: Kind) -> str:
    # A rename may flip the executable bit (git detects those too), not change the type.
    return "file" if kind == "executable" else kind


def pair_renames(changes: list[PlannedChange]) -> list[PlannedChange]:
    """Mark exact renames: a deletion and an addition of the same object (not the empty
    blob, which proves nothing) and the same type. Same base names pair first, then by
    path order; pairing is one to one. The list stays in its order."""
    deleted: dict[tuple[str, str], list[PlannedChange]] = {}
    for change in changes:
        if change.change_type == ChangeType.DELETED and change.old_oid not in _EMPTY_BLOBS:
            key = (change.old_oid, _rename_class(change.kind))
            deleted.setdefault(key, []).append(change)
    if not deleted:
        return changes
    pairs: dict[bytes, bytes] = {}  # each side's path -> the other's
    for change in changes:
        if change.change_type != ChangeType.ADDED:
            continue
        candidates = deleted.get((change.oid, _rename_class(change.kind)))
        if not candidates:
            continue
        name = change.path.rsplit(b"/", 1)[-1]
        source = next((c for c in candidates if c.path.rsplit(b"/", 1)[-1] == name), candidates[0])
        candidates.remove(source)
        pairs[change.path] = source.path
        pairs[source.path] = change.path
    if not pairs:
        return changes
    out: list[PlannedChange] = []
    for change in changes:
        other = pairs.get(change.path)
        if other is None:
            out.append(change)
        elif change.change_type == ChangeType.ADDED:
            out.append(replace(change, renamed_from=other, similarity=100))
        else:
            out.append(replace(change, renamed_to=other, similarity=100))
    return out


# -- applying ------------------------------------------------------------------------------


def apply(tree: Tree, changes: Iterable[PlannedChange]) -> dict[bytes, Entry]:
    """The tree after ``changes`` (deletions first, then the rest); ``tree`` is not touched.

    Strict: raises ``ValueError`` when a change does not fit the tree (deleting or modifying
    an entry that is not there as recorded, adding over an existing path, leaving a file
    where a directory is needed or the reverse).
    """
    result = dict(tree)
    pending = sorted(changes, key=lambda c: c.change_type != ChangeType.DELETED)
    added: list[bytes] = []
    for change in pending:
        current = result.get(change.path)
        if change.change_type == ChangeType.ADDED:
            if current is not None:
                raise ValueError(f"cannot add {change.path_text!r}: it exists")
            added.append(change.path)
        elif current != (change.old_mode, change.old_oid):
            raise ValueError(
                f"cannot apply {change.change_type} {change.path_text!r}: "
                f"the tree has {current!r}, the change expects {(change.old_mode, change.old_oid)}"
            )
        if change.change_type == ChangeType.DELETED:
            del result[change.path]
        else:
            kind_of(change.mode)  # refuses directories and unknown modes
            result[change.path] = (change.mode, change.oid)
    if added:
        _check_no_file_directory_clash(result, added)
    return result


def _check_no_file_directory_clash(tree: Mapping[bytes, Entry], paths: list[bytes]) -> None:
    directories = {path[:i] for path in tree for i in _slashes(path)}
    for path in paths:
        if path in directories:
            raise ValueError(f"{path.decode('utf-8', 'backslashreplace')!r} is also a directory")
        for i in _slashes(path):
            if path[:i] in tree:
                raise ValueError(f"{path[:i].decode('utf-8', 'backslashreplace')!r} is a file")


def _slashes(path: bytes) -> Iterator[int]:
    i = path.find(b"/")
    while i >= 0:
        yield i
        i = path.find(b"/", i + 1)
