"""walk, first_parent_chain, resolve_ref and tags_by_commit on the fixture repositories."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest

from fixtures import build
from importers.git import walk as walk_mod
from importers.git.gitcmd import GitError, run_git
from importers.git.walk import first_parent_chain, resolve_ref, tags_by_commit, walk
from importers.history import EMPTY_TREE_OID
from micelio.vocabulary import FileMode
from tests.support.git_changes import by_subject
from tests.support.gitrepo import cat_file, child_processes

# -- order and completeness ------------------------------------------------------------------


@pytest.mark.parametrize("name", build.NAMES)
def test_walk_lists_the_first_parent_chain_oldest_first(repos: dict[str, Path], name: str) -> None:
    commits = list(walk(repos[name]))
    assert [c.oid for c in commits] == first_parent_chain(repos[name])
    for previous, commit in itertools.pairwise(commits):
        assert commit.parents[0] == previous.oid
    assert commits[0].parents == ()


@pytest.mark.parametrize("name", build.NAMES)
def test_headers_and_messages_are_byte_exact(repos: dict[str, Path], name: str) -> None:
    repo = repos[name]
    for commit in walk(repo):
        raw = cat_file(repo, "commit", commit.oid)
        head, _, message = raw.partition(b"\n\n")
        assert commit.message_raw == message
        lines = head.split(b"\n")
        assert f"tree {commit.tree}".encode() == lines[0]
        assert [f"parent {p}".encode() for p in commit.parents] == [
            line for line in lines if line.startswith(b"parent ")
        ]
        for who, signature in (("author", commit.author), ("committer", commit.committer)):
            stored = next(line for line in lines if line.startswith(who.encode() + b" "))
            stored = stored[len(who) + 1 :]
            rebuilt = signature.raw or b"%s <%s> %d %s" % (
                signature.name.encode(),
                signature.email.encode(),
                signature.time,
                signature.tz.encode(),
            )
            assert rebuilt == stored, (commit.subject, who)


def test_idents_agree_with_git_log(repos: dict[str, Path]) -> None:
    repo = repos["kitchen-sink"]
    fmt = "--format=%H%x00%an%x00%ae%x00%at%x00%ct"  # idents hold no newline
    out = run_git(repo, ["log", "--first-parent", "--reverse", "--no-mailmap", fmt])
    for commit, record in zip(walk(repo), out.splitlines(), strict=True):
        oid, name, email, at, ct = record.split(b"\0")
        assert commit.oid == oid.decode()
        if not commit.author.raw:
            assert (commit.author.name.encode(), commit.author.email.encode()) == (name, email)
        assert commit.author.time == int(at) and commit.committer.time == int(ct)


# -- root, empty and merges --------------------------------------------------------------------


def test_root_commit_lists_all_its_files_against_the_empty_tree(repos: dict[str, Path]) -> None:
    root = next(walk(repos["root-many"]))
    assert root.parents == ()
    assert len(root.changes) == 300
    assert {c.status for c in root.changes} == {"A"}
    assert all(c.old_mode == 0 and set(c.old_oid) == {"0"} for c in root.changes)


def test_empty_commits_appear_without_changes(repos: dict[str, Path]) -> None:
    commits = list(walk(repos["empty"]))
    assert [len(c.changes) for c in commits] == [0, 1, 0, 0, 0]
    assert commits[0].parents == () and commits[0].tree == EMPTY_TREE_OID


def test_merge_brings_in_its_branch_commits_oldest_first(repos: dict[str, Path]) -> None:
    commits = by_subject(list(walk(repos["merge"])))
    feature = commits["Merge branch 'feature'"]
    assert feature.is_merge
    assert [(c.subject, c.author.name) for c in feature.brought_in] == [
        ("feature: part 1 by alice", "Alice Liddell"),
        ("feature: part 2 by bob", "Bob Builder"),
    ]
    assert [c.path for c in feature.changes] == [b"feature.txt"]  # against the first parent
    assert all(c.changes == () and c.brought_in == () for c in feature.brought_in)


def test_merge_of_main_into_a_topic_brings_in_only_the_topic(repos: dict[str, Path]) -> None:
    commits = by_subject(list(walk(repos["merge"])))
    evil = commits["Merge branch 'topic' (evil)"]
    assert [c.subject for c in evil.brought_in] == [
        "topic: start by dave",
        "Merge branch 'main' into topic",
        "topic: finish by erin",
    ]
    assert evil.brought_in[1].is_merge
    # An evil merge: the first-parent diff has what neither parent had.
    assert sorted(c.path for c in evil.changes) == [b"evil.txt", b"topic.txt"]


def test_merge_of_merged_work_brings_nothing_in(repos: dict[str, Path]) -> None:
    again = by_subject(list(walk(repos["merge"])))["Merge branch 'feature' again"]
    assert again.is_merge and again.brought_in == () and again.changes == ()


def test_merge_of_an_unrelated_history_brings_in_its_root(repos: dict[str, Path]) -> None:
    unrelated = by_subject(list(walk(repos["merge"])))["Merge unrelated history 'orphan'"]
    root, grows = unrelated.brought_in
    assert root.parents == () and grows.parents == (root.oid,)
    assert [(c.status, c.path) for c in unrelated.changes] == [("A", b"orphan.txt")]


def test_degenerate_merge_with_one_parent_twice(repos: dict[str, Path]) -> None:
    last = list(walk(repos["merge"]))[-1]
    assert last.subject == "Merge: degenerate, one parent twice"
    assert len(last.parents) == 2 and last.parents[0] == last.parents[1]
    assert last.is_merge and last.brought_in == ()
    assert [(c.status, c.path) for c in last.changes] == [("M", b"README")]


def test_octopus_merge_brings_in_every_branch(repos: dict[str, Path]) -> None:
    octopus = list(walk(repos["octopus"]))[-1]
    assert len(octopus.parents) == 4
    assert sorted((c.subject, c.author.email) for c in octopus.brought_in) == [
        ("o1: work by frank", "frank@example.com"),
        ("o2: work by grace", "grace@example.com"),
        ("o3: work by heidi", "heidi@example.com"),
    ]
    assert sorted(c.path for c in octopus.changes) == [b"o1.txt", b"o2.txt", b"o3.txt"]


def test_brought_in_partitions_everything_off_the_chain(repos: dict[str, Path]) -> None:
    repo = repos["kitchen-sink"]
    commits = list(walk(repo))
    chain = {c.oid for c in commits}
    brought = [b.oid for c in commits for b in c.brought_in]
    everything = run_git(repo, ["rev-list", "HEAD"]).decode().split()
    assert len(brought) == len(set(brought))
    assert set(brought) == set(everything) - chain
    for commit in commits:  # oldest first: a commit comes after its parents
        seen: set[str] = set()
        for b in commit.brought_in:
            assert not (set(b.parents) & {x.oid for x in commit.brought_in}) - seen
            seen.add(b.oid)


def test_brought_in_matches_git_rev_list_for_every_merge(repos: dict[str, Path]) -> None:
    for name in ("merge", "octopus", "kitchen-sink"):
        repo = repos[name]
        for commit in walk(repo):
            if not commit.is_merge:
                continue
            first, *others = commit.parents
            out = run_git(repo, ["rev-list", "--topo-order", "--reverse", *others, f"^{first}"])
            assert {c.oid for c in commit.brought_in} == set(out.decode().split())


def test_brought_in_can_be_skipped(repos: dict[str, Path]) -> None:
    assert all(c.brought_in == () for c in walk(repos["merge"], brought_in=False))


# -- encodings, idents, zones, signatures, messages ------------------------------------------


def test_encoding_header_decodes_message_and_keeps_bytes(repos: dict[str, Path]) -> None:
    latin = next(walk(repos["encoding"]))
    assert latin.encoding == "ISO-8859-1"
    assert latin.subject == "Café crème: Latin-1 message"
    assert latin.body == "Body with ü and ß."
    assert latin.message_raw.startswith(b"Caf\xe9 cr\xe8me")
    assert latin.author.name == "René François"
    assert latin.author.raw.startswith(b"Ren\xe9 Fran\xe7ois <rene@example.com> ")
    assert [c.path for c in latin.changes] == [b"caf\xe9.txt"]
    assert latin.paths == ["caf\\xe9.txt"]


def test_undeclared_non_utf8_bytes_are_escaped_not_lost(repos: dict[str, Path]) -> None:
    last = list(walk(repos["encoding"]))[-1]
    assert last.encoding is None
    assert last.message_raw.startswith(b"bytes \xff\xfe")
    assert last.subject.startswith("bytes \\xff\\xfe")
    assert last.author.raw.startswith(b"Latin \xc0uthor")


def test_non_utf8_empty_and_spaced_idents(repos: dict[str, Path]) -> None:
    latin, empty, spaced = walk(repos["idents"])
    assert latin.author.raw.startswith(b"J\xf6rg M\xfcller <joerg@example.com> ")
    assert latin.author.email == "joerg@example.com"
    assert (empty.author.name, empty.author.email, empty.author.raw) == ("", "", b"")
    assert spaced.author.name == "Two  Spaces" and spaced.author.raw == b""


def test_odd_time_zones_are_kept_verbatim(repos: dict[str, Path]) -> None:
    far, unknown, odd, after = walk(repos["odd-tz"])
    assert (far.author.tz, far.committer.tz, far.author.tz_minutes) == ("+1400", "-1200", 840)
    assert unknown.author.tz == "-0000"
    assert odd.author.tz == "+051800" and odd.author.raw == b""
    assert odd.committer.tz == "+0518"
    assert after.author.tz == "+0530"


def test_gpgsig_header_marks_a_commit_signed(repos: dict[str, Path]) -> None:
    signed, unsigned, bare = walk(repos["signed"])
    assert (signed.signed, unsigned.signed, bare.signed) == (True, False, False)
    assert signed.subject == "signed: a commit with a gpgsig header"
    assert bare.message_raw == b"" and bare.subject == ""  # no blank line, no message


def test_a_100kb_message_is_whole(repos: dict[str, Path]) -> None:
    (commit,) = walk(repos["long-message"])
    assert len(commit.message_raw) > 100_000
    assert commit.message.endswith("line 01999 of a very long message that goes on and on\n")


# -- paths and modes -----------------------------------------------------------------------------


def test_funny_paths_come_through_as_bytes(repos: dict[str, Path]) -> None:
    first = next(walk(repos["funny-paths"]))
    assert sorted(c.path for c in first.changes) == sorted(build.FUNNY_PATHS)


def test_symlinks_gitlinks_and_mode_changes(repos: dict[str, Path]) -> None:
    link = by_subject(list(walk(repos["symlink"])))["symlink: link to it"]
    assert [(c.status, c.new_mode) for c in link.changes] == [("A", FileMode.SYMLINK)]
    gitlinks = list(walk(repos["gitlink"]))
    added = {c.path: c for c in gitlinks[0].changes}[b"sub"]
    assert (added.new_mode, added.new_oid) == (FileMode.GITLINK, build.SUBMODULE_A)
    assert [(c.status, c.new_oid) for c in gitlinks[1].changes] == [("M", build.SUBMODULE_B)]
    chmod = list(walk(repos["executable"]))[1]
    (change,) = chmod.changes
    assert (change.status, change.old_mode, change.new_mode) == ("M", 0o100644, 0o100755)
    assert change.old_oid == change.new_oid
    typechange = list(walk(repos["typechange"]))[1]
    assert [(c.status, c.old_mode, c.new_mode) for c in typechange.changes] == [
        ("T", 0o100644, FileMode.SYMLINK)
    ]


def test_renames_are_not_detected_by_the_walk(repos: dict[str, Path]) -> None:
    commit = by_subject(list(walk(repos["rename"])))["rename: exact rename"]
    assert sorted((c.status, c.path) for c in commit.changes) == [
        ("A", b"new.txt"),
        ("D", b"old.txt"),
    ]


def test_user_config_cannot_change_the_raw_diff(repos: dict[str, Path], tmp_path: Path) -> None:
    repo = tmp_path / "configured"
    subprocess.run(["git", "clone", "-q", str(repos["kitchen-sink"]), str(repo)], check=True)
    for key, value in (
        ("diff.renames", "copies"),
        ("diff.ignoreSubmodules", "all"),
        ("diff.relative", "true"),
        ("log.showSignature", "true"),
        ("log.showRoot", "false"),
        ("core.quotePath", "true"),
        ("color.ui", "always"),
    ):
        run_git(repo, ["config", key, value])
    expected = [(c.oid, c.changes) for c in walk(repos["kitchen-sink"])]
    assert [(c.oid, c.changes) for c in walk(repo)] == expected


# -- since, early stop, refs -----------------------------------------------------------------------


def test_since_yields_only_the_commits_after_it(repos: dict[str, Path]) -> None:
    repo = repos["kitchen-sink"]
    full = list(walk(repo))
    for k in (0, 1, len(full) // 2, len(full) - 2):
        rest = list(walk(repo, since=full[k].oid))
        assert [(c.oid, c.changes, c.brought_in) for c in rest] == [
            (c.oid, c.changes, c.brought_in) for c in full[k + 1 :]
        ]
    assert list(walk(repo, since=full[-1].oid)) == []


def test_since_must_be_on_the_first_parent_chain(repos: dict[str, Path]) -> None:
    repo = repos["merge"]
    side = next(c for c in walk(repo) if c.brought_in).brought_in[0]
    with pytest.raises(ValueError, match="not on the first-parent chain"):
        list(walk(repo, since=side.oid))
    later = run_git(repo, ["rev-parse", "topic"]).decode().strip()
    with pytest.raises(ValueError, match="not on the first-parent chain"):
        list(walk(repo, ref=resolve_ref(repo, "main~1").oid, since=later))


def test_walk_of_another_ref(repos: dict[str, Path]) -> None:
    repo = repos["merge"]
    topic = list(walk(repo, "topic"))
    assert topic[-1].subject == "topic: finish by erin"
    assert [c.oid for c in topic] == first_parent_chain(repo, "topic")


def test_stopping_early_leaves_no_process_behind(repos: dict[str, Path]) -> None:
    before = child_processes()
    commits = walk(repos["kitchen-sink"])
    next(commits)
    next(commits)
    commits.close()
    assert child_processes() == before
    list(walk(repos["merge"]))
    assert child_processes() == before


def test_resolve_ref_names_and_ids(repos: dict[str, Path]) -> None:
    repo = repos["tags"]
    head = resolve_ref(repo)
    assert head.name == "refs/heads/main"
    assert head == resolve_ref(repo, "main") and head.oid == resolve_ref(repo, head.oid).oid
    name, oid = resolve_ref(repo, "v1.0-nested")  # a tag of a tag peels to the commit
    assert name == "refs/tags/v1.0-nested"
    assert oid == first_parent_chain(repo)[0]
    assert resolve_ref(repo, "HEAD~1").name == "HEAD~1"
    for bad in ("no-such-ref", "blob-tag", "--all"):
        with pytest.raises(ValueError):
            resolve_ref(repo, bad)


def test_bare_repository(repos: dict[str, Path], tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repos["merge"]), str(bare)], check=True)
    assert resolve_ref(bare) == resolve_ref(repos["merge"])
    assert [c.oid for c in walk(bare)] == [c.oid for c in walk(repos["merge"])]


def test_not_a_repository_is_not_found_above(repos: dict[str, Path], tmp_path: Path) -> None:
    inside = repos["merge"] / "not-a-repo"
    inside.mkdir()
    try:
        with pytest.raises(GitError):
            resolve_ref(inside)
    finally:
        inside.rmdir()
    with pytest.raises(GitError):
        list(walk(tmp_path))


def test_a_broken_repository_raises_git_error(tmp_path: Path) -> None:
    repo = tmp_path / "broken"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    ident = ["-c", "user.name=T", "-c", "user.email=t@example.com"]
    for n in range(3):
        (repo / "f").write_text(f"{n}\n")
        run_git(repo, ["add", "f"])
        run_git(repo, [*ident, "commit", "-q", "-m", f"c{n}"])
    tree = run_git(repo, ["rev-parse", "HEAD~1^{tree}"]).decode().strip()
    (repo / ".git" / "objects" / tree[:2] / tree[2:]).unlink()  # loose objects: just a file
    with pytest.raises(GitError):
        list(walk(repo))


def test_sha256_repository(tmp_path: Path) -> None:
    repo = tmp_path / "sha256"
    subprocess.run(["git", "init", "-q", "--object-format=sha256", str(repo)], check=True)
    ident = ["-c", "user.name=T", "-c", "user.email=t@example.com"]
    (repo / "a").write_text("a\n")
    run_git(repo, ["add", "a"])
    run_git(repo, [*ident, "commit", "-q", "-m", "one"])
    run_git(repo, ["mv", "a", "b"])
    run_git(repo, [*ident, "commit", "-q", "-m", "two"])
    run_git(repo, ["tag", "-a", "-m", "t", "v1"])
    commits = list(walk(repo))
    assert [len(c.oid) for c in commits] == [64, 64]
    assert sorted((c.status, c.path) for c in commits[1].changes) == [("A", b"b"), ("D", b"a")]
    assert list(tags_by_commit(repo)) == [commits[1].oid]


def test_unborn_head_names_no_commit(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    with pytest.raises(ValueError, match="names no commit"):
        resolve_ref(tmp_path)


# -- tags ----------------------------------------------------------------------------------------


def test_tags_lightweight_annotated_nested_signed(repos: dict[str, Path]) -> None:
    repo = repos["tags"]
    chain = first_parent_chain(repo)
    tags = tags_by_commit(repo)
    side = run_git(repo, ["rev-parse", f"{chain[2]}^2"]).decode().strip()
    assert set(tags) == {chain[0], chain[1], side}  # the blob's tag is left out
    assert [t.name for t in tags[side]] == ["side-release"]
    light, v1, nested = tags[chain[0]]
    assert (light.name, light.annotated, light.oid, light.tagger) == ("light", False, "", None)
    assert (v1.name, v1.annotated) == ("v1.0", True)
    assert v1.message == "Release 1.0\n\nThe first release.\n"
    assert v1.tagger is not None and v1.tagger.email == "committer@example.com"
    assert v1.chain == (v1.oid,) and not v1.nested
    assert nested.name == "v1.0-nested" and nested.nested and nested.chain[1] == v1.oid
    assert nested.commit == chain[0]
    old, signed = tags[chain[1]]
    assert (old.name, old.tagger, old.annotated) == ("old-style", None, True)
    assert signed.signed and signed.message == "Release 2.0\n"
    assert signed.message_raw.endswith(b"-----END PGP SIGNATURE-----\n")
    assert signed.message_raw == cat_file(repo, "tag", signed.oid).partition(b"\n\n")[2]


def test_a_tag_of_a_brought_in_commit_goes_to_the_merge_session(
    repos: dict[str, Path],
) -> None:
    from importers.git import pipeline, source

    repo = repos["tags"]
    plan = pipeline.make_plan(source.resolve(str(repo)), None, "commit")
    drafts = list(pipeline.drafts(plan, "o", "p", tags_by_commit(repo)))
    names = [[t["name"] for t in d.metadata["tags"]] for _, d in drafts]
    assert names == [
        ["light", "v1.0", "v1.0-nested"],
        ["old-style", "v2.0-signed"],
        ["side-release"],
        [],
    ]
    merge = drafts[2][1].metadata
    side = merge["commits"][0]["brought_in"][0]["id"]
    assert merge["tags"][0]["commit"] == side


def test_no_tags(repos: dict[str, Path]) -> None:
    assert tags_by_commit(repos["merge"]) == {}


def test_module_exports() -> None:
    assert set(walk_mod.__all__) <= set(dir(walk_mod))
