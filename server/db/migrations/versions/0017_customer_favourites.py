"""customer favourites: the customers a user starred on their phone

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 05:50:00

A new table only: nobody has a favourite after the upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_favourites",
        sa.Column("user_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("customer_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "customer_id"),
    )
    op.create_index(
        op.f("ix_customer_favourites_customer_id"),
        "customer_favourites",
        ["customer_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_customer_favourites_customer_id"), table_name="customer_favourites")
    op.drop_table("customer_favourites")
