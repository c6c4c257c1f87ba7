"""ended sessions and shared login counters

Revision ID: 0008
Revises: 0007_import_jobs
Create Date: 2026-12-05 23:20:00

Access tokens name their session; a session that was signed out, caught reusing a
refresh token or whose user was deactivated is listed in `revoked_sessions`. Login
attempts per client address and failed logins per account are counted in
`login_counters`, shared by every server process.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0008"
down_revision = "0007_import_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revoked_sessions",
        sa.Column("session_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("user_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("revoked_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_revoked_sessions")),
    )
    op.create_table(
        "login_counters",
        sa.Column("key", sa.String(length=320), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("window_ends", sa.Float(), nullable=False),
        sa.Column("blocked_until", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_counters")),
    )
    with op.batch_alter_table("login_counters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_counters_window_ends"), ["window_ends"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("login_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_counters_window_ends"))
    op.drop_table("login_counters")
    op.drop_table("revoked_sessions")
