"""Pick lists: per warehouse, the reserved units of confirmed orders not yet packed.

An open reservation is exactly what is still on the shelf for an order: packing shrinks it
by what was packed and closes it when nothing is left (shipment_store.py), and cancelling
releases it. So the pick list is the open reservations of orders that may ship.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, SalesOrder, SalesOrderLine, StockReservation, Warehouse
from server.domain.errors import NotFound
from server.domain.fulfilment_rules import pick_rank
from server.domain.lifecycle import FULFILLABLE_STATUSES
from server.features.fulfilment.schemas import PickLineOut, PickListOut

__all__ = ["pick_lists", "reserved_by_warehouse"]

_FULFILLABLE = sorted(s.value for s in FULFILLABLE_STATUSES)


async def pick_lists(session: AsyncSession, warehouse_id: str | None) -> list[PickListOut]:
    """The pick list of one warehouse (even when empty), or of every warehouse that has
    something to pick, by warehouse code."""
    warehouses = select(Warehouse.id, Warehouse.code, Warehouse.name).order_by(Warehouse.code)
    if warehouse_id is not None:
        warehouses = warehouses.where(Warehouse.id == warehouse_id)
    found = (await session.execute(warehouses)).all()
    if warehouse_id is not None and not found:
        raise NotFound("No such warehouse.", code="warehouse_not_found")
    query = (
        select(
            StockReservation.warehouse_id,
            StockReservation.line_id,
            StockReservation.quantity,
            SalesOrder.id.label("order_id"),
            SalesOrder.number,
            SalesOrder.order_type,
            SalesOrder.priority,
            SalesOrder.placed_at,
            SalesOrder.requested_delivery_date,
            Customer.legal_name,
            SalesOrderLine.line_no,
            SalesOrderLine.sku,
            SalesOrderLine.name,
        )
        .join(SalesOrder, SalesOrder.id == StockReservation.order_id)
        .join(SalesOrderLine, SalesOrderLine.id == StockReservation.line_id)
        .join(Customer, Customer.id == SalesOrder.customer_id)
        .where(
            StockReservation.released_at.is_(None),
            StockReservation.quantity > 0,
            SalesOrder.status.in_(_FULFILLABLE),
        )
    )
    if warehouse_id is not None:
        query = query.where(StockReservation.warehouse_id == warehouse_id)
    # One pick line per order line and warehouse, however many reservations made it up.
    grouped: dict[tuple[str, str], tuple[Any, int]] = {}
    for row in await session.execute(query):
        key = (row.warehouse_id, row.line_id)
        first, units = grouped.get(key, (row, 0))
        grouped[key] = (first, units + row.quantity)
    by_warehouse: dict[str, list[tuple[Any, int]]] = {}
    for (wid, _), entry in grouped.items():
        by_warehouse.setdefault(wid, []).append(entry)
    lists = []
    for w in found:
        entries = sorted(
            by_warehouse.get(w.id, []),
            key=lambda e: (
                pick_rank(e[0].order_type, e[0].priority, e[0].placed_at),
                e[0].number,
                e[0].line_no,
            ),
        )
        if not entries and warehouse_id is None:
            continue
        lines = [_pick_line(row, units) for row, units in entries]
        lists.append(PickListOut(w.id, w.code, w.name, sum(x.quantity for x in lines), lines))
    return lists


def _pick_line(row: Any, units: int) -> PickLineOut:
    return PickLineOut(
        order_id=row.order_id,
        order_number=row.number,
        customer_name=row.legal_name,
        order_type=row.order_type,
        priority=row.priority,
        placed_at=row.placed_at.isoformat(),
        requested_delivery_date=(
            row.requested_delivery_date.isoformat() if row.requested_delivery_date else None
        ),
        line_id=row.line_id,
        sku=row.sku,
        name=row.name,
        quantity=units,
    )


async def reserved_by_warehouse(session: AsyncSession, order_id: str) -> dict[str, dict[str, int]]:
    """The order's open reservations: warehouse id -> order line id -> units."""
    out: dict[str, dict[str, int]] = {}
    rows = await session.execute(
        select(
            StockReservation.warehouse_id, StockReservation.line_id, StockReservation.quantity
        ).where(StockReservation.order_id == order_id, StockReservation.released_at.is_(None))
    )
    for row in rows:
        held = out.setdefault(row.warehouse_id, {})
        held[row.line_id] = held.get(row.line_id, 0) + row.quantity
    return out
