"""The manifest: normal form, job id, and one-line validation errors (also through the CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from importers.batch.manifest import ManifestError, parse
from micelio.client import RepositorySpec
from tests.support.cli import invoke
from tests.support.fixture_types import MicServerFactory

GOOD = """
[defaults]
strategy = "commit"
[[repository]]
source = "repos/api.git"
project = "acme/api"
ref = "main"
[[repository]]
source = "https://example.com/acme/web.git"
project = "acme/web"
strategy = "auto"
"""


def test_normal_form_and_job_id(tmp_path: Path) -> None:
    manifest = parse(GOOD, base_dir=tmp_path)
    assert manifest.repositories == (
        RepositorySpec(str(tmp_path / "repos" / "api.git"), "acme/api", "main", "commit"),
        RepositorySpec("https://example.com/acme/web.git", "acme/web", "", "auto"),
    )
    assert manifest.job_id == f"m-{manifest.digest[:16]}" and not manifest.named
    # Comments, spacing and key order do not change the job; a repository does.
    reordered = GOOD.replace('ref = "main"\n', "").replace(
        'source = "repos/api.git"', 'ref = "main" # the branch\nsource = "./repos/api.git"'
    )
    assert parse(reordered, base_dir=tmp_path).job_id == manifest.job_id
    assert parse(GOOD.replace("main", "dev"), base_dir=tmp_path).job_id != manifest.job_id
    named = parse('[job]\nname = "acme-2026"\n' + GOOD, base_dir=tmp_path)
    assert named.job_id == "acme-2026" and named.named and named.digest == manifest.digest


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[repository]\n", "invalid TOML"),
        ("", "no [[repository]] entries"),
        ("[jobs]\n", "unknown key 'jobs'"),
        ("[defaults]\nstrategy='fast'\n", "[defaults]: unknown strategy 'fast'"),
        ("[defaults]\nworkers=2\n", "[defaults]: unknown key 'workers'"),
        ("[job]\nname='no spaces'\n", "[job] name 'no spaces'"),
        ("[[repository]]\nproject='a/b'\n", "repository #1 (a/b): missing 'source'"),
        ("[[repository]]\nsource='x'\n", "repository #1: missing 'project'"),
        (
            "[[repository]]\nsource='x'\nproject='a/b'\nsorce='y'\n",
            "repository #1 (a/b): unknown key 'sorce'",
        ),
        ("[[repository]]\nsource='x'\nproject='ab'\n", "project must be ORG/PROJECT"),
        ("[[repository]]\nsource='x'\nproject='a/b/c'\n", "project must be ORG/PROJECT"),
        ("[[repository]]\nsource='x'\nproject='a/b'\nstrategy='fast'\n", "unknown strategy 'fast'"),
        ("[[repository]]\nsource=1\nproject='a/b'\n", "'source' must be a string"),
        (
            "[[repository]]\nsource='x'\nproject='a/b'\n[[repository]]\nsource='y'\n"
            "project='a/b'\n",
            "repository #2 (a/b): duplicate project 'a/b' (also repository #1)",
        ),
    ],
)
def test_validation_errors_are_one_line(text: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as info:
        parse(text, base_dir=tmp_path, where="m.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("m.toml")
    assert "\n" not in str(info.value)


def test_cli_refuses_a_bad_manifest_and_registers_nothing(
    mic_server: MicServerFactory, tmp_path: Path
) -> None:
    server = mic_server()
    bad = tmp_path / "bad.toml"
    cases = [  # every message is covered above; here: what the command does with them
        "[[repository]]\nsource='x'\nproject='acme/a'\nsorce='y'\n",
        "[[repository]]\nsource='x'\nproject='acme/a'\n[[repository]]\nsource='y'\n"
        "project='acme/a'\n",
    ]
    for text in cases:
        bad.write_text(text)
        result = invoke("migrate", "run", str(bad), env=server.env, check=False)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {bad}"), result.stderr
        assert result.stdout == ""
    missing = invoke("migrate", "run", str(tmp_path / "nope.toml"), env=server.env, check=False)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    assert invoke("migrate", "status", "--json", env=server.env).stdout.strip() == "[]"
