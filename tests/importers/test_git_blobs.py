"""Streaming contents through one long-lived ``git cat-file --batch``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from importers.git.blobs import CHUNK_SIZE, BlobReader, MissingObject
from importers.git.gitcmd import run_git
from importers.git.mapping import EMPTY_BLOB_OID
from importers.git.walk import first_parent_chain
from tests.support.gitrepo import child_processes, ls_tree


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@pytest.fixture
def large(repos: dict[str, Path]) -> tuple[Path, dict[bytes, tuple[int, str]]]:
    repo = repos["large"]
    return repo, ls_tree(repo, first_parent_chain(repo)[-1])


def test_a_6_mib_blob_streams_in_chunks_of_at_most_1_mib(
    large: tuple[Path, dict[bytes, tuple[int, str]]],
) -> None:
    repo, tree = large
    oid = tree[b"big.bin"][1]
    with BlobReader(repo) as blobs:
        chunks = list(blobs.stream(oid))
    assert len(chunks) >= 6
    assert all(0 < len(c) <= CHUNK_SIZE for c in chunks)
    data = b"".join(chunks)
    assert len(data) > 6 * 1024 * 1024
    assert git_blob_id(data) == oid
    assert data == run_git(repo, ["cat-file", "blob", oid])


@pytest.mark.parametrize("name", ["kitchen-sink"])
def test_every_blob_streams_byte_exact(repos: dict[str, Path], name: str) -> None:
    repo = repos[name]
    oids = {
        oid
        for commit in first_parent_chain(repo)
        for mode, oid in ls_tree(repo, commit).values()
        if mode != 0o160000  # a gitlink has no blob
    }
    with BlobReader(repo) as blobs:
        for oid in sorted(oids):
            stream = blobs.open(oid, chunk_size=4096)
            data = b"".join(stream)
            assert git_blob_id(data) == oid
            assert stream.size == len(data) == blobs.size(oid)


def test_odd_chunk_sizes_cut_exactly(repos: dict[str, Path]) -> None:
    repo = repos["large"]
    medium = ls_tree(repo, first_parent_chain(repo)[0])[b"medium.bin"][1]  # 150 KiB
    with BlobReader(repo) as blobs:
        whole = blobs.read(medium)
        for size in (7, 4096, len(whole) - 1, len(whole), len(whole) + 1):
            chunks = list(blobs.stream(medium, chunk_size=size))
            assert b"".join(chunks) == whole
            assert all(len(c) <= size for c in chunks)
        with pytest.raises(ValueError):
            blobs.stream(medium, chunk_size=0)
    with BlobReader(repos["rename"]) as blobs:  # it has empty files
        assert list(blobs.stream(EMPTY_BLOB_OID, chunk_size=1)) == []
        assert blobs.size(EMPTY_BLOB_OID) == 0


def test_an_abandoned_stream_does_not_desynchronise_the_next(repos: dict[str, Path]) -> None:
    repo = repos["large"]
    tree = ls_tree(repo, first_parent_chain(repo)[1])
    big, medium = tree[b"big.bin"][1], tree[b"medium.bin"][1]
    with BlobReader(repo) as blobs:
        first = blobs.stream(big)
        next(first)
        assert git_blob_id(blobs.read(medium)) == medium
        with pytest.raises(RuntimeError, match="interrupted"):
            next(first)
        assert git_blob_id(blobs.read(big)) == big


def test_missing_objects_and_wrong_types(repos: dict[str, Path]) -> None:
    repo = repos["merge"]
    head = first_parent_chain(repo)[-1]
    tree = ls_tree(repo, head)
    readme = tree[b"README"][1]
    with BlobReader(repo) as blobs:
        with pytest.raises(MissingObject):
            blobs.read("0" * 40)
        with pytest.raises(ValueError, match="is a commit, not a blob"):
            blobs.read(head)
        with pytest.raises(ValueError, match="not an object name"):
            blobs.read(readme + "\n" + readme)
        assert blobs.read(readme) == b"degenerate\n"  # still in step after the errors
        kind, body = blobs.read_object(head)
        assert kind == "commit" and body.startswith(b"tree ")
        assert [(h.oid, h.type) for h, _ in blobs.read_objects([head, readme])] == [
            (head, "commit"),
            (readme, "blob"),
        ]
        with pytest.raises(MissingObject):
            list(blobs.read_objects([readme, "f" * 40]))
        answers = list(blobs.read_objects(["f" * 40, readme], missing_ok=True))
        assert [h.oid for h, _ in answers] == [readme]
        assert blobs.read(readme) == b"degenerate\n"
        with pytest.raises(MissingObject):
            blobs.size("0" * 40)


def test_many_objects_pipeline_without_deadlock(repos: dict[str, Path]) -> None:
    repo = repos["root-many"]
    tree = ls_tree(repo, first_parent_chain(repo)[0])
    oids = [oid for _, oid in tree.values()] * 5  # 1,500 requests, more than a pipe holds
    with BlobReader(repo) as blobs:
        answers = list(blobs.read_objects(oids))
    assert [h.oid for h, _ in answers] == oids
    assert all(git_blob_id(body) == h.oid for h, body in answers)


def test_closing_ends_the_processes(repos: dict[str, Path]) -> None:
    before = child_processes()
    repo = repos["merge"]
    readme = ls_tree(repo, first_parent_chain(repo)[-1])[b"README"][1]
    with BlobReader(repo) as blobs:
        blobs.read(readme)
        blobs.size(readme)
        assert len(child_processes() - before) == 2  # --batch and --batch-check
    assert child_processes() == before


def test_lfs_pointers_are_content_like_any_other(repos: dict[str, Path]) -> None:
    repo = repos["binary"]
    tree = ls_tree(repo, first_parent_chain(repo)[-1])
    with BlobReader(repo) as blobs:
        pointer = blobs.read(tree[b"design.psd"][1])
    assert pointer.startswith(b"version https://git-lfs.github.com/spec/v1\noid sha256:")


def test_prefetched_blobs_read_in_order_skipped_or_out_of_order(repos: dict[str, Path]) -> None:
    """Names asked ahead answer the next ``open``s; opening another first (or skipping one,
    or a missing name among them) skips their answers and asks afresh."""
    repo = repos["kitchen-sink"]
    every = {
        oid
        for commit in first_parent_chain(repo)
        for mode, oid in ls_tree(repo, commit).values()
        if mode != 0o160000
    }
    expected = {oid: run_git(repo, ["cat-file", "blob", oid]) for oid in every}
    by_size = sorted(every, key=lambda oid: (len(expected[oid]), oid))
    big, oids = by_size[-1], by_size[:4]  # the largest is read in part below
    assert len(oids) == 4 and len(expected[big]) > 1
    with BlobReader(repo) as blobs:
        blobs.prefetch([oids[0], big, oids[1]])
        assert blobs.read(oids[0]) == expected[oids[0]]
        assert blobs.read(big) == expected[big]
        assert blobs.read(oids[1]) == expected[oids[1]]
        # Out of order: the pending answers are skipped, a 6 MiB one among them.
        blobs.prefetch([big, oids[2], oids[3]])
        assert blobs.read(oids[3]) == expected[oids[3]]
        assert blobs.read(oids[2]) == expected[oids[2]]
        # A missing name asked ahead fails its own open only.
        missing = "0" * 40
        blobs.prefetch([oids[0], missing, oids[1]])
        assert blobs.read(oids[0]) == expected[oids[0]]
        with pytest.raises(MissingObject):
            blobs.open(missing)
        assert blobs.read(oids[1]) == expected[oids[1]]
        # Half-read, then the next prefetch: the rest is skipped.
        blobs.prefetch([big, oids[0]])
        stream = blobs.open(big)
        next(iter(stream))
        blobs.prefetch([oids[1]])
        assert blobs.read(oids[1]) == expected[oids[1]]
