"""Quotes, sales orders, their lines, stock reservations and idempotency records.

Money columns are integer cents. Each document keeps the prices, list versions and the
territory/rep/manager snapshot it was accepted with, so later changes never rewrite it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base
from server.db.types import UTCDateTime, UUIDString, new_id, utcnow

__all__ = [
    "IdempotencyRecord",
    "Quote",
    "QuoteLine",
    "QuoteRevision",
    "SalesOrder",
    "SalesOrderLine",
    "StockReservation",
]


class _Totals:
    subtotal_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    net_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_tax_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    total_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    order_discount_percent: Mapped[Any] = mapped_column(Numeric(5, 2), default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")


class _PricedLine:
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    sku: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)
    discount_percent: Mapped[Any] = mapped_column(Numeric(5, 2), default=0)
    gross_cents: Mapped[int] = mapped_column(BigInteger)
    discount_cents: Mapped[int] = mapped_column(BigInteger)
    net_cents: Mapped[int] = mapped_column(BigInteger)
    tax_rate: Mapped[Any] = mapped_column(Numeric(7, 5), default=0)
    tax_cents: Mapped[int] = mapped_column(BigInteger)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    price_list_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    price_list_version: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Quote(_Totals, Base):
    __tablename__ = "quotes"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    valid_until: Mapped[date] = mapped_column(Date)
    territory_id: Mapped[str] = mapped_column(ForeignKey("territories.id"), index=True)
    rep_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    converted_order_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuoteLine(_PricedLine, Base):
    __tablename__ = "quote_lines"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    quote_id: Mapped[str] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)


class QuoteRevision(Base):
    """A frozen copy of a quote revision as it was sent: earlier versions stay readable."""

    __tablename__ = "quote_revisions"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    quote_id: Mapped[str] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("quote_id", "revision", name="quote_revision"),)


class SalesOrder(_Totals, Base):
    __tablename__ = "sales_orders"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    quote_id: Mapped[str | None] = mapped_column(ForeignKey("quotes.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    fulfilment_status: Mapped[str] = mapped_column(String(20), default="unallocated")
    billing_status: Mapped[str] = mapped_column(String(20), default="not_invoiced")
    order_type: Mapped[str] = mapped_column(String(20), default="standard")
    channel: Mapped[str] = mapped_column(String(10), default="web")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    ship_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    po_number: Mapped[str] = mapped_column(String(60), default="")
    requested_delivery_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    shipping_method: Mapped[str] = mapped_column(String(40), default="standard")
    payment_terms: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str] = mapped_column(Text, default="")
    bill_to: Mapped[dict[str, Any]] = mapped_column(JSON)
    ship_to: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Snapshot taken when the order is placed; realignment never rewrites it.
    territory_id: Mapped[str] = mapped_column(ForeignKey("territories.id"), index=True)
    territory_name: Mapped[str] = mapped_column(String(120))
    rep_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    manager_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    discount_percent: Mapped[Any] = mapped_column(Numeric(6, 2), default=0)
    approval_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    client_total_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    decided_by: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Amendments: the current revision (1 as placed); each later one is in order_revisions.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # A service order's agreed date; its completion is recorded as a service shipment.
    scheduled_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # A drop-ship order's reference at the supplier who ships it.
    supplier_reference: Mapped[str] = mapped_column(String(80), default="")
    # A call-off's blanket order; a blanket order's agreed period.
    blanket_order_id: Mapped[str | None] = mapped_column(
        ForeignKey("sales_orders.id"), nullable=True, index=True
    )
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Billing totals kept with the order (changed under its lock): the billing sub-state
    # and the credit check read them without summing invoices.
    invoiced_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    credited_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SalesOrderLine(_PricedLine, Base):
    __tablename__ = "sales_order_lines"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(
        ForeignKey("sales_orders.id", ondelete="CASCADE"), index=True
    )
    quantity_allocated: Mapped[int] = mapped_column(Integer, default=0)
    quantity_backordered: Mapped[int] = mapped_column(Integer, default=0)
    quantity_shipped: Mapped[int] = mapped_column(Integer, default=0)
    quantity_delivered: Mapped[int] = mapped_column(Integer, default=0)
    quantity_invoiced: Mapped[int] = mapped_column(Integer, default=0)
    quantity_returned: Mapped[int] = mapped_column(Integer, default=0)
    # A blanket order line: how much call-offs have taken of the agreed quantity.
    quantity_released: Mapped[int] = mapped_column(Integer, default=0)
    # A call-off line: the blanket line it draws on.
    blanket_line_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True, index=True)
    # A backordered line: when the back office expects the goods.
    expected_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class StockReservation(Base):
    __tablename__ = "stock_reservations"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    line_id: Mapped[str] = mapped_column(ForeignKey("sales_order_lines.id"), index=True)
    warehouse_id: Mapped[str] = mapped_column(ForeignKey("warehouses.id"))
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IdempotencyRecord(Base):
    """The first response to an `Idempotency-Key`, replayed for retries of the same request."""

    __tablename__ = "idempotency_records"

    user_id: Mapped[str] = mapped_column(UUIDString, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), default="in_progress")  # in_progress | done
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
