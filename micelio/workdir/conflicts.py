"""What a three-way merge does with each path, and with a whole tree (pure).

``merge_file`` decides one path from its base, our and their versions (``None``: absent);
``merge_trees`` decides every path that either side changed, then the file/folder clashes
between them. Nothing is lost: our version always stays in place or goes to a side file, and
their version is in place, in a side file or (a deletion, a gitlink) named by the conflict.
The table, as git's merge-ort decides it unless noted:

================================  =========================  ===============================
base / ours / theirs              result at PATH             conflict, side file
================================  =========================  ===============================
ours == theirs                    ours                       —
ours == base                      theirs                     —
theirs == base                    ours                       —
modified / deleted                ours                       modify/delete
deleted / modified                theirs                     delete/modify
text, both modified               line merge (markers)       content
text, both added, different       line merge, empty base     add/add
binary, both changed              ours                       binary, theirs → PATH.theirs
symlink, both changed target      ours                       symlink, theirs → PATH.theirs
file ↔ symlink (either way)       ours                       symlink, theirs → PATH.theirs
gitlink, both changed / ↔ file    ours                       submodule (theirs not written)
exec bit                          merged apart from content  mode when both added, differing
file on one side, folder other    the folder                 file/folder, file → PATH.mine
                                                             or PATH.theirs
================================  =========================  ===============================

Binary is git's test: a NUL byte in the first 8000 bytes of any of the three. git keeps their
binary and symlink versions only in its index; mic has none, so they go beside ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from micelio.vocabulary import ConflictKind, FileMode
from micelio.workdir.merge import Labels, merge_lines

BINARY_PROBE = 8000  # git's buffer_is_binary looks this far for a NUL
MINE, THEIRS = b".mine", b".theirs"


@dataclass(frozen=True, slots=True)
class Version:
    """A file's version: its mode and its content (a symlink's target, a gitlink's commit)."""

    mode: FileMode
    data: bytes


@dataclass(frozen=True, slots=True)
class Outcome:
    """What ``merge_file`` decided: what PATH holds (``None``: absent), its conflicts, and
    their version when it is kept beside ours (``PATH.theirs``)."""

    result: Version | None
    conflicts: tuple[ConflictKind, ...] = ()
    theirs_aside: Version | None = None

    @property
    def clean(self) -> bool:
        return not self.conflicts


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_PROBE]


def _type(mode: FileMode) -> FileMode:
    """Regular files are one type whatever their exec bit."""
    return FileMode.FILE if mode == FileMode.EXECUTABLE else mode


def _merge_mode(base: FileMode | None, ours: FileMode, theirs: FileMode) -> tuple[FileMode, bool]:
    """The exec bit, apart from the content: (mode, conflicted). With a base, one side always
    kept it (there are only two regular modes); without, differing modes conflict, ours wins."""
    if ours == theirs or theirs == base:
        return ours, False
    if ours == base:
        return theirs, False
    return ours, True


def merge_file(
    base: Version | None, ours: Version | None, theirs: Version | None, labels: Labels
) -> Outcome:
    """Decide one path (see the module's table)."""
    if ours == theirs or theirs == base:
        return Outcome(ours)
    if ours == base:
        return Outcome(theirs)
    if theirs is None:
        return Outcome(ours, (ConflictKind.MODIFY_DELETE,))
    if ours is None:
        return Outcome(theirs, (ConflictKind.DELETE_MODIFY,))
    kinds = {_type(ours.mode), _type(theirs.mode)}
    if FileMode.GITLINK in kinds:
        return Outcome(ours, (ConflictKind.SUBMODULE,))
    if FileMode.SYMLINK in kinds:
        return Outcome(ours, (ConflictKind.SYMLINK,), theirs)
    # Both regular files: the exec bit and the content merge apart, as in git.
    same_type_base = base if base is not None and _type(base.mode) == FileMode.FILE else None
    mode, mode_conflict = _merge_mode(
        same_type_base.mode if same_type_base else None, ours.mode, theirs.mode
    )
    conflicts = [ConflictKind.MODE] if mode_conflict else []
    base_data = same_type_base.data if same_type_base else b""
    if ours.data == theirs.data:
        return Outcome(Version(mode, ours.data), tuple(conflicts))
    if any(map(is_binary, (base_data, ours.data, theirs.data))):
        conflicts.append(ConflictKind.BINARY)
        return Outcome(Version(mode, ours.data), tuple(conflicts), theirs)
    merged = merge_lines(base_data, ours.data, theirs.data, labels)
    if not merged.clean:
        conflicts.append(ConflictKind.CONTENT if same_type_base else ConflictKind.ADD_ADD)
    return Outcome(Version(mode, merged.data), tuple(conflicts))


class Action(StrEnum):
    """What happens at a path of the working directory (which holds base + our changes)."""

    KEEP = "keep"  # it already holds the result
    WRITE = "write"  # write ``PathPlan.version``
    DELETE = "delete"  # remove the file


@dataclass(frozen=True, slots=True)
class SideFile:
    """A version kept next to its path (``PATH.mine``, ``PATH.theirs``)."""

    path: bytes
    version: Version


@dataclass(frozen=True, slots=True)
class PathPlan:
    path: bytes
    action: Action
    version: Version | None = None  # what WRITE writes
    conflicts: tuple[ConflictKind, ...] = ()
    side_files: tuple[SideFile, ...] = ()


@dataclass(frozen=True, slots=True)
class TreeMergePlan:
    """Every path either side changed, in path order. Apply it in three passes: write every
    side file, then the deletions, then the writes (a file leaves before a folder takes its
    name, and the other way round)."""

    paths: tuple[PathPlan, ...] = field(default=())

    @property
    def conflicted(self) -> tuple[PathPlan, ...]:
        return tuple(p for p in self.paths if p.conflicts)

    @property
    def clean(self) -> bool:
        return not self.conflicted


def _folders(paths: Iterable[bytes]) -> set[bytes]:
    out: set[bytes] = set()
    for path in paths:
        cut = path.rfind(b"/")
        while cut > 0 and path[:cut] not in out:
            out.add(path[:cut])
            cut = path.rfind(b"/", 0, cut)
    return out


def _apply(base: Iterable[bytes], changes: Mapping[bytes, Version | None]) -> set[bytes]:
    files = set(base)
    for path, version in changes.items():
        if version is None:
            files.discard(path)
        else:
            files.add(path)
    return files


def _free(path: bytes, suffix: bytes, taken: set[bytes]) -> bytes:
    """``PATH.mine``, else ``PATH.mine~1``, ...: a name no file or folder of the merge uses."""
    name, n = path + suffix, 0
    while name in taken:
        n += 1
        name = path + suffix + b"~%d" % n
    taken.add(name)
    return name


def merge_trees(
    base: Mapping[bytes, Version],
    ours: Mapping[bytes, Version | None],
    theirs: Mapping[bytes, Version | None],
    labels: Labels,
) -> TreeMergePlan:
    """Merge two sides' changes (path → new version, ``None`` deleted) over the base tree.

    Only the contents of paths that both sides changed are read from ``base``; the rest of it is
    needed for its paths alone (to see file/folder clashes).
    """
    outcomes: dict[bytes, Outcome] = {}
    for path in ours.keys() | theirs.keys():
        before = base.get(path)
        # A change to None is a deletion: get() returns it, not the base.
        mine, other = ours.get(path, before), theirs.get(path, before)
        outcomes[path] = merge_file(before, mine, other, labels)
    merged = _apply(base.keys(), {p: o.result for p, o in outcomes.items()})
    folders = _folders(merged)
    ours_files = _apply(base.keys(), ours)
    taken = merged | folders
    plans = []
    for path in sorted(outcomes):
        outcome = outcomes[path]
        now = ours[path] if path in ours else base.get(path)  # what the directory holds
        result = outcome.result
        conflicts = list(outcome.conflicts)
        sides = []
        if outcome.theirs_aside is not None:
            sides.append(SideFile(_free(path, THEIRS, taken), outcome.theirs_aside))
        if result is not None and path in folders:
            # A file here, a folder there: the folder keeps the name, the file goes beside it.
            conflicts.append(ConflictKind.FILE_FOLDER)
            suffix = MINE if path in ours_files else THEIRS
            sides.append(SideFile(_free(path, suffix, taken), result))
            result = None
        if result == now:
            action, version = Action.KEEP, None
        elif result is None:
            action, version = Action.DELETE, None
        else:
            action, version = Action.WRITE, result
        plans.append(PathPlan(path, action, version, tuple(conflicts), tuple(sides)))
    return TreeMergePlan(tuple(plans))
