"""Stock allocation: which warehouse reserves how much of each order line.

A plan never reserves more than a warehouse has available, also when several lines (of
one order or of several backorders) want the same product: availability is consumed as
the plan is built. Whatever cannot be reserved is backordered.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec

from server.domain.errors import ValidationFailed
from server.domain.orders import FulfilmentStatus, OrderType

__all__ = [
    "AllocationLine",
    "AllocationPlan",
    "Backorder",
    "BackorderDemand",
    "Reservation",
    "StockPosition",
    "allocate_backorders",
    "allocate_order",
    "release",
]

# Service work is performed and drop-ship goods come from the supplier: neither draws on
# own stock, so nothing is reserved and nothing is outstanding ("allocated").
_NO_OWN_STOCK = frozenset({OrderType.SERVICE, OrderType.DROP_SHIP})
_ORDER_TYPES = frozenset(OrderType)
_PRIORITY_RANK = {"rush": 0, "normal": 1}

_Key = tuple[str, str]  # (warehouse_id, product_id)


class StockPosition(msgspec.Struct, frozen=True):
    warehouse_id: str
    product_id: str
    on_hand: int
    allocated: int

    @property
    def available(self) -> int:
        # Over-allocation (a stock count correction) must not make availability negative.
        return max(self.on_hand - self.allocated, 0)


class AllocationLine(msgspec.Struct, frozen=True):
    line_id: str
    product_id: str
    quantity: int
    already_allocated: int = 0  # reserved by an earlier run; only the rest is sought


class Reservation(msgspec.Struct, frozen=True):
    line_id: str
    warehouse_id: str
    product_id: str
    quantity: int


class Backorder(msgspec.Struct, frozen=True):
    line_id: str
    product_id: str
    quantity: int


class AllocationPlan(msgspec.Struct, frozen=True):
    reservations: tuple[Reservation, ...]
    backordered: tuple[Backorder, ...]
    fulfilment_status: FulfilmentStatus


class BackorderDemand(msgspec.Struct, frozen=True):
    order_id: str
    line_id: str
    product_id: str
    quantity: int
    priority: str  # "rush" or "normal"
    placed_at: datetime  # server time the order was accepted; client clocks never order


def allocate_order(
    lines: Iterable[AllocationLine],
    stock: Iterable[StockPosition],
    *,
    preferred_warehouse_id: str | None = None,
    ship_complete: bool = False,
    order_type: str = OrderType.STANDARD,
) -> AllocationPlan:
    """Reserve stock for an order's lines, in line order.

    Each line takes from the preferred warehouse first, then from the warehouses with the
    most available (ties by warehouse id), split across several if it must. With
    `ship_complete` the customer wants one shipment, so a plan that falls short of any line
    reserves nothing and backorders everything still needed.
    """
    order_lines = tuple(lines)
    for line in order_lines:
        _check_line(line)
    if order_type not in _ORDER_TYPES:
        raise ValidationFailed(
            f"unknown order type {order_type!r}", details={"order_type": order_type}
        )
    if order_type in _NO_OWN_STOCK:
        return AllocationPlan((), (), FulfilmentStatus.ALLOCATED)

    pool = _Pool(stock)
    reservations: list[Reservation] = []
    backorders: list[Backorder] = []
    for line in order_lines:
        need = line.quantity - line.already_allocated
        if need == 0:
            continue
        taken = pool.take(line.product_id, need, preferred_warehouse_id)
        reservations.extend(
            Reservation(line.line_id, warehouse_id, line.product_id, quantity)
            for warehouse_id, quantity in taken
        )
        short = need - sum(quantity for _, quantity in taken)
        if short:
            backorders.append(Backorder(line.line_id, line.product_id, short))

    if ship_complete and backorders:
        reservations = []
        backorders = [
            Backorder(line.line_id, line.product_id, line.quantity - line.already_allocated)
            for line in order_lines
            if line.quantity > line.already_allocated
        ]
    return AllocationPlan(
        tuple(reservations), tuple(backorders), _status(order_lines, reservations, backorders)
    )


def allocate_backorders(
    demands: Iterable[BackorderDemand], stock: Iterable[StockPosition]
) -> tuple[Reservation, ...]:
    """Reserve newly available stock for waiting lines: rush first, then oldest, then order id.

    A demand takes whatever it can (partial fills are fine: a backorder is already split);
    line ids are unique across orders, so a reservation names its line unambiguously.
    """
    ordered = sorted(demands, key=_demand_rank)
    pool = _Pool(stock)
    reservations: list[Reservation] = []
    for demand in ordered:
        if demand.quantity < 0:
            raise ValidationFailed(
                "a backorder quantity must not be negative",
                details={"line_id": demand.line_id, "quantity": demand.quantity},
            )
        reservations.extend(
            Reservation(demand.line_id, warehouse_id, demand.product_id, quantity)
            for warehouse_id, quantity in pool.take(demand.product_id, demand.quantity, None)
        )
    return tuple(reservations)


def release(reservations: Iterable[Reservation]) -> dict[tuple[str, str], int]:
    """Quantities to give back per (warehouse_id, product_id) when reservations are dropped."""
    released: dict[tuple[str, str], int] = {}
    for reservation in reservations:
        if reservation.quantity:
            key = (reservation.warehouse_id, reservation.product_id)
            released[key] = released.get(key, 0) + reservation.quantity
    return released


class _Pool:
    """What is still available per warehouse and product while a plan is being built."""

    def __init__(self, stock: Iterable[StockPosition]) -> None:
        self._available: dict[_Key, int] = {}
        for position in stock:
            key = (position.warehouse_id, position.product_id)
            # Two rows for one place would double-count its stock.
            if key in self._available:
                raise ValidationFailed(
                    "duplicate stock position",
                    code="duplicate_stock_position",
                    details={"warehouse_id": key[0], "product_id": key[1]},
                )
            self._available[key] = position.available

    def take(
        self, product_id: str, need: int, preferred_warehouse_id: str | None
    ) -> list[tuple[str, int]]:
        """Consume up to `need` units of `product_id`; returns (warehouse_id, quantity) taken."""
        candidates = [
            (warehouse_id, available)
            for (warehouse_id, product), available in self._available.items()
            if product == product_id and available > 0
        ]
        candidates.sort(
            key=lambda c: (c[0] != preferred_warehouse_id, -c[1], c[0]),
        )
        taken: list[tuple[str, int]] = []
        for warehouse_id, available in candidates:
            if need == 0:
                break
            quantity = min(need, available)
            self._available[(warehouse_id, product_id)] = available - quantity
            taken.append((warehouse_id, quantity))
            need -= quantity
        return taken


def _check_line(line: AllocationLine) -> None:
    if line.quantity < 0 or not 0 <= line.already_allocated <= line.quantity:
        raise ValidationFailed(
            "a line's quantity must not be negative and its allocated part must lie within it",
            details={
                "line_id": line.line_id,
                "quantity": line.quantity,
                "already_allocated": line.already_allocated,
            },
        )


def _status(
    lines: tuple[AllocationLine, ...],
    reservations: list[Reservation],
    backorders: list[Backorder],
) -> FulfilmentStatus:
    if not backorders:
        return FulfilmentStatus.ALLOCATED
    # Reservations made by earlier runs count as allocated too.
    held = sum(line.already_allocated for line in lines) + sum(r.quantity for r in reservations)
    return FulfilmentStatus.PARTIALLY_ALLOCATED if held else FulfilmentStatus.BACKORDERED


def _demand_rank(demand: BackorderDemand) -> tuple[int, datetime, str, str]:
    rank = _PRIORITY_RANK.get(demand.priority)
    if rank is None:
        raise ValidationFailed(
            f"unknown backorder priority {demand.priority!r}; expected rush or normal",
            details={"line_id": demand.line_id, "priority": demand.priority},
        )
    # line_id last keeps the order total even for two lines of one order.
    return (rank, demand.placed_at, demand.order_id, demand.line_id)
