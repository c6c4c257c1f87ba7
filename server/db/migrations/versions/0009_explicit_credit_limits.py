"""a customer without a credit limit says so: NULL, no longer 0

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 10:00:00

A credit limit of 0 used to mean "no limit", and every customer onboarded without a
limit got it. "No limit" is now NULL, chosen explicitly, and 0 means no credit at all.
The customers stored with 0 had no limit until now and keep it, as NULL: what they may
order does not change under anyone's feet, and the ones to review are easy to find.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_CUSTOMERS = sa.table("customers", sa.column("credit_limit_cents", sa.BigInteger()))


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.alter_column("credit_limit_cents", existing_type=sa.BigInteger(), nullable=True)
    op.execute(
        _CUSTOMERS.update()
        .where(_CUSTOMERS.c.credit_limit_cents == 0)
        .values(credit_limit_cents=None)
    )


def downgrade() -> None:
    # The old schema could only say "no limit" with 0, and had no way to say "no credit".
    op.execute(
        _CUSTOMERS.update()
        .where(_CUSTOMERS.c.credit_limit_cents.is_(None))
        .values(credit_limit_cents=0)
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.alter_column("credit_limit_cents", existing_type=sa.BigInteger(), nullable=False)
