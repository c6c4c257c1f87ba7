"""outbox: outbox messages, webhook endpoints and attempts, e-mail messages

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 03:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = server.db.types.UUIDString(length=36)
_AT = server.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", _ID, nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("destination", sa.String(length=80), nullable=True),
        sa.Column("event_id", _ID, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("available_at", _AT, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("claimed_until", _AT, nullable=True),
        sa.Column("delivered_at", _AT, nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    op.create_index(
        "ix_outbox_messages_due", "outbox_messages", ["status", "available_at"], unique=False
    )
    op.create_index(
        op.f("ix_outbox_messages_event_id"), "outbox_messages", ["event_id"], unique=False
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", _ID, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("allow_private", sa.Boolean(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("message_id", _ID, nullable=False),
        sa.Column("endpoint_id", _ID, nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index(
        op.f("ix_webhook_attempts_message_id"), "webhook_attempts", ["message_id"], unique=False
    )
    op.create_index(
        op.f("ix_webhook_attempts_endpoint_id"), "webhook_attempts", ["endpoint_id"], unique=False
    )
    op.create_table(
        "email_messages",
        sa.Column("id", _ID, nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("sent_at", _AT, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_messages")),
    )


def downgrade() -> None:
    op.drop_table("email_messages")
    op.drop_index(op.f("ix_webhook_attempts_endpoint_id"), table_name="webhook_attempts")
    op.drop_index(op.f("ix_webhook_attempts_message_id"), table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_endpoints")
    op.drop_index(op.f("ix_outbox_messages_event_id"), table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_due", table_name="outbox_messages")
    op.drop_table("outbox_messages")
