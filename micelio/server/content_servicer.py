"""ContentService: trees and files at a landing position, a path's log, blame, diffs."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from micelio import paths
from micelio.diffs import Cut, PathDiff
from micelio.server import convert
from micelio.server.errors import streaming
from micelio.server.interceptor import current_principal
from micelio.service import Services
from micelio.service.errors import InvalidArgument
from micelio.v1 import micelio_pb2 as pb
from micelio.v1 import micelio_pb2_grpc as rpc

#: A ``ReadFilesResponse`` is sent once its items reach this size (a chunk is <= 1 MiB, so a
#: message stays under 2 MiB, within gRPC's default 4 MiB).
PACK_BYTES = 1024 * 1024


class ContentServicer(rpc.ContentServiceServicer):
    def __init__(self, services: Services) -> None:
        self._s = services

    @streaming
    def GetTree(
        self, request: pb.GetTreeRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.TreeEntry]:
        position = request.position if request.has_position else None
        rows = self._s.content.tree(
            current_principal(),
            request.organization,
            request.project,
            position,
            request.path_prefix,
        )
        for row in rows:
            yield convert.tree_entry(row)

    @streaming
    def ReadFile(
        self, request: pb.ReadFileRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.ContentChunk]:
        position = request.position if request.has_position else None
        chunks = self._s.content.read_file(
            current_principal(),
            request.organization,
            request.project,
            request.file_path,
            request.raw_path,
            position,
        )
        for data in chunks:
            yield pb.ContentChunk(data=data)

    @streaming
    def ReadFiles(
        self, request: pb.ReadFilesRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.ReadFilesResponse]:
        if request.whole_tree and request.paths:
            raise InvalidArgument("whole_tree and paths: ask for one or the other")
        wanted = None if request.whole_tree else [(p.file_path, p.raw_path) for p in request.paths]
        position, stream = self._s.content.read_files(
            current_principal(),
            request.organization,
            request.project,
            request.position if request.has_position else None,
            wanted,
            entries_only=request.entries_only,
        )
        # Items are packed: one message per small file would cost each side ~0.15 ms.
        response = pb.ReadFilesResponse(position=position)
        size = 0
        sent = False
        for item in stream:
            if isinstance(item, bytes):
                response.items.append(pb.FileItem(data=item))
                size += len(item)
            else:
                response.items.append(pb.FileItem(entry=convert.file_entry(item)))
                size += 100 + len(item.file_path)
            if size >= PACK_BYTES:
                yield response
                sent = True
                response = pb.ReadFilesResponse(position=position)
                size = 0
        if response.items or not sent:
            yield response

    @streaming
    def Log(self, request: pb.LogRequest, context: grpc.ServicerContext) -> Iterator[pb.LogEntry]:
        entries = self._s.history.log(
            current_principal(),
            request.organization,
            request.project,
            file_path=request.file_path,
            raw_path=request.raw_path,
            limit=request.limit,
            position=request.position if request.has_position else None,
        )
        for entry in entries:
            yield convert.log_entry(entry)

    @streaming
    def Blame(
        self, request: pb.BlameRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.BlameChunk]:
        result = self._s.history.blame(
            current_principal(),
            request.organization,
            request.project,
            request.file_path,
            request.raw_path,
            request.position if request.has_position else None,
        )
        yield from convert.blame_chunks(result)

    @streaming
    def Diff(
        self, request: pb.DiffRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.DiffResponse]:
        start, to, stream = self._s.diffs.diff(
            current_principal(),
            request.organization,
            request.project,
            request.from_position if request.has_from else None,
            request.to_position if request.has_to else None,
            [(p.file_path, p.raw_path) for p in request.paths],
            list(request.globs),
        )
        # Packed as ReadFiles packs: many small files per message.
        response = pb.DiffResponse(from_position=start, to_position=to)
        size = 0
        sent = False
        for item in stream:
            if isinstance(item, Cut):
                response.truncated = True
                response.files_left = item.files_left
                response.truncated_reason = item.reason
                break
            message = _file_diff(item, stat_only=request.stat_only)
            if response.files and size + len(message.hunks) > PACK_BYTES:
                yield response
                sent = True
                response = pb.DiffResponse(from_position=start, to_position=to)
                size = 0
            response.files.append(message)
            size += 100 + len(message.file_path) + len(message.hunks)
        if response.files or response.truncated or not sent:
            yield response


def _file_diff(item: PathDiff, *, stat_only: bool) -> pb.FileDiff:
    c = item.compared
    file_path, raw_path = paths.to_wire(item.path)
    return pb.FileDiff(
        file_path=file_path,
        raw_path=raw_path,
        has_old=c.old_mode is not None,
        old_mode=c.old_mode or 0,
        old_size=c.old_size,
        has_new=c.new_mode is not None,
        new_mode=c.new_mode or 0,
        new_size=c.new_size,
        same_content=c.same,
        binary=c.binary,
        added=c.added,
        deleted=c.deleted,
        hunks=b"" if stat_only else b"".join(line + b"\n" for _, line in c.hunks),
        omitted=c.omitted,
    )
