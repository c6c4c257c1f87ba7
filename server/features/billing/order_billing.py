"""What a change of an order's money does to the order: its billing sub-state, closing a
delivered and paid order, the audit events saying so and the change-feed touches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.db.unit_of_work import AuditRecord, WriteUnit
from server.domain.billing import billing_status
from server.domain.lifecycle import lifecycle_actions, order_status_for
from server.domain.orders import BillingStatus, FulfilmentStatus, OrderStatus, next_order_status
from server.features.billing.store import BillingStore, CustomerRef
from server.features.commission.crediting import credit_orders
from server.features.sales.changes import order_changes
from server.features.sales.events import order_event
from server.features.sales.order_store import OrderRow

__all__ = ["save_orders", "settle_order"]


def settle_order(
    order: OrderRow,
    *,
    actor_id: str | None,
    action: str,
    now: datetime,
    data: dict[str, Any],
) -> list[AuditRecord]:
    """Recompute the order's billing sub-state after its money changed (the caller has
    already added to invoiced, paid or credited cents); close it when it is delivered and
    paid (the order lifecycle's rule). Returns the events: `action` (billing from -> to)
    and, if it closed, `close`."""
    before = order.billing_status
    order.billing_status = billing_status(
        total_cents=order.total_cents,
        invoiced_cents=order.invoiced_cents,
        paid_cents=order.paid_cents,
        credited_cents=order.credited_cents,
    ).value
    order.version += 1
    order.updated_at = now
    events = [
        order_event(
            order=order,
            actor_id=actor_id,
            action=action,
            from_state=before,
            to_state=order.billing_status,
            data=data,
        )
    ]
    # Money never moves goods: only the step from completed to closed can follow here.
    current = OrderStatus(order.status)
    target = order_status_for(
        current, FulfilmentStatus(order.fulfilment_status), BillingStatus(order.billing_status)
    )
    for step in lifecycle_actions(current, target):
        following = next_order_status(current, step)
        events.append(
            order_event(
                order=order,
                actor_id=actor_id,
                action=step,
                from_state=current.value,
                to_state=following.value,
            )
        )
        current = following
    if current.value != order.status:
        order.status = current.value
        if current == OrderStatus.CLOSED:
            order.closed_at = now
    return events


async def save_orders(
    uow: WriteUnit, orders: list[OrderRow], events: list[AuditRecord], *, reason: str
) -> None:
    """The orders' billing columns, their events, their commission (what `reason` changed
    of it: invoiced, paid, credited) and a change-feed touch for each (its customer's
    exposure changed with it)."""
    store = uow.scoped(BillingStore)
    await store.save_order_billing(orders)
    await uow.audit.record(*events)
    await credit_orders(uow, [o.id for o in orders], reason=reason)
    customers: dict[str, CustomerRef] = await store.customers(o.customer_id for o in orders)
    for order in orders:
        uow.feed.touch_all(order_changes(order, customers.get(order.customer_id)))
