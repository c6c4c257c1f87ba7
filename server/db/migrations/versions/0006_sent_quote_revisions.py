"""frozen quote revisions keep the status they were sent with

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:40:00

A revision is frozen when it is sent, and the copy was taken a moment before the status
changed, so every frozen revision said "draft". Only sending froze a draft (revising
freezes a quote that is already sent), so each of those was in fact sent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_REVISIONS = sa.table(
    "quote_revisions", sa.column("id", sa.String(36)), sa.column("snapshot", sa.JSON())
)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(_REVISIONS.c.id, _REVISIONS.c.snapshot)).all()
    for row in rows:
        if isinstance(row.snapshot, dict) and row.snapshot.get("status") == "draft":
            connection.execute(
                _REVISIONS.update()
                .where(_REVISIONS.c.id == row.id)
                .values(snapshot={**row.snapshot, "status": "sent"})
            )


def downgrade() -> None:
    # The status a revision was sent with is true of the old schema too: nothing to undo.
    pass
