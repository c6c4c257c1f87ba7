"""sales day sums: the dashboard's maintained sums, backfilled from the documents

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 09:45:00

One row per UTC day, territory, credited rep and currency with the booked orders' net and
count, the invoices issued and the payments allocated; beside it each customer's ordering
days, and the customers with booked orders, by territory and rep. The upgrade fills them from the
orders, invoices and allocations already stored, with the statements the product uses to
recompute it (`server.db.summaries.rebuild_sql`), so the dashboard's figures are the same
before and after.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types
from server.db.summaries import rebuild_sql

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sales_day_sums",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("territory_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("rep_id", sa.String(length=36), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("booked_cents", sa.BigInteger(), nullable=False),
        sa.Column("booked_orders", sa.Integer(), nullable=False),
        sa.Column("invoiced_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "territory_id", "rep_id", "currency"),
    )
    op.create_index(
        "ix_sales_day_sums_territory_day", "sales_day_sums", ["territory_id", "day"], unique=False
    )
    op.create_table(
        "sales_customer_days",
        sa.Column("customer_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("territory_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("rep_id", sa.String(length=36), nullable=False),
        sa.Column("booked_orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "day", "territory_id", "rep_id"),
    )
    op.create_index(
        "ix_sales_customer_days_territory_day",
        "sales_customer_days",
        ["territory_id", "day", "customer_id"],
        unique=False,
    )
    op.create_table(
        "sales_customers",
        sa.Column("territory_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("rep_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("booked_orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("territory_id", "rep_id", "customer_id"),
    )
    # The fulfilment cycle reads the shipments that left in the periods shown, not all.
    op.create_index("ix_shipments_shipped_at", "shipments", ["shipped_at"], unique=False)
    # Past overdue receivables read the payments and credit notes since a day.
    op.create_index("ix_payments_received_on", "payments", ["received_on"], unique=False)
    op.create_index("ix_credit_notes_issued_on", "credit_notes", ["issued_on"], unique=False)
    for statement in rebuild_sql(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_credit_notes_issued_on", table_name="credit_notes")
    op.drop_index("ix_payments_received_on", table_name="payments")
    op.drop_index("ix_shipments_shipped_at", table_name="shipments")
    op.drop_table("sales_customers")
    op.drop_index("ix_sales_customer_days_territory_day", table_name="sales_customer_days")
    op.drop_table("sales_customer_days")
    op.drop_index("ix_sales_day_sums_territory_day", table_name="sales_day_sums")
    op.drop_table("sales_day_sums")
