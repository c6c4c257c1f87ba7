"""commission: plans (effective-dated, versioned), quotas, the ledger and statements

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 03:02:49

New tables only: no plan exists after the upgrade, so orders earn nothing until an admin
creates one, and nothing placed before is credited retroactively.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commission_plans",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("basis", sa.String(length=10), nullable=False),
        sa.Column("default_rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("category_rates", sa.JSON(), nullable=False),
        sa.Column("product_rates", sa.JSON(), nullable=False),
        sa.Column("tier_mode", sa.String(length=12), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("cap_cents", sa.BigInteger(), nullable=True),
        sa.Column("manager_override_rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("created_by", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_plans")),
        sa.UniqueConstraint("code", "version", name="commission_plan_version"),
    )
    with op.batch_alter_table("commission_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commission_plans_valid_from"), ["valid_from"], unique=False
        )

    op.create_table(
        "commission_entries",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("entry_key", sa.String(length=240), nullable=False),
        sa.Column("key", sa.String(length=236), nullable=False),
        sa.Column("rep_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("order_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("source_type", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.String(length=80), nullable=False),
        sa.Column("basis", sa.String(length=10), nullable=False),
        sa.Column("revenue_cents", sa.BigInteger(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=9, scale=4), nullable=False),
        sa.Column("plan_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("plan_version", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["users.id"], name=op.f("fk_commission_entries_rep_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_entries")),
        sa.UniqueConstraint("entry_key", name=op.f("uq_commission_entries_entry_key")),
    )
    with op.batch_alter_table("commission_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commission_entries_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            "ix_commission_entries_rep_period", ["rep_id", "period"], unique=False
        )

    op.create_table(
        "commission_quotas",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("rep_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("quota_cents", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["users.id"], name=op.f("fk_commission_quotas_rep_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_quotas")),
        sa.UniqueConstraint("rep_id", "period", name="commission_quota_period"),
    )
    op.create_table(
        "commission_statements",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("rep_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("approved_by", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("approved_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paid_by", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("paid_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["users.id"], name=op.f("fk_commission_statements_rep_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_statements")),
        sa.UniqueConstraint("rep_id", "period", name="commission_statement_period"),
    )


def downgrade() -> None:
    op.drop_table("commission_statements")
    op.drop_table("commission_quotas")
    with op.batch_alter_table("commission_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_commission_entries_rep_period")
        batch_op.drop_index(batch_op.f("ix_commission_entries_order_id"))

    op.drop_table("commission_entries")
    with op.batch_alter_table("commission_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commission_plans_valid_from"))

    op.drop_table("commission_plans")
