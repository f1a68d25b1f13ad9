"""Persistence: models, engine set-up, migrations, the context API and history queries."""

from micelio.database.api import (
    ChangeStats,
    NewChange,
    count_session_changes,
    create_changes_for_sessions,
    create_session_changes,
    get_change_stats_by_session,
    get_session_change,
    get_session_change_by_key,
    get_session_change_stats,
    get_session_with_changes,
    list_session_changes,
)
from micelio.database.engine import Database

__all__ = [
    "ChangeStats",
    "Database",
    "NewChange",
    "count_session_changes",
    "create_changes_for_sessions",
    "create_session_changes",
    "get_change_stats_by_session",
    "get_session_change",
    "get_session_change_by_key",
    "get_session_change_stats",
    "get_session_with_changes",
    "list_session_changes",
]
