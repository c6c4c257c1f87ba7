"""Moving an order on after its goods or its money moved: one place for every path.

Shipping, delivery, invoicing and payment each end by calling `advance_order`, which asks
the pure rules in `server.domain.lifecycle` where the order now stands and records every
step it took (start_fulfilment, complete, close) in the order's timeline.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.db.models import Customer
from server.db.types import utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.lifecycle import (
    LineProgress,
    fulfilment_status,
    lifecycle_actions,
    order_status_for,
)
from server.domain.orders import BillingStatus, OrderStatus, next_order_status
from server.features.sales.changes import order_changes
from server.features.sales.events import order_event
from server.features.sales.order_store import OrderLineRow, OrderRow, OrderStore

__all__ = ["advance_order", "progress_of"]


def progress_of(lines: Sequence[OrderLineRow], packed: dict[str, int]) -> list[LineProgress]:
    return [
        LineProgress(
            line_id=x.id,
            quantity=x.quantity,
            allocated=x.quantity_allocated,
            backordered=x.quantity_backordered,
            packed=packed.get(x.id, 0),
            shipped=x.quantity_shipped,
            delivered=x.quantity_delivered,
        )
        for x in lines
    ]


async def advance_order(
    uow: WriteUnit,
    order: OrderRow,
    lines: Sequence[OrderLineRow],
    *,
    packed: dict[str, int],
    actor_id: str | None,
) -> None:
    """Recompute the order's fulfilment sub-state and status from its lines (locked with
    the order), save them, and record each step in the timeline."""
    before_status = OrderStatus(order.status)
    before_fulfilment = order.fulfilment_status
    fulfilment = fulfilment_status(progress_of(lines, packed))
    status = order_status_for(before_status, fulfilment, BillingStatus(order.billing_status))
    order.fulfilment_status = fulfilment.value
    events = []
    current = before_status
    for action in lifecycle_actions(before_status, status):
        target = next_order_status(current, action)
        events.append(
            order_event(
                order=order,
                actor_id=actor_id,
                action=action,
                from_state=current.value,
                to_state=target.value,
            )
        )
        current = target
    order.status = current.value
    if current == OrderStatus.CLOSED and order.closed_at is None:
        order.closed_at = utcnow()
    if order.status != before_status.value or order.fulfilment_status != before_fulfilment:
        order.version += 1
        order.updated_at = utcnow()
    await uow.scoped(OrderStore).save_status(order)
    await uow.audit.record(*events)
    customer = await uow.session.get(Customer, order.customer_id)
    uow.feed.touch_all(order_changes(order, customer))
