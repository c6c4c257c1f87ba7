"""Reserving, releasing and receiving stock for orders.

Never oversell: availability is read only after the stock rows are locked. On PostgreSQL
that is `SELECT ... FOR UPDATE` over every row of the products involved, always in
primary-key order (warehouse_id, product_id), so two transactions wanting overlapping
rows queue instead of deadlocking. SQLite ignores FOR UPDATE; there the single writer
connection and BEGIN IMMEDIATE already serialise every write transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.direct import by_arity, direct
from server.db.models import (
    AuditEvent,
    Product,
    SalesOrder,
    SalesOrderLine,
    StockLevel,
    StockReservation,
    Warehouse,
)
from server.db.models.base import table_of
from server.db.types import new_id, utcnow
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
from server.domain.orders import FulfilmentStatus, OrderStatus, OrderType
from server.features.sales.events import order_event, order_event_row
from sync.changes import record_order_change, record_product_change

__all__ = [
    "allocate_order_stock",
    "lock_stock",
    "plan_new_order",
    "receive_stock",
    "release_order_stock",
    "reserve_planned",
]

# The order path's statements (server.db.direct): locked stock rows, reserving, recording.
_LOCKED_STOCK = by_arity(lambda n: (
    select(StockLevel.warehouse_id, StockLevel.product_id, StockLevel.on_hand,
           StockLevel.allocated)
    .where(StockLevel.product_id.in_([bindparam(f"p{i}") for i in range(n)]))
    .order_by(StockLevel.warehouse_id, StockLevel.product_id)
    .with_for_update()
))
_RESERVE = (
    update(StockLevel)
    .where(StockLevel.warehouse_id == bindparam("w"), StockLevel.product_id == bindparam("p"))
    .values(allocated=StockLevel.allocated + bindparam("q"))
)
_INSERT_RESERVATION = insert(table_of(StockReservation))

# Orders whose backordered lines may take newly received stock.
_WAITING = (OrderStatus.CONFIRMED.value, OrderStatus.IN_FULFILMENT.value)


async def lock_stock(session: AsyncSession, product_ids: Iterable[str]) -> list[StockLevel]:
    ids = sorted(set(product_ids))
    if not ids:
        return []
    query = (
        select(StockLevel).where(StockLevel.product_id.in_(ids))
        .order_by(StockLevel.warehouse_id, StockLevel.product_id)
        .with_for_update()
        # Re-read rows this session may already hold: the lock is only useful with fresh values.
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(query)).scalars().all())


def _positions(rows: Sequence[StockLevel]) -> list[StockPosition]:
    return [StockPosition(r.warehouse_id, r.product_id, r.on_hand, r.allocated) for r in rows]


def _apply(
    session: AsyncSession, order_id_of: dict[str, str], lines: dict[str, SalesOrderLine],
    rows: Sequence[StockLevel], reservations: Iterable[Reservation],
) -> None:
    stock = {(r.warehouse_id, r.product_id): r for r in rows}
    for reservation in reservations:
        level = stock[(reservation.warehouse_id, reservation.product_id)]
        level.allocated += reservation.quantity
        line = lines[reservation.line_id]
        line.quantity_allocated += reservation.quantity
        line.quantity_backordered = max(line.quantity_backordered - reservation.quantity, 0)
        session.add(StockReservation(
            id=new_id(), order_id=order_id_of[reservation.line_id], line_id=reservation.line_id,
            warehouse_id=reservation.warehouse_id, product_id=reservation.product_id,
            quantity=reservation.quantity, created_at=utcnow(),
        ))


def _fulfilment_of(lines: Iterable[SalesOrderLine]) -> FulfilmentStatus:
    rows = list(lines)
    if all(line.quantity_backordered == 0 for line in rows):
        return FulfilmentStatus.ALLOCATED
    if any(line.quantity_allocated > 0 for line in rows):
        return FulfilmentStatus.PARTIALLY_ALLOCATED
    return FulfilmentStatus.BACKORDERED


async def allocate_order_stock(
    session: AsyncSession, order: SalesOrder, lines: Sequence[SalesOrderLine], *,
    preferred_warehouse_id: str | None, actor_id: str | None,
) -> AuditEvent:
    """Reserve what is available for a just-confirmed order; the rest is backordered.

    Returns the `stock_allocated` event it added.
    """
    no_stock = order.order_type in (OrderType.SERVICE, OrderType.DROP_SHIP)
    rows = [] if no_stock else await lock_stock(session, (line.product_id for line in lines))
    plan = allocate_order(
        [AllocationLine(line.id, line.product_id, line.quantity, line.quantity_allocated)
         for line in lines],
        _positions(rows), preferred_warehouse_id=preferred_warehouse_id,
        ship_complete=order.ship_complete, order_type=order.order_type,
    )
    by_id = {line.id: line for line in lines}
    _apply(session, {line.id: order.id for line in lines}, by_id, rows, plan.reservations)
    await record_product_change(session, (r.product_id for r in plan.reservations))
    for line in lines:
        line.quantity_backordered = sum(
            b.quantity for b in plan.backordered if b.line_id == line.id
        )
    before, order.fulfilment_status = order.fulfilment_status, plan.fulfilment_status.value
    allocated = AuditEvent(**_stock_allocated(order, actor_id, before, plan))
    session.add(allocated)
    return allocated


def _stock_allocated(order: Any, actor_id: str | None, before: str, plan: AllocationPlan) -> dict[str, Any]:
    """The `stock_allocated` event of an allocation just applied to `order`, as a row."""
    return order_event_row(
        order=order, actor_id=actor_id, action="stock_allocated", from_state=before,
        to_state=order.fulfilment_status,
        data={"reserved": sum(r.quantity for r in plan.reservations),
              "backordered": sum(b.quantity for b in plan.backordered)},
    )


async def plan_new_order(
    session: AsyncSession, order: Any, lines: Sequence[Any], *,
    preferred_warehouse_id: str | None, actor_id: str | None,
) -> tuple[AllocationPlan, dict[str, Any]]:
    """`allocate_order_stock` for an order being placed, whose rows are not written yet.

    `order` and `lines` are namespaces of the rows about to be inserted: their allocation
    columns are set here, from stock rows locked here. Returns the plan, for
    `reserve_planned` once the order and its lines are written (reservations point to
    them), and the `stock_allocated` event as a row.
    """
    no_stock = order.order_type in (OrderType.SERVICE, OrderType.DROP_SHIP)
    product_ids = sorted({line.product_id for line in lines})
    rows = [] if no_stock or not product_ids else await direct(session).rows(
        _LOCKED_STOCK(len(product_ids)), {f"p{i}": pid for i, pid in enumerate(product_ids)}
    )
    plan = allocate_order(
        [AllocationLine(line.id, line.product_id, line.quantity, 0) for line in lines],
        [StockPosition(r.warehouse_id, r.product_id, r.on_hand, r.allocated) for r in rows],
        preferred_warehouse_id=preferred_warehouse_id, ship_complete=order.ship_complete,
        order_type=order.order_type,
    )
    reserved: dict[str, int] = {}
    backordered: dict[str, int] = {}
    for r in plan.reservations:
        reserved[r.line_id] = reserved.get(r.line_id, 0) + r.quantity
    for b in plan.backordered:
        backordered[b.line_id] = backordered.get(b.line_id, 0) + b.quantity
    for line in lines:
        line.quantity_allocated = reserved.get(line.id, 0)
        line.quantity_backordered = backordered.get(line.id, 0)
    before, order.fulfilment_status = order.fulfilment_status, plan.fulfilment_status.value
    return plan, _stock_allocated(order, actor_id, before, plan)


async def reserve_planned(session: AsyncSession, order_id: str, plan: AllocationPlan) -> None:
    """Write what `plan_new_order` planned: stock allocated, one reservation per line."""
    if not plan.reservations:
        return
    sql = direct(session)
    now = utcnow()
    await sql.execute_many(_RESERVE, [
        {"w": r.warehouse_id, "p": r.product_id, "q": r.quantity} for r in plan.reservations
    ])
    await sql.execute_many(_INSERT_RESERVATION, [
        {"id": new_id(), "order_id": order_id, "line_id": r.line_id,
         "warehouse_id": r.warehouse_id, "product_id": r.product_id, "quantity": r.quantity,
         "created_at": now, "released_at": None}
        for r in plan.reservations
    ])
    await record_product_change(session, (r.product_id for r in plan.reservations))


async def release_order_stock(
    session: AsyncSession, order: SalesOrder, lines: Sequence[SalesOrderLine]
) -> int:
    """Give back every open reservation of the order. Returns the units released."""
    rows = await lock_stock(session, (line.product_id for line in lines))
    stock = {(r.warehouse_id, r.product_id): r for r in rows}
    held = (
        await session.execute(
            select(StockReservation).where(
                StockReservation.order_id == order.id, StockReservation.released_at.is_(None)
            )
        )
    ).scalars().all()
    given_back = release(
        Reservation(r.line_id, r.warehouse_id, r.product_id, r.quantity) for r in held
    )
    now = utcnow()
    for key, quantity in given_back.items():
        stock[key].allocated = max(stock[key].allocated - quantity, 0)
    for reservation in held:
        reservation.released_at = now
    await record_product_change(session, (product_id for (_, product_id), _ in given_back.items()))
    for line in lines:
        line.quantity_allocated = 0
        line.quantity_backordered = 0
    order.fulfilment_status = FulfilmentStatus.UNALLOCATED.value
    return sum(given_back.values())


def _rank(order: SalesOrder) -> tuple[int, datetime, str]:
    # Rush first, then the oldest; server placement time, never a client clock.
    return (0 if order.order_type == OrderType.RUSH else 1, order.placed_at, order.id)


def _reservations_for(
    order: SalesOrder, lines: list[SalesOrderLine], product_id: str, rows: Sequence[StockLevel]
) -> tuple[Reservation, ...]:
    if order.ship_complete:
        # One shipment wanted: reserve only if every line can now be filled completely.
        plan = allocate_order(
            [AllocationLine(x.id, x.product_id, x.quantity, x.quantity_allocated) for x in lines],
            _positions(rows), ship_complete=True, order_type=order.order_type,
        )
        return () if plan.backordered else plan.reservations
    priority = "rush" if order.order_type == OrderType.RUSH else "normal"
    demands = [
        BackorderDemand(order.id, x.id, x.product_id, x.quantity_backordered, priority,
                        order.placed_at)
        for x in lines if x.product_id == product_id and x.quantity_backordered > 0
    ]
    return allocate_backorders(demands, _positions(rows))


async def receive_stock(
    session: AsyncSession, *, warehouse_id: str, product_id: str, quantity: int,
    actor_id: str | None,
) -> tuple[StockLevel, int]:
    """Book received goods, then serve backorders: rush first, then the oldest order.

    An order that must ship complete takes stock only when all its lines can be filled.
    Returns the stock row and the units newly reserved for backorders.
    """
    if await session.get(Warehouse, warehouse_id) is None:
        raise NotFound("No such warehouse.", code="warehouse_not_found")
    if await session.get(Product, product_id) is None:
        raise NotFound("No such product.", code="product_not_found")
    # Lock order: the waiting orders (by id), then the stock rows (by primary key) - the
    # same order approve and cancel take (order row, then stock), so they cannot deadlock.
    # Their lines only change under the order's lock, so reading them now is safe.
    waiting_ids = select(SalesOrderLine.order_id).where(
        SalesOrderLine.product_id == product_id, SalesOrderLine.quantity_backordered > 0
    )
    orders = (
        await session.execute(
            select(SalesOrder).where(SalesOrder.id.in_(waiting_ids),
                                     SalesOrder.status.in_(_WAITING))
            .order_by(SalesOrder.id).with_for_update().execution_options(populate_existing=True)
        )
    ).scalars().all()
    lines_of: dict[str, list[SalesOrderLine]] = {o.id: [] for o in orders}
    for line in (
        await session.execute(
            select(SalesOrderLine).where(SalesOrderLine.order_id.in_(list(lines_of)))
            .order_by(SalesOrderLine.order_id, SalesOrderLine.line_no)
            .execution_options(populate_existing=True)
        )
    ).scalars().all():
        lines_of[line.order_id].append(line)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(StockLevel).values(warehouse_id=warehouse_id, product_id=product_id, on_hand=0,
                                  allocated=0).on_conflict_do_nothing()
    )
    # Ship-complete orders may need other products too: lock all of them in one go.
    rows = await lock_stock(
        session, {product_id} | {x.product_id for ls in lines_of.values() for x in ls}
    )
    received = next(r for r in rows if (r.warehouse_id, r.product_id) == (warehouse_id, product_id))
    received.on_hand += quantity
    await record_product_change(session, [product_id])

    reserved = 0
    for order in sorted(orders, key=_rank):
        lines = lines_of[order.id]
        reservations = _reservations_for(order, lines, product_id, rows)
        if not reservations:
            continue
        _apply(session, {x.id: order.id for x in lines}, {x.id: x for x in lines}, rows,
               reservations)
        units = sum(r.quantity for r in reservations)
        reserved += units
        before, order.fulfilment_status = order.fulfilment_status, _fulfilment_of(lines).value
        session.add(order_event(
            order=order, actor_id=actor_id, action="backorder_allocated", from_state=before,
            to_state=order.fulfilment_status, data={"product_id": product_id, "reserved": units},
        ))
        await record_product_change(session, (r.product_id for r in reservations))
        await record_order_change(session, order)
    await session.flush()
    return received, reserved
