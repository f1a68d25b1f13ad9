"""JobService through real servers: registering, leases, takeover, auth, and claims racing
across two server processes on one PostgreSQL database."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from micelio.client import (
    AlreadyExists,
    FailedPrecondition,
    MicClient,
    PermissionDenied,
    RepositorySpec,
)
from micelio.testing import MicServer
from tests.support.fixture_types import MicServerFactory

DIGEST = "ab" * 32


def _specs(org: str, count: int) -> list[RepositorySpec]:
    return [RepositorySpec(f"/srv/git/r{i}.git", f"{org}/r{i}") for i in range(count)]


@pytest.fixture(scope="module")
def server(mic_server: MicServerFactory) -> MicServer:
    return mic_server()


@pytest.fixture
def client(server: MicServer) -> Iterator[MicClient]:
    with MicClient(server.address, server.token) as c:
        yield c


def test_register_claim_renew_finish(client: MicClient) -> None:
    org = "o" + uuid.uuid4().hex[:8]
    job = client.create_job(f"j-{org}", DIGEST, _specs(org, 3))
    assert (job.total, job.queued, job.finished) == (3, 3, False)
    assert client.create_job(f"j-{org}", DIGEST, _specs(org, 3)).total == 3  # the same job
    with pytest.raises(AlreadyExists, match="another manifest"):
        client.create_job(f"j-{org}", "cd" * 32, _specs(org, 3))

    claim = client.claim_repository(f"j-{org}", "w1", 30)
    assert claim.claimed and claim.repository is not None and claim.repository.index == 0
    assert claim.repository.status == "running" and claim.repository.attempts == 1
    renewed = client.renew_lease(
        f"j-{org}", 0, claim.lease_id, 30, commits_total=10, commits=4, last_commit="a" * 40
    )
    assert (renewed.commits, renewed.commits_total, renewed.last_commit) == (4, 10, "a" * 40)
    done = client.finish_repository(
        f"j-{org}", 0, claim.lease_id, "done", commits_total=10, commits=10, last_commit="b" * 40
    )
    assert done.status == "done" and done.finished_at is not None and done.seconds >= 0
    with pytest.raises(FailedPrecondition, match="lease lost"):
        client.renew_lease(f"j-{org}", 0, claim.lease_id, 30)

    second = client.claim_repository(f"j-{org}", "w1", 30, index=1)
    client.finish_repository(f"j-{org}", 1, second.lease_id, "failed", error="corrupt")
    again = client.claim_repository(f"j-{org}", "w1", 30, index=1)
    assert not again.claimed and again.repository is not None
    assert again.repository.status == "failed" and again.repository.error == "corrupt"
    # A new run of the job queues the failed repository again.
    assert client.create_job(f"j-{org}", DIGEST, _specs(org, 3), retry_failed=True).queued == 2


def test_expired_lease_is_taken_over_and_the_old_holder_is_refused(client: MicClient) -> None:
    org = "o" + uuid.uuid4().hex[:8]
    job_id = f"j-{org}"
    client.create_job(job_id, DIGEST, _specs(org, 1))
    dead = client.claim_repository(job_id, "dead", 2)
    live = client.claim_repository(job_id, "other", 2)
    assert dead.claimed and not live.claimed
    assert live.held == 1 and 0 < live.retry_after <= 2 and live.remaining == 1
    time.sleep(2.2)
    view = client.get_job(job_id).repositories[0]
    assert view.status == "running" and view.lease_expired
    taken = client.claim_repository(job_id, "other", 30)
    assert taken.claimed and taken.repository is not None and taken.repository.attempts == 2
    with pytest.raises(FailedPrecondition, match="held by other"):
        client.renew_lease(job_id, 0, dead.lease_id, 30)
    with pytest.raises(FailedPrecondition):
        client.finish_repository(job_id, 0, dead.lease_id, "done")
    client.finish_repository(job_id, 0, taken.lease_id, "released")
    assert client.get_job(job_id).queued == 1


def test_tokens_of_other_organizations_and_read_tokens(
    server: MicServer, client: MicClient
) -> None:
    org = "o" + uuid.uuid4().hex[:8]
    client.create_organization(org)
    client.create_organization(org + "x")
    job_id = f"j-{org}"
    client.create_job(job_id, DIGEST, _specs(org, 1))
    reader = client.create_token("read", organization=org).token
    stranger = client.create_token("admin", organization=org + "x").token
    with MicClient(server.address, reader) as c:
        assert c.get_job(job_id).total == 1
        with pytest.raises(PermissionDenied):
            c.claim_repository(job_id, "w", 30)
    with MicClient(server.address, stranger) as c:
        with pytest.raises(PermissionDenied):
            c.get_job(job_id)
        assert job_id not in [j.job_id for j in c.list_jobs()]


@pytest.mark.postgres
@pytest.mark.s3
def test_claims_race_across_two_servers(two_servers: tuple[MicServer, MicServer]) -> None:
    """Eight workers on two servers claim 40 repositories: each is claimed exactly once."""
    first, second = two_servers
    org = "o" + uuid.uuid4().hex[:8]
    job_id = f"race-{org}"
    with MicClient(first.address, first.token) as c:
        c.create_job(job_id, DIGEST, _specs(org, 40))
    claimed: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(server: MicServer, name: str) -> None:
        try:
            with MicClient(server.address, server.token) as c:
                while True:
                    claim = c.claim_repository(job_id, name, 30)
                    if not claim.claimed:
                        return
                    assert claim.repository is not None
                    with lock:
                        claimed.append(claim.repository.index)
                    c.finish_repository(job_id, claim.repository.index, claim.lease_id, "done")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(s, f"w{k}")) for k, s in enumerate([first, second] * 4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sorted(claimed) == list(range(40)), Counter(claimed).most_common(3)
    with MicClient(second.address, second.token) as c:
        job = c.get_job(job_id)
    assert job.done == 40 and all(r.attempts == 1 for r in job.repositories)
