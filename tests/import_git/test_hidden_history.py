"""What git itself hides stays hidden from an import: replace refs and grafts are ignored,
shallow repositories are refused, and `mic verify` says so when a project is behind its ref.

Real git, the real CLI and a real server process.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from micelio.cli.errors import STATE
from micelio.client import MicClient, NotFound
from micelio.testing import MicServer
from tests.support.cli import assert_one_line_error, invoke, invoke_json, mic, mic_json
from tests.support.fixture_types import MicServerFactory
from tests.support.gitrepo import first_parent_chain, git


@pytest.fixture(scope="module")
def server(mic_server: MicServerFactory) -> MicServer:
    return mic_server()


def _history(repo: Path, contents: list[bytes]) -> list[str]:
    """A repository whose file ``f`` takes each content in turn, one commit each."""
    git(repo.parent, "init", "-q", "-b", "main", repo.name)
    for number, content in enumerate(contents):
        (repo / "f").write_bytes(content)
        git(repo, "add", "f")
        git(repo, "commit", "-q", "-m", f"commit {number}")
    return first_parent_chain(repo)


def _head_content(server: MicServer, org: str, project: str) -> bytes:
    with MicClient(server.address, server.token) as client:
        return b"".join(client.read_file(org, project, "f"))


def _positions(server: MicServer, org: str, project: str) -> int:
    with MicClient(server.address, server.token) as client:
        return client.get_project(org, project).head_position


def test_replace_refs_are_ignored_by_import_and_verify(server: MicServer, tmp_path: Path) -> None:
    repo = tmp_path / "replaced"
    chain = _history(repo, [b"original one\n", b"original two\n"])
    # Replace the tip's blob with another: plain git now shows the replacement's bytes.
    tip_blob = git(repo, "rev-parse", "HEAD:f").strip()
    fake = subprocess.run(
        ["git", "-C", str(repo), "hash-object", "-w", "--stdin"],
        input=b"REPLACED\n",
        capture_output=True,
        check=True,
    ).stdout.decode()
    git(repo, "replace", tip_blob, fake.strip())
    # ... and replace the first commit by one with another file: a history that never was.
    git(repo, "checkout", "-q", "--orphan", "other")
    (repo / "f").write_bytes(b"rewritten history\n")
    (repo / "extra").write_bytes(b"not in the original\n")
    git(repo, "add", "f", "extra")
    git(repo, "commit", "-q", "-m", "fake root")
    fake_root = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "main")
    git(repo, "replace", chain[0], fake_root)
    assert git(repo, "show", "HEAD:f") == "REPLACED\n"  # what git shows by default

    org = f"rep-{uuid.uuid4().hex[:8]}"
    summary = mic_json(
        "import", "git", str(repo), "--project", f"{org}/p", "--strategy", "commit", env=server.env
    )
    assert summary["commits"] == 2 and summary["sessions"] == 2
    assert _head_content(server, org, "p") == b"original two\n"
    with MicClient(server.address, server.token) as client:
        first = next(iter(client.iter_sessions(org, "p", oldest_first=True)))
        paths = sorted(c.path for c in client.iter_changes(first.session_id))
        assert paths == [b"f"]  # the replacement root's "extra" is not there
        contents = b"".join(client.read_change(first.session_id, "f"))
        assert contents == b"original one\n"
    report = mic_json("verify", f"{org}/p", str(repo), "--deep", env=server.env)
    assert report["ok"] and report["matches"] and report["sessions"] == 2, report


def test_grafts_are_ignored(server: MicServer, tmp_path: Path) -> None:
    repo = tmp_path / "grafted"
    chain = _history(repo, [b"one\n", b"two\n", b"three\n"])
    # A graft makes the tip's parent the root: plain git skips the middle commit.
    (repo / ".git" / "info" / "grafts").write_text(f"{chain[2]} {chain[0]}\n")
    shown = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "HEAD"], capture_output=True, check=True, text=True
    ).stdout.split()
    assert len(shown) == 2  # git follows the graft

    org = f"graft-{uuid.uuid4().hex[:8]}"
    summary = mic_json(
        "import", "git", str(repo), "--project", f"{org}/p", "--strategy", "commit", env=server.env
    )
    assert summary["commits"] == 3
    assert _positions(server, org, "p") == 3
    assert mic_json("verify", f"{org}/p", str(repo), "--deep", env=server.env)["ok"]


def test_shallow_repository_is_refused_and_nothing_is_created(
    server: MicServer, tmp_path: Path
) -> None:
    origin = tmp_path / "origin"
    _history(origin, [b"a\n", b"b\n", b"c\n"])
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", origin.as_uri(), str(shallow))
    org = f"shallow-{uuid.uuid4().hex[:8]}"
    result = mic(
        "import", "git", str(shallow), "--project", f"{org}/p", env=server.env, check=False
    )
    assert_one_line_error(result, STATE, "shallow clone", "--unshallow")
    with MicClient(server.address, server.token) as client, pytest.raises(NotFound):
        client.get_organization(org)
    # A URL whose mirror comes out shallow is refused the same way.
    url_result = invoke(
        "import", "git", shallow.as_uri(), "--project", f"{org}/q", env=server.env, check=False
    )
    assert url_result.returncode == STATE, url_result.stderr
    assert "shallow clone" in url_result.stderr
    # Once whole, the same repository imports.
    git(shallow, "fetch", "-q", "--unshallow")
    summary = invoke_json("import", "git", str(shallow), "--project", f"{org}/p", env=server.env)
    assert summary["commits"] == 3


def test_verify_behind_the_ref_exits_non_zero(server: MicServer, tmp_path: Path) -> None:
    repo = tmp_path / "behind"
    _history(repo, [b"1\n", b"2\n"])
    org = f"behind-{uuid.uuid4().hex[:8]}"
    invoke("import", "git", str(repo), "--project", f"{org}/p", env=server.env)
    assert mic_json("verify", f"{org}/p", str(repo), env=server.env)["ok"]
    (repo / "f").write_bytes(b"3\n")
    git(repo, "commit", "-q", "-am", "newer")

    as_json = mic("verify", f"{org}/p", str(repo), "--json", env=server.env, check=False)
    assert as_json.returncode == STATE, as_json.stderr
    report = as_json.json()
    assert report["ok"] is False and report["matches"] is True
    assert report["commits_behind"] == 1 and report["difference"] is None
    plain = mic("verify", f"{org}/p", str(repo), env=server.env, check=False)
    assert_one_line_error(plain, STATE, "behind", "1 newer commits")
