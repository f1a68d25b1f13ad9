"""DEST of ``mic export git``: opening (or creating) it, reading its refs and objects, and
moving its refs last, in one transaction that checks every old value (as ``git fetch`` and
``git push --force-with-lease`` do)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Sequence
from pathlib import Path

from importers.git import export_format as fmt
from importers.git.gitcmd import GitError, run_git
from importers.git.source import git_dir_of

ZERO = "0" * 40
#: Where fast-import writes an export's commits until the refs move (deleted with them).
TMP_REFS = "refs/mic/export-tmp"


class ExportError(Exception):
    """An export that cannot be done; the message says why. Nothing was moved in DEST."""


class ExportRefused(ExportError):
    """DEST's branch (or a tag) was moved by someone else: ``--force`` overwrites it."""


def open_dest(dest: Path, branch: str) -> tuple[Path, bool]:
    """DEST's git directory, creating a bare repository when DEST is missing or empty."""
    if dest.exists() and not (dest.is_dir() and not any(dest.iterdir())):
        git_dir = git_dir_of(dest) if dest.is_dir() else None
        if git_dir is None:
            raise ExportError(f"not a git repository: {dest} (name a repository or a new path)")
        return git_dir, False
    dest.parent.mkdir(parents=True, exist_ok=True)
    run_git(dest.parent, ["init", "--bare", "-q", f"--initial-branch={branch}", str(dest)])
    return dest.resolve(), True


def check_not_checked_out(git_dir: Path, ref: str) -> None:
    """Refuse a branch checked out in DEST's work tree, as ``git push`` does: moving it would
    leave the work tree and index describing another commit."""
    bare = run_git(git_dir, ["rev-parse", "--is-bare-repository"]).strip() == b"true"
    if bare:
        return
    try:
        current = run_git(git_dir, ["symbolic-ref", "-q", "HEAD"]).decode().strip()
    except GitError:
        return  # a detached HEAD
    if current == ref:
        raise ExportError(
            f"not a repository to export into: {ref} is checked out in the work tree of "
            f"{git_dir}; export into a bare repository (or another --branch)"
        )


def check_branch(branch: str) -> str:
    ref = f"refs/heads/{branch}"
    if subprocess.run(["git", "check-ref-format", ref], capture_output=True).returncode != 0:
        raise ExportError(f"not a valid branch name: {branch!r}")
    return ref


def valid_ref(name: bytes) -> bool:
    return subprocess.run([b"git", b"check-ref-format", name], capture_output=True).returncode == 0


def ref_value(git_dir: Path, ref: str) -> str | None:
    try:
        out = run_git(git_dir, ["rev-parse", "--verify", "--quiet", "--end-of-options", ref])
    except GitError:
        return None
    return out.decode().strip() or None


def tag_refs(git_dir: Path) -> dict[bytes, str]:
    out = run_git(git_dir, ["for-each-ref", "--format=%(objectname)%00%(refname)%00", "refs/tags"])
    refs: dict[bytes, str] = {}
    for line in out.split(b"\n"):
        if line:
            oid, name, _ = line.split(b"\0")
            refs[name] = oid.decode()
    return refs


def missing_objects(git_dir: Path, oids: Sequence[str]) -> list[str]:
    if not oids:
        return []
    out = run_git(
        git_dir,
        ["cat-file", "--batch-check=%(objectname)"],
        input="".join(f"{oid}\n" for oid in oids).encode(),
    )
    return [line.split()[0] for line in out.decode().splitlines() if line.endswith(" missing")]


def drop_tmp_refs(git_dir: Path, token: str) -> None:
    with contextlib.suppress(GitError):
        for name in ("branch", "notes"):
            run_git(git_dir, ["update-ref", "-d", f"{TMP_REFS}/{token}/{name}"])


def move_refs(
    git_dir: Path,
    ref: str,
    head: str,
    old: str | None,
    notes_new: str | None,
    notes_old: str | None,
    tags: dict[bytes, str],
    force: bool,
    token: str,
) -> int:
    """Every ref in one transaction, each checked against the value it had when read."""
    current_tags = tag_refs(git_dir)
    lines: list[bytes] = [b"start\0"]
    if head != old:
        lines.append(b"update %s\0%s\0%s\0" % (ref.encode(), head.encode(), (old or ZERO).encode()))
    if notes_new and notes_new != notes_old:
        lines.append(
            b"update %s\0%s\0%s\0"
            % (fmt.NOTES_REF.encode(), notes_new.encode(), (notes_old or ZERO).encode())
        )
    moved = 0
    for name, oid in sorted(tags.items()):
        have = current_tags.get(name)
        if have == oid:
            continue
        if have is not None and not force:
            shown = name.decode("utf-8", "backslashreplace")
            drop_tmp_refs(git_dir, token)
            raise ExportRefused(
                f"{shown} of {git_dir} is at {have[:12]}, not the archived {oid[:12]}: "
                "someone else moved it; --force overwrites it"
            )
        lines.append(b"update %s\0%s\0%s\0" % (name, oid.encode(), (have or ZERO).encode()))
        moved += 1
    for kind in ("branch", "notes"):
        tmp = f"{TMP_REFS}/{token}/{kind}"
        if ref_value(git_dir, tmp) is not None:
            lines.append(f"delete {tmp}\0\0".encode())
    lines += [b"prepare\0", b"commit\0"]
    try:
        run_git(git_dir, ["update-ref", "--stdin", "-z"], input=b"".join(lines))
    except GitError as exc:
        drop_tmp_refs(git_dir, token)
        said = exc.stderr.decode("utf-8", "replace").strip()
        if "expected" in said:  # "cannot lock ref ...: is at X but expected Y"
            raise ExportRefused(
                f"a ref of {git_dir} moved during the export; nothing was changed: {said}"
            ) from None
        raise ExportError(
            f"cannot move the refs of {git_dir}; nothing was changed: {said}"
        ) from None
    return moved
