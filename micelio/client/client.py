"""``MicClient``: one method per RPC, records instead of protobuf, MicError instead of RpcError."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import grpc

from micelio import paths
from micelio.client import convert, discovery
from micelio.client import keepalive as keepalive_
from micelio.client.errors import MicError, NotFound, from_rpc_error
from micelio.client.jobs import (
    OUTCOME_TO_PB,
    Claim,
    Job,
    JobRepository,
    RepositorySpec,
    claim_from_pb,
    job_from_pb,
    repository_from_pb,
    spec_to_pb,
)
from micelio.client.landing import (
    CHUNK_SIZE,
    Change,
    Landing,
    LandProgress,
    ManyRequestStream,
    NewSession,
    RequestStream,
    land_header,
    path_bytes,
)
from micelio.client.models import (
    BlameLine,
    ChangeStats,
    CreatedToken,
    Decision,
    FileContent,
    LandResult,
    LogEntry,
    Message,
    Organization,
    Page,
    PositionsDiff,
    Project,
    ProjectArchive,
    Session,
    SessionChange,
    TokenInfo,
    TreeEntry,
)
from micelio.v1 import micelio_pb2 as pb
from micelio.v1 import micelio_pb2_grpc as rpc
from micelio.vocabulary import ChangeType, FileMode, SessionStatus

MAX_MESSAGE = 16 * 1024 * 1024
#: A session's answer carries up to max_conversation_bytes (16 MiB by default) of conversation
#: beside its metadata and goal: receive what the server may send (64 MiB).
MAX_RECEIVE = 64 * 1024 * 1024
CHANNEL_OPTIONS = (
    ("grpc.max_send_message_length", MAX_MESSAGE),
    ("grpc.max_receive_message_length", MAX_RECEIVE),
)

T = TypeVar("T")


class MicClient:
    """A connection to a mic server. Use as a context manager, or call ``close()``.

    >>> with MicClient.from_environment() as mic:
    ...     for session in mic.iter_sessions("acme", "api", status="landed"):
    ...         print(session.landing_position, session.goal)
    """

    def __init__(
        self, address: str, token: str | None = None, *, timeout: float | None = None
    ) -> None:
        self.address = address
        self.timeout = timeout  # for unary calls; streams run as long as they need
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._channel = grpc.insecure_channel(address, options=CHANNEL_OPTIONS)
        self._sessions = rpc.SessionServiceStub(self._channel)
        self._projects = rpc.ProjectServiceStub(self._channel)
        self._content = rpc.ContentServiceStub(self._channel)
        self._jobs = rpc.JobServiceStub(self._channel)

    @classmethod
    def from_environment(
        cls,
        server: str | None = None,
        token: str | None = None,
        *,
        fallback_server: str | None = None,
        data_dir: Path | None = None,
        timeout: float | None = None,
    ) -> MicClient:
        """Options first, then ``MIC_SERVER``/``MIC_TOKEN``, then the local default server."""
        endpoint = discovery.resolve(server, token, fallback=fallback_server, data_dir=data_dir)
        return cls(endpoint.address, endpoint.token, timeout=timeout)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> MicClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- plumbing -----------------------------------------------------------------------------

    def _call(self, method: Callable[..., T], request: Any) -> T:
        try:
            return method(request, metadata=self._metadata, timeout=self.timeout)
        except grpc.RpcError as err:
            raise from_rpc_error(err, self.address) from None

    def _stream(self, method: Callable[..., Any], request: Any) -> Iterator[Any]:
        call = None
        try:
            call = method(request, metadata=self._metadata)
            yield from call
        except grpc.RpcError as err:
            raise from_rpc_error(err, self.address) from None
        finally:
            if call is not None:
                call.cancel()  # a no-op when finished; stops the server when we stop early

    def _bytes(self, method: Callable[..., Any], request: Any) -> Iterator[bytes]:
        for chunk in self._stream(method, request):
            yield chunk.data

    # --- organizations, projects, tokens ------------------------------------------------------

    def create_organization(self, handle: str, *, exist_ok: bool = False) -> Organization:
        req = pb.CreateOrganizationRequest(handle=handle, exist_ok=exist_ok)
        return convert.organization_from_pb(self._call(self._projects.CreateOrganization, req))

    def get_organization(self, handle: str) -> Organization:
        req = pb.GetOrganizationRequest(handle=handle)
        return convert.organization_from_pb(self._call(self._projects.GetOrganization, req))

    def list_organizations(self) -> list[Organization]:
        resp = self._call(self._projects.ListOrganizations, pb.ListOrganizationsRequest())
        return [convert.organization_from_pb(o) for o in resp.organizations]

    def create_project(
        self, organization: str, handle: str, *, name: str = "", exist_ok: bool = False
    ) -> Project:
        req = pb.CreateProjectRequest(
            organization=organization, handle=handle, name=name, exist_ok=exist_ok
        )
        return convert.project_from_pb(self._call(self._projects.CreateProject, req))

    def get_project(self, organization: str, handle: str) -> Project:
        req = pb.GetProjectRequest(organization=organization, handle=handle)
        return convert.project_from_pb(self._call(self._projects.GetProject, req))

    def list_projects(self, organization: str) -> list[Project]:
        req = pb.ListProjectsRequest(organization=organization)
        resp = self._call(self._projects.ListProjects, req)
        return [convert.project_from_pb(p) for p in resp.projects]

    def create_token(
        self,
        role: str,
        *,
        organization: str | None = None,
        description: str = "",
        expires_in_s: int = 0,
    ) -> CreatedToken:
        """A new token (shown once). ``organization`` None: server-wide (admin only);
        ``expires_in_s`` 0: never expires."""
        req = pb.CreateTokenRequest(
            organization=organization or "",
            role=role,
            description=description,
            expires_in_seconds=expires_in_s,
        )
        return convert.token_from_pb(self._call(self._projects.CreateToken, req))

    def list_tokens(
        self, organization: str | None = None, *, include_revoked: bool = False
    ) -> list[TokenInfo]:
        """The tokens the caller administers (never their secrets)."""
        req = pb.ListTokensRequest(organization=organization or "", include_revoked=include_revoked)
        answer = self._call(self._projects.ListTokens, req)
        return [convert.token_info_from_pb(t) for t in answer.tokens]

    def revoke_token(self, *, token_id: int = 0, token: str = "") -> TokenInfo:
        """Revoke a token by id or by value: refused at once by every server of the database."""
        req = pb.RevokeTokenRequest(id=token_id, token=token)
        return convert.token_info_from_pb(self._call(self._projects.RevokeToken, req))

    def whoami(self) -> TokenInfo:
        """The token this client sends: its id, role and organization."""
        return convert.token_info_from_pb(self._call(self._projects.WhoAmI, pb.WhoAmIRequest()))

    # --- sessions -----------------------------------------------------------------------------

    def start_session(
        self,
        organization: str,
        project: str,
        goal: str,
        *,
        session_id: str | None = None,
        conversation: Iterable[Message] = (),
        decisions: Iterable[Decision] = (),
        metadata: Mapping[str, Any] | None = None,
        base_position: int | None = None,
    ) -> Session:
        """Start an active session; ``base_position`` None: the project head."""
        req = convert.start_request(
            organization,
            project,
            goal,
            session_id=session_id,
            conversation=conversation,
            decisions=decisions,
            metadata=metadata,
            base_position=base_position,
        )
        return convert.session_from_pb(self._call(self._sessions.StartSession, req))

    def land(
        self,
        changes: Iterable[Change],
        *,
        session_id: str | None = None,
        create: NewSession | None = None,
        conversation: Iterable[Message] = (),
        decisions: Iterable[Decision] = (),
        metadata: Mapping[str, Any] | None = None,
        landed_at: datetime | None = None,
        started_at: datetime | None = None,
        external_id: str | None = None,
        progress: Callable[[LandProgress], None] | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> LandResult:
        """Land ``changes`` in one stream: an active session (``session_id``) or a new one
        (``create``). Atomic: on any error (raised as MicError, or the error that a change's
        content raised) nothing is landed. ``changes`` is consumed lazily, once.

        ``progress`` is called from gRPC's sending thread as each item is handed over.
        """
        header = land_header(
            session_id=session_id,
            create=create,
            conversation=conversation,
            decisions=decisions,
            metadata=metadata,
            landed_at=landed_at,
            started_at=started_at,
            external_id=external_id,
        )
        stream = RequestStream(header, changes, chunk_size=chunk_size, progress=progress)
        future = self._sessions.LandSession.future(stream, metadata=self._metadata)
        try:
            response = future.result()
        except grpc.RpcError as err:
            if stream.error is not None:
                raise stream.error from None
            raise from_rpc_error(err, self.address) from None
        except BaseException:  # KeyboardInterrupt: cancelling the stream lands nothing
            future.cancel()
            raise
        finally:
            stream.close()
        return _land_result(response)

    def land_many(
        self,
        landings: Iterable[Landing],
        *,
        chunk_size: int = CHUNK_SIZE,
        keepalive: float = keepalive_.DEFAULT_INTERVAL,
    ) -> Iterator[LandResult]:
        """Land sessions in order over one stream, yielding each result once it landed.

        For importers: one call instead of one per session; the next sessions stream while
        the server commits the previous ones, and it commits those that arrived together.
        Each session is atomic; the first failure is raised (as ``land`` raises it) and ends
        the stream, and the sessions yielded before it stay landed. The results' sessions
        are brief: no conversation, decisions or metadata (``get_session`` has them).
        ``landings`` is consumed lazily, once, in a thread of its own: whenever the next
        request takes ``keepalive`` seconds to make, an empty one keeps the call alive.
        """
        stream = ManyRequestStream(landings, chunk_size=chunk_size)
        requests = keepalive_.KeepAlive(
            stream, pb.LandSessionRequest, interval=keepalive, on_close=stream.close
        )
        call = self._sessions.LandSessions(requests, metadata=self._metadata)
        try:
            for response in call:
                for landed in response.landed:
                    yield _land_result(landed)
        except grpc.RpcError as err:
            if stream.error is not None:
                raise stream.error from None
            raise from_rpc_error(err, self.address) from None
        finally:
            call.cancel()  # no-op once finished; stops the stream when the caller stops early
            requests.close()

    def get_session(self, session_id: str) -> Session:
        req = pb.GetSessionRequest(session_id=session_id)
        return convert.session_from_pb(self._call(self._sessions.GetSession, req))

    def find_session(
        self,
        organization: str,
        project: str,
        *,
        external_id: str | None = None,
        latest: bool = False,
    ) -> Session | None:
        """The session holding ``external_id`` (or the latest landed one); None if none."""
        req = pb.FindSessionRequest(
            organization=organization, project=project, external_id=external_id or "", latest=latest
        )
        try:
            return convert.session_from_pb(self._call(self._sessions.FindSession, req))
        except NotFound:
            return None

    def list_sessions(
        self,
        organization: str,
        project: str,
        *,
        status: SessionStatus | str | None = None,
        path_glob: str | None = None,
        text: str | None = None,
        oldest_first: bool = False,
        page_size: int = 0,
        page_token: str = "",
    ) -> Page[Session]:
        """One page of sessions, newest first unless ``oldest_first``."""
        req = pb.ListSessionsRequest(
            organization=organization,
            project=project,
            status=convert.status_to_pb(status),
            path_glob=path_glob or "",
            text=text or "",
            page_size=page_size,
            page_token=page_token,
            oldest_first=oldest_first,
        )
        resp = self._call(self._sessions.ListSessions, req)
        return Page(
            [convert.session_from_pb(s) for s in resp.sessions], resp.next_page_token, resp.total
        )

    def iter_sessions(
        self,
        organization: str,
        project: str,
        *,
        status: SessionStatus | str | None = None,
        path_glob: str | None = None,
        text: str | None = None,
        oldest_first: bool = False,
        limit: int | None = None,
        page_size: int = 0,
    ) -> Iterator[Session]:
        """Every matching session (at most ``limit``), fetching pages as needed."""
        if limit is not None and not page_size:
            page_size = max(1, min(limit, 1000))
        token, seen = "", 0
        while True:
            page = self.list_sessions(
                organization,
                project,
                status=status,
                path_glob=path_glob,
                text=text,
                oldest_first=oldest_first,
                page_size=page_size,
                page_token=token,
            )
            for session in page.items:
                if limit is not None and seen >= limit:
                    return
                seen += 1
                yield session
            token = page.next_page_token
            if not token or not page.items:
                return

    def list_changes(
        self,
        session_id: str,
        *,
        change_type: ChangeType | str | None = None,
        page_size: int = 0,
        page_token: str = "",
    ) -> Page[SessionChange]:
        req = pb.ListSessionChangesRequest(
            session_id=session_id,
            page_size=page_size,
            page_token=page_token,
            change_type=convert.kind_to_pb(change_type),
        )
        resp = self._call(self._sessions.ListSessionChanges, req)
        return Page([convert.change_from_pb(c) for c in resp.changes], resp.next_page_token)

    def iter_changes(
        self, session_id: str, *, change_type: ChangeType | str | None = None, page_size: int = 0
    ) -> Iterator[SessionChange]:
        """Every change of a session, in path order, fetching pages as needed."""
        token = ""
        while True:
            page = self.list_changes(
                session_id, change_type=change_type, page_size=page_size, page_token=token
            )
            yield from page.items
            token = page.next_page_token
            if not token or not page.items:
                return

    def get_change_stats(self, session_id: str) -> ChangeStats:
        s = self._call(
            self._sessions.GetSessionChangeStats, pb.GetSessionRequest(session_id=session_id)
        )
        return ChangeStats(s.total, s.added, s.modified, s.deleted)

    def abandon_session(self, session_id: str, *, reason: str = "") -> Session:
        req = pb.AbandonSessionRequest(session_id=session_id, reason=reason)
        return convert.session_from_pb(self._call(self._sessions.AbandonSession, req))

    def rebase_session(self, session_id: str, base_position: int) -> Session:
        """Move an active session's base (``mic sync``); its conversation stays."""
        req = pb.RebaseSessionRequest(session_id=session_id, base_position=base_position)
        return convert.session_from_pb(self._call(self._sessions.RebaseSession, req))

    def add_message(
        self,
        session_id: str,
        content: str,
        *,
        role: str = "human",
        author: str = "",
        at: datetime | None = None,
        reference: str = "",
    ) -> Session:
        message = convert.message_to_pb(Message(role, content, author, at, reference))
        req = pb.AddMessageRequest(session_id=session_id, message=message)
        return convert.session_from_pb(self._call(self._sessions.AddMessage, req))

    def add_decision(
        self, session_id: str, decision: str, *, reasoning: str = "", at: datetime | None = None
    ) -> Session:
        req = pb.AddDecisionRequest(
            session_id=session_id,
            decision=convert.decision_to_pb(Decision(decision, reasoning, at)),
        )
        return convert.session_from_pb(self._call(self._sessions.AddDecision, req))

    def read_change(self, session_id: str, path: bytes | str) -> Iterator[bytes]:
        """The content a session's change wrote, in chunks."""
        file_path, raw_path = _wire(path)
        req = pb.ReadChangeRequest(session_id=session_id, file_path=file_path, raw_path=raw_path)
        return self._bytes(self._sessions.ReadChange, req)

    # --- project archives (Git bundles of imports) --------------------------------------------

    def upload_archive(
        self,
        organization: str,
        project: str,
        *,
        size: int,
        sha256: str,
        refs: dict[str, Any],
        chunks: Iterable[bytes],
        kind: str = "git-bundle",
    ) -> ProjectArchive:
        """Store an archive of ``size`` bytes (chunks of at most 1 MiB) for the project."""
        header = pb.ArchiveHeader(
            organization=organization,
            project=project,
            kind=kind,
            size=size,
            sha256=sha256,
            refs_json=json.dumps(refs, sort_keys=True),
        )

        def requests() -> Iterator[pb.UploadArchiveRequest]:
            yield pb.UploadArchiveRequest(header=header)
            for chunk in chunks:
                yield pb.UploadArchiveRequest(chunk=chunk)

        try:
            answer = self._projects.UploadArchive(requests(), metadata=self._metadata)
        except grpc.RpcError as err:
            raise from_rpc_error(err, self.address) from None
        return _archive(answer)

    def list_archives(self, organization: str, project: str) -> list[ProjectArchive]:
        """Every archive of the project, oldest first (fetching pages as needed)."""
        found: list[ProjectArchive] = []
        after = 0
        while True:
            req = pb.ListArchivesRequest(
                organization=organization, project=project, after_seq=after
            )
            page = self._call(self._projects.ListArchives, req)
            found += [_archive(a) for a in page.archives]
            after = page.next_after_seq
            if not after or not page.archives:
                return found

    def read_archive(self, organization: str, project: str, seq: int) -> Iterator[bytes]:
        req = pb.ReadArchiveRequest(organization=organization, project=project, seq=seq)
        return self._bytes(self._projects.ReadArchive, req)

    # --- content ------------------------------------------------------------------------------

    def get_tree(
        self, organization: str, project: str, *, position: int | None = None, path_prefix: str = ""
    ) -> Iterator[TreeEntry]:
        """The project's files after ``position`` (None: head; 0: empty), in path order."""
        req = pb.GetTreeRequest(organization=organization, project=project, path_prefix=path_prefix)
        _set_position(req, position)
        for entry in self._stream(self._content.GetTree, req):
            yield convert.tree_entry_from_pb(entry)

    def read_file(
        self, organization: str, project: str, path: bytes | str, *, position: int | None = None
    ) -> Iterator[bytes]:
        """A file's content at ``position`` (None: head), in chunks."""
        file_path, raw_path = _wire(path)
        req = pb.ReadFileRequest(
            organization=organization, project=project, file_path=file_path, raw_path=raw_path
        )
        _set_position(req, position)
        return self._bytes(self._content.ReadFile, req)

    def read_tree(
        self, organization: str, project: str, *, position: int | None = None
    ) -> Iterator[TreeEntry]:
        """The project's files after ``position`` (None: head), as ``get_tree`` answers, but
        packed many per message (``ReadFiles`` without contents): for a big tree."""
        req = pb.ReadFilesRequest(
            organization=organization, project=project, whole_tree=True, entries_only=True
        )
        _set_position(req, position)
        for response in self._stream(self._content.ReadFiles, req):
            for item in response.items:
                if item.WhichOneof("item") == "entry":  # a server before entries_only sends data
                    yield convert.tree_entry_from_pb(item.entry)

    def read_files(
        self,
        organization: str,
        project: str,
        paths: Iterable[bytes | str] | None = None,
        *,
        position: int | None = None,
    ) -> Iterator[FileContent]:
        """The files at ``position`` (None: head) over one stream: every file of the tree
        (``paths`` None), or those of ``paths`` that exist there (at most 10,000 a call), each
        with its content's chunks (read them before the next file)."""
        req = pb.ReadFilesRequest(organization=organization, project=project)
        _set_position(req, position)
        if paths is None:
            req.whole_tree = True
        else:
            req.paths.extend(pb.PathRef(file_path=f, raw_path=r) for f, r in map(_wire, paths))
            if not req.paths:
                return
        items = (
            item
            for response in self._stream(self._content.ReadFiles, req)
            for item in response.items
        )
        for item in items:
            if item.WhichOneof("item") != "entry":
                raise MicError("ReadFiles: content without a file entry", code="DATA_LOSS")
            entry = convert.tree_entry_from_pb(item.entry)
            body = _file_chunks(items, 0 if entry.mode == FileMode.GITLINK else entry.size, entry)
            yield FileContent(entry, body)
            for _ in body:  # what the caller left unread
                pass

    def log(
        self,
        organization: str,
        project: str,
        path: bytes | str = "",
        *,
        limit: int = 0,
        position: int | None = None,
    ) -> Iterator[LogEntry]:
        """Landed sessions newest first (``limit`` 0: all); with ``path``, those that changed
        it, following renames."""
        file_path, raw_path = _wire(path) if path else ("", b"")
        req = pb.LogRequest(
            organization=organization,
            project=project,
            file_path=file_path,
            raw_path=raw_path,
            limit=limit,
        )
        _set_position(req, position)
        for entry in self._stream(self._content.Log, req):
            yield convert.log_entry_from_pb(entry)

    def blame(
        self, organization: str, project: str, path: bytes | str, *, position: int | None = None
    ) -> Iterator[BlameLine]:
        """Each line of the file at ``position`` (None: head) with the session that last
        changed it."""
        file_path, raw_path = _wire(path)
        req = pb.BlameRequest(
            organization=organization, project=project, file_path=file_path, raw_path=raw_path
        )
        _set_position(req, position)
        return convert.blame_lines_from_pb(self._stream(self._content.Blame, req))

    def diff(
        self,
        organization: str,
        project: str,
        *,
        from_position: int | None = None,
        to_position: int | None = None,
        paths: Sequence[bytes | str] = (),
        globs: Sequence[str] = (),
        stat_only: bool = False,
    ) -> PositionsDiff:
        """The files that differ between two positions (``to`` None: the head; ``from`` None:
        the one before ``to``), under ``paths`` and matching ``globs``, computed by the server
        (bounded: see ``PositionsDiff.cut``); ``stat_only`` leaves the hunks out."""
        req = pb.DiffRequest(
            organization=organization,
            project=project,
            globs=list(globs),
            stat_only=stat_only,
        )
        req.paths.extend(pb.PathRef(file_path=f, raw_path=r) for f, r in map(_wire, paths))
        if from_position is not None:
            req.has_from, req.from_position = True, from_position
        if to_position is not None:
            req.has_to, req.to_position = True, to_position
        return convert.positions_diff_from_pb(list(self._stream(self._content.Diff, req)))

    # --- migration jobs -----------------------------------------------------------------------

    def create_job(
        self,
        job_id: str,
        digest: str,
        repositories: Sequence[RepositorySpec],
        *,
        retry_failed: bool = False,
    ) -> Job:
        """Register a job (the existing one for the same id and digest)."""
        req = pb.CreateJobRequest(
            job_id=job_id,
            digest=digest,
            repositories=[spec_to_pb(r) for r in repositories],
            retry_failed=retry_failed,
        )
        return job_from_pb(self._call(self._jobs.CreateJob, req))

    def get_job(self, job_id: str) -> Job:
        return job_from_pb(self._call(self._jobs.GetJob, pb.GetJobRequest(job_id=job_id)))

    def list_jobs(self) -> list[Job]:
        resp = self._call(self._jobs.ListJobs, pb.ListJobsRequest())
        return [job_from_pb(j) for j in resp.jobs]

    def claim_repository(
        self, job_id: str, worker: str, lease_seconds: float, *, index: int | None = None
    ) -> Claim:
        """Claim repository ``index`` (None: the first claimable one) under a new lease."""
        req = pb.ClaimRepositoryRequest(
            job_id=job_id,
            worker=worker,
            lease_seconds=lease_seconds,
            has_index=index is not None,
            index=index or 0,
        )
        return claim_from_pb(self._call(self._jobs.ClaimRepository, req))

    def renew_lease(
        self,
        job_id: str,
        index: int,
        lease_id: str,
        lease_seconds: float,
        *,
        commits_total: int = 0,
        commits: int = 0,
        last_commit: str = "",
    ) -> JobRepository:
        """Extend a lease and record progress; FailedPrecondition when it was lost."""
        req = pb.RenewLeaseRequest(
            job_id=job_id,
            index=index,
            lease_id=lease_id,
            lease_seconds=lease_seconds,
            commits_total=commits_total,
            commits=commits,
            last_commit=last_commit,
        )
        return repository_from_pb(self._call(self._jobs.RenewLease, req))

    def finish_repository(
        self,
        job_id: str,
        index: int,
        lease_id: str,
        outcome: str,
        *,
        commits_total: int = 0,
        commits: int = 0,
        last_commit: str = "",
        error: str = "",
    ) -> JobRepository:
        """End a lease: ``outcome`` done, failed (with ``error``) or released."""
        req = pb.FinishRepositoryRequest(
            job_id=job_id,
            index=index,
            lease_id=lease_id,
            outcome=OUTCOME_TO_PB[outcome],
            commits_total=commits_total,
            commits=commits,
            last_commit=last_commit,
            error=error,
        )
        return repository_from_pb(self._call(self._jobs.FinishRepository, req))


def _file_chunks(items: Iterator[Any], size: int, entry: TreeEntry) -> Iterator[bytes]:
    """The next ``size`` bytes of ``items``, which must be data items."""
    left = size
    while left > 0:
        item = next(items, None)
        if item is None or item.WhichOneof("item") != "data" or len(item.data) > left:
            raise MicError(
                f"ReadFiles: {entry.file_path} ended before its {size} bytes", code="DATA_LOSS"
            )
        left -= len(item.data)
        yield item.data


def _wire(path: bytes | str) -> tuple[str, bytes]:
    file_path, raw_path = paths.to_wire(path_bytes(path))
    return file_path, raw_path or b""


def _set_position(request: Any, position: int | None) -> None:
    if position is not None and position >= 0:
        request.has_position = True
        request.position = position


def _land_result(response: pb.LandSessionResponse) -> LandResult:
    return LandResult(
        session=convert.session_from_pb(response.session),
        landing_position=response.landing_position,
        changes=response.changes,
        bytes_inline=response.bytes_inline,
        bytes_stored=response.bytes_stored,
    )


def _archive(answer: pb.ProjectArchive) -> ProjectArchive:
    return ProjectArchive(
        seq=answer.seq,
        kind=answer.kind,
        size=answer.size,
        sha256=answer.sha256,
        refs=json.loads(answer.refs_json or "{}"),
        created_at=answer.created_at.ToDatetime(tzinfo=UTC)
        if answer.HasField("created_at")
        else None,
        created_by=answer.created_by,
    )
