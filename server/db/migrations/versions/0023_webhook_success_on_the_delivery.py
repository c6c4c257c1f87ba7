"""outbox: the attempt that delivered a webhook is kept on its message

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 12:30:00

Nearly every webhook is delivered at its first attempt. Its status code and duration
now live on the delivery's own outbox row, written by the same UPDATE that marks it
delivered, instead of a row of `webhook_attempts` beside it: one row and three index
entries fewer for each order a webhook tells about. `webhook_attempts` keeps the failed
attempts, and a replay moves the earlier success there before the message goes out again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivered_status", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("delivered_ms", sa.Integer(), nullable=True))


def downgrade() -> None:
    # The successes go back to the attempt log they came from.
    op.execute(
        "INSERT INTO webhook_attempts (id, message_id, endpoint_id, at, status_code,"
        " duration_ms, error) SELECT id, id, substr(destination, 9), delivered_at,"
        " delivered_status, delivered_ms, NULL FROM outbox_messages"
        " WHERE delivered_status IS NOT NULL"
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("delivered_ms")
        batch_op.drop_column("delivered_status")
