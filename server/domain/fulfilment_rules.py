"""Rules of service and drop-ship orders and of the warehouse's work queues.

A service order is work done on an agreed date, so it needs one and it cannot lie in the
past; its completion is recorded once. A pick list serves rush orders first, then higher
priority, then the oldest order, the same rank backorders are served in.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from server.domain.errors import Conflict, ValidationFailed
from server.domain.orders import OrderType

__all__ = [
    "SHIPMENT_STATES",
    "QueueState",
    "check_schedule",
    "check_service_completion",
    "pick_rank",
]


class QueueState(StrEnum):
    """The back office's fulfilment queue: what is waiting for whom."""

    READY_TO_PICK = "ready_to_pick"  # goods reserved in a warehouse, nothing packed yet
    PARTIALLY_SHIPPED = "partially_shipped"  # some goods packed or gone, some still open
    BACKORDERED = "backordered"  # lines waiting for stock, with the date it is expected
    PACKED = "packed"  # shipments packed, waiting for the carrier
    IN_TRANSIT = "in_transit"  # shipments on their way, waiting for delivery
    AWAITING_SUPPLIER = "awaiting_supplier"  # drop-ship orders the supplier still ships


# Queue states listed by shipment (one row per shipment) rather than by order.
SHIPMENT_STATES: frozenset[QueueState] = frozenset({QueueState.PACKED, QueueState.IN_TRANSIT})


def check_schedule(order_type: str, scheduled_date: date | None, today: date) -> None:
    """A service order needs its agreed date, and the date cannot lie in the past."""
    if order_type == OrderType.SERVICE and scheduled_date is None:
        raise ValidationFailed(
            "a service order needs the date the work is scheduled for",
            code="scheduled_date_required",
        )
    if scheduled_date is not None and scheduled_date < today:
        raise ValidationFailed(
            f"the scheduled date {scheduled_date.isoformat()} is in the past",
            code="scheduled_date_in_past",
            details={"scheduled_date": scheduled_date.isoformat()},
        )


def check_service_completion(
    *, order_type: str, already_completed: bool, completed_on: date, today: date
) -> None:
    """Only a service order completes as service work, once, on a day that has come."""
    if order_type != OrderType.SERVICE:
        raise Conflict(
            "only a service order is completed as service work; ship goods instead",
            code="not_a_service_order",
        )
    if already_completed:
        raise Conflict("the service work is already recorded", code="service_already_completed")
    if completed_on > today:
        raise ValidationFailed("a completion date cannot be in the future", code="date_in_future")


def pick_rank(order_type: str, priority: int, placed_at: datetime) -> tuple[int, int, datetime]:
    """Sort key of a pick line's order: rush first, then higher priority, then the oldest."""
    return (0 if order_type == OrderType.RUSH else 1, -priority, placed_at)
