"""Paths keyed by their bytes (``session_changes.path_key``), and upload reservations.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from micelio.paths import path_key

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("session_changes", sa.Column("path_key", sa.Text(), nullable=True))
    # UTF-8 paths: their text with "%" escaped; the rest (raw_path set) from their bytes.
    op.execute(
        "UPDATE session_changes SET path_key = replace(file_path, '%', '%25') "
        "WHERE raw_path IS NULL"
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, raw_path FROM session_changes WHERE raw_path IS NOT NULL")
    )
    for row_id, raw in rows.fetchall():
        conn.execute(
            sa.text("UPDATE session_changes SET path_key = :key WHERE id = :id"),
            {"key": path_key(bytes(raw)), "id": row_id},
        )
    with op.batch_alter_table("session_changes") as batch:
        batch.alter_column("path_key", existing_type=sa.Text(), nullable=False)
        batch.drop_constraint("uq_session_changes_session_pk_file_path", type_="unique")
        batch.create_unique_constraint(
            op.f("uq_session_changes_session_pk_path_key"), ["session_pk", "path_key"]
        )
    op.create_index(
        op.f("ix_session_changes_project_id_path_key_landing_position"),
        "session_changes",
        ["project_id", "path_key", "landing_position"],
        unique=False,
    )
    op.create_index(
        op.f("ix_session_changes_session_pk_file_path"),
        "session_changes",
        ["session_pk", "file_path"],
        unique=False,
    )
    op.create_table(
        "upload_reservations",
        sa.Column("session_id", sa.String(length=128), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_upload_reservations")),
    )


def downgrade() -> None:
    op.drop_table("upload_reservations")
    op.drop_index(op.f("ix_session_changes_session_pk_file_path"), table_name="session_changes")
    op.drop_index(
        op.f("ix_session_changes_project_id_path_key_landing_position"),
        table_name="session_changes",
    )
    # Paths that differ only by their bytes share a display text: keep one of each (the
    # earlier schema cannot hold both).
    op.execute(
        "DELETE FROM session_changes WHERE id NOT IN "
        "(SELECT min(id) FROM session_changes GROUP BY session_pk, file_path)"
    )
    with op.batch_alter_table("session_changes") as batch:
        batch.drop_constraint("uq_session_changes_session_pk_path_key", type_="unique")
        batch.create_unique_constraint(
            op.f("uq_session_changes_session_pk_file_path"), ["session_pk", "file_path"]
        )
        batch.drop_column("path_key")
