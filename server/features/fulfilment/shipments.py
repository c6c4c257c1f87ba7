"""Packing, dispatching and delivering shipments of an order.

Lock order (PostgreSQL): the shipment counter, then the order row, then its stock rows in
key order, then the change counter at commit; the same order every other writer of
orders and stock takes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from server.db.models import Shipment, Warehouse
from server.db.types import new_id, utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.actor import CurrentUser
from server.domain.errors import Conflict, NotFound, ValidationFailed
from server.domain.lifecycle import ShipRequest, check_shipment
from server.domain.orders import OrderStatus, OrderType
from server.features.fulfilment.schemas import (
    DeliverIn,
    DispatchIn,
    ShipmentIn,
)
from server.features.fulfilment.shipment_queries import shipment_out, shipments_of_order
from server.features.fulfilment.shipment_store import ShipmentStore
from server.features.notifications.events import order_message
from server.features.sales.events import order_event
from server.features.sales.lifecycle_service import advance_order, progress_of
from server.features.sales.order_queries import order_filter
from server.features.sales.order_store import OrderLineRow, OrderRow, OrderStore
from server.features.shared.numbers import next_number
from server.features.shared.scope import load_scope

__all__ = [
    "create_shipment",
    "deliver",
    "dispatch",
    "locked_order",
    "shipment_out",
    "shipments_of_order",
]

_OWN_STOCK = (OrderType.STANDARD.value, OrderType.RUSH.value)
_KIND = {OrderType.DROP_SHIP.value: "drop_ship", OrderType.SERVICE.value: "service"}


async def locked_order(uow: WriteUnit, user: CurrentUser, order_id: str) -> OrderRow:
    scope = await load_scope(uow.session, user)
    order = await uow.scoped(OrderStore).load_for_update(order_id, order_filter(scope))
    if order is None:
        raise NotFound("No such order.", code="order_not_found")
    return order


async def create_shipment(
    uow: WriteUnit, user: CurrentUser, order_id: str, data: ShipmentIn
) -> str:
    """Pack goods of the order into a new shipment (and dispatch it unless asked not to).

    From own stock, a shipment takes only what is reserved for the order at its warehouse;
    a drop-ship or service order has no warehouse and ships what is still open. Returns
    the shipment's id.
    """
    number = await next_number(uow, "SH")
    store = uow.scoped(OrderStore)
    shipments = uow.scoped(ShipmentStore)
    order = await locked_order(uow, user, order_id)
    lines = await store.lines(order.id)
    own_stock = order.order_type in _OWN_STOCK
    warehouse_id = data.warehouse_id if own_stock else None
    if own_stock:
        if not data.warehouse_id:
            raise ValidationFailed(
                "say which warehouse the goods leave from", code="warehouse_required"
            )
        if await uow.session.get(Warehouse, data.warehouse_id) is None:
            raise NotFound("No such warehouse.", code="warehouse_not_found")
    reserved = await shipments.reserved_at(order.id, data.warehouse_id) if data.warehouse_id else {}
    packed = await shipments.packed_by_line(order.id)
    progress = progress_of(lines, packed)
    if data.lines is None:
        source = reserved if own_stock else {p.line_id: p.open for p in progress}
        requested = [ShipRequest(line_id, units) for line_id, units in source.items() if units]
    else:
        requested = [ShipRequest(x.line_id, x.quantity) for x in data.lines]
    check_shipment(
        status=OrderStatus(order.status),
        order_type=OrderType(order.order_type),
        ship_complete=order.ship_complete,
        lines=progress,
        requested=requested,
        reserved_here=reserved,
    )
    by_id = {x.id: x for x in lines}
    wanted: dict[str, int] = {}
    for item in requested:
        wanted[item.line_id] = wanted.get(item.line_id, 0) + item.quantity

    if own_stock and warehouse_id is not None:
        await store.lock_stock(by_id[line_id].product_id for line_id in wanted)
        await shipments.take_from_stock(
            order_id=order.id,
            warehouse_id=warehouse_id,
            taken={
                line_id: (by_id[line_id].product_id, units) for line_id, units in wanted.items()
            },
            number=number,
            actor_id=user.id,
        )
        for line_id, units in wanted.items():
            by_id[line_id].quantity_allocated -= units
    now = utcnow()
    kind = _KIND.get(order.order_type, "stock")
    shipment_id = new_id()
    await shipments.insert(
        {
            "id": shipment_id,
            "number": number,
            "order_id": order.id,
            "warehouse_id": warehouse_id,
            "kind": kind,
            "status": "packed",
            "carrier": data.carrier.strip(),
            "service": data.service.strip(),
            "tracking_number": data.tracking_number.strip(),
            "supplier_reference": data.supplier_reference.strip() or order.supplier_reference,
            "packed_at": now,
            "shipped_at": None,
            "delivered_on": None,
            "invoice_id": None,
            "created_by": user.id,
            "created_at": now,
            "updated_at": now,
        },
        [
            {
                "id": new_id(),
                "shipment_id": shipment_id,
                "order_line_id": line_id,
                "product_id": by_id[line_id].product_id,
                "quantity": units,
            }
            for line_id, units in wanted.items()
        ],
    )
    await uow.audit.record(
        order_event(
            order=order,
            actor_id=user.id,
            action="packed",
            from_state=order.fulfilment_status,
            to_state=order.fulfilment_status,
            data={"shipment": number, "units": sum(wanted.values())},
        )
    )
    for line_id, units in wanted.items():
        packed[line_id] = packed.get(line_id, 0) + units
    if data.dispatch:
        await _dispatch(uow, order, lines, packed, shipment_id, number, wanted, user.id, data)
    else:
        await store.save_progress(lines)
        await advance_order(uow, order, lines, packed=packed, actor_id=user.id)
    return shipment_id


async def _dispatch(
    uow: WriteUnit,
    order: OrderRow,
    lines: list[OrderLineRow],
    packed: dict[str, int],
    shipment_id: str,
    number: str,
    units: dict[str, int],
    actor_id: str,
    carrier: ShipmentIn | DispatchIn,
) -> None:
    by_id = {x.id: x for x in lines}
    for line_id, quantity in units.items():
        by_id[line_id].quantity_shipped += quantity
        packed[line_id] = packed.get(line_id, 0) - quantity
    await uow.scoped(ShipmentStore).mark(
        shipment_id,
        status="shipped",
        shipped_at=utcnow(),
        carrier={
            "carrier": carrier.carrier.strip(),
            "service": carrier.service.strip(),
            "tracking_number": carrier.tracking_number.strip(),
        },
    )
    await uow.scoped(OrderStore).save_progress(lines)
    await uow.audit.record(
        order_event(
            order=order,
            actor_id=actor_id,
            action="shipped",
            from_state=order.fulfilment_status,
            to_state=None,
            data={
                "shipment": number,
                "units": sum(units.values()),
                "carrier": carrier.carrier.strip(),
                "tracking_number": carrier.tracking_number.strip(),
            },
        )
    )
    await uow.outbox.emit(
        order_message(
            "order.shipped",
            order=order,
            shipment=number,
            carrier=carrier.carrier.strip(),
            tracking_number=carrier.tracking_number.strip(),
        )
    )
    await advance_order(uow, order, lines, packed=packed, actor_id=actor_id)


async def _locked_shipment(uow: WriteUnit, user: CurrentUser, shipment_id: str) -> Any:
    order_id = await uow.session.scalar(select(Shipment.order_id).where(Shipment.id == shipment_id))
    if order_id is None:
        raise NotFound("No such shipment.", code="shipment_not_found")
    order = await locked_order(uow, user, order_id)
    shipment = await uow.scoped(ShipmentStore).load_for_update(shipment_id)
    return order, shipment


async def dispatch(uow: WriteUnit, user: CurrentUser, shipment_id: str, data: DispatchIn) -> None:
    """A packed shipment leaves, with its carrier and tracking number."""
    order, shipment = await _locked_shipment(uow, user, shipment_id)
    if shipment.status != "packed":
        raise Conflict(f"shipment {shipment.number} has already left", code="shipment_not_packed")
    store = uow.scoped(OrderStore)
    lines = await store.lines(order.id)
    packed = await uow.scoped(ShipmentStore).packed_by_line(order.id)
    units = {
        row.order_line_id: row.quantity
        for row in await uow.scoped(ShipmentStore).lines_of(shipment_id)
    }
    await _dispatch(uow, order, lines, packed, shipment_id, shipment.number, units, user.id, data)


async def deliver(uow: WriteUnit, user: CurrentUser, shipment_id: str, data: DeliverIn) -> None:
    """Delivery of a shipment confirmed on a date; the order completes when all of it is."""
    order, shipment = await _locked_shipment(uow, user, shipment_id)
    if shipment.status != "shipped":
        raise Conflict(
            f"shipment {shipment.number} is {shipment.status}, not on its way",
            code="shipment_not_shipped",
        )
    delivered_on = data.delivered_on or date.today()
    if delivered_on > date.today():
        raise ValidationFailed("a delivery date cannot be in the future", code="date_in_future")
    store = uow.scoped(OrderStore)
    lines = await store.lines(order.id)
    by_id = {x.id: x for x in lines}
    for row in await uow.scoped(ShipmentStore).lines_of(shipment_id):
        by_id[row.order_line_id].quantity_delivered += row.quantity
    await uow.scoped(ShipmentStore).mark(shipment_id, status="delivered", delivered_on=delivered_on)
    await store.save_progress(lines)
    await uow.audit.record(
        order_event(
            order=order,
            actor_id=user.id,
            action="delivered",
            from_state=order.fulfilment_status,
            to_state=None,
            data={"shipment": shipment.number, "delivered_on": delivered_on.isoformat()},
        )
    )
    await uow.outbox.emit(
        order_message(
            "order.delivered",
            order=order,
            shipment=shipment.number,
            delivered_on=delivered_on.isoformat(),
        )
    )
    packed = await uow.scoped(ShipmentStore).packed_by_line(order.id)
    await advance_order(uow, order, lines, packed=packed, actor_id=user.id)
