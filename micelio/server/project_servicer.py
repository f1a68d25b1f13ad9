"""ProjectService: organizations, projects and tokens."""

from __future__ import annotations

import json
from collections.abc import Iterator

import grpc

from micelio.server import convert
from micelio.server.errors import streaming, unary
from micelio.server.interceptor import current_principal
from micelio.service import Services
from micelio.service.archives import ArchiveHeader, ArchiveView
from micelio.service.errors import InvalidArgument
from micelio.v1 import micelio_pb2 as pb
from micelio.v1 import micelio_pb2_grpc as rpc


class ProjectServicer(rpc.ProjectServiceServicer):
    def __init__(self, services: Services) -> None:
        self._s = services

    @unary
    def CreateOrganization(
        self, request: pb.CreateOrganizationRequest, context: grpc.ServicerContext
    ) -> pb.Organization:
        view = self._s.projects.create_organization(
            current_principal(), request.handle, exist_ok=request.exist_ok
        )
        return convert.organization(view)

    @unary
    def GetOrganization(
        self, request: pb.GetOrganizationRequest, context: grpc.ServicerContext
    ) -> pb.Organization:
        return convert.organization(
            self._s.projects.get_organization(current_principal(), request.handle)
        )

    @unary
    def ListOrganizations(
        self, request: pb.ListOrganizationsRequest, context: grpc.ServicerContext
    ) -> pb.ListOrganizationsResponse:
        orgs = self._s.projects.list_organizations(current_principal())
        return pb.ListOrganizationsResponse(organizations=[convert.organization(o) for o in orgs])

    @unary
    def CreateProject(
        self, request: pb.CreateProjectRequest, context: grpc.ServicerContext
    ) -> pb.Project:
        view = self._s.projects.create_project(
            current_principal(),
            request.organization,
            request.handle,
            request.name,
            exist_ok=request.exist_ok,
        )
        return convert.project(view)

    @unary
    def GetProject(
        self, request: pb.GetProjectRequest, context: grpc.ServicerContext
    ) -> pb.Project:
        view = self._s.projects.get_project(
            current_principal(), request.organization, request.handle
        )
        return convert.project(view)

    @unary
    def ListProjects(
        self, request: pb.ListProjectsRequest, context: grpc.ServicerContext
    ) -> pb.ListProjectsResponse:
        projects = self._s.projects.list_projects(current_principal(), request.organization)
        return pb.ListProjectsResponse(projects=[convert.project(p) for p in projects])

    @unary
    def CreateToken(
        self, request: pb.CreateTokenRequest, context: grpc.ServicerContext
    ) -> pb.CreateTokenResponse:
        minted = self._s.tokens.mint(
            current_principal(),
            request.organization,
            request.role,
            request.description,
            expires_in_s=request.expires_in_seconds,
        )
        return pb.CreateTokenResponse(
            token=minted.token,
            organization=minted.organization,
            role=minted.role,
            info=convert.token_info(minted.info) if minted.info else None,
        )

    @unary
    def ListTokens(
        self, request: pb.ListTokensRequest, context: grpc.ServicerContext
    ) -> pb.ListTokensResponse:
        tokens = self._s.tokens.list_tokens(
            current_principal(), request.organization, include_revoked=request.include_revoked
        )
        return pb.ListTokensResponse(tokens=[convert.token_info(t) for t in tokens])

    @unary
    def RevokeToken(
        self, request: pb.RevokeTokenRequest, context: grpc.ServicerContext
    ) -> pb.TokenInfo:
        view = self._s.tokens.revoke(current_principal(), request.id, request.token)
        return convert.token_info(view)

    @unary
    def WhoAmI(self, request: pb.WhoAmIRequest, context: grpc.ServicerContext) -> pb.TokenInfo:
        return convert.token_info(self._s.tokens.whoami(current_principal()))

    @unary
    def UploadArchive(
        self, request_iterator: Iterator[pb.UploadArchiveRequest], context: grpc.ServicerContext
    ) -> pb.ProjectArchive:
        first = next(request_iterator, None)
        if first is None or first.WhichOneof("item") != "header":
            raise InvalidArgument("an archive upload starts with its header")
        header = first.header
        try:
            refs = json.loads(header.refs_json or "{}")
        except ValueError:
            raise InvalidArgument("an archive's refs_json is not JSON") from None
        if not isinstance(refs, dict):
            raise InvalidArgument("an archive's refs_json is not a JSON object")
        view = self._s.archives.upload(
            current_principal(),
            ArchiveHeader(
                header.organization, header.project, header.kind, header.size, header.sha256, refs
            ),
            _chunks(request_iterator),
        )
        return _archive(view)

    @unary
    def ListArchives(
        self, request: pb.ListArchivesRequest, context: grpc.ServicerContext
    ) -> pb.ListArchivesResponse:
        views, next_after = self._s.archives.list_archives(
            current_principal(), request.organization, request.project, request.after_seq
        )
        return pb.ListArchivesResponse(
            archives=[_archive(v) for v in views], next_after_seq=next_after
        )

    @streaming
    def ReadArchive(
        self, request: pb.ReadArchiveRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.ContentChunk]:
        chunks = self._s.archives.read(
            current_principal(), request.organization, request.project, request.seq
        )
        for data in chunks:
            yield pb.ContentChunk(data=data)


def _chunks(requests: Iterator[pb.UploadArchiveRequest]) -> Iterator[bytes]:
    for request in requests:
        if request.WhichOneof("item") != "chunk":
            raise InvalidArgument("an archive upload has one header, then chunks")
        yield request.chunk


def _archive(view: ArchiveView) -> pb.ProjectArchive:
    return pb.ProjectArchive(
        seq=view.seq,
        kind=view.kind,
        size=view.size,
        sha256=view.sha256,
        refs_json=json.dumps(view.refs, sort_keys=True),
        created_at=convert.timestamp(view.created_at),
        created_by=view.created_by,
    )
