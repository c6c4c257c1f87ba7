"""portal links: hashed, scoped, expiring, revocable tokens for customers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 03:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_links",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("customer_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("order_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("quote_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("created_by", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("last_used_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(CASE WHEN order_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN quote_id IS NULL THEN 0 ELSE 1 END) <= 1",
            name=op.f("ck_portal_links_one_document"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_portal_links_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sales_orders.id"], name=op.f("fk_portal_links_order_id_sales_orders")
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"], ["quotes.id"], name=op.f("fk_portal_links_quote_id_quotes")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_portal_links_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["users.id"], name=op.f("fk_portal_links_revoked_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_links_token_hash")),
    )
    for column in ("customer_id", "order_id", "quote_id"):
        op.create_index(op.f(f"ix_portal_links_{column}"), "portal_links", [column])


def downgrade() -> None:
    op.drop_table("portal_links")
