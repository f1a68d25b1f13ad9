"""Hand-built raw diffs and first-parent commit chains for the git mapping tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from importers.history import ZERO_OID, Commit, RawChange, Signature
from micelio.vocabulary import FileMode

Entry = tuple[int, str]  # (mode, object id)
F, X, L, G = FileMode.FILE, FileMode.EXECUTABLE, FileMode.SYMLINK, FileMode.GITLINK
SIG = Signature("T", "t@example.com", 0, "+0000")


def oid(n: int) -> str:
    return f"{n:x}".rjust(40, "a")


A1, A2, A3 = (F, oid(1)), (F, oid(2)), (F, oid(3))


def raw(status: str, path: bytes, old: Entry | None, new: Entry | None) -> RawChange:
    old_mode, old_oid = old or (0, ZERO_OID)
    new_mode, new_oid = new or (0, ZERO_OID)
    return RawChange(status, path, old_mode, new_mode, old_oid, new_oid)


def chain(*changes: Sequence[RawChange]) -> list[Commit]:
    """Consecutive first-parent commits with these changes."""
    commits: list[Commit] = []
    for i, commit_changes in enumerate(changes):
        parents = (commits[-1].oid,) if commits else ()
        commit_id = f"{i + 1:040x}"
        commits.append(
            Commit(commit_id, parents, "", SIG, SIG, "", b"", changes=tuple(commit_changes))
        )
    return commits


def by_subject(commits: Iterable[Commit]) -> dict[str, Commit]:
    return {c.subject: c for c in commits}
