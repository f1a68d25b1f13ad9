"""Archiving what an import read: one Git bundle per run, stored on the project.

``mic export git`` restores imported commits byte for byte from these bundles, so they hold
everything reachable from the imported ref and from every tag (annotated or not, of commits,
trees or blobs): side branches that merges brought in, signatures, odd encodings. Each run's
bundle is incremental: the tips of the project's earlier bundles are its prerequisites, and a
run that read nothing new stores nothing (as ``git bundle create`` refuses an empty bundle).

The bundle is built in a throwaway repository that borrows the source's objects (alternates),
so the source is only read, and a revision that is not a ref (an id, ``HEAD~3``) still gets a
ref in the bundle (``refs/mic/imported``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from importers.git.gitcmd import GitError, run_git
from micelio.client import MicClient, ProjectArchive

if TYPE_CHECKING:
    from importers.git.pipeline import ImportPlan

#: The ref of an imported revision that is no branch (an id, ``HEAD``, a tag's commit).
IMPORTED_REF = "refs/mic/imported"
CHUNK = 1024 * 1024
#: What the description of a bundle may take (the server takes 3 MiB): beyond it, a source
#: with very many tags records only its imported ref; the bundle itself still names them all.
DESCRIPTION_BUDGET = 3 * 1024 * 1024 - 64 * 1024


@dataclass(frozen=True, slots=True)
class BundleFile:
    path: Path
    size: int
    sha256: str
    refs: dict[str, str]  # ref name (display text) -> object id
    raw_names: dict[str, str]  # display text -> base64 of the name, for names not UTF-8


def imported_name(ref: str) -> str:
    """The bundle's name of the imported revision: the branch itself, else ``IMPORTED_REF``."""
    return ref if ref.startswith("refs/") and not ref.startswith("refs/tags/") else IMPORTED_REF


def source_refs(git_dir: Path, ref: str, tip: str) -> dict[bytes, str]:
    """The refs a run archives: the imported ref at ``tip`` and every tag of the source."""
    refs: dict[bytes, str] = {imported_name(ref).encode(): tip}
    out = run_git(git_dir, ["for-each-ref", "--format=%(objectname)%00%(refname)%00", "refs/tags"])
    for line in out.split(b"\n"):
        if line:
            oid, refname, _ = line.split(b"\0")
            refs[refname] = oid.decode("ascii")
    return refs


def prerequisites(archives: list[ProjectArchive]) -> set[str]:
    """Every object the project's earlier bundles end at: this run's bundle starts there."""
    return {
        oid
        for archive in archives
        for oid in (archive.refs.get("refs") or {}).values()
        if isinstance(oid, str)
    }


def create_bundle(
    git_dir: Path, refs: dict[bytes, str], exclude: set[str], workdir: Path
) -> BundleFile | None:
    """A bundle of ``refs`` less what ``exclude`` reaches, in ``workdir``; None when empty."""
    scratch = workdir / "repo.git"
    run_git(workdir, ["init", "--bare", "-q", str(scratch)])
    objects = run_git(git_dir, ["rev-parse", "--git-path", "objects"]).strip()
    objects_dir = (Path(git_dir) / os.fsdecode(objects)).resolve()
    (scratch / "objects" / "info" / "alternates").write_bytes(os.fsencode(objects_dir) + b"\n")
    updates = b"".join(b"update %s\0%s\0\0" % (name, oid.encode()) for name, oid in refs.items())
    run_git(scratch, ["update-ref", "--stdin", "-z"], input=updates)
    target = workdir / "archive.bundle"
    # Excluded objects the source lacks (a tag deleted since) would fail the walk: keep those
    # it has, whose absence from the new bundle is then exactly what earlier bundles hold.
    present = _present(scratch, exclude)
    revs = b"".join(b"^%s\n" % oid.encode() for oid in sorted(present))
    try:
        run_git(scratch, ["bundle", "create", "-q", str(target), "--all", "--stdin"], input=revs)
    except GitError as error:
        if b"empty bundle" in error.stderr:
            return None
        raise
    digest = hashlib.sha256()
    with target.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    shown = {name.decode("utf-8", "backslashreplace"): oid for name, oid in refs.items()}
    raw = {
        name.decode("utf-8", "backslashreplace"): base64.b64encode(name).decode("ascii")
        for name in refs
        if name.decode("utf-8", "backslashreplace").encode() != name
    }
    return BundleFile(target, target.stat().st_size, digest.hexdigest(), shown, raw)


def _present(repo: Path, oids: set[str]) -> set[str]:
    if not oids:
        return set()
    out = run_git(
        repo,
        ["cat-file", "--batch-check=%(objectname) %(objecttype)"],
        input="".join(f"{oid}\n" for oid in sorted(oids)).encode(),
    )
    return {line.split()[0] for line in out.decode().splitlines() if not line.endswith("missing")}


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def archive_run(
    client: MicClient,
    organization: str,
    project: str,
    git_dir: Path,
    ref: str,
    tip: str,
    *,
    source: str = "",
) -> ProjectArchive | None:
    """Store this run's bundle on the project (before its sessions land: objects first).

    Returns the archive recorded, or None when the project's archives already hold it all.
    """
    earlier = client.list_archives(organization, project)
    refs = source_refs(git_dir, ref, tip)
    with tempfile.TemporaryDirectory(prefix="mic-archive-") as tmp:
        bundle = create_bundle(git_dir, refs, prerequisites(earlier), Path(tmp))
        if bundle is None:
            return None
        description: dict[str, Any] = {
            "refs": bundle.refs,
            "raw_names": bundle.raw_names,
            "ref": ref,
            "tip": tip,
            "source": source,
        }
        if len(json.dumps(description)) > DESCRIPTION_BUDGET:
            description["refs"] = {imported_name(ref): tip}
            description["raw_names"] = {}
            description["tags_omitted"] = len(bundle.refs) - 1
        return client.upload_archive(
            organization,
            project,
            size=bundle.size,
            sha256=bundle.sha256,
            refs=description,
            chunks=_chunks(bundle.path),
        )


def archive_plan(
    client: MicClient, plan: ImportPlan, organization: str, project: str
) -> ProjectArchive | None:
    """:func:`archive_run` for an import plan: its source, ref and tip."""
    return archive_run(
        client,
        organization,
        project,
        plan.source.git_dir,
        plan.ref,
        plan.tip,
        source=plan.source.location,
    )
