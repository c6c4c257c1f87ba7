"""outbox: deliveries indexed by their destination, not by their event

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 16:00:00

An endpoint's admin page lists its latest deliveries (`destination = ? ORDER BY
created_at DESC`); without an index that read scans the whole outbox, which grows by a
row for every event and every delivery. The index on `event_id` served no read at all,
yet every order paid an entry in it for each of its events. The new index leaves the
events out (their destination is NULL until they are fanned out), so an order's own
writes carry one index entry fewer and a delivery's as many as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

_DELIVERIES_ONLY = sa.text("destination IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_outbox_messages_event_id", table_name="outbox_messages")
    op.create_index(
        "ix_outbox_messages_by_destination",
        "outbox_messages",
        ["destination", "created_at"],
        unique=False,
        sqlite_where=_DELIVERIES_ONLY,
        postgresql_where=_DELIVERIES_ONLY,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_by_destination", table_name="outbox_messages")
    op.create_index("ix_outbox_messages_event_id", "outbox_messages", ["event_id"], unique=False)
