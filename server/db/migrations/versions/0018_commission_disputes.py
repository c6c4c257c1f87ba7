"""commission disputes: a rep's question about an entry and the manager's answer

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 09:20:00

A new table only: nobody has disputed anything before the upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commission_disputes",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("entry_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("rep_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("opened_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("answered_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("adjustment_cents", sa.BigInteger(), nullable=True),
        sa.Column("adjustment_entry_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.ForeignKeyConstraint(["entry_id"], ["commission_entries.id"]),
        sa.ForeignKeyConstraint(["rep_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_commission_disputes_entry_id"), "commission_disputes", ["entry_id"], unique=False
    )
    op.create_index(
        "ix_commission_disputes_rep_status", "commission_disputes", ["rep_id", "status"]
    )


def downgrade() -> None:
    op.drop_index("ix_commission_disputes_rep_status", table_name="commission_disputes")
    op.drop_index(op.f("ix_commission_disputes_entry_id"), table_name="commission_disputes")
    op.drop_table("commission_disputes")
