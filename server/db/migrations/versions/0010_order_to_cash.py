"""order to cash: shipments, invoices, payments, credit notes, returns, revisions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 02:00:00

The columns added to orders and lines start at their neutral values for orders placed
before: nothing shipped, invoiced, paid or returned, revision 1.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "expected_receipts",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("warehouse_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("product_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("received", sa.Boolean(), nullable=False),
        sa.Column("created_by", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_expected_receipts_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_expected_receipts_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_expected_receipts_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expected_receipts")),
    )
    with op.batch_alter_table("expected_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_expected_receipts_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "payments",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("customer_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("unallocated_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("created_by", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_payments_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("number", name=op.f("uq_payments_number")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "stock_movements",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("warehouse_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("product_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("on_hand_after", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("order_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("document_number", sa.String(length=20), nullable=False),
        sa.Column("actor_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_stock_movements_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_stock_movements_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
    )
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stock_movements_product_time", ["product_id", "created_at"], unique=False
        )

    op.create_table(
        "invoices",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("order_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("customer_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("net_cents", sa.BigInteger(), nullable=False),
        sa.Column("shipping_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), nullable=False),
        sa.Column("credited_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_by", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_invoices_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sales_orders.id"], name=op.f("fk_invoices_order_id_sales_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invoices_customer_status", ["customer_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invoices_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_invoices_status_due", ["status", "due_on"], unique=False)

    op.create_table(
        "order_revisions",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("order_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_orders.id"],
            name=op.f("fk_order_revisions_order_id_sales_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_revisions")),
        sa.UniqueConstraint("order_id", "revision", name="order_revision"),
    )
    with op.batch_alter_table("order_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_revisions_order_id"), ["order_id"], unique=False)

    op.create_table(
        "returns",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("order_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("customer_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("credit_note_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("created_by", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_returns_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_returns_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sales_orders.id"], name=op.f("fk_returns_order_id_sales_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        sa.UniqueConstraint("number", name=op.f("uq_returns_number")),
    )
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_returns_order_id"), ["order_id"], unique=False)

    op.create_table(
        "shipments",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("order_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("warehouse_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("carrier", sa.String(length=60), nullable=False),
        sa.Column("service", sa.String(length=60), nullable=False),
        sa.Column("tracking_number", sa.String(length=100), nullable=False),
        sa.Column("supplier_reference", sa.String(length=80), nullable=False),
        sa.Column("packed_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("shipped_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("invoice_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("created_by", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_shipments_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sales_orders.id"], name=op.f("fk_shipments_order_id_sales_orders")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_shipments_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.UniqueConstraint("number", name=op.f("uq_shipments_number")),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipments_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipments_order_id"), ["order_id"], unique=False)

    op.create_table(
        "credit_notes",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("invoice_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("order_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("customer_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("return_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("net_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("unapplied_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_by", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_credit_notes_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_credit_notes_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sales_orders.id"], name=op.f("fk_credit_notes_order_id_sales_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint("number", name=op.f("uq_credit_notes_number")),
    )
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_notes_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_credit_notes_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_credit_notes_order_id"), ["order_id"], unique=False)

    op.create_table(
        "invoice_lines",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("invoice_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("order_line_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("shipment_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("net_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_lines_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["sales_order_lines.id"],
            name=op.f("fk_invoice_lines_order_line_id_sales_order_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
    )
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_lines_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_invoice_lines_order_line_id"), ["order_line_id"], unique=False
        )

    op.create_table(
        "payment_allocations",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("payment_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("invoice_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_payment_allocations_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_allocations_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_allocations")),
    )
    with op.batch_alter_table("payment_allocations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_allocations_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_allocations_payment_id"), ["payment_id"], unique=False
        )

    op.create_table(
        "return_lines",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("return_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("order_line_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("product_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("quantity_received", sa.Integer(), nullable=False),
        sa.Column("disposition", sa.String(length=10), nullable=False),
        sa.Column("warehouse_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["sales_order_lines.id"],
            name=op.f("fk_return_lines_order_line_id_sales_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_return_lines_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["returns.id"],
            name=op.f("fk_return_lines_return_id_returns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_lines")),
    )
    with op.batch_alter_table("return_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_return_lines_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_return_lines_return_id"), ["return_id"], unique=False)

    op.create_table(
        "shipment_lines",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("shipment_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("order_line_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("product_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["sales_order_lines.id"],
            name=op.f("fk_shipment_lines_order_line_id_sales_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_shipment_lines_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_shipment_lines_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_lines")),
    )
    with op.batch_alter_table("shipment_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipment_lines_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_shipment_lines_shipment_id"), ["shipment_id"], unique=False
        )

    op.create_table(
        "credit_note_lines",
        sa.Column("id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("credit_note_id", server.db.types.UUIDString(length=36), nullable=False),
        sa.Column("order_line_id", server.db.types.UUIDString(length=36), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("net_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["credit_notes.id"],
            name=op.f("fk_credit_note_lines_credit_note_id_credit_notes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_note_lines")),
    )
    with op.batch_alter_table("credit_note_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_note_lines_credit_note_id"), ["credit_note_id"], unique=False
        )

    with op.batch_alter_table("sales_order_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("quantity_delivered", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("quantity_invoiced", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("quantity_returned", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("quantity_released", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("blanket_line_id", server.db.types.UUIDString(length=36), nullable=True)
        )
        batch_op.add_column(sa.Column("expected_on", sa.Date(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_sales_order_lines_blanket_line_id"), ["blanket_line_id"], unique=False
        )

    with op.batch_alter_table("sales_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("scheduled_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("supplier_reference", sa.String(length=80), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("blanket_order_id", server.db.types.UUIDString(length=36), nullable=True)
        )
        batch_op.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("valid_to", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("invoiced_cents", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("paid_cents", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("credited_cents", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("closed_at", server.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_sales_orders_blanket_order_id"), ["blanket_order_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_sales_orders_blanket_order_id_sales_orders"),
            "sales_orders",
            ["blanket_order_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("sales_orders", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_sales_orders_blanket_order_id_sales_orders"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_sales_orders_blanket_order_id"))
        batch_op.drop_column("closed_at")
        batch_op.drop_column("credited_cents")
        batch_op.drop_column("paid_cents")
        batch_op.drop_column("invoiced_cents")
        batch_op.drop_column("valid_to")
        batch_op.drop_column("valid_from")
        batch_op.drop_column("blanket_order_id")
        batch_op.drop_column("supplier_reference")
        batch_op.drop_column("scheduled_date")
        batch_op.drop_column("revision")

    with op.batch_alter_table("sales_order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_order_lines_blanket_line_id"))
        batch_op.drop_column("expected_on")
        batch_op.drop_column("blanket_line_id")
        batch_op.drop_column("quantity_released")
        batch_op.drop_column("quantity_returned")
        batch_op.drop_column("quantity_invoiced")
        batch_op.drop_column("quantity_delivered")

    with op.batch_alter_table("credit_note_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_note_lines_credit_note_id"))

    op.drop_table("credit_note_lines")
    with op.batch_alter_table("shipment_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_lines_shipment_id"))
        batch_op.drop_index(batch_op.f("ix_shipment_lines_order_line_id"))

    op.drop_table("shipment_lines")
    with op.batch_alter_table("return_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_lines_return_id"))
        batch_op.drop_index(batch_op.f("ix_return_lines_order_line_id"))

    op.drop_table("return_lines")
    with op.batch_alter_table("payment_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_allocations_payment_id"))
        batch_op.drop_index(batch_op.f("ix_payment_allocations_invoice_id"))

    op.drop_table("payment_allocations")
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_lines_order_line_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_lines_invoice_id"))

    op.drop_table("invoice_lines")
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_notes_order_id"))
        batch_op.drop_index(batch_op.f("ix_credit_notes_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_credit_notes_customer_id"))

    op.drop_table("credit_notes")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_order_id"))
        batch_op.drop_index(batch_op.f("ix_shipments_invoice_id"))

    op.drop_table("shipments")
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_returns_order_id"))

    op.drop_table("returns")
    with op.batch_alter_table("order_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_revisions_order_id"))

    op.drop_table("order_revisions")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_status_due")
        batch_op.drop_index(batch_op.f("ix_invoices_order_id"))
        batch_op.drop_index("ix_invoices_customer_status")

    op.drop_table("invoices")
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_movements_product_time")

    op.drop_table("stock_movements")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_customer_id"))

    op.drop_table("payments")
    with op.batch_alter_table("expected_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expected_receipts_product_id"))

    op.drop_table("expected_receipts")
