"""Expected dates of backordered order lines, kept in step with the expected receipts.

Whenever what is expected of a product or what waits for it changes (an expected receipt
entered, goods received), the dates of that product's backordered lines are worked out
again (server/domain/expected_dates.py) and each order whose dates changed is touched in
the change feed, so the rep's phone shows them.

Locks: the orders with lines of the product, in key order, exactly as receiving stock
takes them (and before any stock row), so the two cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select

from server.db.models import Customer, ExpectedReceipt, SalesOrder, SalesOrderLine
from server.db.unit_of_work import WriteUnit
from server.domain.expected_dates import ExpectedSupply, WaitingLine, expected_dates
from server.domain.orders import OrderStatus, OrderType
from server.features.sales.changes import order_changes
from server.features.sales.order_store import OrderLineRow, OrderRow, OrderStore

__all__ = [
    "WAITING_STATUSES",
    "assign_expected_dates",
    "lock_orders_of_product",
    "open_expected_supplies",
    "refresh_expected_dates",
]

# Orders whose backordered lines wait for stock (and so for an expected receipt).
WAITING_STATUSES = (OrderStatus.CONFIRMED.value, OrderStatus.IN_FULFILMENT.value)


async def lock_orders_of_product(
    store: OrderStore, product_id: str
) -> tuple[list[OrderRow], dict[str, list[OrderLineRow]]]:
    """The orders with a line of the product that waits for it or shows an expected date,
    locked in key order, with their lines (which change only under the order's lock)."""
    concerned = select(SalesOrderLine.order_id).where(
        SalesOrderLine.product_id == product_id,
        or_(SalesOrderLine.quantity_backordered > 0, SalesOrderLine.expected_on.is_not(None)),
    )
    orders = await store.lock_waiting_orders(SalesOrder.id.in_(concerned))
    return orders, {o.id: await store.lines(o.id) for o in orders}


async def open_expected_supplies(uow: WriteUnit, product_id: str) -> list[ExpectedSupply]:
    rows = await uow.session.execute(
        select(ExpectedReceipt.id, ExpectedReceipt.quantity, ExpectedReceipt.expected_on).where(
            ExpectedReceipt.product_id == product_id, ExpectedReceipt.received.is_(False)
        )
    )
    return [ExpectedSupply(r.id, r.quantity, r.expected_on) for r in rows]


async def assign_expected_dates(
    uow: WriteUnit,
    product_id: str,
    orders: Sequence[OrderRow],
    lines_of: dict[str, list[OrderLineRow]],
) -> int:
    """Date the product's backordered lines of these (locked) orders from the receipts
    still expected; clear dates no longer covered. Returns the lines that have a date."""
    waiting = [
        WaitingLine(
            order_id=order.id,
            line_id=line.id,
            line_no=line.line_no,
            quantity_backordered=line.quantity_backordered,
            rush=order.order_type == OrderType.RUSH,
            placed_at=order.placed_at,
        )
        for order in orders
        if order.status in WAITING_STATUSES
        for line in lines_of[order.id]
        if line.product_id == product_id and line.quantity_backordered > 0
    ]
    dates = expected_dates(waiting, await open_expected_supplies(uow, product_id))
    store = uow.scoped(OrderStore)
    for order in orders:
        changed = [
            line
            for line in lines_of[order.id]
            if line.product_id == product_id and line.expected_on != dates.get(line.id)
        ]
        if not changed:
            continue
        for line in changed:
            line.expected_on = dates.get(line.id)
        await store.save_expected_dates(changed)
        customer = await uow.session.get(Customer, order.customer_id)
        uow.feed.touch_all(order_changes(order, customer))
    return len(dates)


async def refresh_expected_dates(uow: WriteUnit, product_id: str) -> int:
    """Lock the orders concerned and date their lines of the product again."""
    orders, lines_of = await lock_orders_of_product(uow.scoped(OrderStore), product_id)
    return await assign_expected_dates(uow, product_id, orders, lines_of)
