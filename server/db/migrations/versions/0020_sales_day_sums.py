"""sales day sums: the dashboard's maintained sums, backfilled from the documents

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 09:45:00

One row per UTC day, territory, credited rep and currency with the booked orders' net and
count, the invoices issued and the payments allocated; beside it each customer's ordering
days, and the customers with booked orders, by territory and rep. The upgrade fills them from the
orders, invoices and allocations already stored, so the dashboard's figures are the same
before and after. The statements are those `server.db.summaries.rebuild_sql` gave when this
revision was written, copied here: a later change to what the product counts must not
change what this revision wrote.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

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
    for statement in _backfill(op.get_bind().dialect.name):
        op.execute(statement)


_BOOKED = "o.status IN ('confirmed', 'in_fulfilment', 'completed', 'closed')"


def _backfill(dialect_name: str) -> list[str]:
    day = (
        "CAST((o.placed_at AT TIME ZONE 'UTC') AS DATE)"
        if dialect_name == "postgresql"
        else "date(o.placed_at)"
    )
    return [
        "DELETE FROM sales_day_sums",
        "INSERT INTO sales_day_sums (day, territory_id, rep_id, currency, booked_cents,"
        " booked_orders, invoiced_cents, paid_cents)"
        " SELECT day, territory_id, rep_id, currency, SUM(b), SUM(n), SUM(i), SUM(p)"
        " FROM ("
        f"  SELECT {day} AS day, o.territory_id AS territory_id,"
        "   COALESCE(o.rep_id, '') AS rep_id, o.currency AS currency,"
        "   o.net_cents AS b, 1 AS n, 0 AS i, 0 AS p"
        f"  FROM sales_orders o WHERE {_BOOKED} AND o.order_type <> 'blanket'"
        "  UNION ALL"
        "  SELECT v.issued_on, o.territory_id, COALESCE(o.rep_id, ''), o.currency,"
        "   0, 0, v.total_cents, 0"
        "  FROM invoices v JOIN sales_orders o ON o.id = v.order_id"
        "  WHERE o.order_type <> 'blanket'"
        "  UNION ALL"
        "  SELECT p.received_on, o.territory_id, COALESCE(o.rep_id, ''), o.currency,"
        "   0, 0, 0, a.amount_cents"
        "  FROM payment_allocations a"
        "  JOIN payments p ON p.id = a.payment_id"
        "  JOIN invoices v ON v.id = a.invoice_id"
        "  JOIN sales_orders o ON o.id = v.order_id"
        "  WHERE o.order_type <> 'blanket'"
        " ) AS documents"
        " GROUP BY day, territory_id, rep_id, currency",
        "DELETE FROM sales_customer_days",
        "INSERT INTO sales_customer_days (customer_id, day, territory_id, rep_id, booked_orders)"
        f" SELECT o.customer_id, {day} AS day, o.territory_id, COALESCE(o.rep_id, '') AS rep_id,"
        "  COUNT(*)"
        f" FROM sales_orders o WHERE {_BOOKED} AND o.order_type <> 'blanket'"
        f" GROUP BY o.customer_id, {day}, o.territory_id, COALESCE(o.rep_id, '')",
        "DELETE FROM sales_customers",
        "INSERT INTO sales_customers (territory_id, rep_id, customer_id, booked_orders)"
        " SELECT territory_id, rep_id, customer_id, SUM(booked_orders)"
        " FROM sales_customer_days GROUP BY territory_id, rep_id, customer_id",
    ]


def downgrade() -> None:
    op.drop_index("ix_credit_notes_issued_on", table_name="credit_notes")
    op.drop_index("ix_payments_received_on", table_name="payments")
    op.drop_index("ix_shipments_shipped_at", table_name="shipments")
    op.drop_table("sales_customers")
    op.drop_index("ix_sales_customer_days_territory_day", table_name="sales_customer_days")
    op.drop_table("sales_customer_days")
    op.drop_index("ix_sales_day_sums_territory_day", table_name="sales_day_sums")
    op.drop_table("sales_day_sums")
