"""Invoices, payments and their allocations, credit notes, returns and order revisions.

Money is integer cents. An invoice belongs to one order and bills shipped quantities at
the order's own prices and tax, never re-priced. A payment belongs to a customer and is
allocated to invoices; what no invoice takes stays on it as the customer's credit, as does
what a credit note could not apply to its invoice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base
from server.db.types import UTCDateTime, UUIDString, new_id, utcnow

__all__ = [
    "CreditNote",
    "CreditNoteLine",
    "Invoice",
    "InvoiceLine",
    "OrderRevision",
    "Payment",
    "PaymentAllocation",
    "ReturnAuthorization",
    "ReturnLine",
]


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | paid
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    net_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # lines after discounts
    shipping_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # lines' and shipping's
    total_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    credited_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_invoices_customer_status", "customer_id", "status"),
        Index("ix_invoices_status_due", "status", "due_on"),
    )


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    invoice_id: Mapped[str] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    line_no: Mapped[int] = mapped_column(Integer)
    # None for the shipping charge.
    order_line_id: Mapped[str | None] = mapped_column(
        ForeignKey("sales_order_lines.id"), nullable=True, index=True
    )
    shipment_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    sku: Mapped[str] = mapped_column(String(40), default="")
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)
    net_cents: Mapped[int] = mapped_column(BigInteger)
    tax_cents: Mapped[int] = mapped_column(BigInteger)
    total_cents: Mapped[int] = mapped_column(BigInteger)


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    # What no invoice has taken yet: the customer's credit from this payment.
    unallocated_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    method: Mapped[str] = mapped_column(String(20))  # bank_transfer | card | cheque | cash | other
    reference: Mapped[str] = mapped_column(String(100), default="")
    received_on: Mapped[date] = mapped_column(Date, index=True)
    created_by: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaymentAllocation(Base):
    __tablename__ = "payment_allocations"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditNote(Base):
    __tablename__ = "credit_notes"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # return | price_correction
    return_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    issued_on: Mapped[date] = mapped_column(Date, index=True)
    net_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    total_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    # What the invoice's open balance could not take: the customer's credit.
    unapplied_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditNoteLine(Base):
    __tablename__ = "credit_note_lines"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    credit_note_id: Mapped[str] = mapped_column(
        ForeignKey("credit_notes.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    net_cents: Mapped[int] = mapped_column(BigInteger)
    tax_cents: Mapped[int] = mapped_column(BigInteger)
    total_cents: Mapped[int] = mapped_column(BigInteger)


class ReturnAuthorization(Base):
    """A return (RMA) against shipped lines: authorised, then received (or cancelled)."""

    __tablename__ = "returns"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(20), default="authorized")
    reason: Mapped[str] = mapped_column(Text)
    credit_note_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ReturnLine(Base):
    __tablename__ = "return_lines"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    return_id: Mapped[str] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[str] = mapped_column(ForeignKey("sales_order_lines.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    quantity_received: Mapped[int] = mapped_column(Integer, default=0)
    disposition: Mapped[str] = mapped_column(String(10), default="restock")  # restock | scrap
    warehouse_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True)


class OrderRevision(Base):
    """One amendment of an order: what changed, line by line, and the totals around it."""

    __tablename__ = "order_revisions"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(
        ForeignKey("sales_orders.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("order_id", "revision", name="order_revision"),)
