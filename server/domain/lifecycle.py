"""Where an order stands after goods move or money arrives: pure functions of quantities.

The fulfilment sub-state and the order status are never set by hand once an order is
confirmed: they follow from what has been allocated, shipped and delivered, and from the
billing sub-state, so the same quantities always tell the same story on every screen.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from server.domain.errors import Conflict, ValidationFailed
from server.domain.orders import BillingStatus, FulfilmentStatus, OrderStatus, OrderType

__all__ = [
    "FULFILLABLE_STATUSES",
    "LineProgress",
    "ShipRequest",
    "check_shipment",
    "fulfilment_status",
    "lifecycle_actions",
    "order_status_for",
]

# Orders whose goods may be packed and shipped.
FULFILLABLE_STATUSES: frozenset[OrderStatus] = frozenset(
    {OrderStatus.CONFIRMED, OrderStatus.IN_FULFILMENT}
)


class LineProgress(msgspec.Struct, frozen=True, kw_only=True):
    """One order line's quantities as fulfilment sees them."""

    line_id: str
    quantity: int
    allocated: int = 0  # reserved in a warehouse, not yet packed
    backordered: int = 0
    packed: int = 0  # in a shipment that has not left yet
    shipped: int = 0  # left (delivered included)
    delivered: int = 0

    @property
    def open(self) -> int:
        """Units neither packed nor shipped yet."""
        return max(self.quantity - self.packed - self.shipped, 0)


def fulfilment_status(lines: Iterable[LineProgress]) -> FulfilmentStatus:
    """The fulfilment sub-state the lines' quantities amount to.

    Shipping outranks allocation: once anything has left, the order is partially shipped
    until everything has, then shipped, then delivered when the carrier confirmed all of it.
    """
    rows = list(lines)
    if rows and all(x.shipped >= x.quantity for x in rows):
        if all(x.delivered >= x.quantity for x in rows):
            return FulfilmentStatus.DELIVERED
        return FulfilmentStatus.SHIPPED
    if any(x.shipped > 0 or x.packed > 0 for x in rows):
        return FulfilmentStatus.PARTIALLY_SHIPPED
    if all(x.backordered == 0 for x in rows):
        if any(x.allocated > 0 for x in rows) or not rows:
            return FulfilmentStatus.ALLOCATED
        return FulfilmentStatus.UNALLOCATED
    if any(x.allocated > 0 for x in rows):
        return FulfilmentStatus.PARTIALLY_ALLOCATED
    return FulfilmentStatus.BACKORDERED


def order_status_for(
    status: OrderStatus, fulfilment: FulfilmentStatus, billing: BillingStatus
) -> OrderStatus:
    """The status an order moves on to once its sub-states changed.

    confirmed -> in_fulfilment when the first goods are packed or leave; -> completed when
    everything is delivered; completed -> closed when it is also paid. Statuses before
    confirmed and cancelled ones never move here: they wait for a person.
    """
    moved_on = {FulfilmentStatus.PARTIALLY_SHIPPED, FulfilmentStatus.SHIPPED}
    current = status
    if current == OrderStatus.CONFIRMED and (
        fulfilment in moved_on or fulfilment == FulfilmentStatus.DELIVERED
    ):
        current = OrderStatus.IN_FULFILMENT
    if current == OrderStatus.IN_FULFILMENT and fulfilment == FulfilmentStatus.DELIVERED:
        current = OrderStatus.COMPLETED
    if current == OrderStatus.COMPLETED and billing == BillingStatus.PAID:
        current = OrderStatus.CLOSED
    return current


def lifecycle_actions(before: OrderStatus, after: OrderStatus) -> list[str]:
    """The named transitions (for the audit trail) that lead from `before` to `after`."""
    path = [
        (OrderStatus.CONFIRMED, OrderStatus.IN_FULFILMENT, "start_fulfilment"),
        (OrderStatus.IN_FULFILMENT, OrderStatus.COMPLETED, "complete"),
        (OrderStatus.COMPLETED, OrderStatus.CLOSED, "close"),
    ]
    actions: list[str] = []
    current = before
    for source, target, action in path:
        if current == after:
            break
        if current == source:
            actions.append(action)
            current = target
    return actions


class ShipRequest(msgspec.Struct, frozen=True):
    line_id: str
    quantity: int


def check_shipment(
    *,
    status: OrderStatus,
    order_type: OrderType,
    ship_complete: bool,
    lines: Iterable[LineProgress],
    requested: Iterable[ShipRequest],
    reserved_here: dict[str, int],
) -> None:
    """Refuse a shipment that the order cannot make, with every reason at once.

    `reserved_here`: per line, the units reserved at the shipping warehouse (for goods
    from own stock); a drop-ship or service order ships what is still open on each line.
    A ship-complete order ships everything still open in one shipment or nothing.
    """
    if status not in FULFILLABLE_STATUSES:
        raise Conflict(
            f"cannot ship an order that is {status.value.replace('_', ' ')}",
            code="order_not_shippable",
            details={"status": status.value},
        )
    if order_type == OrderType.BLANKET:
        raise Conflict(
            "a blanket order ships through its call-offs, not itself",
            code="blanket_not_shippable",
        )
    by_id = {x.line_id: x for x in lines}
    wanted: dict[str, int] = {}
    errors: list[dict[str, object]] = []
    for item in requested:
        if item.line_id not in by_id:
            errors.append({"line_id": item.line_id, "code": "unknown_line"})
            continue
        if item.quantity <= 0:
            errors.append({"line_id": item.line_id, "code": "quantity_not_positive"})
            continue
        wanted[item.line_id] = wanted.get(item.line_id, 0) + item.quantity
    if not wanted and not errors:
        raise ValidationFailed("the shipment holds nothing to ship", code="empty_shipment")
    own_stock = order_type in (OrderType.STANDARD, OrderType.RUSH)
    for line_id, quantity in wanted.items():
        line = by_id[line_id]
        limit = reserved_here.get(line_id, 0) if own_stock else line.open
        if quantity > limit:
            errors.append(
                {
                    "line_id": line_id,
                    "code": "not_allocated" if own_stock else "above_open_quantity",
                    "requested": quantity,
                    "available": limit,
                }
            )
    if errors:
        raise Conflict(
            "; ".join(_describe(e) for e in errors),
            code="cannot_ship",
            details={"lines": errors},
        )
    if ship_complete and any(wanted.get(x.line_id, 0) < x.open for x in by_id.values()):
        raise Conflict(
            "the order ships complete: one shipment must hold everything still open",
            code="ship_complete",
        )


def _describe(error: dict[str, object]) -> str:
    code, line = error["code"], error["line_id"]
    if code == "not_allocated":
        return (
            f"line {line}: {error['requested']} requested but only {error['available']} "
            "reserved at this warehouse"
        )
    if code == "above_open_quantity":
        return f"line {line}: {error['requested']} requested but only {error['available']} open"
    if code == "unknown_line":
        return f"line {line} is not on this order"
    return f"line {line}: the quantity must be positive"
