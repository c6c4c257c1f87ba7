"""commission: entry kinds long enough for a carried-forward balance

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 10:10:00

A negative balance carried from an approved month into the next is an entry of kind
`carry_forward`, thirteen characters: the kind column grows from 12 to 16. Every entry the
ledger holds keeps its kind. The downgrade refuses while carried balances exist: the older
schema cannot hold them, and dropping them would change what reps are paid.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("commission_entries", schema=None) as batch_op:
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(length=12),
            type_=sa.String(length=16),
            existing_nullable=False,
            existing_server_default="commission",
        )


def downgrade() -> None:
    carried = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM commission_entries WHERE kind = 'carry_forward'")
    )
    if carried:
        raise RuntimeError(
            f"{carried} commission entries carry a negative balance into a later month;"
            " revision 0020 cannot hold them. Settle those months (or remove the entries"
            " deliberately) before downgrading."
        )
    with op.batch_alter_table("commission_entries", schema=None) as batch_op:
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(length=16),
            type_=sa.String(length=12),
            existing_nullable=False,
            existing_server_default="commission",
        )
