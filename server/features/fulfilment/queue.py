"""The back office's fulfilment queue, paged on the server, one state at a time.

Orders are listed rush first, then by priority, then oldest first (the order goods are
picked in); shipments waiting for the carrier or for delivery oldest first. Drop-ship
orders have a group of their own: they wait for the supplier, not for the warehouse.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, SalesOrder, SalesOrderLine, Shipment, ShipmentLine
from server.db.models.catalog import Product
from server.domain.errors import ValidationFailed
from server.domain.fulfilment_rules import SHIPMENT_STATES, QueueState
from server.domain.lifecycle import FULFILLABLE_STATUSES
from server.domain.orders import FulfilmentStatus, OrderType
from server.features.fulfilment.schemas import (
    QueueItemOut,
    QueueLineOut,
    QueuePageOut,
    ShipmentLineOut,
)
from server.features.fulfilment.shipment_queries import shipment_out

__all__ = ["QUEUE_STATES", "fulfilment_queue", "parse_state", "queue_item"]

QUEUE_STATES = [s.value for s in QueueState]
_FULFILLABLE = sorted(s.value for s in FULFILLABLE_STATUSES)
_OWN_STOCK = (OrderType.STANDARD.value, OrderType.RUSH.value)
_F = FulfilmentStatus
_SHIPMENT_STATUS = {QueueState.PACKED: "packed", QueueState.IN_TRANSIT: "shipped"}


def parse_state(state: str) -> QueueState:
    try:
        return QueueState(state)
    except ValueError:
        raise ValidationFailed(
            f"Unknown queue state '{state}'.",
            code="unknown_queue_state",
            details={"allowed": QUEUE_STATES},
        ) from None


def _order_filter(state: QueueState) -> ColumnElement[bool]:
    open_order = SalesOrder.status.in_(_FULFILLABLE)
    own_stock = SalesOrder.order_type.in_(_OWN_STOCK)
    if state == QueueState.READY_TO_PICK:
        picking = (_F.ALLOCATED.value, _F.PARTIALLY_ALLOCATED.value)
        return and_(open_order, own_stock, SalesOrder.fulfilment_status.in_(picking))
    if state == QueueState.PARTIALLY_SHIPPED:
        return and_(
            open_order,
            SalesOrder.order_type != OrderType.DROP_SHIP.value,
            SalesOrder.fulfilment_status == _F.PARTIALLY_SHIPPED.value,
        )
    if state == QueueState.BACKORDERED:
        waiting = exists().where(
            SalesOrderLine.order_id == SalesOrder.id, SalesOrderLine.quantity_backordered > 0
        )
        return and_(open_order, own_stock, waiting)
    done = (_F.SHIPPED.value, _F.DELIVERED.value)
    return and_(
        open_order,
        SalesOrder.order_type == OrderType.DROP_SHIP.value,
        SalesOrder.fulfilment_status.not_in(done),
    )


def _matching(search: str) -> ColumnElement[bool]:
    """Orders whose number or customer's name contains `search` (all when it is empty)."""
    if not search:
        return true()
    customers = select(Customer.id).where(Customer.legal_name.icontains(search, autoescape=True))
    return or_(
        SalesOrder.number.icontains(search, autoescape=True),
        SalesOrder.customer_id.in_(customers),
    )


def _pick_order() -> list[Any]:
    rush_first = case((SalesOrder.order_type == OrderType.RUSH.value, 0), else_=1)
    return [rush_first, SalesOrder.priority.desc(), SalesOrder.placed_at, SalesOrder.id]


async def _count(session: AsyncSession, state: QueueState, search: str) -> int:
    if state in SHIPMENT_STATES:
        query = (
            select(func.count())
            .select_from(Shipment)
            .join(SalesOrder, SalesOrder.id == Shipment.order_id)
            .where(Shipment.status == _SHIPMENT_STATUS[state], _matching(search))
        )
    else:
        query = (
            select(func.count())
            .select_from(SalesOrder)
            .where(_order_filter(state), _matching(search))
        )
    return int(await session.scalar(query) or 0)


async def fulfilment_queue(
    session: AsyncSession, state: QueueState, *, limit: int, offset: int, search: str = ""
) -> QueuePageOut:
    """One page of the queue in `state`, of the orders matching `search` (an order number
    or a customer's name, in part), with every state's count for the same search."""
    search = search.strip()
    counts = {s.value: await _count(session, s, search) for s in QueueState}
    shipments: list[Any] = []
    if state in SHIPMENT_STATES:
        shipments = list(
            (
                await session.execute(
                    select(Shipment)
                    .join(SalesOrder, SalesOrder.id == Shipment.order_id)
                    .where(Shipment.status == _SHIPMENT_STATUS[state], _matching(search))
                    .order_by(Shipment.packed_at, Shipment.number)
                    .limit(limit)
                    .offset(offset)
                )
            )
            .scalars()
            .all()
        )
        order_ids = list(dict.fromkeys(s.order_id for s in shipments))
        orders = {
            o.id: o
            for o in (await session.execute(select(SalesOrder).where(SalesOrder.id.in_(order_ids))))
            .scalars()
            .all()
        }
        ordered = [orders[s.order_id] for s in shipments]
    else:
        ordered = list(
            (
                await session.execute(
                    select(SalesOrder)
                    .where(_order_filter(state), _matching(search))
                    .order_by(*_pick_order())
                    .limit(limit)
                    .offset(offset)
                )
            )
            .scalars()
            .all()
        )
    items = await _items(session, ordered, shipments)
    return QueuePageOut(state.value, items, counts[state.value], limit, offset, counts)


async def queue_item(
    session: AsyncSession, order_id: str, shipment_id: str | None = None
) -> QueueItemOut | None:
    """One entry of the queue as it stands now: an order, or one of its shipments."""
    order = await session.get(SalesOrder, order_id, populate_existing=True)
    if order is None:
        return None
    shipments = []
    if shipment_id is not None:
        shipment = await session.get(Shipment, shipment_id, populate_existing=True)
        if shipment is None or shipment.order_id != order_id:
            return None
        shipments = [shipment]
    return (await _items(session, [order], shipments))[0]


async def _items(
    session: AsyncSession, ordered: list[Any], shipments: list[Any]
) -> list[QueueItemOut]:
    """Queue entries of these orders (with `shipments[i]` for `ordered[i]` when given)."""
    ids = list(dict.fromkeys(o.id for o in ordered))
    lines = await _queue_lines(session, ids)
    names = await _customer_names(session, {o.customer_id for o in ordered})
    shipment_lines = await _shipment_lines(session, [s.id for s in shipments])
    items = []
    for i, order in enumerate(ordered):
        shipment = None
        if shipments:
            s = shipments[i]
            shipment = shipment_out(s, order.number, shipment_lines.get(s.id, []))
        items.append(_item(order, names.get(order.customer_id, ""), lines[order.id], shipment))
    return items


def _item(order: Any, customer_name: str, lines: list[QueueLineOut], shipment: Any) -> QueueItemOut:
    return QueueItemOut(
        order_id=order.id,
        order_number=order.number,
        customer_id=order.customer_id,
        customer_name=customer_name,
        order_type=order.order_type,
        priority=order.priority,
        status=order.status,
        fulfilment_status=order.fulfilment_status,
        placed_at=order.placed_at.isoformat(),
        requested_delivery_date=(
            order.requested_delivery_date.isoformat() if order.requested_delivery_date else None
        ),
        supplier_reference=order.supplier_reference,
        lines=lines,
        shipment=shipment,
    )


async def _customer_names(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Customer.id, Customer.legal_name).where(Customer.id.in_(sorted(ids)))
    )
    return {r.id: r.legal_name for r in rows}


async def _queue_lines(
    session: AsyncSession, order_ids: list[str]
) -> dict[str, list[QueueLineOut]]:
    out: dict[str, list[QueueLineOut]] = defaultdict(list)
    if not order_ids:
        return out
    packed_rows = await session.execute(
        select(ShipmentLine.order_line_id, func.sum(ShipmentLine.quantity))
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(Shipment.order_id.in_(order_ids), Shipment.status == "packed")
        .group_by(ShipmentLine.order_line_id)
    )
    packed = {line_id: int(units) for line_id, units in packed_rows}
    rows = await session.execute(
        select(SalesOrderLine)
        .where(SalesOrderLine.order_id.in_(order_ids))
        .order_by(SalesOrderLine.order_id, SalesOrderLine.line_no)
    )
    for x in rows.scalars():
        out[x.order_id].append(
            QueueLineOut(
                line_id=x.id,
                line_no=x.line_no,
                product_id=x.product_id,
                sku=x.sku,
                name=x.name,
                quantity=x.quantity,
                allocated=x.quantity_allocated,
                backordered=x.quantity_backordered,
                packed=packed.get(x.id, 0),
                shipped=x.quantity_shipped,
                delivered=x.quantity_delivered,
                expected_on=x.expected_on.isoformat() if x.expected_on else None,
            )
        )
    return out


async def _shipment_lines(
    session: AsyncSession, shipment_ids: list[str]
) -> dict[str, list[ShipmentLineOut]]:
    out: dict[str, list[ShipmentLineOut]] = defaultdict(list)
    if not shipment_ids:
        return out
    rows = await session.execute(
        select(ShipmentLine, Product.sku, Product.name)
        .join(Product, Product.id == ShipmentLine.product_id)
        .where(ShipmentLine.shipment_id.in_(shipment_ids))
    )
    for line, sku, name in rows:
        out[line.shipment_id].append(
            ShipmentLineOut(line.order_line_id, line.product_id, sku, name, line.quantity)
        )
    return out
