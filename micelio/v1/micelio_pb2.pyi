import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SessionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SESSION_STATUS_UNSPECIFIED: _ClassVar[SessionStatus]
    SESSION_STATUS_ACTIVE: _ClassVar[SessionStatus]
    SESSION_STATUS_LANDED: _ClassVar[SessionStatus]
    SESSION_STATUS_ABANDONED: _ClassVar[SessionStatus]

class ChangeType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANGE_TYPE_UNSPECIFIED: _ClassVar[ChangeType]
    CHANGE_TYPE_ADDED: _ClassVar[ChangeType]
    CHANGE_TYPE_MODIFIED: _ClassVar[ChangeType]
    CHANGE_TYPE_DELETED: _ClassVar[ChangeType]

class RepositoryStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPOSITORY_STATUS_UNSPECIFIED: _ClassVar[RepositoryStatus]
    REPOSITORY_STATUS_QUEUED: _ClassVar[RepositoryStatus]
    REPOSITORY_STATUS_RUNNING: _ClassVar[RepositoryStatus]
    REPOSITORY_STATUS_DONE: _ClassVar[RepositoryStatus]
    REPOSITORY_STATUS_FAILED: _ClassVar[RepositoryStatus]

class RepositoryOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPOSITORY_OUTCOME_UNSPECIFIED: _ClassVar[RepositoryOutcome]
    REPOSITORY_OUTCOME_DONE: _ClassVar[RepositoryOutcome]
    REPOSITORY_OUTCOME_FAILED: _ClassVar[RepositoryOutcome]
    REPOSITORY_OUTCOME_RELEASED: _ClassVar[RepositoryOutcome]
SESSION_STATUS_UNSPECIFIED: SessionStatus
SESSION_STATUS_ACTIVE: SessionStatus
SESSION_STATUS_LANDED: SessionStatus
SESSION_STATUS_ABANDONED: SessionStatus
CHANGE_TYPE_UNSPECIFIED: ChangeType
CHANGE_TYPE_ADDED: ChangeType
CHANGE_TYPE_MODIFIED: ChangeType
CHANGE_TYPE_DELETED: ChangeType
REPOSITORY_STATUS_UNSPECIFIED: RepositoryStatus
REPOSITORY_STATUS_QUEUED: RepositoryStatus
REPOSITORY_STATUS_RUNNING: RepositoryStatus
REPOSITORY_STATUS_DONE: RepositoryStatus
REPOSITORY_STATUS_FAILED: RepositoryStatus
REPOSITORY_OUTCOME_UNSPECIFIED: RepositoryOutcome
REPOSITORY_OUTCOME_DONE: RepositoryOutcome
REPOSITORY_OUTCOME_FAILED: RepositoryOutcome
REPOSITORY_OUTCOME_RELEASED: RepositoryOutcome

class ConversationMessage(_message.Message):
    __slots__ = ("role", "content", "author", "at", "reference", "token")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    role: str
    content: str
    author: str
    at: _timestamp_pb2.Timestamp
    reference: str
    token: Identity
    def __init__(self, role: _Optional[str] = ..., content: _Optional[str] = ..., author: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reference: _Optional[str] = ..., token: _Optional[_Union[Identity, _Mapping]] = ...) -> None: ...

class Identity(_message.Message):
    __slots__ = ("token_id", "description")
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    token_id: int
    description: str
    def __init__(self, token_id: _Optional[int] = ..., description: _Optional[str] = ...) -> None: ...

class Decision(_message.Message):
    __slots__ = ("decision", "reasoning", "at", "token")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASONING_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    decision: str
    reasoning: str
    at: _timestamp_pb2.Timestamp
    token: Identity
    def __init__(self, decision: _Optional[str] = ..., reasoning: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., token: _Optional[_Union[Identity, _Mapping]] = ...) -> None: ...

class ChangeStats(_message.Message):
    __slots__ = ("total", "added", "modified", "deleted")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    ADDED_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    total: int
    added: int
    modified: int
    deleted: int
    def __init__(self, total: _Optional[int] = ..., added: _Optional[int] = ..., modified: _Optional[int] = ..., deleted: _Optional[int] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("session_id", "organization", "project", "goal", "status", "conversation", "decisions", "metadata", "started_at", "landed_at", "abandoned_at", "base_position", "landing_position", "stats", "external_id", "started_by", "landed_by", "abandoned_by", "message_count", "decision_count")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    GOAL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    LANDED_AT_FIELD_NUMBER: _ClassVar[int]
    ABANDONED_AT_FIELD_NUMBER: _ClassVar[int]
    BASE_POSITION_FIELD_NUMBER: _ClassVar[int]
    LANDING_POSITION_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_BY_FIELD_NUMBER: _ClassVar[int]
    LANDED_BY_FIELD_NUMBER: _ClassVar[int]
    ABANDONED_BY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    DECISION_COUNT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    organization: str
    project: str
    goal: str
    status: SessionStatus
    conversation: _containers.RepeatedCompositeFieldContainer[ConversationMessage]
    decisions: _containers.RepeatedCompositeFieldContainer[Decision]
    metadata: _struct_pb2.Struct
    started_at: _timestamp_pb2.Timestamp
    landed_at: _timestamp_pb2.Timestamp
    abandoned_at: _timestamp_pb2.Timestamp
    base_position: int
    landing_position: int
    stats: ChangeStats
    external_id: str
    started_by: Identity
    landed_by: Identity
    abandoned_by: Identity
    message_count: int
    decision_count: int
    def __init__(self, session_id: _Optional[str] = ..., organization: _Optional[str] = ..., project: _Optional[str] = ..., goal: _Optional[str] = ..., status: _Optional[_Union[SessionStatus, str]] = ..., conversation: _Optional[_Iterable[_Union[ConversationMessage, _Mapping]]] = ..., decisions: _Optional[_Iterable[_Union[Decision, _Mapping]]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., landed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., abandoned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., base_position: _Optional[int] = ..., landing_position: _Optional[int] = ..., stats: _Optional[_Union[ChangeStats, _Mapping]] = ..., external_id: _Optional[str] = ..., started_by: _Optional[_Union[Identity, _Mapping]] = ..., landed_by: _Optional[_Union[Identity, _Mapping]] = ..., abandoned_by: _Optional[_Union[Identity, _Mapping]] = ..., message_count: _Optional[int] = ..., decision_count: _Optional[int] = ...) -> None: ...

class SessionChange(_message.Message):
    __slots__ = ("file_path", "change_type", "size", "storage_key", "metadata", "raw_path", "sha256", "mode")
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    STORAGE_KEY_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    RAW_PATH_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    file_path: str
    change_type: ChangeType
    size: int
    storage_key: str
    metadata: _struct_pb2.Struct
    raw_path: bytes
    sha256: str
    mode: int
    def __init__(self, file_path: _Optional[str] = ..., change_type: _Optional[_Union[ChangeType, str]] = ..., size: _Optional[int] = ..., storage_key: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., raw_path: _Optional[bytes] = ..., sha256: _Optional[str] = ..., mode: _Optional[int] = ...) -> None: ...

class StartSessionRequest(_message.Message):
    __slots__ = ("organization", "project", "goal", "session_id", "conversation", "decisions", "metadata", "has_base_position", "base_position")
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    GOAL_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    HAS_BASE_POSITION_FIELD_NUMBER: _ClassVar[int]
    BASE_POSITION_FIELD_NUMBER: _ClassVar[int]
    organization: str
    project: str
    goal: str
    session_id: str
    conversation: _containers.RepeatedCompositeFieldContainer[ConversationMessage]
    decisions: _containers.RepeatedCompositeFieldContainer[Decision]
    metadata: _struct_pb2.Struct
    has_base_position: bool
    base_position: int
    def __init__(self, organization: _Optional[str] = ..., project: _Optional[str] = ..., goal: _Optional[str] = ..., session_id: _Optional[str] = ..., conversation: _Optional[_Iterable[_Union[ConversationMessage, _Mapping]]] = ..., decisions: _Optional[_Iterable[_Union[Decision, _Mapping]]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., has_base_position: _Optional[bool] = ..., base_position: _Optional[int] = ...) -> None: ...

class LandHeader(_message.Message):
    __slots__ = ("session_id", "create", "conversation", "decisions", "metadata", "landed_at", "started_at", "external_id")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    LANDED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    create: StartSessionRequest
    conversation: _containers.RepeatedCompositeFieldContainer[ConversationMessage]
    decisions: _containers.RepeatedCompositeFieldContainer[Decision]
    metadata: _struct_pb2.Struct
    landed_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    external_id: str
    def __init__(self, session_id: _Optional[str] = ..., create: _Optional[_Union[StartSessionRequest, _Mapping]] = ..., conversation: _Optional[_Iterable[_Union[ConversationMessage, _Mapping]]] = ..., decisions: _Optional[_Iterable[_Union[Decision, _Mapping]]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., landed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., external_id: _Optional[str] = ...) -> None: ...

class ChangeHeader(_message.Message):
    __slots__ = ("file_path", "raw_path", "change_type", "mode", "size", "metadata")
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    RAW_PATH_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    file_path: str
    raw_path: bytes
    change_type: ChangeType
    mode: int
    size: int
    metadata: _struct_pb2.Struct
    def __init__(self, file_path: _Optional[str] = ..., raw_path: _Optional[bytes] = ..., change_type: _Optional[_Union[ChangeType, str]] = ..., mode: _Optional[int] = ..., size: _Optional[int] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ContentChunk(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...

class LandItem(_message.Message):
    __slots__ = ("header", "change", "chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: LandHeader
    change: ChangeHeader
    chunk: ContentChunk
    def __init__(self, header: _Optional[_Union[LandHeader, _Mapping]] = ..., change: _Optional[_Union[ChangeHeader, _Mapping]] = ..., chunk: _Optional[_Union[ContentChunk, _Mapping]] = ...) -> None: ...

class LandSessionRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[LandItem]
    def __init__(self, items: _Optional[_Iterable[_Union[LandItem, _Mapping]]] = ...) -> None: ...

class LandSessionResponse(_message.Message):
    __slots__ = ("session", "landing_position", "changes", "bytes_inline", "bytes_stored")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    LANDING_POSITION_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    BYTES_INLINE_FIELD_NUMBER: _ClassVar[int]
    BYTES_STORED_FIELD_NUMBER: _ClassVar[int]
    session: Session
    landing_position: int
    changes: int
    bytes_inline: int
    bytes_stored: int
    def __init__(self, session: _Optional[_Union[Session, _Mapping]] = ..., landing_position: _Optional[int] = ..., changes: _Optional[int] = ..., bytes_inline: _Optional[int] = ..., bytes_stored: _Optional[int] = ...) -> None: ...

class LandSessionsResponse(_message.Message):
    __slots__ = ("landed",)
    LANDED_FIELD_NUMBER: _ClassVar[int]
    landed: _containers.RepeatedCompositeFieldContainer[LandSessionResponse]
    def __init__(self, landed: _Optional[_Iterable[_Union[LandSessionResponse, _Mapping]]] = ...) -> None: ...

class GetSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class FindSessionRequest(_message.Message):
    __slots__ = ("organization", "project", "external_id", "latest")
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    LATEST_FIELD_NUMBER: _ClassVar[int]
    organization: str
    project: str
    external_id: str
    latest: bool
    def __init__(self, organization: _Optional[str] = ..., project: _Optional[str] = ..., external_id: _Optional[str] = ..., latest: _Optional[bool] = ...) -> None: ...

class ListSessionsRequest(_message.Message):
    __slots__ = ("organization", "project", "status", "path_glob", "text", "page_size", "page_token", "oldest_first")
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PATH_GLOB_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OLDEST_FIRST_FIELD_NUMBER: _ClassVar[int]
    organization: str
    project: str
    status: SessionStatus
    path_glob: str
    text: str
    page_size: int
    page_token: str
    oldest_first: bool
    def __init__(self, organization: _Optional[str] = ..., project: _Optional[str] = ..., status: _Optional[_Union[SessionStatus, str]] = ..., path_glob: _Optional[str] = ..., text: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., oldest_first: _Optional[bool] = ...) -> None: ...

class ListSessionsResponse(_message.Message):
    __slots__ = ("sessions", "next_page_token", "total")
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[Session]
    next_page_token: str
    total: int
    def __init__(self, sessions: _Optional[_Iterable[_Union[Session, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total: _Optional[int] = ...) -> None: ...

class ListSessionChangesRequest(_message.Message):
    __slots__ = ("session_id", "page_size", "page_token", "change_type")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    page_size: int
    page_token: str
    change_type: ChangeType
    def __init__(self, session_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., change_type: _Optional[_Union[ChangeType, str]] = ...) -> None: ...

class ListSessionChangesResponse(_message.Message):
    __slots__ = ("changes", "next_page_token")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[SessionChange]
    next_page_token: str
    def __init__(self, changes: _Optional[_Iterable[_Union[SessionChange, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AbandonSessionRequest(_message.Message):
    __slots__ = ("session_id", "reason")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    reason: str
    def __init__(self, session_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RebaseSessionRequest(_message.Message):
    __slots__ = ("session_id", "base_position")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_POSITION_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    base_position: int
    def __init__(self, session_id: _Optional[str] = ..., base_position: _Optional[int] = ...) -> None: ...

class AddMessageRequest(_message.Message):
    __slots__ = ("session_id", "message")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    message: ConversationMessage
    def __init__(self, session_id: _Optional[str] = ..., message: _Optional[_Union[ConversationMessage, _Mapping]] = ...) -> None: ...

class AddDecisionRequest(_message.Message):
    __slots__ = ("session_id", "decision")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    decision: Decision
    def __init__(self, session_id: _Optional[str] = ..., decision: _Optional[_Union[Decision, _Mapping]] = ...) -> None: ...

class ReadChangeRequest(_message.Message):
    __slots__ = ("session_id", "file_path", "raw_path")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    RAW_PATH_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    file_path: str
    raw_path: bytes
    def __init__(self, session_id: _Optional[str] = ..., file_path: _Optional[str] = ..., raw_path: _Optional[bytes] = ...) -> None: ...

class ArchiveHeader(_message.Message):
    __slots__ = ("organization", "project", "kind", "size", "sha256", "refs_json")
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    REFS_JSON_FIELD_NUMBER: _ClassVar[int]
    organization: str
    project: str
    kind: str
    size: int
    sha256: str
    refs_json: str
    def __init__(self, organization: _Optional[str] = ..., project: _Optional[str] = ..., kind: _Optional[str] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ..., refs_json: _Optional[str] = ...) -> None: ...

class UploadArchiveRequest(_message.Message):
    __slots__ = ("header", "chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: ArchiveHeader
    chunk: bytes
    def __init__(self, header: _Optional[_Union[ArchiveHeader, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class ProjectArchive(_message.Message):
    __slots__ = ("seq", "kind", "size", "sha256", "refs_json", "created_at", "created_by")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    REFS_JSON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    seq: int
    kind: str
    size: int
    sha256: str
    refs_json: str
    created_at: _timestamp_pb2.Timestamp
    created_by: str
    def __init__(self, seq: _Optional[int] = ..., kind: _Optional[str] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ..., refs_json: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ...) -> None: ...

class ListArchivesRequest(_message.Message):
    __slots__ = ("organization", "project", "after_seq")
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    organization: str
    project: str
    after_seq: int
    def __init__(self, organization: _Optional[str] = ..., project: _Optional[str] = ..., after_seq: _Optional[int] = ...) -> None: ...

class ListArchivesResponse(_message.Message):
    __slots__ = ("archives", "next_after_seq")
    ARCHIVES_FIELD_NUMBER: _ClassVar[int]
    NEXT_AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    archives: _containers.RepeatedCompositeFieldContainer[ProjectArchive]
    next_after_seq: int
    def __init__(self, archives: _Optional[_Iterable[_Union[ProjectArchive, _Mapping]]] = ..., next_after_seq: _Optional[int] = ...) -> None: ...

class ReadArchiveRequest(_message.Message):
    __slots__ = ("organization", "project", "seq")
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    organization: str
    project: str
    seq: int
    def __init__(self, organization: _Optional[str] = ..., project: _Optional[str] = ..., seq: _Optional[int] = ...) -> None: ...

class WhoAmIRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Organization(_message.Message):
    __slots__ = ("handle", "created_at")
    HANDLE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    handle: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, handle: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Project(_message.Message):
    __slots__ = ("organization", "handle", "name", "head_position", "created_at")
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    HANDLE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    HEAD_POSITION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    organization: str
    handle: str
    name: str
    head_position: int
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, organization: _Optional[str] = ..., handle: _Optional[str] = ..., name: _Optional[str] = ..., head_position: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateOrganizationRequest(_message.Message):
    __slots__ = ("handle", "exist_ok")
    HANDLE_FIELD_NUMBER: _ClassVar[int]
    EXIST_OK_FIELD_NUMBER: _ClassVar[int]
    handle: str
    exist_ok: bool
    def __init__(self, handle: _Optional[str] = ..., exist_ok: _Optional[bool] = ...) -> None: ...

class GetOrganizationRequest(_message.Message):
    __slots__ = ("handle",)
    HANDLE_FIELD_NUMBER: _ClassVar[int]
    handle: str
    def __init__(self, handle: _Optional[str] = ...) -> None: ...

class ListOrganizationsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListOrganizationsResponse(_message.Message):
    __slots__ = ("organizations",)
    ORGANIZATIONS_FIELD_NUMBER: _ClassVar[int]
    organizations: _containers.RepeatedCompositeFieldContainer[Organization]
    def __init__(self, organizations: _Optional[_Iterable[_Union[Organization, _Mapping]]] = ...) -> None: ...

class CreateProjectRequest(_message.Message):
    __slots__ = ("organization", "handle", "name", "exist_ok")
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    HANDLE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXIST_OK_FIELD_NUMBER: _ClassVar[int]
    organization: str
    handle: str
    name: str
    exist_ok: bool
    def __init__(self, organization: _Optional[str] = ..., handle: _Optional[str] = ..., name: _Optional[str] = ..., exist_ok: _Optional[bool] = ...) -> None: ...

class GetProjectRequest(_message.Message):
    __slots__ = ("organization", "handle")
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    HANDLE_FIELD_NUMBER: _ClassVar[int]
    organization: str
    handle: str
    def __init__(self, organization: _Optional[str] = ..., handle: _Optional[str] = ...) -> None: ...

class ListProjectsRequest(_message.Message):
    __slots__ = ("organization",)
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    organization: str
    def __init__(self, organization: _Optional[str] = ...) -> None: ...

class ListProjectsResponse(_message.Message):
    __slots__ = ("projects",)
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    projects: _containers.RepeatedCompositeFieldContainer[Project]
    def __init__(self, projects: _Optional[_Iterable[_Union[Project, _Mapping]]] = ...) -> None: ...

class CreateTokenRequest(_message.Message):
    __slots__ = ("organization", "role", "description", "expires_in_seconds")
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    organization: str
    role: str
    description: str
    expires_in_seconds: int
    def __init__(self, organization: _Optional[str] = ..., role: _Optional[str] = ..., description: _Optional[str] = ..., expires_in_seconds: _Optional[int] = ...) -> None: ...

class CreateTokenResponse(_message.Message):
    __slots__ = ("token", "organization", "role", "info")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    token: str
    organization: str
    role: str
    info: TokenInfo
    def __init__(self, token: _Optional[str] = ..., organization: _Optional[str] = ..., role: _Optional[str] = ..., info: _Optional[_Union[TokenInfo, _Mapping]] = ...) -> None: ...

class TokenInfo(_message.Message):
    __slots__ = ("id", "organization", "role", "description", "created_at", "expires_at", "last_used_at", "revoked_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    id: int
    organization: str
    role: str
    description: str
    created_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    last_used_at: _timestamp_pb2.Timestamp
    revoked_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., organization: _Optional[str] = ..., role: _Optional[str] = ..., description: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_used_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListTokensRequest(_message.Message):
    __slots__ = ("organization", "include_revoked")
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_REVOKED_FIELD_NUMBER: _ClassVar[int]
    organization: str
    include_revoked: bool
    def __init__(self, organization: _Optional[str] = ..., include_revoked: _Optional[bool] = ...) -> None: ...

class ListTokensResponse(_message.Message):
    __slots__ = ("tokens",)
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    tokens: _containers.RepeatedCompositeFieldContainer[TokenInfo]
    def __init__(self, tokens: _Optional[_Iterable[_Union[TokenInfo, _Mapping]]] = ...) -> None: ...

class RevokeTokenRequest(_message.Message):
    __slots__ = ("id", "token")
    ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    id: int
    token: str
    def __init__(self, id: _Optional[int] = ..., token: _Optional[str] = ...) -> None: ...

class GetTreeRequest(_message.Message):
    __slots__ = ("organization", "project", "has_position", "position", "path_prefix")
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    HAS_POSITION_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    PATH_PREFIX_FIELD_NUMBER: _ClassVar[int]
    organization: str
    project: str
    has_position: bool
    position: int
    path_prefix: str
    def __init__(self, organization: _Optional[str] = ..., project: _Optional[str] = ..., has_position: _Optional[bool] = ..., position: _Optional[int] = ..., path_prefix: _Optional[str] = ...) -> None: ...

class TreeEntry(_message.Message):
    __slots__ = ("file_path", "raw_path", "mode", "size", "sha256", "session_id", "landing_position")
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    RAW_PATH_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    LANDING_POSITION_FIELD_NUMBER: _ClassVar[int]
    file_path: str
    raw_path: bytes
    mode: int
    size: int
    sha256: str
    session_id: str
    landing_position: int
    def __init__(self, file_path: _Optional[str] = ..., raw_path: _Optional[bytes] = ..., mode: _Optional[int] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ..., session_id: _Optional[str] = ..., landing_position: _Optional[int] = ...) -> None: ...

class ReadFileRequest(_message.Message):
    __slots__ = ("organization", "project", "file_path", "raw_path", "has_position", "position")
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    RAW_PATH_FIELD_NUMBER: _ClassVar[int]
    HAS_POSITION_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    organization: str
    project: str
    file_path: str
    raw_path: bytes
    has_position: bool
    position: int
    def __init__(self, organization: _Optional[str] = ..., project: _Optional[str] = ..., file_path: _Optional[str] = ..., raw_path: _Optional[bytes] = ..., has_position: _Optional[bool] = ..., position: _Optional[int] = ...) -> None: ...

class ReadFilesRequest(_message.Message):
    __slots__ = ("organization", "project", "has_position", "position", "whole_tree", "paths", "entries_only")
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    HAS_POSITION_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    WHOLE_TREE_FIELD_NUMBER: _ClassVar[int]
    PATHS_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_ONLY_FIELD_NUMBER: _ClassVar[int]
    organization: str
    project: str
    has_position: bool
    position: int
    whole_tree: bool
    paths: _containers.RepeatedCompositeFieldContainer[PathRef]
    entries_only: bool
    def __init__(self, organization: _Optional[str] = ..., project: _Optional[str] = ..., has_position: _Optional[bool] = ..., position: _Optional[int] = ..., whole_tree: _Optional[bool] = ..., paths: _Optional[_Iterable[_Union[PathRef, _Mapping]]] = ..., entries_only: _Optional[bool] = ...) -> None: ...

class PathRef(_message.Message):
    __slots__ = ("file_path", "raw_path")
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    RAW_PATH_FIELD_NUMBER: _ClassVar[int]
    file_path: str
    raw_path: bytes
    def __init__(self, file_path: _Optional[str] = ..., raw_path: _Optional[bytes] = ...) -> None: ...

class ReadFilesResponse(_message.Message):
    __slots__ = ("position", "items")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    position: int
    items: _containers.RepeatedCompositeFieldContainer[FileItem]
    def __init__(self, position: _Optional[int] = ..., items: _Optional[_Iterable[_Union[FileItem, _Mapping]]] = ...) -> None: ...

class FileItem(_message.Message):
    __slots__ = ("entry", "data")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    entry: TreeEntry
    data: bytes
    def __init__(self, entry: _Optional[_Union[TreeEntry, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class DiffRequest(_message.Message):
    __slots__ = ("organization", "project", "has_from", "from_position", "has_to", "to_position", "paths", "globs", "stat_only")
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    HAS_FROM_FIELD_NUMBER: _ClassVar[int]
    FROM_POSITION_FIELD_NUMBER: _ClassVar[int]
    HAS_TO_FIELD_NUMBER: _ClassVar[int]
    TO_POSITION_FIELD_NUMBER: _ClassVar[int]
    PATHS_FIELD_NUMBER: _ClassVar[int]
    GLOBS_FIELD_NUMBER: _ClassVar[int]
    STAT_ONLY_FIELD_NUMBER: _ClassVar[int]
    organization: str
    project: str
    has_from: bool
    from_position: int
    has_to: bool
    to_position: int
    paths: _containers.RepeatedCompositeFieldContainer[PathRef]
    globs: _containers.RepeatedScalarFieldContainer[str]
    stat_only: bool
    def __init__(self, organization: _Optional[str] = ..., project: _Optional[str] = ..., has_from: _Optional[bool] = ..., from_position: _Optional[int] = ..., has_to: _Optional[bool] = ..., to_position: _Optional[int] = ..., paths: _Optional[_Iterable[_Union[PathRef, _Mapping]]] = ..., globs: _Optional[_Iterable[str]] = ..., stat_only: _Optional[bool] = ...) -> None: ...

class DiffResponse(_message.Message):
    __slots__ = ("from_position", "to_position", "files", "truncated", "files_left", "truncated_reason")
    FROM_POSITION_FIELD_NUMBER: _ClassVar[int]
    TO_POSITION_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    FILES_LEFT_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_REASON_FIELD_NUMBER: _ClassVar[int]
    from_position: int
    to_position: int
    files: _containers.RepeatedCompositeFieldContainer[FileDiff]
    truncated: bool
    files_left: int
    truncated_reason: str
    def __init__(self, from_position: _Optional[int] = ..., to_position: _Optional[int] = ..., files: _Optional[_Iterable[_Union[FileDiff, _Mapping]]] = ..., truncated: _Optional[bool] = ..., files_left: _Optional[int] = ..., truncated_reason: _Optional[str] = ...) -> None: ...

class FileDiff(_message.Message):
    __slots__ = ("file_path", "raw_path", "has_old", "old_mode", "old_size", "has_new", "new_mode", "new_size", "same_content", "binary", "added", "deleted", "hunks", "omitted")
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    RAW_PATH_FIELD_NUMBER: _ClassVar[int]
    HAS_OLD_FIELD_NUMBER: _ClassVar[int]
    OLD_MODE_FIELD_NUMBER: _ClassVar[int]
    OLD_SIZE_FIELD_NUMBER: _ClassVar[int]
    HAS_NEW_FIELD_NUMBER: _ClassVar[int]
    NEW_MODE_FIELD_NUMBER: _ClassVar[int]
    NEW_SIZE_FIELD_NUMBER: _ClassVar[int]
    SAME_CONTENT_FIELD_NUMBER: _ClassVar[int]
    BINARY_FIELD_NUMBER: _ClassVar[int]
    ADDED_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    HUNKS_FIELD_NUMBER: _ClassVar[int]
    OMITTED_FIELD_NUMBER: _ClassVar[int]
    file_path: str
    raw_path: bytes
    has_old: bool
    old_mode: int
    old_size: int
    has_new: bool
    new_mode: int
    new_size: int
    same_content: bool
    binary: bool
    added: int
    deleted: int
    hunks: bytes
    omitted: str
    def __init__(self, file_path: _Optional[str] = ..., raw_path: _Optional[bytes] = ..., has_old: _Optional[bool] = ..., old_mode: _Optional[int] = ..., old_size: _Optional[int] = ..., has_new: _Optional[bool] = ..., new_mode: _Optional[int] = ..., new_size: _Optional[int] = ..., same_content: _Optional[bool] = ..., binary: _Optional[bool] = ..., added: _Optional[int] = ..., deleted: _Optional[int] = ..., hunks: _Optional[bytes] = ..., omitted: _Optional[str] = ...) -> None: ...

class LogRequest(_message.Message):
    __slots__ = ("organization", "project", "file_path", "raw_path", "has_position", "position", "limit")
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    RAW_PATH_FIELD_NUMBER: _ClassVar[int]
    HAS_POSITION_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    organization: str
    project: str
    file_path: str
    raw_path: bytes
    has_position: bool
    position: int
    limit: int
    def __init__(self, organization: _Optional[str] = ..., project: _Optional[str] = ..., file_path: _Optional[str] = ..., raw_path: _Optional[bytes] = ..., has_position: _Optional[bool] = ..., position: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class LogEntry(_message.Message):
    __slots__ = ("position", "session_id", "goal", "landed_at", "landed_by", "stats", "file_path")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    GOAL_FIELD_NUMBER: _ClassVar[int]
    LANDED_AT_FIELD_NUMBER: _ClassVar[int]
    LANDED_BY_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    position: int
    session_id: str
    goal: str
    landed_at: _timestamp_pb2.Timestamp
    landed_by: Identity
    stats: ChangeStats
    file_path: str
    def __init__(self, position: _Optional[int] = ..., session_id: _Optional[str] = ..., goal: _Optional[str] = ..., landed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., landed_by: _Optional[_Union[Identity, _Mapping]] = ..., stats: _Optional[_Union[ChangeStats, _Mapping]] = ..., file_path: _Optional[str] = ...) -> None: ...

class BlameRequest(_message.Message):
    __slots__ = ("organization", "project", "file_path", "raw_path", "has_position", "position")
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    RAW_PATH_FIELD_NUMBER: _ClassVar[int]
    HAS_POSITION_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    organization: str
    project: str
    file_path: str
    raw_path: bytes
    has_position: bool
    position: int
    def __init__(self, organization: _Optional[str] = ..., project: _Optional[str] = ..., file_path: _Optional[str] = ..., raw_path: _Optional[bytes] = ..., has_position: _Optional[bool] = ..., position: _Optional[int] = ...) -> None: ...

class BlameOrigin(_message.Message):
    __slots__ = ("position", "session_id", "goal")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    GOAL_FIELD_NUMBER: _ClassVar[int]
    position: int
    session_id: str
    goal: str
    def __init__(self, position: _Optional[int] = ..., session_id: _Optional[str] = ..., goal: _Optional[str] = ...) -> None: ...

class BlameLine(_message.Message):
    __slots__ = ("origin", "text")
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    origin: int
    text: bytes
    def __init__(self, origin: _Optional[int] = ..., text: _Optional[bytes] = ...) -> None: ...

class BlameChunk(_message.Message):
    __slots__ = ("origins", "lines", "position")
    ORIGINS_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    origins: _containers.RepeatedCompositeFieldContainer[BlameOrigin]
    lines: _containers.RepeatedCompositeFieldContainer[BlameLine]
    position: int
    def __init__(self, origins: _Optional[_Iterable[_Union[BlameOrigin, _Mapping]]] = ..., lines: _Optional[_Iterable[_Union[BlameLine, _Mapping]]] = ..., position: _Optional[int] = ...) -> None: ...

class RepositorySpec(_message.Message):
    __slots__ = ("source", "project", "ref", "strategy")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    source: str
    project: str
    ref: str
    strategy: str
    def __init__(self, source: _Optional[str] = ..., project: _Optional[str] = ..., ref: _Optional[str] = ..., strategy: _Optional[str] = ...) -> None: ...

class JobRepository(_message.Message):
    __slots__ = ("index", "spec", "status", "worker", "lease_expires_at", "lease_expired", "attempts", "last_commit", "commits_total", "commits", "sessions", "changes", "bytes", "seconds", "error", "started_at", "finished_at")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    WORKER_FIELD_NUMBER: _ClassVar[int]
    LEASE_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    LEASE_EXPIRED_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_COMMIT_FIELD_NUMBER: _ClassVar[int]
    COMMITS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    COMMITS_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    index: int
    spec: RepositorySpec
    status: RepositoryStatus
    worker: str
    lease_expires_at: _timestamp_pb2.Timestamp
    lease_expired: bool
    attempts: int
    last_commit: str
    commits_total: int
    commits: int
    sessions: int
    changes: int
    bytes: int
    seconds: float
    error: str
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    def __init__(self, index: _Optional[int] = ..., spec: _Optional[_Union[RepositorySpec, _Mapping]] = ..., status: _Optional[_Union[RepositoryStatus, str]] = ..., worker: _Optional[str] = ..., lease_expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lease_expired: _Optional[bool] = ..., attempts: _Optional[int] = ..., last_commit: _Optional[str] = ..., commits_total: _Optional[int] = ..., commits: _Optional[int] = ..., sessions: _Optional[int] = ..., changes: _Optional[int] = ..., bytes: _Optional[int] = ..., seconds: _Optional[float] = ..., error: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("job_id", "digest", "created_at", "updated_at", "total", "queued", "running", "done", "failed", "repositories")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    REPOSITORIES_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    digest: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    total: int
    queued: int
    running: int
    done: int
    failed: int
    repositories: _containers.RepeatedCompositeFieldContainer[JobRepository]
    def __init__(self, job_id: _Optional[str] = ..., digest: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., total: _Optional[int] = ..., queued: _Optional[int] = ..., running: _Optional[int] = ..., done: _Optional[int] = ..., failed: _Optional[int] = ..., repositories: _Optional[_Iterable[_Union[JobRepository, _Mapping]]] = ...) -> None: ...

class CreateJobRequest(_message.Message):
    __slots__ = ("job_id", "digest", "repositories", "retry_failed")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    REPOSITORIES_FIELD_NUMBER: _ClassVar[int]
    RETRY_FAILED_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    digest: str
    repositories: _containers.RepeatedCompositeFieldContainer[RepositorySpec]
    retry_failed: bool
    def __init__(self, job_id: _Optional[str] = ..., digest: _Optional[str] = ..., repositories: _Optional[_Iterable[_Union[RepositorySpec, _Mapping]]] = ..., retry_failed: _Optional[bool] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs",)
    JOBS_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ...) -> None: ...

class ClaimRepositoryRequest(_message.Message):
    __slots__ = ("job_id", "worker", "lease_seconds", "has_index", "index")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    WORKER_FIELD_NUMBER: _ClassVar[int]
    LEASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HAS_INDEX_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    worker: str
    lease_seconds: float
    has_index: bool
    index: int
    def __init__(self, job_id: _Optional[str] = ..., worker: _Optional[str] = ..., lease_seconds: _Optional[float] = ..., has_index: _Optional[bool] = ..., index: _Optional[int] = ...) -> None: ...

class ClaimRepositoryResponse(_message.Message):
    __slots__ = ("claimed", "lease_id", "repository", "held", "retry_after_seconds", "remaining", "source_policy")
    CLAIMED_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    SOURCE_POLICY_FIELD_NUMBER: _ClassVar[int]
    claimed: bool
    lease_id: str
    repository: JobRepository
    held: int
    retry_after_seconds: float
    remaining: int
    source_policy: SourcePolicy
    def __init__(self, claimed: _Optional[bool] = ..., lease_id: _Optional[str] = ..., repository: _Optional[_Union[JobRepository, _Mapping]] = ..., held: _Optional[int] = ..., retry_after_seconds: _Optional[float] = ..., remaining: _Optional[int] = ..., source_policy: _Optional[_Union[SourcePolicy, _Mapping]] = ...) -> None: ...

class SourcePolicy(_message.Message):
    __slots__ = ("unrestricted", "roots", "url_patterns")
    UNRESTRICTED_FIELD_NUMBER: _ClassVar[int]
    ROOTS_FIELD_NUMBER: _ClassVar[int]
    URL_PATTERNS_FIELD_NUMBER: _ClassVar[int]
    unrestricted: bool
    roots: _containers.RepeatedScalarFieldContainer[str]
    url_patterns: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, unrestricted: _Optional[bool] = ..., roots: _Optional[_Iterable[str]] = ..., url_patterns: _Optional[_Iterable[str]] = ...) -> None: ...

class RenewLeaseRequest(_message.Message):
    __slots__ = ("job_id", "index", "lease_id", "lease_seconds", "commits_total", "commits", "last_commit")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    LEASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    COMMITS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    COMMITS_FIELD_NUMBER: _ClassVar[int]
    LAST_COMMIT_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    index: int
    lease_id: str
    lease_seconds: float
    commits_total: int
    commits: int
    last_commit: str
    def __init__(self, job_id: _Optional[str] = ..., index: _Optional[int] = ..., lease_id: _Optional[str] = ..., lease_seconds: _Optional[float] = ..., commits_total: _Optional[int] = ..., commits: _Optional[int] = ..., last_commit: _Optional[str] = ...) -> None: ...

class FinishRepositoryRequest(_message.Message):
    __slots__ = ("job_id", "index", "lease_id", "outcome", "commits_total", "commits", "last_commit", "error")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    COMMITS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    COMMITS_FIELD_NUMBER: _ClassVar[int]
    LAST_COMMIT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    index: int
    lease_id: str
    outcome: RepositoryOutcome
    commits_total: int
    commits: int
    last_commit: str
    error: str
    def __init__(self, job_id: _Optional[str] = ..., index: _Optional[int] = ..., lease_id: _Optional[str] = ..., outcome: _Optional[_Union[RepositoryOutcome, str]] = ..., commits_total: _Optional[int] = ..., commits: _Optional[int] = ..., last_commit: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...
