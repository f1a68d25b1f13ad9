"""Typed records of a Git history: commits, their changes, signatures and tags (pure).

``importers.git`` reads them out of a repository and ``importers.grouping`` groups them;
neither imports the other through these records (as dulwich's ``objects`` module is shared
by its readers and writers). Git stores paths, idents and messages as bytes. Records keep the
raw bytes for byte-exact round trips and a decoded ``str`` for everything that only reads them
(grouping, goals). Modes stay git's ints (0: no entry; old trees hold modes such as
100664), compared with :class:`micelio.vocabulary.FileMode`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ZERO_OID = "0" * 40
EMPTY_TREE_OID = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # SHA-1 repositories


@dataclass(frozen=True, slots=True)
class Signature:
    """An author or committer ident line: ``name <email> time tz``."""

    name: str
    email: str
    time: int
    tz: str  # as git wrote it, e.g. "+0200" (odd ones such as "+051800" are kept verbatim)
    raw: bytes = b""  # the ident as stored, when it does not round-trip from name/email

    @property
    def tz_minutes(self) -> int:
        """Offset east of UTC in minutes (best effort for malformed zones)."""
        sign = -1 if self.tz.startswith("-") else 1
        digits = self.tz.lstrip("+-")
        if len(digits) < 4 or not digits[:4].isdigit():
            return 0
        return sign * (int(digits[:2]) * 60 + int(digits[2:4]))


@dataclass(frozen=True, slots=True)
class RawChange:
    """One entry of ``git diff-tree --raw`` of a commit against its first parent.

    ``status`` is git's letter without score: A (added), M (modified), D (deleted),
    T (type changed). Renames are not detected by the walk; change mapping pairs them.
    """

    status: str
    path: bytes
    old_mode: int
    new_mode: int
    old_oid: str
    new_oid: str

    @property
    def path_text(self) -> str:
        return self.path.decode("utf-8", "backslashreplace")


@dataclass(frozen=True, slots=True)
class Commit:
    """A commit of the first-parent sequence (or one that a merge brought in)."""

    oid: str
    parents: tuple[str, ...]
    tree: str
    author: Signature
    committer: Signature
    message: str  # decoded with the commit's encoding header (UTF-8 when absent)
    message_raw: bytes  # bytes as stored in the commit object
    encoding: str | None = None
    signed: bool = False
    changes: tuple[RawChange, ...] = ()
    # For a first-parent merge: the commits it brought in (reachable from its other parents,
    # not from its first parent), oldest first. Their ``changes`` are empty.
    brought_in: tuple[Commit, ...] = field(default_factory=tuple)

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def subject(self) -> str:
        for line in self.message.splitlines():
            if line.strip():
                return line.strip()
        return ""

    @property
    def body(self) -> str:
        lines = self.message.splitlines()
        for i, line in enumerate(lines):
            if line.strip():
                return "\n".join(lines[i + 1 :]).strip()
        return ""

    @property
    def paths(self) -> list[str]:
        return [c.path_text for c in self.changes]


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag that points (possibly through other tags) at a commit.

    Annotated tags may be nested (a tag of a tag): ``chain`` lists the tag objects from the
    one the ref names down to the one naming the commit; ``tagger`` and ``message`` are the
    outermost tag's.
    """

    name: str  # without "refs/tags/"
    commit: str  # the commit it peels to
    annotated: bool = False
    oid: str = ""  # the outermost tag object's id, for annotated tags
    message: str = ""  # decoded; an appended signature block is left out
    tagger: Signature | None = None  # absent in some old tags
    message_raw: bytes = b""  # bytes as stored, signature included
    chain: tuple[str, ...] = ()
    signed: bool = False
    ref_raw: bytes = b""  # the full ref name as stored, when it is not valid UTF-8

    @property
    def nested(self) -> bool:
        return len(self.chain) > 1
