"""Reserving, releasing and receiving stock for orders: one implementation for every path.

Never oversell: availability is read only after the stock rows are locked
(`OrderStore.lock_stock`). SQLite ignores FOR UPDATE; there the single writer connection
and BEGIN IMMEDIATE already serialise every write transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.db.models import Customer, ExpectedReceipt, Product, StockLevel, Warehouse
from server.db.unit_of_work import AuditRecord, WriteUnit
from server.domain.allocation import (
    AllocationLine,
    AllocationPlan,
    BackorderDemand,
    Reservation,
    StockPosition,
    allocate_backorders,
    allocate_order,
    release,
)
from server.domain.errors import NotFound
from server.domain.expected_dates import ExpectedSupply, match_received
from server.domain.orders import FulfilmentStatus, OrderType
from server.domain.stock import MovementKind
from server.features.sales.changes import order_changes
from server.features.sales.events import order_event
from server.features.sales.expected_dates import (
    WAITING_STATUSES,
    assign_expected_dates,
    lock_orders_of_product,
)
from server.features.sales.order_store import OrderLineRow, OrderRow, OrderStore
from server.features.shared.stock_ledger import record_movement

__all__ = ["allocate", "allocation_event", "receive_stock", "release_order_stock"]

_NO_OWN_STOCK = (OrderType.SERVICE, OrderType.DROP_SHIP)


def _apply(order: OrderRow, lines: Sequence[OrderLineRow], plan: AllocationPlan) -> None:
    reserved: dict[str, int] = {}
    backordered: dict[str, int] = {}
    for r in plan.reservations:
        reserved[r.line_id] = reserved.get(r.line_id, 0) + r.quantity
    for b in plan.backordered:
        backordered[b.line_id] = backordered.get(b.line_id, 0) + b.quantity
    for line in lines:
        line.quantity_allocated += reserved.get(line.id, 0)
        line.quantity_backordered = backordered.get(line.id, 0)
    order.fulfilment_status = plan.fulfilment_status.value


async def allocate(
    store: OrderStore,
    order: OrderRow,
    lines: Sequence[OrderLineRow],
    *,
    preferred_warehouse_id: str | None,
) -> AllocationPlan:
    """Plan what is available for a just-confirmed or amended order (the rest is
    backordered), from stock rows locked here, and set the lines' and the order's
    allocation from it. The caller writes it with `store.reserve` once the lines exist."""
    positions = (
        []
        if order.order_type in _NO_OWN_STOCK
        else await store.lock_stock(line.product_id for line in lines)
    )
    # What has shipped has left the warehouse: only the rest of a line needs stock held.
    plan = allocate_order(
        [
            AllocationLine(
                x.id,
                x.product_id,
                x.quantity,
                min(x.quantity, x.quantity_allocated + x.quantity_shipped),
            )
            for x in lines
        ],
        positions,
        preferred_warehouse_id=preferred_warehouse_id,
        ship_complete=order.ship_complete,
        order_type=order.order_type,
    )
    _apply(order, lines, plan)
    return plan


def allocation_event(
    order: OrderRow, actor_id: str | None, before: str, plan: AllocationPlan
) -> AuditRecord:
    """The `stock_allocated` event of an allocation just applied to `order`."""
    return order_event(
        order=order,
        actor_id=actor_id,
        action="stock_allocated",
        from_state=before,
        to_state=order.fulfilment_status,
        data={
            "reserved": sum(r.quantity for r in plan.reservations),
            "backordered": sum(b.quantity for b in plan.backordered),
        },
    )


async def release_order_stock(
    store: OrderStore, order: OrderRow, lines: Sequence[OrderLineRow]
) -> int:
    """Give back every open reservation of the order and write the lines and the order's
    allocation as nothing held. Returns the units released."""
    await store.lock_stock(line.product_id for line in lines)
    given_back = release(await store.open_reservations(order.id))
    await store.release(order.id, given_back)
    for line in lines:
        line.quantity_allocated = 0
        line.quantity_backordered = 0
    await store.save_allocations(lines)
    order.fulfilment_status = FulfilmentStatus.UNALLOCATED.value
    return sum(given_back.values())


def _fulfilment_of(lines: Iterable[OrderLineRow]) -> FulfilmentStatus:
    rows = list(lines)
    if all(line.quantity_backordered == 0 for line in rows):
        return FulfilmentStatus.ALLOCATED
    if any(line.quantity_allocated > 0 for line in rows):
        return FulfilmentStatus.PARTIALLY_ALLOCATED
    return FulfilmentStatus.BACKORDERED


def _waits_for(order: OrderRow, lines: Iterable[OrderLineRow], product_id: str) -> bool:
    return order.status in WAITING_STATUSES and any(
        x.product_id == product_id and x.quantity_backordered > 0 for x in lines
    )


def _rank(order: OrderRow) -> tuple[int, datetime, str]:
    # Rush first, then the oldest; server placement time, never a client clock.
    return (0 if order.order_type == OrderType.RUSH else 1, order.placed_at, order.id)


def _reservations_for(
    order: OrderRow,
    lines: list[OrderLineRow],
    product_id: str,
    positions: Sequence[StockPosition],
) -> tuple[Reservation, ...]:
    if order.ship_complete:
        # One shipment wanted: reserve only if every line can now be filled completely.
        plan = allocate_order(
            [AllocationLine(x.id, x.product_id, x.quantity, x.quantity_allocated) for x in lines],
            positions,
            ship_complete=True,
            order_type=order.order_type,
        )
        return () if plan.backordered else plan.reservations
    priority = "rush" if order.order_type == OrderType.RUSH else "normal"
    demands = [
        BackorderDemand(
            order.id, x.id, x.product_id, x.quantity_backordered, priority, order.placed_at
        )
        for x in lines
        if x.product_id == product_id and x.quantity_backordered > 0
    ]
    return allocate_backorders(demands, positions)


def _taken(
    positions: list[StockPosition], reservations: Iterable[Reservation]
) -> list[StockPosition]:
    taken: dict[tuple[str, str], int] = {}
    for r in reservations:
        taken[(r.warehouse_id, r.product_id)] = (
            taken.get((r.warehouse_id, r.product_id), 0) + r.quantity
        )
    return [
        StockPosition(
            p.warehouse_id,
            p.product_id,
            p.on_hand,
            p.allocated + taken.get((p.warehouse_id, p.product_id), 0),
        )
        for p in positions
    ]


def _backordered_lines(lines: list[OrderLineRow], reservations: Iterable[Reservation]) -> None:
    for r in reservations:
        line = next(x for x in lines if x.id == r.line_id)
        line.quantity_allocated += r.quantity
        line.quantity_backordered = max(line.quantity_backordered - r.quantity, 0)


async def receive_stock(
    uow: WriteUnit,
    *,
    warehouse_id: str,
    product_id: str,
    quantity: int,
    actor_id: str | None,
    kind: MovementKind = MovementKind.RECEIPT,
    order_id: str | None = None,
    document_number: str = "",
) -> tuple[StockPosition, int]:
    """Book received goods, then serve backorders: rush first, then the oldest order.

    `kind` says where the goods come from: a purchase receipt, or a customer's return
    (`order_id` and `document_number` then name the order and the return).

    An order that must ship complete takes stock only when all its lines can be filled.
    The receipt is written to the stock ledger; the receipts expected at this warehouse
    that it covers are marked received, and the expected dates of the lines still waiting
    are worked out again. Returns the stock position received into and the units newly
    reserved for backorders.
    """
    session = uow.session
    if await session.get(Warehouse, warehouse_id) is None:
        raise NotFound("No such warehouse.", code="warehouse_not_found")
    if await session.get(Product, product_id) is None:
        raise NotFound("No such product.", code="product_not_found")
    store = uow.scoped(OrderStore)
    # Lock order: the orders waiting for the product or showing a date for it (by id), then
    # the stock rows (by primary key) - the same order approve and cancel take (order row,
    # then stock), so they cannot deadlock. Their lines only change under the order's lock,
    # so reading them now is safe.
    orders, lines_of = await lock_orders_of_product(store, product_id)
    insert = pg_insert if uow.dialect_name == "postgresql" else sqlite_insert
    await session.execute(
        insert(StockLevel)
        .values(warehouse_id=warehouse_id, product_id=product_id, on_hand=0, allocated=0)
        .on_conflict_do_nothing()
    )
    # Ship-complete orders may need other products too: lock all of them in one go.
    positions = await store.lock_stock(
        {product_id} | {x.product_id for ls in lines_of.values() for x in ls}
    )
    await store.receive(warehouse_id, product_id, quantity)
    positions = [
        StockPosition(p.warehouse_id, p.product_id, p.on_hand + quantity, p.allocated)
        if (p.warehouse_id, p.product_id) == (warehouse_id, product_id)
        else p
        for p in positions
    ]

    reserved = 0
    for order in sorted(orders, key=_rank):
        lines = lines_of[order.id]
        if not _waits_for(order, lines, product_id):
            continue
        reservations = _reservations_for(order, lines, product_id, positions)
        if not reservations:
            continue
        await store.reserve(order.id, reservations)
        positions = _taken(positions, reservations)
        _backordered_lines(lines, reservations)
        await store.save_allocations(lines)
        units = sum(r.quantity for r in reservations)
        reserved += units
        before, order.fulfilment_status = order.fulfilment_status, _fulfilment_of(lines).value
        await store.save_status(order)
        await uow.audit.record(
            order_event(
                order=order,
                actor_id=actor_id,
                action="backorder_allocated",
                from_state=before,
                to_state=order.fulfilment_status,
                data={"product_id": product_id, "reserved": units},
            )
        )
        uow.feed.touch_all(order_changes(order, await session.get(Customer, order.customer_id)))
    received = next(
        p for p in positions if (p.warehouse_id, p.product_id) == (warehouse_id, product_id)
    )
    await record_movement(
        uow,
        warehouse_id=warehouse_id,
        product_id=product_id,
        quantity=quantity,
        on_hand_after=received.on_hand,
        kind=kind,
        actor_id=actor_id,
        order_id=order_id,
        document_number=document_number,
    )
    if kind == MovementKind.RECEIPT:
        # Goods coming back from a customer were never expected from a supplier.
        await _arrived(uow, warehouse_id, product_id, quantity)
    await assign_expected_dates(uow, product_id, orders, lines_of)
    return received, reserved


async def _arrived(uow: WriteUnit, warehouse_id: str, product_id: str, quantity: int) -> None:
    """Mark the receipts expected at this warehouse that `quantity` covers as received."""
    rows = await uow.session.execute(
        select(ExpectedReceipt.id, ExpectedReceipt.quantity, ExpectedReceipt.expected_on).where(
            ExpectedReceipt.warehouse_id == warehouse_id,
            ExpectedReceipt.product_id == product_id,
            ExpectedReceipt.received.is_(False),
        )
    )
    match = match_received(
        [ExpectedSupply(r.id, r.quantity, r.expected_on) for r in rows], quantity
    )
    if match.received_ids:
        await uow.session.execute(
            update(ExpectedReceipt)
            .where(ExpectedReceipt.id.in_(match.received_ids))
            .values(received=True)
        )
    for receipt_id, remaining in match.remaining.items():
        await uow.session.execute(
            update(ExpectedReceipt)
            .where(ExpectedReceipt.id == receipt_id)
            .values(quantity=remaining)
        )
