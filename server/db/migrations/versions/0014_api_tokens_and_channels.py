"""api tokens of integration users; order and customer channels web, phone, edi, api

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 05:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("user_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=20), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("created_by", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("last_used_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_api_tokens_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["users.id"], name=op.f("fk_api_tokens_revoked_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])
    # "field" was the rep's app; the channels are now web, phone, edi and api (customers
    # also keep "import"). Orders before this carried what their client declared.
    for table in ("sales_orders", "customers"):
        op.execute(sa.text(f"UPDATE {table} SET channel = 'phone' WHERE channel = 'field'"))
    op.execute(
        sa.text(
            "UPDATE sales_orders SET channel = 'web'"
            " WHERE channel NOT IN ('web', 'phone', 'edi', 'api')"
        )
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_api_tokens_user_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
