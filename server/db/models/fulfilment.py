"""Shipments and their lines, expected purchase receipts and the stock ledger.

A shipment is what left (or, for a service order, what was done) for one order: from one
warehouse, from a supplier directly (drop-ship) or as completed service work. Invoices are
made from shipped quantities, so a shipment is also the unit a per-shipment invoice covers.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base
from server.db.types import UTCDateTime, UUIDString, new_id, utcnow

__all__ = ["ExpectedReceipt", "Shipment", "ShipmentLine", "StockMovement"]


class Shipment(Base):
    __tablename__ = "shipments"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    # None for a drop-ship (the supplier's stock) or service work.
    warehouse_id: Mapped[str | None] = mapped_column(ForeignKey("warehouses.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20), default="stock")  # stock | drop_ship | service
    status: Mapped[str] = mapped_column(String(20), default="packed")  # packed|shipped|delivered
    carrier: Mapped[str] = mapped_column(String(60), default="")
    service: Mapped[str] = mapped_column(String(60), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    supplier_reference: Mapped[str] = mapped_column(String(80), default="")
    packed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    delivered_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The invoice that billed this shipment, once one has.
    invoice_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True, index=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ShipmentLine(Base):
    __tablename__ = "shipment_lines"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    shipment_id: Mapped[str] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[str] = mapped_column(ForeignKey("sales_order_lines.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)


class ExpectedReceipt(Base):
    """Goods the back office expects from a purchase: the date backordered lines show."""

    __tablename__ = "expected_receipts"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    warehouse_id: Mapped[str] = mapped_column(ForeignKey("warehouses.id"))
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    expected_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(80), default="")
    received: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockMovement(Base):
    """One change of a stock row's on-hand quantity, with why: a product's stock history."""

    __tablename__ = "stock_movements"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    warehouse_id: Mapped[str] = mapped_column(ForeignKey("warehouses.id"))
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)  # signed change of on hand
    on_hand_after: Mapped[int] = mapped_column(Integer)
    # receipt | adjustment | shipment | return | scrap
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(200), default="")
    order_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    document_number: Mapped[str] = mapped_column(String(20), default="")
    actor_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_stock_movements_product_time", "product_id", "created_at"),)
