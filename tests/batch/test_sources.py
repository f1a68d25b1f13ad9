"""The source policy of batch jobs (micelio/sources.py), at its boundaries, and the worker's
refusal before git reads anything."""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

import pytest

from importers.batch.repository import RepositoryFailure, import_repository
from micelio.cli.errors import USAGE
from micelio.client import MicClient, RepositorySpec
from micelio.service.auth import Principal
from micelio.service.jobs import SourceRules
from micelio.sources import SourceDenied, SourcePolicy, UrlPattern
from tests.support.cli import invoke

PATTERNS = (
    "https://git.example.com/acme/*",
    "ssh://git.example.com/team/**/*.git",
    "https://host.test:8443/x/**",
)


def _allowed(policy: SourcePolicy, source: str) -> bool:
    try:
        policy.check(source)
    except SourceDenied:
        return False
    return True


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://git.example.com/acme/api", True),
        ("https://git.example.com/acme/api.git", True),
        ("https://GIT.example.com/acme/api", True),  # host names ignore case
        ("https://git.example.com:443/acme/api", True),  # the default port is the port
        ("https://git.example.com/acme/", False),  # no segment for the *
        ("https://git.example.com/acme/a/b", False),  # * stays within a segment
        ("https://git.example.com/acmex/api", False),
        ("https://git.example.com./acme/api", False),
        ("ssh://git@git.example.com/team/a.git", True),  # ** matches no segment
        ("ssh://git@git.example.com/team/a/b/c.git", True),
        ("git@git.example.com:team/a/c.git", True),  # scp form: ssh
        ("git@git.example.com:team/a/c", False),
        ("ssh://git.example.com/team/a.git", True),
        ("ssh://us:pw@git.example.com/team/a.git", False),
        ("https://host.test:8443/x/y/z", True),
        ("https://host.test/x/y", False),  # the pattern's port, not the default
        ("https://[::1]/acme/api", False),
        ("https://git.example.com/acme/a b", False),
        ("https://git.example.com/acme/a#frag", False),
        ("https://git.example.com//acme/api", False),
    ],
)
def test_url_patterns_match_scheme_host_port_and_path(url: str, allowed: bool) -> None:
    assert _allowed(SourcePolicy(url_patterns=PATTERNS), url) is allowed


def test_paths_resolve_before_the_root_is_compared(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (root / "out").symlink_to(tmp_path / "outside")
    linked_root = tmp_path / "root-link"
    linked_root.symlink_to(root)
    policy = SourcePolicy(roots=(str(linked_root),))  # a root named through a symlink
    assert policy.check(str(root)) == os.path.realpath(root)  # the root itself
    assert policy.check(str(root / "a")) == os.path.realpath(root / "a")
    assert policy.check(str(root / "missing" / "repo")).endswith("/missing/repo")
    for bad in (root / "out", root / "a" / ".." / ".." / "outside", tmp_path / "root2"):
        assert not _allowed(policy, str(bad)), bad
    assert not _allowed(SourcePolicy(), str(root))  # nothing by default
    assert _allowed(SourcePolicy(unrestricted=True), "/etc")
    assert not _allowed(SourcePolicy(unrestricted=True), "/etc\0x")


@pytest.mark.parametrize(
    "pattern",
    [
        "ftp://host/x/*",
        "https://user@host/x/*",
        "https://host/",
        "https://host/x/../y",
        "https://*.host/x",
        "https://host/x?q=1",
        "https://host:99999/x",
    ],
)
def test_bad_patterns_are_refused_at_start(pattern: str) -> None:
    with pytest.raises(ValueError):
        UrlPattern.parse(pattern)
    result = invoke("server", "start", "--allow-source-url", pattern, env={}, check=False)
    assert result.returncode == USAGE, (result.stdout, result.stderr)


def test_relative_roots_are_refused_at_start() -> None:
    result = invoke("server", "start", "--allow-source-root", "srv/git", env={}, check=False)
    assert result.returncode == USAGE and "absolute" in result.stderr


def test_worker_fails_closed_without_a_policy(tmp_path: Path) -> None:
    """A claim without a policy (an older server) allows nothing: the repository fails before
    the client or git is used."""
    spec = RepositorySpec(str(tmp_path), "acme/p")
    with pytest.raises(RepositoryFailure, match="not allowed"):
        import_repository(cast(MicClient, None), spec, policy=SourcePolicy())


def test_server_wide_tokens_are_unrestricted_unless_the_server_says_otherwise() -> None:
    rules = SourceRules(roots=("/srv/git",), url_patterns=PATTERNS[:1])
    org_admin = Principal(1, 7, "acme", "admin")
    server_write = Principal(2, None, None, "write")
    server_admin = Principal(3, None, None, "admin")
    assert rules.policy_for(org_admin) == SourcePolicy(False, ("/srv/git",), PATTERNS[:1])
    assert rules.policy_for(server_write).unrestricted
    assert rules.policy_for(server_admin).unrestricted
    strict = SourceRules(roots=("/srv/git",), restrict_server_wide=True)
    assert not strict.policy_for(server_admin).unrestricted
    assert not _allowed(strict.policy_for(server_admin), "/etc")
