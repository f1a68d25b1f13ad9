"""`mic export git` and `mic verify --export` end to end: real CLI, real server, real git."""

from __future__ import annotations

import hashlib
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fixtures import build
from importers.grouping import STRATEGIES
from micelio.client import Change, Decision, Message, MicClient, NewSession
from micelio.testing import MicServer
from micelio.vocabulary import ChangeType, FileMode
from tests.support.cli import assert_one_line_error, invoke, invoke_json
from tests.support.fixture_types import MicServerFactory
from tests.support.gitrepo import git, ls_tree


@pytest.fixture(scope="module")
def server(mic_server: MicServerFactory) -> MicServer:
    return mic_server()


@pytest.fixture(scope="module")
def fixture_repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build.build_all(tmp_path_factory.mktemp("fixtures"))


def fsck_problems(repo: Path) -> set[str]:
    """The lines ``git fsck --strict`` complains with (empty: clean)."""
    out = subprocess.run(
        ["git", "-C", str(repo), "fsck", "--strict", "--no-dangling"],
        capture_output=True,
        text=True,
    )
    problems = {line for line in (out.stdout + out.stderr).splitlines() if line.strip()}
    assert (out.returncode == 0) == (not problems or all(p.startswith("warning") for p in problems))
    return problems


def head_of(repo: Path, ref: str = "HEAD") -> str:
    return git(repo, "rev-parse", ref).strip()


def test_every_fixture_with_every_strategy_exports_the_source_head(
    server: MicServer, fixture_repos: dict[str, Path], tmp_path: Path
) -> None:
    assert len(fixture_repos) >= 20
    for strategy in STRATEGIES:
        for name, repo in fixture_repos.items():
            project = f"{strategy}/{name}"
            invoke("import", "git", str(repo), "--project", project, "--strategy", strategy,
                   env=server.env)  # fmt: skip
            dest = tmp_path / strategy / name
            result = invoke_json("export", "git", project, str(dest), "--json", env=server.env)
            assert result["head"] == head_of(repo), (strategy, name)
            assert head_of(dest, "refs/heads/main") == head_of(repo)
            assert result["native_commits"] == 0
            # Byte-identical objects: the export is exactly as clean as its source (the
            # odd-tz and tags fixtures carry what --strict reports, on purpose).
            assert fsck_problems(dest) <= fsck_problems(repo), (strategy, name)
            if not fsck_problems(repo):
                assert not fsck_problems(dest)
            for tag, oid in _tags(repo).items():
                assert _tags(dest).get(tag) == oid, (strategy, name, tag)
            report = invoke_json("verify", "--export", str(dest), "--json", env=server.env)
            assert report["ok"], (strategy, name, report)


def _tags(repo: Path) -> dict[bytes, str]:
    out = subprocess.run(
        ["git", "-C", str(repo), "for-each-ref", "--format=%(objectname) %(refname)", "refs/tags"],
        capture_output=True,
        check=True,
    ).stdout
    return {name: oid.decode() for oid, name in (ln.split(b" ", 1) for ln in out.splitlines())}


def _signed_repo(repo: Path) -> dict[str, str]:
    """Merges and signed commits (a hand-made ``gpgsig`` header), tags of a tree and a blob."""
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "a.txt").write_text("one\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    git(repo, "checkout", "-q", "-b", "side")
    (repo / "b.txt").write_text("side\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "on the side")
    side = head_of(repo)
    raw = git(repo, "cat-file", "commit", side).encode()
    header, message = raw.split(b"\n\n", 1)
    signature = (
        b"gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEEthrowawaykey0000\n"
        b" =abcd\n -----END PGP SIGNATURE-----\n"
    )
    signed = (
        subprocess.run(
            ["git", "-C", str(repo), "hash-object", "-t", "commit", "-w", "--stdin"],
            input=header + b"\n" + signature + b"\n" + message,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    git(repo, "update-ref", "refs/heads/side", signed)
    git(repo, "checkout", "-q", "main")
    (repo / "a.txt").write_text("two\n")
    git(repo, "commit", "-q", "-am", "second")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge side", "side")
    git(repo, "tag", "-a", "-m", "a tree", "tree-tag", "HEAD^{tree}")
    git(repo, "tag", "blob-tag", "HEAD:a.txt")
    git(repo, "tag", "-a", "-m", "release", "v1")
    # A tag whose name is not UTF-8 (Latin-1 "café").
    subprocess.run(
        [b"git", b"-C", os.fsencode(repo), b"update-ref", b"refs/tags/caf\xe9", b"HEAD"],
        check=True,
    )
    return {"signed": signed, "head": head_of(repo)}


def test_signed_commits_and_merges_come_back_byte_identical(
    server: MicServer, tmp_path: Path
) -> None:
    repo = tmp_path / "signed"
    made = _signed_repo(repo)
    assert (
        b"gpgsig"
        in subprocess.run(
            ["git", "-C", str(repo), "cat-file", "commit", made["signed"]], capture_output=True
        ).stdout
    )
    invoke("import", "git", str(repo), "--project", "sig/ned", env=server.env)
    dest = tmp_path / "out.git"
    invoke("export", "git", "sig/ned", str(dest), env=server.env)
    assert head_of(dest, "refs/heads/main") == made["head"]
    for oid in (made["signed"], made["head"]):
        assert git(dest, "cat-file", "commit", oid) == git(repo, "cat-file", "commit", oid)
    assert set(git(repo, "rev-list", "main").split()) == set(git(dest, "rev-list", "main").split())
    assert _tags(dest) == _tags(repo)  # annotated, of a tree, of a blob, a name not UTF-8
    assert b"refs/tags/caf\xe9" in _tags(dest)
    assert not fsck_problems(dest)


# -- native sessions ---------------------------------------------------------------------


def land_native(
    client: MicClient, org: str, project: str, goal: str, changes: list[Change], n: int
) -> None:
    client.land(
        changes,
        create=NewSession(
            organization=org,
            project=project,
            goal=goal,
            conversation=[
                Message("human", f"please {goal.lower()}", "ann"),
                Message("agent", "done, see the diff\nsecond line", "bot"),
            ],
            decisions=[Decision(f"do {goal}", "because it is needed")],
        ),
        started_at=datetime(2026, 1, n, 10, 0, tzinfo=UTC),
        landed_at=datetime(2026, 1, n, 11, 30, tzinfo=UTC),
    )


def native_sessions(client: MicClient, org: str, project: str, tree: set[str]) -> None:
    """Three sessions: files, an executable, a symlink, a gitlink, a modification and a
    deletion, a path that is not UTF-8."""
    land_native(
        client,
        org,
        project,
        "Add the tools",
        [
            Change(
                "tools/run.sh", ChangeType.ADDED, b"#!/bin/sh\necho hi\n", mode=FileMode.EXECUTABLE
            ),
            Change("tools/link", ChangeType.ADDED, b"run.sh", mode=FileMode.SYMLINK),
            Change("vendor/lib", ChangeType.ADDED, b"1" * 40, mode=FileMode.GITLINK),
            Change(b"caf\xe9.txt", ChangeType.ADDED, b"latin-1 name\n"),
        ],
        1,
    )
    first = sorted(tree)[0] if tree else None
    second: list[Change] = [Change("notes/new.md", ChangeType.ADDED, b"# notes\n")]
    if first is not None:
        second.append(Change(first, ChangeType.DELETED))
    land_native(client, org, project, "Tidy up", second, 2)
    land_native(
        client,
        org,
        project,
        "Edit the tool",
        [
            Change(
                "tools/run.sh",
                ChangeType.MODIFIED,
                b"#!/bin/sh\necho bye\n",
                mode=FileMode.EXECUTABLE,
            ),
        ],
        3,
    )


def check_trees(client: MicClient, org: str, project: str, dest: Path) -> None:
    """At every position, the exported commit's tree is the session's tree."""
    chain = git(dest, "rev-list", "--first-parent", "--reverse", "refs/heads/main").split()
    sessions = list(client.iter_sessions(org, project, status="landed", oldest_first=True))
    by_trailer = {
        git(dest, "log", "-1", "--format=%(trailers:key=Mic-Session,valueonly)", c).strip(): c
        for c in chain
    }
    for session in sessions:
        external = session.external_id or ""
        commit = external[4:] if external.startswith("git:") else by_trailer[session.session_id]
        mine = {
            e.path: (int(e.mode), e.sha256)
            for e in client.get_tree(org, project, position=session.landing_position)
        }
        theirs = ls_tree(dest, commit)
        assert set(mine) == set(theirs), session.landing_position
        for path, (mode, oid) in theirs.items():
            assert mine[path][0] == mode, path
            if mode != FileMode.GITLINK:
                content = subprocess.run(
                    ["git", "-C", str(dest), "cat-file", "blob", oid],
                    capture_output=True,
                    check=True,
                ).stdout
                assert hashlib.sha256(content).hexdigest() == mine[path][1], path


def test_native_sessions_on_top_are_deterministic_commits(
    server: MicServer, fixture_repos: dict[str, Path], tmp_path: Path
) -> None:
    repo = fixture_repos["merge"]
    invoke("import", "git", str(repo), "--project", "nat/ive", env=server.env)
    with MicClient(server.address, server.token) as client:
        tree = {e.file_path for e in client.get_tree("nat", "ive")}
        native_sessions(client, "nat", "ive", tree)
        one, two = tmp_path / "one.git", tmp_path / "two.git"
        first = invoke_json("export", "git", "nat/ive", str(one), "--json", env=server.env)
        second = invoke_json("export", "git", "nat/ive", str(two), "--json", env=server.env)
        assert first["native_commits"] == 3
        assert first["head"] == second["head"]
        assert head_of(one, "refs/notes/mic") == head_of(two, "refs/notes/mic")
        check_trees(client, "nat", "ive", one)
    # Imported history is the source's, native sessions are commits on top of it.
    chain = git(one, "rev-list", "--first-parent", "--reverse", "main").split()
    assert chain[-4] == head_of(repo)
    top = git(one, "cat-file", "commit", chain[-1])
    # Author: the landing token; dates: the session's (started 10:00, landed 11:30 UTC).
    assert "@mic> 1767434400 +0000\ncommitter " in top and "<token-" in top
    assert "@mic> 1767439800 +0000\n" in top
    message = git(one, "log", "-1", "--format=%B", "main")
    assert message.startswith("Edit the tool\n")
    assert "Mic-Session: " in message and "Mic-Position: " in message
    assert "Decisions:\n- do Edit the tool (why: because it is needed)" in message
    note = git(one, "notes", "--ref=mic", "show", "main")
    assert "done, see the diff\nsecond line" in note and "because it is needed" in note
    assert not fsck_problems(one)
    report = invoke_json("verify", "--export", str(one), "--json", env=server.env)
    assert report["ok"] and report["sessions"] == len(chain)


def test_a_project_that_never_imported_exports_from_a_root_commit(
    server: MicServer, tmp_path: Path
) -> None:
    with MicClient(server.address, server.token) as client:
        client.create_organization("only", exist_ok=True)
        client.create_project("only", "native", exist_ok=True)
        native_sessions(client, "only", "native", set())
        dest = tmp_path / "n.git"
        result = invoke_json("export", "git", "only/native", str(dest), "--json", env=server.env)
        assert result["native_commits"] == 3
        assert len(git(dest, "rev-list", "main").split()) == 3
        check_trees(client, "only", "native", dest)
    assert git(dest, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert not fsck_problems(dest)


def test_incremental_export_fast_forwards_and_refuses_a_moved_branch(
    server: MicServer, fixture_repos: dict[str, Path], tmp_path: Path
) -> None:
    invoke("import", "git", str(fixture_repos["rename"]), "--project", "inc/r", env=server.env)
    dest = tmp_path / "inc.git"
    invoke("export", "git", "inc/r", str(dest), env=server.env)
    before = head_of(dest, "refs/heads/main")
    with MicClient(server.address, server.token) as client:
        land_native(client, "inc", "r", "One more", [Change("more.txt", "added", b"more\n")], 4)
    again = invoke_json("export", "git", "inc/r", str(dest), "--json", env=server.env)
    assert again["exported_sessions"] == 1 and again["native_commits"] == 1
    assert git(dest, "rev-parse", "main^").strip() == before
    assert invoke_json("export", "git", "inc/r", str(dest), "--json", env=server.env)["up_to_date"]
    # Someone else moves the branch: refused, DEST untouched; --force overwrites.
    moved = git(dest, "commit-tree", "-m", "elsewhere", "main^{tree}").strip()
    git(dest, "update-ref", "refs/heads/main", moved)
    with MicClient(server.address, server.token) as client:
        land_native(client, "inc", "r", "Yet more", [Change("yet.txt", "added", b"yet\n")], 5)
    refused = invoke("export", "git", "inc/r", str(dest), env=server.env, check=False)
    assert_one_line_error(refused, 6, "someone else moved it", "--force")
    assert head_of(dest, "refs/heads/main") == moved
    assert not git(dest, "for-each-ref", "refs/mic")
    forced = invoke_json("export", "git", "inc/r", str(dest), "--force", "--json", env=server.env)
    assert git(dest, "rev-parse", "main~1").strip() == again["head"]
    assert forced["head"] == head_of(dest, "refs/heads/main")


def test_reimport_lands_nothing_twice_and_git_commits_on_top_import(
    server: MicServer, fixture_repos: dict[str, Path], tmp_path: Path
) -> None:
    invoke("import", "git", str(fixture_repos["symlink"]), "--project", "rt/p", env=server.env)
    with MicClient(server.address, server.token) as client:
        land_native(client, "rt", "p", "Native work", [Change("n.txt", "added", b"n\n")], 6)
        count = client.get_project("rt", "p").head_position
    dest = tmp_path / "rt.git"
    invoke("export", "git", "rt/p", str(dest), env=server.env)
    again = invoke_json("import", "git", str(dest), "--project", "rt/p", "--json", env=server.env)
    assert again["sessions"] == 0
    # During the transition someone commits in Git on top of the export.
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", str(dest), str(work)], check=True)
    for k in range(2):
        (work / f"git-{k}.txt").write_text(f"{k}\n")
        git(work, "add", ".")
        git(work, "commit", "-q", "-m", f"made in git {k}")
    git(work, "push", "-q", "origin", "main")
    landed = invoke_json("import", "git", str(dest), "--project", "rt/p", "--strategy", "commit",
                         "--json", env=server.env)  # fmt: skip
    assert landed["sessions"] == 2
    with MicClient(server.address, server.token) as client:
        assert client.get_project("rt", "p").head_position == count + 2
    with MicClient(server.address, server.token) as client:
        archives = client.list_archives("rt", "p")
    assert invoke_json("import", "git", str(dest), "--project", "rt/p", "--json",
                       env=server.env)["sessions"] == 0  # fmt: skip
    with MicClient(server.address, server.token) as client:
        # Incremental archives: the run that read nothing new stored nothing.
        assert client.list_archives("rt", "p") == archives
        assert [a.seq for a in archives] == list(range(1, len(archives) + 1))
    # The export is up to date with its own commits, and a fresh export makes the same ones.
    assert invoke_json("export", "git", "rt/p", str(dest), "--json", env=server.env)["up_to_date"]
    fresh = tmp_path / "fresh.git"
    result = invoke_json("export", "git", "rt/p", str(fresh), "--json", env=server.env)
    assert result["head"] == head_of(dest, "refs/heads/main")
    assert not fsck_problems(fresh)
    report = invoke_json("verify", "--export", str(fresh), "--json", env=server.env)
    assert report["ok"], report


# -- bad input ---------------------------------------------------------------------------


def test_dest_that_is_not_a_repository_is_refused_untouched(
    server: MicServer, fixture_repos: dict[str, Path], tmp_path: Path
) -> None:
    invoke("import", "git", str(fixture_repos["empty"]), "--project", "bad/dest", env=server.env)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine\n")
    result = invoke("export", "git", "bad/dest", str(folder), env=server.env, check=False)
    assert_one_line_error(result, 2, "not a git repository")
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]
    a_file = tmp_path / "file"
    a_file.write_text("x")
    result = invoke("export", "git", "bad/dest", str(a_file), env=server.env, check=False)
    assert_one_line_error(result, 2, "not a git repository")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    git(checkout, "init", "-q", "-b", "main")
    result = invoke("export", "git", "bad/dest", str(checkout), env=server.env, check=False)
    assert_one_line_error(result, 2, "checked out in the work tree")
    assert not git(checkout, "for-each-ref")
    result = invoke("export", "git", "bad/dest", str(tmp_path / "b.git"), "--branch", "a..b",
                    env=server.env, check=False)  # fmt: skip
    assert_one_line_error(result, 2, "not a valid branch name")
    result = invoke("export", "git", "bad/nothing", str(tmp_path / "c.git"), env=server.env,
                    check=False)  # fmt: skip
    assert result.returncode == 3
    assert not (tmp_path / "c.git").exists()


def test_a_project_without_sessions_is_refused(server: MicServer, tmp_path: Path) -> None:
    with MicClient(server.address, server.token) as client:
        client.create_organization("void", exist_ok=True)
        client.create_project("void", "p", exist_ok=True)
    dest = tmp_path / "void.git"
    result = invoke("export", "git", "void/p", str(dest), env=server.env, check=False)
    assert_one_line_error(result, 1, "has no landed sessions")
    assert not dest.exists()


def test_a_missing_archive_is_named_and_nothing_is_written(
    server: MicServer, fixture_repos: dict[str, Path], tmp_path: Path
) -> None:
    invoke("import", "git", str(fixture_repos["binary"]), "--project", "lost/p", env=server.env)
    with MicClient(server.address, server.token) as client:
        (archive,) = client.list_archives("lost", "p")
    assert archive.seq == 1 and archive.kind == "git-bundle"
    bundles = list((server.data_dir / "objects" / "projects").rglob("*.bundle"))
    key_dirs = {p.parent for p in bundles}
    for bundle in bundles:  # every project's archives: only lost/p is exported below
        os.rename(bundle, bundle.with_suffix(".moved"))
    try:
        dest = tmp_path / "lost.git"
        result = invoke("export", "git", "lost/p", str(dest), env=server.env, check=False)
        assert_one_line_error(result, 1, "archive 1 of lost/p", "missing")
        assert not dest.exists()
        existing = tmp_path / "existing.git"
        git(tmp_path, "init", "-q", "--bare", str(existing))
        result = invoke("export", "git", "lost/p", str(existing), env=server.env, check=False)
        assert result.returncode == 1
        assert not git(existing, "for-each-ref")
    finally:
        for folder in key_dirs:
            for moved in folder.glob("*.moved"):
                os.rename(moved, moved.with_suffix(".bundle"))


def test_an_imported_commit_missing_from_the_archives_is_named(
    server: MicServer, fixture_repos: dict[str, Path], tmp_path: Path
) -> None:
    """A project imported before archives existed: the commit the export needs is named."""
    repo = fixture_repos["executable"]
    invoke("import", "git", str(repo), "--project", "old/p", env=server.env)
    with MicClient(server.address, server.token) as client:
        # The same history in a second project, landed without its archive.
        client.create_project("old", "q", exist_ok=True)
        for session in client.iter_sessions("old", "p", oldest_first=True):
            full = client.get_session(session.session_id)
            changes = [
                Change(c.path, c.change_type, b"".join(client.read_change(full.session_id, c.path))
                       if c.change_type != "deleted" else None, mode=c.mode or FileMode.FILE)
                for c in client.iter_changes(full.session_id)
            ]  # fmt: skip
            client.land(
                changes,
                create=NewSession("old", "q", full.goal),
                external_id=full.external_id,
            )
    dest = tmp_path / "old.git"
    result = invoke("export", "git", "old/q", str(dest), env=server.env, check=False)
    with MicClient(server.address, server.token) as client:
        oldest = next(client.iter_sessions("old", "q", oldest_first=True))
    first = (oldest.external_id or "").removeprefix("git:")
    assert_one_line_error(result, 1, "archive object missing", f"commit {first}")
    assert not dest.exists()


def test_verify_export_finds_a_tree_that_differs(
    server: MicServer, fixture_repos: dict[str, Path], tmp_path: Path
) -> None:
    invoke("import", "git", str(fixture_repos["tags"]), "--project", "ver/p", env=server.env)
    with MicClient(server.address, server.token) as client:
        land_native(client, "ver", "p", "Native", [Change("v.txt", "added", b"v\n")], 7)
    dest = tmp_path / "ver.git"
    invoke("export", "git", "ver/p", str(dest), env=server.env)
    assert invoke_json("verify", "ver/p", "--export", str(dest), "--json", env=server.env)["ok"]
    exported = head_of(dest, "refs/heads/main")
    # The same message and trailers over another tree (an amend): verify finds the session's
    # tree differs, and the next export does not take the commit for its own.
    message = git(dest, "log", "-1", "--format=%B", "main")
    forged = (
        subprocess.run(
            ["git", "-C", str(dest), "commit-tree", "-p", "main^", "-F", "-", "main^^{tree}"],
            input=message.encode(),
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    git(dest, "update-ref", "refs/heads/main", forged)
    result = invoke("verify", "--export", str(dest), "--json", env=server.env, check=False)
    assert result.returncode == 1
    assert "v.txt" in result.json()["difference"]
    refused = invoke("export", "git", "ver/p", str(dest), env=server.env, check=False)
    assert_one_line_error(refused, 6, "someone else moved it")
    # A tag someone moved is refused like the branch, and nothing moves; --force restores it.
    git(dest, "update-ref", "refs/heads/main", exported)
    tags = _tags(dest)
    name = min(tags)
    git(dest, "update-ref", name.decode(), "main")
    refused = invoke("export", "git", "ver/p", str(dest), env=server.env, check=False)
    assert_one_line_error(refused, 6, name.decode(), "someone else moved it")
    assert _tags(dest)[name] == head_of(dest, "main")
    invoke("export", "git", "ver/p", str(dest), "--force", env=server.env)
    assert _tags(dest) == tags


def test_an_export_that_does_not_name_its_sessions_is_not_reimported(
    server: MicServer, tmp_path: Path
) -> None:
    """A project whose last session is native, and a repository with no commit exported from
    it: refused, nothing landed."""
    with MicClient(server.address, server.token) as client:
        client.create_organization("nx", exist_ok=True)
        client.create_project("nx", "p", exist_ok=True)
        land_native(client, "nx", "p", "Native", [Change("a.txt", "added", b"a\n")], 8)
    repo = tmp_path / "other"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "b.txt").write_text("b\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "unrelated")
    result = invoke("import", "git", str(repo), "--project", "nx/p", env=server.env, check=False)
    assert_one_line_error(result, 1, "not imported from git", "mic export git")
    with MicClient(server.address, server.token) as client:
        assert client.get_project("nx", "p").head_position == 1


@pytest.mark.postgres
def test_archives_on_postgres_and_s3_round_trip(
    mic_server: MicServerFactory, fixture_repos: dict[str, Path], tmp_path: Path
) -> None:
    """The archive's row and object on the other backends: PostgreSQL and S3."""
    other = mic_server("postgres", "s3")
    repo = fixture_repos["merge"]
    invoke("import", "git", str(repo), "--project", "s3/p", env=other.env)
    with MicClient(other.address, other.token) as client:
        land_native(client, "s3", "p", "On S3", [Change("s.txt", "added", b"s\n" * 5000)], 9)
    dest = tmp_path / "s3.git"
    result = invoke_json("export", "git", "s3/p", str(dest), "--json", env=other.env)
    assert result["archives_restored"] == 1
    assert git(dest, "rev-parse", "main^").strip() == head_of(repo)
    assert invoke_json("verify", "--export", str(dest), "--json", env=other.env)["ok"]
    assert not fsck_problems(dest)


def test_a_source_with_very_many_tags_keeps_them_all(server: MicServer, tmp_path: Path) -> None:
    """More tags than an archive's description holds: the bundle still names them all."""
    repo = tmp_path / "tags"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commits = []
    for k in range(20):
        (repo / "f.txt").write_text(f"{k}\n")
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", f"c{k}")
        commits.append(head_of(repo))
    updates = "".join(
        f"create refs/tags/{'t' * 200}-{n}\0{commits[n % 20]}\0" for n in range(15_000)
    )
    subprocess.run(["git", "-C", str(repo), "update-ref", "--stdin", "-z"],
                   input=updates.encode(), check=True)  # fmt: skip
    git(repo, "pack-refs", "--all")
    invoke("import", "git", str(repo), "--project", "many/tags", "--strategy", "commit",
           env=server.env)  # fmt: skip
    with MicClient(server.address, server.token) as client:
        (archive,) = client.list_archives("many", "tags")
    assert archive.refs["tags_omitted"] == 15_000
    dest = tmp_path / "tags.git"
    invoke("export", "git", "many/tags", str(dest), env=server.env)
    assert _tags(dest) == _tags(repo)
    assert head_of(dest, "refs/heads/main") == head_of(repo)
