"""Reading shipments: an order's shipments with their lines, as the API answers them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.db.models import Product, SalesOrder, Shipment, ShipmentLine
from server.db.unit_of_work import ReadUnit, WriteUnit
from server.domain.carriers import tracking_url
from server.features.fulfilment.schemas import ShipmentLineOut, ShipmentOut

__all__ = ["shipment_out", "shipments_of_order"]


async def shipments_of_order(unit: ReadUnit | WriteUnit, order_id: str) -> list[ShipmentOut]:
    """The order's shipments, oldest first, with their lines."""
    session = unit.session
    order_number = await session.scalar(select(SalesOrder.number).where(SalesOrder.id == order_id))
    rows = (
        (
            await session.execute(
                select(Shipment)
                .where(Shipment.order_id == order_id)
                .order_by(Shipment.packed_at, Shipment.number)
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        return []
    line_rows = (
        await session.execute(
            select(ShipmentLine, Product.sku, Product.name)
            .join(Product, Product.id == ShipmentLine.product_id)
            .where(ShipmentLine.shipment_id.in_([s.id for s in rows]))
        )
    ).all()
    lines_of: dict[str, list[ShipmentLineOut]] = {}
    for line, sku, name in line_rows:
        lines_of.setdefault(line.shipment_id, []).append(
            ShipmentLineOut(line.order_line_id, line.product_id, sku, name, line.quantity)
        )
    return [shipment_out(s, order_number or "", lines_of.get(s.id, [])) for s in rows]


def shipment_out(s: Any, order_number: str, lines: list[ShipmentLineOut]) -> ShipmentOut:
    return ShipmentOut(
        id=s.id,
        number=s.number,
        order_id=s.order_id,
        order_number=order_number,
        kind=s.kind,
        status=s.status,
        warehouse_id=s.warehouse_id,
        carrier=s.carrier,
        service=s.service,
        tracking_number=s.tracking_number,
        tracking_url=tracking_url(s.carrier, s.tracking_number),
        supplier_reference=s.supplier_reference,
        packed_at=s.packed_at.isoformat(),
        shipped_at=s.shipped_at.isoformat() if s.shipped_at else None,
        delivered_on=s.delivered_on.isoformat() if s.delivered_on else None,
        invoice_id=s.invoice_id,
        lines=lines,
    )
