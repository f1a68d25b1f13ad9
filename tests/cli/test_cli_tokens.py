"""`mic token create --expires / list / revoke`, the verified identities in `mic session
show/list`, and `mic import git` with an organization's write token."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

from micelio.cli import errors
from tests.support.cli import Mic, assert_one_line_error
from tests.support.gitrepo import git


def _org(mic: Mic, tmp_path: Path) -> str:
    org = f"tok-{uuid.uuid4().hex[:8]}"
    mic(tmp_path, "org", "create", org)
    mic(tmp_path, "project", "create", f"{org}/app")
    return org


def test_tokens_list_revoke_and_expire(mic: Mic, tmp_path: Path) -> None:
    org = _org(mic, tmp_path)
    made = mic(
        tmp_path, "token", "create", "--role", "write", "--org", org,
        "--description", "ci bot", "--expires", "30d", "--json",
    ).json()  # fmt: skip
    created = datetime.fromisoformat(made["expires_at"]) - timedelta(days=30)
    assert abs((datetime.now(created.tzinfo) - created).total_seconds()) < 60
    listed = mic(tmp_path, "token", "list", "--org", org, "--json")
    assert made["token"] not in listed.stdout  # never the secret
    (row,) = listed.json()
    assert (row["id"], row["role"], row["description"]) == (made["id"], "write", "ci bot")
    assert row["expires_at"] == made["expires_at"] and row["revoked_at"] is None
    writer = {"MIC_TOKEN": made["token"]}
    mic(tmp_path, "project", "list", org, env=writer)
    text = mic(tmp_path, "token", "list", "--org", org).stdout
    assert "ci bot" in text and "last used" in text
    for bad in ("0d", "30", "soon", "-1d"):
        result = mic(tmp_path, "token", "create", "--role", "read", "--expires", bad, check=False)
        assert_one_line_error(result, errors.USAGE, "duration")
    assert mic(tmp_path, "token", "revoke", str(made["id"])).stdout.startswith("revoked token")
    refused = mic(tmp_path, "project", "list", org, env=writer, check=False)
    assert_one_line_error(refused, errors.AUTH, "revoked")
    assert mic(tmp_path, "token", "list", "--org", org, "--json").json() == []
    assert len(mic(tmp_path, "token", "list", "--org", org, "--revoked", "--json").json()) == 1
    # Revoking by the token's value works as well; a writer may neither list nor revoke.
    other = mic(tmp_path, "token", "create", "--role", "write", "--org", org).stdout.strip()
    denied = mic(tmp_path, "token", "list", env={"MIC_TOKEN": other}, check=False)
    assert_one_line_error(denied, errors.AUTH)
    mic(tmp_path, "token", "revoke", other)
    assert_one_line_error(
        mic(tmp_path, "project", "list", org, env={"MIC_TOKEN": other}, check=False), errors.AUTH
    )


def test_session_show_and_list_name_the_verified_token(mic: Mic, tmp_path: Path) -> None:
    org = _org(mic, tmp_path)
    made = mic(
        tmp_path, "token", "create", "--role", "write", "--org", org,
        "--description", "ana's laptop", "--json",
    ).json()  # fmt: skip
    ana = {"MIC_TOKEN": made["token"]}
    work = tmp_path / "work"
    work.mkdir()
    sid = mic(work, "session", "start", f"{org}/app", "Work", env=ana).stdout.strip()
    mic(work, "session", "note", "hello", "--author", "Linus Torvalds", env=ana)
    mic(work, "session", "decide", "Use X", "--why", "because", env=ana)
    (work / "a.txt").write_text("a\n")
    mic(work, "session", "land", env=ana)
    me = {"token_id": made["id"], "description": "ana's laptop"}
    shown = mic(work, "session", "show", sid, "--json", env=ana).json()
    assert shown["started_by"] == shown["landed_by"] == me and shown["abandoned_by"] is None
    assert shown["conversation"][0]["author"] == "Linus Torvalds"  # claimed, kept
    assert shown["conversation"][0]["token"] == shown["decisions"][0]["token"] == me
    assert (shown["message_count"], shown["decision_count"]) == (1, 1)
    text = mic(work, "session", "show", sid, env=ana).stdout
    assert f"started by token {made['id']} (ana's laptop)" in text
    assert "Linus Torvalds (claimed)" in text
    (listed,) = mic(work, "session", "list", f"{org}/app", "--json", env=ana).json()
    assert listed["started_by"] == listed["landed_by"] == me


def test_import_with_an_org_write_token_into_an_existing_org(mic: Mic, tmp_path: Path) -> None:
    org = _org(mic, tmp_path)
    writer = mic(tmp_path, "token", "create", "--role", "write", "--org", org).stdout.strip()
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "f.txt").write_text("one\n")
    git(repo, "add", "f.txt")
    git(repo, "-c", "user.name=a", "-c", "user.email=a@x", "commit", "-qm", "one")
    env = {"MIC_TOKEN": writer}
    mic(tmp_path, "import", "git", str(repo), "--project", f"{org}/imported", env=env)
    (session,) = mic(tmp_path, "session", "list", f"{org}/imported", "--json", env=env).json()
    assert session["landed_by"]["token_id"] > 0
    # A new organization still needs a server-wide admin.
    refused = mic(
        tmp_path, "import", "git", str(repo), "--project", f"{org}-new/x", env=env, check=False
    )
    assert_one_line_error(refused, errors.AUTH)
