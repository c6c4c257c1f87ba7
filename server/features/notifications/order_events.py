"""Which events an order's decisions emit: placing it, and a manager's decision on it."""

from __future__ import annotations

from typing import Any

from server.db.unit_of_work import Event
from server.domain.allocation import AllocationPlan
from server.domain.orders import OrderStatus
from server.features.notifications.events import order_message

__all__ = ["decided_events", "placed_events"]

# The statuses that wait for somebody's decision before the order goes on.
_WAITING = (OrderStatus.PENDING_APPROVAL.value, OrderStatus.CREDIT_HOLD.value)


def placed_events(order: Any, plan: AllocationPlan | None) -> list[Event]:
    """A placed order is confirmed or waits for approval; confirmed, it may be backordered."""
    if order.status in _WAITING:
        return [order_message("order.needs_approval", order=order)]
    if order.status != OrderStatus.CONFIRMED.value:
        return []
    return [order_message("order.confirmed", order=order), *_backordered(order, plan)]


def decided_events(order: Any, action: str, plan: AllocationPlan | None) -> list[Event]:
    """A manager's decision: approved (and so confirmed), rejected, or held for credit."""
    if action == "reject":
        return [order_message("order.rejected", order=order)]
    if order.status in _WAITING:
        return [order_message("order.needs_approval", order=order)]
    if action in ("approve", "release_credit") and order.status == OrderStatus.CONFIRMED.value:
        return [
            order_message("order.approved", order=order),
            order_message("order.confirmed", order=order),
            *_backordered(order, plan),
        ]
    return []


def _backordered(order: Any, plan: AllocationPlan | None) -> list[Event]:
    if plan is None or not plan.backordered:
        return []
    units = sum(b.quantity for b in plan.backordered)
    return [order_message("order.backordered", order=order, backordered_units=units)]
