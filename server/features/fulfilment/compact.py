"""Shipments and returns as the phone pulls them with each order: what the rep tells the
customer.

Compact on purpose: a pull carries every visible order, so a shipment is its number,
status, carrier, tracking and dates, and its lines as `{order line id: units}`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import CreditNote, ReturnAuthorization, ReturnLine, Shipment, ShipmentLine
from server.domain.carriers import tracking_url

__all__ = ["returns_by_order", "shipments_by_order"]


async def shipments_by_order(
    session: AsyncSession, order_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """The shipments of these orders, oldest first, keyed by order id (two queries)."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not order_ids:
        return out
    rows = (
        await session.execute(
            select(
                Shipment.id,
                Shipment.order_id,
                Shipment.number,
                Shipment.status,
                Shipment.carrier,
                Shipment.tracking_number,
                Shipment.shipped_at,
                Shipment.delivered_on,
            )
            .where(Shipment.order_id.in_(list(order_ids)))
            .order_by(Shipment.order_id, Shipment.packed_at, Shipment.number)
        )
    ).all()
    if not rows:
        return out
    units: dict[str, dict[str, int]] = defaultdict(dict)
    for line in await session.execute(
        select(ShipmentLine.shipment_id, ShipmentLine.order_line_id, ShipmentLine.quantity).where(
            ShipmentLine.shipment_id.in_([r.id for r in rows])
        )
    ):
        held = units[line.shipment_id]
        held[line.order_line_id] = held.get(line.order_line_id, 0) + line.quantity
    for r in rows:
        out[r.order_id].append(
            {
                "number": r.number,
                "status": r.status,
                "carrier": r.carrier,
                "tracking_number": r.tracking_number,
                "tracking_url": tracking_url(r.carrier, r.tracking_number),
                "shipped_at": r.shipped_at.isoformat() if r.shipped_at else None,
                "delivered_on": r.delivered_on.isoformat() if r.delivered_on else None,
                "lines": units[r.id],
            }
        )
    return out


async def returns_by_order(
    session: AsyncSession, order_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """The returns of these orders, oldest first, keyed by order id (two queries): number,
    status, reason, when received, the credit note that followed, `{order line id: units}`."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not order_ids:
        return out
    rows = (
        await session.execute(
            select(
                ReturnAuthorization.id,
                ReturnAuthorization.order_id,
                ReturnAuthorization.number,
                ReturnAuthorization.status,
                ReturnAuthorization.reason,
                ReturnAuthorization.received_at,
                CreditNote.number.label("credit_note_number"),
            )
            .outerjoin(CreditNote, CreditNote.id == ReturnAuthorization.credit_note_id)
            .where(ReturnAuthorization.order_id.in_(list(order_ids)))
            .order_by(ReturnAuthorization.order_id, ReturnAuthorization.created_at)
        )
    ).all()
    if not rows:
        return out
    units: dict[str, dict[str, int]] = defaultdict(dict)
    for line in await session.execute(
        select(ReturnLine.return_id, ReturnLine.order_line_id, ReturnLine.quantity).where(
            ReturnLine.return_id.in_([r.id for r in rows])
        )
    ):
        held = units[line.return_id]
        held[line.order_line_id] = held.get(line.order_line_id, 0) + line.quantity
    for r in rows:
        out[r.order_id].append(
            {
                "number": r.number,
                "status": r.status,
                "reason": r.reason,
                "received_at": r.received_at.isoformat() if r.received_at else None,
                "credit_note_number": r.credit_note_number,
                "lines": units[r.id],
            }
        )
    return out
