"""SessionService: protocol in, service call, protocol out."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from micelio.server import convert
from micelio.server.errors import streaming, unary
from micelio.server.interceptor import current_principal
from micelio.service import Services
from micelio.service.browse import SessionFilter
from micelio.service.errors import InvalidArgument
from micelio.service.views import LandResult
from micelio.v1 import micelio_pb2 as pb
from micelio.v1 import micelio_pb2_grpc as rpc


class SessionServicer(rpc.SessionServiceServicer):
    def __init__(self, services: Services) -> None:
        self._s = services

    @unary
    def StartSession(
        self, request: pb.StartSessionRequest, context: grpc.ServicerContext
    ) -> pb.Session:
        view = self._s.sessions.start(current_principal(), convert.start_request(request))
        return convert.session(view)

    @unary
    def LandSession(
        self, request_iterator: Iterator[pb.LandSessionRequest], context: grpc.ServicerContext
    ) -> pb.LandSessionResponse:
        result = self._s.lander.land(
            current_principal(),
            convert.land_items(request_iterator),
            client_alive=context.is_active,
        )
        return _land_response(result)

    @streaming
    def LandSessions(
        self, request_iterator: Iterator[pb.LandSessionRequest], context: grpc.ServicerContext
    ) -> Iterator[pb.LandSessionsResponse]:
        for results in self._s.lander.land_many(
            current_principal(),
            convert.land_items(request_iterator),
            client_alive=context.is_active,
        ):
            yield pb.LandSessionsResponse(landed=[_land_response(r) for r in results])

    @unary
    def GetSession(
        self, request: pb.GetSessionRequest, context: grpc.ServicerContext
    ) -> pb.Session:
        return convert.session(self._s.sessions.get(current_principal(), request.session_id))

    @unary
    def ListSessions(
        self, request: pb.ListSessionsRequest, context: grpc.ServicerContext
    ) -> pb.ListSessionsResponse:
        status = ""
        if request.status:
            if request.status not in convert.STATUS_FROM_PB:
                raise InvalidArgument(f"unknown status {request.status}")
            status = convert.STATUS_FROM_PB[request.status]
        where = SessionFilter(
            organization=request.organization,
            project=request.project,
            status=status,
            path_glob=request.path_glob,
            text=request.text,
            oldest_first=request.oldest_first,
        )
        page = self._s.browse.list_page(
            current_principal(), where, request.page_size, request.page_token
        )
        return pb.ListSessionsResponse(
            sessions=[convert.session(v) for v in page.sessions],
            next_page_token=page.next_page_token,
            total=page.total,
        )

    @unary
    def ListSessionChanges(
        self, request: pb.ListSessionChangesRequest, context: grpc.ServicerContext
    ) -> pb.ListSessionChangesResponse:
        change_type = ""
        if request.change_type:
            change_type = convert.change_type_from_pb(request.change_type)
        page = self._s.sessions.list_changes(
            current_principal(),
            request.session_id,
            request.page_size,
            request.page_token,
            change_type,
        )
        return pb.ListSessionChangesResponse(
            changes=[convert.change(c) for c in page.changes],
            next_page_token=page.next_page_token,
        )

    @unary
    def GetSessionChangeStats(
        self, request: pb.GetSessionRequest, context: grpc.ServicerContext
    ) -> pb.ChangeStats:
        return convert.stats(self._s.sessions.stats(current_principal(), request.session_id))

    @unary
    def AbandonSession(
        self, request: pb.AbandonSessionRequest, context: grpc.ServicerContext
    ) -> pb.Session:
        view = self._s.sessions.abandon(current_principal(), request.session_id, request.reason)
        return convert.session(view)

    @unary
    def RebaseSession(
        self, request: pb.RebaseSessionRequest, context: grpc.ServicerContext
    ) -> pb.Session:
        view = self._s.sessions.rebase(
            current_principal(), request.session_id, request.base_position
        )
        return convert.session(view)

    @unary
    def AddMessage(
        self, request: pb.AddMessageRequest, context: grpc.ServicerContext
    ) -> pb.Session:
        if not request.HasField("message"):
            raise InvalidArgument("message is required")
        (message,) = convert.messages([request.message])
        view = self._s.sessions.add_message(current_principal(), request.session_id, message)
        return convert.session(view)

    @unary
    def AddDecision(
        self, request: pb.AddDecisionRequest, context: grpc.ServicerContext
    ) -> pb.Session:
        if not request.HasField("decision"):
            raise InvalidArgument("decision is required")
        (decision,) = convert.decisions([request.decision])
        view = self._s.sessions.add_decision(current_principal(), request.session_id, decision)
        return convert.session(view)

    @streaming
    def ReadChange(
        self, request: pb.ReadChangeRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.ContentChunk]:
        chunks = self._s.content.read_change(
            current_principal(), request.session_id, request.file_path, request.raw_path
        )
        for data in chunks:
            yield pb.ContentChunk(data=data)

    @unary
    def FindSession(
        self, request: pb.FindSessionRequest, context: grpc.ServicerContext
    ) -> pb.Session:
        view = self._s.sessions.find(
            current_principal(),
            request.organization,
            request.project,
            request.external_id,
            latest=request.latest,
        )
        return convert.session(view)


def _land_response(result: LandResult) -> pb.LandSessionResponse:
    return pb.LandSessionResponse(
        session=convert.session(result.session),
        landing_position=result.landing_position,
        changes=result.changes,
        bytes_inline=result.bytes_inline,
        bytes_stored=result.bytes_stored,
    )
