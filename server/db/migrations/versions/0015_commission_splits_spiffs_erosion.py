"""commission: credit splits, SPIFFs and discount erosion on plans, the kind of an entry

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-06 05:40:00

Existing plans get no SPIFFs and no erosion, existing entries the kind "commission", and no
order has a split: every figure the ledger holds stays what it was.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("commission_plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("erosion_limit", sa.Numeric(precision=7, scale=4), nullable=True)
        )
        batch_op.add_column(sa.Column("spiffs", sa.JSON(), nullable=True))
    with op.batch_alter_table("commission_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=12), server_default="commission", nullable=False)
        )
    op.create_table(
        "commission_splits",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("order_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("rep_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("percent", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("created_by", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_orders.id"],
            name=op.f("fk_commission_splits_order_id_sales_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["users.id"], name=op.f("fk_commission_splits_rep_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_splits")),
        sa.UniqueConstraint("order_id", "rep_id", name="commission_split_rep"),
    )
    with op.batch_alter_table("commission_splits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commission_splits_order_id"), ["order_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("commission_splits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commission_splits_order_id"))
    op.drop_table("commission_splits")
    with op.batch_alter_table("commission_entries", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("commission_plans", schema=None) as batch_op:
        batch_op.drop_column("spiffs")
        batch_op.drop_column("erosion_limit")
