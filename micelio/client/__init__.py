"""The mic client: ``MicClient`` and the records and errors it speaks in.

The CLI and the importers import from here only; ``micelio.v1`` stays behind this package.
"""

from micelio.client.client import MicClient
from micelio.client.discovery import NO_SERVER
from micelio.client.errors import (
    AlreadyExists,
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    LandingError,
    MicError,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from micelio.client.jobs import Claim, Job, JobRepository, RepositorySpec
from micelio.client.landing import CHUNK_SIZE, Change, Landing, LandProgress, NewSession
from micelio.client.models import (
    BlameLine,
    ChangeStats,
    CreatedToken,
    Decision,
    FileContent,
    Identity,
    LandResult,
    LogEntry,
    Message,
    Organization,
    Page,
    Project,
    Session,
    SessionChange,
    TokenInfo,
    TreeEntry,
)
from micelio.client.shapes import change_to_dict, describe_identity, iso, session_to_dict

__all__ = [
    "CHUNK_SIZE",
    "NO_SERVER",
    "AlreadyExists",
    "BlameLine",
    "Change",
    "ChangeStats",
    "Claim",
    "Conflict",
    "CreatedToken",
    "Decision",
    "FailedPrecondition",
    "FileContent",
    "Identity",
    "InvalidArgument",
    "Job",
    "JobRepository",
    "LandProgress",
    "LandResult",
    "Landing",
    "LandingError",
    "LogEntry",
    "Message",
    "MicClient",
    "MicError",
    "NewSession",
    "NotFound",
    "Organization",
    "Page",
    "PermissionDenied",
    "Project",
    "RepositorySpec",
    "Session",
    "SessionChange",
    "TokenInfo",
    "TreeEntry",
    "Unauthenticated",
    "Unavailable",
    "change_to_dict",
    "describe_identity",
    "iso",
    "session_to_dict",
]
