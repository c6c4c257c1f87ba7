"""commission: product costs and margin plans, quarterly quotas, draws

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 09:30:00

Existing products have no known cost, existing plans pay on revenue, and nobody has a draw:
every figure the ledger holds stays what it was. A quarterly quota fits the quota's
existing period column ("2026-Q4" is seven characters, like "2026-12").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cost_cents", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("commission_plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pays_on", sa.String(length=10), server_default="revenue", nullable=False)
        )
        batch_op.add_column(sa.Column("category_pays_on", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("product_pays_on", sa.JSON(), nullable=True))
    op.create_table(
        "commission_draws",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("rep_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["users.id"], name=op.f("fk_commission_draws_rep_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_draws")),
        sa.UniqueConstraint("rep_id", "period", name="commission_draw_period"),
    )


def downgrade() -> None:
    op.drop_table("commission_draws")
    with op.batch_alter_table("commission_plans", schema=None) as batch_op:
        batch_op.drop_column("product_pays_on")
        batch_op.drop_column("category_pays_on")
        batch_op.drop_column("pays_on")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("cost_cents")
