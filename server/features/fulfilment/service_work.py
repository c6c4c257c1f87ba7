"""Completing a service order: the work done is recorded as a delivered service shipment.

The shipment holds every open unit of the order, has no warehouse and no carrier, and is
delivered on the day the work was done, so the order completes and is invoiced exactly
like goods that were delivered.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import select

from server.db.models import Shipment
from server.db.types import new_id, utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.actor import CurrentUser
from server.domain.fulfilment_rules import check_service_completion
from server.domain.lifecycle import ShipRequest, check_shipment
from server.domain.orders import OrderStatus, OrderType
from server.features.fulfilment.schemas import CompleteServiceIn
from server.features.fulfilment.shipment_store import ShipmentStore
from server.features.fulfilment.shipments import locked_order
from server.features.sales.events import order_event
from server.features.sales.lifecycle_service import advance_order, progress_of
from server.features.sales.order_store import OrderStore
from server.features.shared.numbers import next_number

__all__ = ["complete_service"]


async def complete_service(
    uow: WriteUnit, user: CurrentUser, order_id: str, data: CompleteServiceIn
) -> str:
    """Record the service work of the order as done; returns the service shipment's id."""
    number = await next_number(uow, "SH")
    order = await locked_order(uow, user, order_id)
    today = date.today()
    completed_on = data.completed_on or today
    done_before = await uow.session.scalar(
        select(Shipment.id).where(Shipment.order_id == order.id, Shipment.kind == "service")
    )
    check_service_completion(
        order_type=order.order_type,
        already_completed=done_before is not None,
        completed_on=completed_on,
        today=today,
    )
    store = uow.scoped(OrderStore)
    shipments = uow.scoped(ShipmentStore)
    lines = await store.lines(order.id)
    packed = await shipments.packed_by_line(order.id)
    progress = progress_of(lines, packed)
    requested = [ShipRequest(p.line_id, p.open) for p in progress if p.open > 0]
    check_shipment(
        status=OrderStatus(order.status),
        order_type=OrderType(order.order_type),
        ship_complete=order.ship_complete,
        lines=progress,
        requested=requested,
        reserved_here={},
    )
    now = utcnow()
    # The work happened on its day; the moment it is recorded is kept apart in created_at.
    done_at = min(now, datetime.combine(completed_on, time(12), tzinfo=UTC))
    shipment_id = new_id()
    by_id = {x.id: x for x in lines}
    await shipments.insert(
        {
            "id": shipment_id,
            "number": number,
            "order_id": order.id,
            "warehouse_id": None,
            "kind": "service",
            "status": "delivered",
            "carrier": "",
            "service": "",
            "tracking_number": "",
            "supplier_reference": "",
            "packed_at": done_at,
            "shipped_at": done_at,
            "delivered_on": completed_on,
            "invoice_id": None,
            "created_by": user.id,
            "created_at": now,
            "updated_at": now,
        },
        [
            {
                "id": new_id(),
                "shipment_id": shipment_id,
                "order_line_id": item.line_id,
                "product_id": by_id[item.line_id].product_id,
                "quantity": item.quantity,
            }
            for item in requested
        ],
    )
    for item in requested:
        by_id[item.line_id].quantity_shipped += item.quantity
        by_id[item.line_id].quantity_delivered += item.quantity
    await store.save_progress(lines)
    await uow.audit.record(
        order_event(
            order=order,
            actor_id=user.id,
            action="service_completed",
            from_state=order.fulfilment_status,
            to_state=None,
            reason=data.notes.strip() or None,
            data={
                "shipment": number,
                "completed_on": completed_on.isoformat(),
                "units": sum(x.quantity for x in requested),
            },
        )
    )
    await advance_order(uow, order, lines, packed=packed, actor_id=user.id)
    return shipment_id
