"""The words mic's records are made of, each defined once.

Every layer (database models, service, client, importers, CLI, web) uses these types; the
protocol's enums are mapped to them at its edges (``server/convert.py``, ``client/convert.py``).
The values are what the database stores and what ``--json`` prints, so they never change.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class FileMode(IntEnum):
    """Git's modes, which mic keeps exactly."""

    FILE = 0o100644
    EXECUTABLE = 0o100755
    SYMLINK = 0o120000  # content is the link's target
    GITLINK = 0o160000  # a submodule: content is the commit id, nothing to check out
    TREE = 0o040000  # a folder: only in Git's trees, never a change's mode


#: The modes a change may carry.
CHANGE_MODES = frozenset({FileMode.FILE, FileMode.EXECUTABLE, FileMode.SYMLINK, FileMode.GITLINK})


class SessionStatus(StrEnum):
    ACTIVE = "active"
    LANDED = "landed"
    ABANDONED = "abandoned"


class ChangeType(StrEnum):
    ADDED = "added"
    MODIFIED = "modified"
    DELETED = "deleted"


class ConflictKind(StrEnum):
    """Why a merge could not decide a path alone (``micelio.workdir.conflicts``)."""

    CONTENT = "content"  # both edited the same lines: markers in the file
    BINARY = "binary"  # both changed a binary file: ours kept, theirs beside it
    SYMLINK = "symlink"  # both changed a symlink's target, or one side made it a symlink
    SUBMODULE = "submodule"  # both moved a gitlink, or one side made the path a gitlink
    MODE = "mode"  # both changed the executable bit differently
    ADD_ADD = "add/add"  # both added the path with different contents
    MODIFY_DELETE = "modify/delete"  # ours modified it, theirs deleted it
    DELETE_MODIFY = "delete/modify"  # ours deleted it, theirs modified it
    FILE_FOLDER = "file/folder"  # a file on one side, a folder on the other


class MessageRole(StrEnum):
    """Who speaks in a conversation: the roles mic writes (the server accepts any short word)."""

    HUMAN = "human"
    AGENT = "agent"
    SYSTEM = "system"
    COMMIT = "commit"  # an imported Git commit's message
    MERGE = "merge"  # an imported merge commit's message


#: The roles a person or an agent may note a message with.
NOTE_ROLES = (MessageRole.HUMAN, MessageRole.AGENT, MessageRole.SYSTEM)


class TokenRole(StrEnum):
    """What a token may do, each including the ones before it."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(TokenRole).index(self)

    def includes(self, other: TokenRole) -> bool:
        return self.rank >= other.rank
