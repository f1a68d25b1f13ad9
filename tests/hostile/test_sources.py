"""Hostile clients naming sources a batch job must not read (issue point 5).

A real server process (SQLite and local files; PostgreSQL and SeaweedFS) configured with one
allowed source root and one URL pattern, raw gRPC calls with an organization's write token,
and real worker processes (``executor.run_local``) for what only the worker can see: a path
swapped for a symlink after the job was registered, alternates and ``.git`` files that point
git at another customer's repository.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from importers.batch import executor
from micelio.client import MicClient, NotFound
from micelio.testing import MicServer, start_mic_server
from micelio.v1 import micelio_pb2 as pb
from micelio.v1 import micelio_pb2_grpc as rpc
from tests.support.fixture_types import MicServerFactory
from tests.support.gitrepo import git

SECRET = b"victim's secret, never to be imported elsewhere\n"
URL_PATTERN = "https://git.example.com/acme/*"


@dataclass
class Setup:
    server: MicServer
    root: Path  # the allowed source root
    victim: Path  # another customer's repository, outside the root
    org: str
    org_token: str  # write in ``org``


def _repo(path: Path, content: bytes) -> Path:
    git(path.parent, "init", "-q", "-b", "main", path.name)
    (path / "f").write_bytes(content)
    git(path, "add", "f")
    git(path, "commit", "-q", "-m", "only commit")
    return path


@pytest.fixture(scope="module", params=[("sqlite", "file"), ("postgres", "s3")], ids=str)
def setup(
    request: pytest.FixtureRequest,
    mic_server: MicServerFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Setup]:
    db, storage = request.param
    base = tmp_path_factory.mktemp("sources")
    root = base / "allowed"
    root.mkdir()
    victim = _repo(base / "victim", SECRET)
    # The factory's server gives the database and storage; ours runs on them with the policy.
    plain = mic_server(db=db, storage=storage)
    plain.stop()
    server = start_mic_server(
        plain.data_dir,
        db_url=plain.db_url,
        storage_url=plain.storage_url,
        extra_env={
            **plain.extra_env,
            "MIC_ALLOW_SOURCE_ROOTS": str(root),
            "MIC_ALLOW_SOURCE_URLS": URL_PATTERN,
        },
    )
    try:
        org = f"acme-{uuid.uuid4().hex[:8]}"
        with MicClient(server.address, server.token) as admin:
            admin.create_organization(org)
            token = admin.create_token("write", organization=org).token
        yield Setup(server, root, victim, org, token)
    finally:
        server.stop()


def _jobs(server: MicServer, token: str) -> tuple[rpc.JobServiceStub, list[tuple[str, str]]]:
    channel = server.channel()
    return rpc.JobServiceStub(channel), [("authorization", f"Bearer {token}")]


def _create(setup: Setup, sources: list[str], token: str | None = None) -> tuple[str, pb.Job]:
    stub, metadata = _jobs(setup.server, token or setup.org_token)
    job_id = f"j-{uuid.uuid4().hex[:12]}"
    request = pb.CreateJobRequest(
        job_id=job_id,
        digest=hashlib.sha256(job_id.encode()).hexdigest(),
        repositories=[
            pb.RepositorySpec(source=s, project=f"{setup.org}/p{i}", strategy="commit")
            for i, s in enumerate(sources)
        ],
    )
    return job_id, stub.CreateJob(request, metadata=metadata, timeout=30)


def _refused(setup: Setup, sources: list[str], *fragments: str) -> None:
    """PERMISSION_DENIED naming the source, and no job stored."""
    stub, metadata = _jobs(setup.server, setup.org_token)
    before = {j.job_id for j in stub.ListJobs(pb.ListJobsRequest(), metadata=metadata).jobs}
    with pytest.raises(grpc.RpcError) as caught:
        _create(setup, sources)
    error = caught.value
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED, error
    for fragment in fragments:
        assert fragment in (error.details() or ""), (fragment, error.details())
    after = {j.job_id for j in stub.ListJobs(pb.ListJobsRequest(), metadata=metadata).jobs}
    assert after == before


def test_org_token_cannot_name_paths_outside_the_roots(setup: Setup) -> None:
    _refused(setup, ["/etc"], "/etc", "not under an allowed source root")
    _refused(setup, [str(setup.victim)], str(setup.victim))
    # `..` escapes lexically, a symlink escapes on disk: both resolved before comparing.
    escape = f"{setup.root}/../victim"
    _refused(setup, [escape], escape, f"really {setup.victim}")
    link = setup.root / "innocent"
    link.symlink_to(setup.victim)
    _refused(setup, [str(link)], str(link), f"really {setup.victim}")
    # A root's sibling that shares its name as a prefix is not under it.
    sibling = setup.root.with_name(setup.root.name + "-evil")
    _repo(sibling, b"x\n")
    _refused(setup, [str(sibling)], str(sibling))
    _refused(setup, ["relative/repo"], "not an absolute path")
    # One bad source refuses the whole job: nothing of it is stored.
    good = _repo(setup.root / "good-in-mixed", b"fine\n")
    _refused(setup, [str(good), "/etc"], "repository 1", "/etc")


def test_org_token_cannot_name_urls_outside_the_patterns(setup: Setup) -> None:
    cases = {
        "https://git.example.com.evil.test/acme/x": "matches no allowed URL pattern",
        "https://evil.test/git.example.com/acme/x": "matches no allowed URL pattern",
        "https://git.example.com@evil.test/acme/x": "credentials",
        "https://user:hunter2@git.example.com/acme/x": "credentials",
        "https://ghp_token@git.example.com/acme/x": "credentials",
        "http://git.example.com/acme/x": "matches no allowed URL pattern",
        "https://git.example.com:8443/acme/x": "matches no allowed URL pattern",
        "https://git.example.com/acme/x/../../other/y": "'..' segment",
        "https://git.example.com/acme/%2e%2e/other": "% escape",
        "https://git.example.com/acme/x?ref=1": "query",
        "https://git.example.com/other/x": "matches no allowed URL pattern",
        "file:///etc": "scheme file://",
        "ext::sh -c touch% /tmp/pwned": "not an absolute path",
    }
    for url, why in cases.items():
        _refused(setup, [url], why)
    with pytest.raises(grpc.RpcError) as caught:
        _create(setup, ["https://user:hunter2@git.example.com/acme/x"])
    assert "hunter2" not in (caught.value.details() or "")  # never echoed back


def test_allowed_sources_are_accepted(setup: Setup) -> None:
    repo = _repo(setup.root / "accepted", b"ok\n")
    _job_id, job = _create(setup, [str(repo), "https://git.example.com/acme/api.git"])
    assert job.total == 2


def test_server_wide_tokens_may_name_any_source(setup: Setup) -> None:
    """The operator's tokens (only a server-wide admin mints server-wide ones)."""
    _job_id, job = _create(setup, [str(setup.victim)], token=setup.server.token)
    assert job.total == 1
    with MicClient(setup.server.address, setup.server.token) as admin:
        writer = admin.create_token("write").token
    _job_id, job = _create(setup, ["/srv/elsewhere"], token=writer)
    assert job.total == 1


def test_the_lease_carries_the_claimers_policy(setup: Setup) -> None:
    repo = _repo(setup.root / "leased", b"ok\n")
    job_id, _ = _create(setup, [str(repo)])
    for token, unrestricted in ((setup.org_token, False), (setup.server.token, True)):
        stub, metadata = _jobs(setup.server, token)
        claim = stub.ClaimRepository(
            pb.ClaimRepositoryRequest(job_id=job_id, worker="t", lease_seconds=2),
            metadata=metadata,
        )
        policy = claim.source_policy
        assert policy.unrestricted is unrestricted
        assert list(policy.roots) == [str(setup.root)]
        assert list(policy.url_patterns) == [URL_PATTERN]
        if claim.claimed:
            stub.FinishRepository(
                pb.FinishRepositoryRequest(
                    job_id=job_id,
                    index=0,
                    lease_id=claim.lease_id,
                    outcome=pb.REPOSITORY_OUTCOME_RELEASED,
                ),
                metadata=metadata,
            )


def test_worker_checks_again_on_its_own_host(setup: Setup) -> None:
    """Sources that pass at CreateJob but point git elsewhere by the time (or by the way) the
    worker reads them: the worker refuses each, and nothing of the victim is imported."""
    root = setup.root
    good = _repo(root / "w-good", b"good\n")
    swapped = _repo(root / "w-swapped", b"harmless at registration\n")
    alternates = root / "w-alternates.git"
    git(root, "init", "-q", "--bare", alternates.name)
    (alternates / "objects" / "info" / "alternates").write_text(
        str(setup.victim / ".git" / "objects") + "\n"
    )
    tip = git(setup.victim, "rev-parse", "HEAD").strip()
    (alternates / "refs" / "heads" / "main").write_text(tip + "\n")
    (alternates / "HEAD").write_text("ref: refs/heads/main\n")
    gitfile = root / "w-gitfile"
    gitfile.mkdir()
    (gitfile / ".git").write_text(f"gitdir: {setup.victim / '.git'}\n")

    sources = [str(good), str(swapped), str(alternates), str(gitfile)]
    job_id, job = _create(setup, sources)
    assert job.total == 4
    # After registration, the accepted path becomes a symlink to the victim.
    moved = swapped.rename(root.parent / "w-swapped-original")
    swapped.symlink_to(setup.victim)
    assert moved.exists()

    final = executor.run_local(setup.server.address, setup.org_token, job_id, 2, lease_seconds=30)
    rows = {r.index: r for r in final.repositories}
    assert rows[0].status == "done", rows[0].error
    for index in (1, 2, 3):
        assert rows[index].status == "failed", (index, rows[index])
        assert rows[index].error.startswith("not allowed"), (index, rows[index].error)
    assert "really" in rows[1].error and str(setup.victim) in rows[1].error
    assert "alternate" in rows[2].error
    assert "git directory" in rows[3].error
    with MicClient(setup.server.address, setup.server.token) as admin:
        assert b"".join(admin.read_file(setup.org, "p0", "f")) == b"good\n"
        for index in (1, 2, 3):
            with pytest.raises(NotFound):  # refused before the project was created
                admin.get_project(setup.org, f"p{index}")
