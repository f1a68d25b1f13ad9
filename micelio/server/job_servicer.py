"""JobService: batch migration jobs and the leases on their repositories (service/jobs.py)."""

from __future__ import annotations

import grpc

from micelio.server.convert import timestamp
from micelio.server.errors import unary
from micelio.server.interceptor import current_principal
from micelio.service import Services
from micelio.service.jobs import JobView, Progress, RepositorySpec, RepositoryView
from micelio.v1 import micelio_pb2 as pb
from micelio.v1 import micelio_pb2_grpc as rpc

STATUS_TO_PB = {
    "queued": pb.REPOSITORY_STATUS_QUEUED,
    "running": pb.REPOSITORY_STATUS_RUNNING,
    "done": pb.REPOSITORY_STATUS_DONE,
    "failed": pb.REPOSITORY_STATUS_FAILED,
}
OUTCOME_FROM_PB = {
    pb.REPOSITORY_OUTCOME_DONE: "done",
    pb.REPOSITORY_OUTCOME_FAILED: "failed",
    pb.REPOSITORY_OUTCOME_RELEASED: "released",
}


class JobServicer(rpc.JobServiceServicer):
    def __init__(self, services: Services) -> None:
        self._s = services

    @unary
    def CreateJob(self, request: pb.CreateJobRequest, context: grpc.ServicerContext) -> pb.Job:
        specs = [
            RepositorySpec(r.source, r.project, r.ref, r.strategy) for r in request.repositories
        ]
        view = self._s.jobs.create_job(
            current_principal(),
            request.job_id,
            request.digest,
            specs,
            retry_failed=request.retry_failed,
        )
        return job(view)

    @unary
    def GetJob(self, request: pb.GetJobRequest, context: grpc.ServicerContext) -> pb.Job:
        return job(self._s.jobs.get_job(current_principal(), request.job_id))

    @unary
    def ListJobs(
        self, request: pb.ListJobsRequest, context: grpc.ServicerContext
    ) -> pb.ListJobsResponse:
        return pb.ListJobsResponse(
            jobs=[job(j) for j in self._s.jobs.list_jobs(current_principal())]
        )

    @unary
    def ClaimRepository(
        self, request: pb.ClaimRepositoryRequest, context: grpc.ServicerContext
    ) -> pb.ClaimRepositoryResponse:
        claim = self._s.jobs.claim(
            current_principal(),
            request.job_id,
            request.worker,
            request.lease_seconds,
            request.index if request.has_index else None,
        )
        return pb.ClaimRepositoryResponse(
            claimed=claim.claimed,
            lease_id=claim.lease_id,
            repository=repository(claim.repository) if claim.repository else None,
            held=claim.held,
            retry_after_seconds=claim.retry_after,
            remaining=claim.remaining,
            source_policy=pb.SourcePolicy(
                unrestricted=claim.policy.unrestricted,
                roots=claim.policy.roots,
                url_patterns=claim.policy.url_patterns,
            ),
        )

    @unary
    def RenewLease(
        self, request: pb.RenewLeaseRequest, context: grpc.ServicerContext
    ) -> pb.JobRepository:
        view = self._s.jobs.renew(
            current_principal(),
            request.job_id,
            request.index,
            request.lease_id,
            request.lease_seconds,
            Progress(request.commits_total, request.commits, request.last_commit),
        )
        return repository(view)

    @unary
    def FinishRepository(
        self, request: pb.FinishRepositoryRequest, context: grpc.ServicerContext
    ) -> pb.JobRepository:
        view = self._s.jobs.finish(
            current_principal(),
            request.job_id,
            request.index,
            request.lease_id,
            OUTCOME_FROM_PB.get(request.outcome, "unspecified"),
            Progress(request.commits_total, request.commits, request.last_commit),
            request.error,
        )
        return repository(view)


def repository(view: RepositoryView) -> pb.JobRepository:
    spec = view.spec
    return pb.JobRepository(
        index=view.index,
        spec=pb.RepositorySpec(
            source=spec.source, project=spec.project, ref=spec.ref, strategy=spec.strategy
        ),
        status=STATUS_TO_PB.get(view.status, pb.REPOSITORY_STATUS_UNSPECIFIED),
        worker=view.worker,
        lease_expires_at=timestamp(view.lease_expires_at),
        lease_expired=view.lease_expired,
        attempts=view.attempts,
        last_commit=view.last_commit,
        commits_total=view.commits_total,
        commits=view.commits,
        sessions=view.sessions,
        changes=view.changes,
        bytes=view.content_bytes,
        seconds=view.seconds,
        error=view.error,
        started_at=timestamp(view.started_at),
        finished_at=timestamp(view.finished_at),
    )


def job(view: JobView) -> pb.Job:
    counts = view.counts
    return pb.Job(
        job_id=view.job_id,
        digest=view.digest,
        created_at=timestamp(view.created_at),
        updated_at=timestamp(view.updated_at),
        total=view.total,
        queued=counts.get("queued", 0),
        running=counts.get("running", 0),
        done=counts.get("done", 0),
        failed=counts.get("failed", 0),
        repositories=[repository(r) for r in view.repositories],
    )
