"""The order aggregate's persistence: a placed order with its lines, its stock
reservations, its status, as typed rows.

Every write of an order, its lines and its reservations goes through here, online and
from the sync push, so what a later action in the same transaction reads is what an
earlier one wrote (there is no second copy to drift). The statements run through the
unit's direct runner: on the SQLite writer on its driver, elsewhere as plain Core.

Locks, PostgreSQL (SQLite has one writer and ignores them): the order row (FOR UPDATE)
before stock rows, and stock rows always in primary-key order (warehouse_id,
product_id), so two transactions wanting overlapping rows queue instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, bindparam, case, delete, insert, select, update

from server.db.models import (
    OrderRevision,
    SalesOrder,
    SalesOrderLine,
    StockLevel,
    StockReservation,
)
from server.db.models.base import table_of
from server.db.statements import by_arity
from server.db.types import new_id, utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.allocation import Reservation, StockPosition
from server.features.catalog.changes import product_changes
from server.features.shared import sales_sums

__all__ = ["OrderLineRow", "OrderRow", "OrderStore", "PlacedOrder"]


class OrderRow(msgspec.Struct, kw_only=True):
    """A sales order's columns."""

    id: str
    number: str
    customer_id: str
    quote_id: str | None
    status: str
    fulfilment_status: str
    billing_status: str
    order_type: str
    channel: str
    priority: int
    ship_complete: bool
    po_number: str
    requested_delivery_date: date | None
    shipping_method: str
    payment_terms: str
    notes: str
    bill_to: dict[str, Any]
    ship_to: dict[str, Any]
    territory_id: str
    territory_name: str
    rep_id: str | None
    manager_ids: list[str]
    discount_percent: Decimal
    approval_reasons: list[dict[str, Any]]
    client_total_cents: int | None
    created_by: str
    placed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    cancelled_at: datetime | None
    version: int
    updated_at: datetime
    subtotal_cents: int
    discount_cents: int
    net_cents: int
    tax_cents: int
    shipping_cents: int
    shipping_tax_cents: int
    total_cents: int
    order_discount_percent: Decimal
    currency: str
    revision: int = 1
    scheduled_date: date | None = None
    supplier_reference: str = ""
    blanket_order_id: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    invoiced_cents: int = 0
    paid_cents: int = 0
    credited_cents: int = 0
    closed_at: datetime | None = None


class OrderLineRow(msgspec.Struct, kw_only=True):
    """A sales order line's columns."""

    id: str
    order_id: str
    line_no: int
    product_id: str
    sku: str
    name: str
    quantity: int
    unit_price_cents: int
    discount_percent: Decimal
    gross_cents: int
    discount_cents: int
    net_cents: int
    tax_rate: Decimal
    tax_cents: int
    total_cents: int
    price_list_id: str | None
    price_list_version: int | None
    quantity_allocated: int = 0
    quantity_backordered: int = 0
    quantity_shipped: int = 0
    quantity_delivered: int = 0
    quantity_invoiced: int = 0
    quantity_returned: int = 0
    quantity_released: int = 0
    blanket_line_id: str | None = None
    expected_on: date | None = None


class PlacedOrder(msgspec.Struct):
    """What placing an order wrote: the answer is built from it, not selected back."""

    order: OrderRow
    lines: list[OrderLineRow]
    events: list[dict[str, Any]]


def _columns(table: Any, row_type: type[msgspec.Struct]) -> list[Any]:
    return [table.c[name] for name in row_type.__struct_fields__]


_ORDERS = table_of(SalesOrder)
_LINES = table_of(SalesOrderLine)
_ORDER_COLUMNS = _columns(_ORDERS, OrderRow)
_LINE_COLUMNS = _columns(_LINES, OrderLineRow)

_EXISTS = select(SalesOrder.id).where(SalesOrder.id == bindparam("id"))
_SET_NUMBER = (
    update(SalesOrder)
    .where(SalesOrder.id == bindparam("order_id"))
    .values(number=bindparam("new_number"))
)
_INSERT_ORDER = insert(_ORDERS)
_INSERT_LINES = insert(_LINES)
_LINES_OF = (
    select(*_LINE_COLUMNS)
    .where(_LINES.c.order_id == bindparam("order_id"))
    .order_by(_LINES.c.line_no)
)
_STATUS_COLUMNS = (
    "status",
    "fulfilment_status",
    "billing_status",
    "closed_at",
    "approval_reasons",
    "decided_by",
    "decided_at",
    "cancelled_at",
    "version",
    "updated_at",
)
# Parameters named apart from the columns they set (SQLAlchemy reserves the column names).
_SAVE_STATUS = (
    update(SalesOrder)
    .where(SalesOrder.id == bindparam("order_id"))
    .values(
        {name: bindparam(f"new_{name}", type_=_ORDERS.c[name].type) for name in _STATUS_COLUMNS}
    )
)
# An amended order: every column but its identity and what placing it fixed for good.
_AMENDED_COLUMNS = tuple(
    name
    for name in OrderRow.__struct_fields__
    if name not in ("id", "number", "customer_id", "created_by", "placed_at")
)
_SAVE_ORDER = (
    update(SalesOrder)
    .where(SalesOrder.id == bindparam("order_id"))
    .values(
        {name: bindparam(f"new_{name}", type_=_ORDERS.c[name].type) for name in _AMENDED_COLUMNS}
    )
)
_LINE_VALUES = tuple(
    name for name in OrderLineRow.__struct_fields__ if name not in ("id", "order_id")
)
_SAVE_LINE = (
    update(SalesOrderLine)
    .where(SalesOrderLine.id == bindparam("line_id"))
    .values({name: bindparam(f"new_{name}", type_=_LINES.c[name].type) for name in _LINE_VALUES})
)
_DELETE_LINE = delete(SalesOrderLine).where(SalesOrderLine.id == bindparam("line_id"))
# Reservations of a removed line (all released by then) go with it: they point to it.
_DELETE_LINE_RESERVATIONS = delete(StockReservation).where(
    StockReservation.line_id == bindparam("line_id"), StockReservation.released_at.is_not(None)
)
_INSERT_REVISION = insert(table_of(OrderRevision))
_SAVE_ALLOCATION = (
    update(SalesOrderLine)
    .where(SalesOrderLine.id == bindparam("line_id"))
    .values(
        quantity_allocated=bindparam("allocated"),
        quantity_backordered=bindparam("backordered"),
    )
)
_SAVE_PROGRESS = (
    update(SalesOrderLine)
    .where(SalesOrderLine.id == bindparam("line_id"))
    .values(
        quantity_allocated=bindparam("allocated"),
        quantity_backordered=bindparam("backordered"),
        quantity_shipped=bindparam("shipped"),
        quantity_delivered=bindparam("delivered"),
    )
)
_RELEASE_ON_BLANKET = (
    update(SalesOrderLine)
    .where(SalesOrderLine.id == bindparam("line_id"))
    .values(quantity_released=SalesOrderLine.quantity_released + bindparam("delta"))
)
_SAVE_EXPECTED_ON = (
    update(SalesOrderLine)
    .where(SalesOrderLine.id == bindparam("line_id"))
    .values(expected_on=bindparam("new_expected_on", type_=_LINES.c.expected_on.type))
)
_LOCKED_STOCK = by_arity(
    lambda n: (
        select(
            StockLevel.warehouse_id, StockLevel.product_id, StockLevel.on_hand, StockLevel.allocated
        )
        .where(StockLevel.product_id.in_([bindparam(f"p{i}") for i in range(n)]))
        .order_by(StockLevel.warehouse_id, StockLevel.product_id)
        .with_for_update()
    )
)
_RESERVE = (
    update(StockLevel)
    .where(StockLevel.warehouse_id == bindparam("w"), StockLevel.product_id == bindparam("p"))
    .values(allocated=StockLevel.allocated + bindparam("q"))
)
_UNRESERVE = (
    update(StockLevel)
    .where(StockLevel.warehouse_id == bindparam("w"), StockLevel.product_id == bindparam("p"))
    .values(
        allocated=case(
            (StockLevel.allocated >= bindparam("q"), StockLevel.allocated - bindparam("q")),
            else_=0,
        )
    )
)
_RECEIVE = (
    update(StockLevel)
    .where(StockLevel.warehouse_id == bindparam("w"), StockLevel.product_id == bindparam("p"))
    .values(on_hand=StockLevel.on_hand + bindparam("q"))
)
_INSERT_RESERVATION = insert(table_of(StockReservation))
_OPEN_RESERVATIONS = (
    select(
        StockReservation.line_id,
        StockReservation.warehouse_id,
        StockReservation.product_id,
        StockReservation.quantity,
    )
    .where(
        StockReservation.order_id == bindparam("order_id"), StockReservation.released_at.is_(None)
    )
    .order_by(StockReservation.id)
)
_RELEASE_RESERVATIONS = (
    update(StockReservation)
    .where(
        StockReservation.order_id == bindparam("of_order"), StockReservation.released_at.is_(None)
    )
    .values(released_at=bindparam("now", type_=StockReservation.released_at.type))
)


def _provisional_number(order_id: str) -> str:
    """A stand-in for an order's number within the transaction that places it: the random
    tail of its id (unique as the id is), marked so it can never be read as a number of a
    series, and as long as the column allows."""
    return "~" + order_id.replace("-", "")[-19:]


class OrderStore:
    """The order aggregate's rows in one unit of work (`uow.scoped(OrderStore)`)."""

    def __init__(self, uow: WriteUnit) -> None:
        self._uow = uow
        self._sql = uow.sql

    async def exists(self, order_id: str) -> bool:
        return await self._sql.scalar(_EXISTS, {"id": order_id}) is not None

    async def insert(self, order: OrderRow, lines: Sequence[OrderLineRow]) -> None:
        """A placed order and its lines (reservations and events point to them: first).
        Without its number yet (`order.number` empty), the order is written under a
        provisional one, unique and never committed: `set_number` replaces it."""
        if not order.number:
            order.number = _provisional_number(order.id)
        await self._sql.execute(_INSERT_ORDER, msgspec.structs.asdict(order))
        sales_sums.order_changed(self._uow, None, order)
        await self._sql.execute_many(_INSERT_LINES, [msgspec.structs.asdict(x) for x in lines])

    async def set_number(self, order: OrderRow, number: str) -> None:
        """The order's number from its series, in place of the provisional one."""
        order.number = number
        await self._sql.execute(_SET_NUMBER, {"order_id": order.id, "new_number": number})

    async def load_for_update(self, order_id: str, visible: ColumnElement[bool]) -> OrderRow | None:
        """The order, locked until commit, if `visible` lets the caller see it."""
        query = (
            select(*_ORDER_COLUMNS)
            .where(_ORDERS.c.id == order_id, visible)
            .with_for_update(of=_ORDERS)
        )
        row = (await self._uow.session.execute(query)).first()
        return None if row is None else OrderRow(**row._mapping)

    async def lock_waiting_orders(self, visible: ColumnElement[bool]) -> list[OrderRow]:
        """Orders matching `visible`, locked in key order."""
        query = (
            select(*_ORDER_COLUMNS)
            .where(visible)
            .order_by(_ORDERS.c.id)
            .with_for_update(of=_ORDERS)
        )
        return [OrderRow(**r._mapping) for r in (await self._uow.session.execute(query)).all()]

    async def lines(self, order_id: str) -> list[OrderLineRow]:
        rows = await self._sql.rows(_LINES_OF, {"order_id": order_id})
        return [OrderLineRow(**r._asdict()) for r in rows]

    async def save_status(self, order: OrderRow) -> None:
        values = {f"new_{name}": getattr(order, name) for name in _STATUS_COLUMNS}
        stored = await sales_sums.orders_as_stored(self._uow, [order.id])
        await self._sql.execute(_SAVE_STATUS, {"order_id": order.id, **values})
        sales_sums.order_changed(self._uow, stored.get(order.id), order)

    async def save_amendment(
        self,
        order: OrderRow,
        *,
        kept: Sequence[OrderLineRow],
        added: Sequence[OrderLineRow],
        removed_ids: Sequence[str],
    ) -> None:
        """An amended order: its columns, its kept lines (ids unchanged), new lines and
        removed ones (their stock released first). Reservations point to lines: the
        caller reserves after this."""
        values = {f"new_{name}": getattr(order, name) for name in _AMENDED_COLUMNS}
        stored = await sales_sums.orders_as_stored(self._uow, [order.id])
        await self._sql.execute(_SAVE_ORDER, {"order_id": order.id, **values})
        sales_sums.order_changed(self._uow, stored.get(order.id), order)
        if removed_ids:
            ids = [{"line_id": line_id} for line_id in removed_ids]
            await self._sql.execute_many(_DELETE_LINE_RESERVATIONS, ids)
            await self._sql.execute_many(_DELETE_LINE, ids)
        if kept:
            await self._sql.execute_many(
                _SAVE_LINE,
                [
                    {"line_id": x.id, **{f"new_{name}": getattr(x, name) for name in _LINE_VALUES}}
                    for x in kept
                ],
            )
        if added:
            await self._sql.execute_many(_INSERT_LINES, [msgspec.structs.asdict(x) for x in added])

    async def insert_revision(
        self, order: OrderRow, *, changes: dict[str, Any], reason: str, actor_id: str
    ) -> None:
        """The order's revision as amended just now: what changed and the totals around it."""
        await self._sql.execute(
            _INSERT_REVISION,
            {
                "id": new_id(),
                "order_id": order.id,
                "revision": order.revision,
                "changes": changes,
                "reason": reason,
                "actor_id": actor_id,
                "created_at": order.updated_at,
            },
        )

    async def save_allocations(self, lines: Iterable[OrderLineRow]) -> None:
        await self._sql.execute_many(
            _SAVE_ALLOCATION,
            [
                {
                    "line_id": x.id,
                    "allocated": x.quantity_allocated,
                    "backordered": x.quantity_backordered,
                }
                for x in lines
            ],
        )

    async def save_progress(self, lines: Iterable[OrderLineRow]) -> None:
        """The lines' allocated, backordered, shipped and delivered quantities."""
        await self._sql.execute_many(
            _SAVE_PROGRESS,
            [
                {
                    "line_id": x.id,
                    "allocated": x.quantity_allocated,
                    "backordered": x.quantity_backordered,
                    "shipped": x.quantity_shipped,
                    "delivered": x.quantity_delivered,
                }
                for x in lines
            ],
        )

    async def add_released(self, deltas: dict[str, int]) -> None:
        """Raise (or, negative, lower) blanket lines' released quantities; the caller holds
        the blanket order's row lock, so call-offs read and change them in turn."""
        await self._sql.execute_many(
            _RELEASE_ON_BLANKET,
            [{"line_id": line_id, "delta": delta} for line_id, delta in sorted(deltas.items())],
        )

    async def save_expected_dates(self, lines: Iterable[OrderLineRow]) -> None:
        await self._sql.execute_many(
            _SAVE_EXPECTED_ON,
            [{"line_id": x.id, "new_expected_on": x.expected_on} for x in lines],
        )

    async def lock_stock(self, product_ids: Iterable[str]) -> list[StockPosition]:
        """Every stock row of these products, locked, in primary-key order: availability
        is read only after the lock, or two orders could both take the last units."""
        ids = sorted(set(product_ids))
        if not ids:
            return []
        rows = await self._sql.rows(
            _LOCKED_STOCK(len(ids)), {f"p{i}": pid for i, pid in enumerate(ids)}
        )
        return [StockPosition(r.warehouse_id, r.product_id, r.on_hand, r.allocated) for r in rows]

    async def receive(self, warehouse_id: str, product_id: str, quantity: int) -> None:
        self._uow.feed.touch_all(product_changes([product_id]))
        await self._sql.execute(_RECEIVE, {"w": warehouse_id, "p": product_id, "q": quantity})

    async def reserve(self, order_id: str, reservations: Sequence[Reservation]) -> None:
        """Stock allocated and one reservation row each (the stock rows are locked); the
        products' availability changed for every phone."""
        if not reservations:
            return
        self._uow.feed.touch_all(product_changes(r.product_id for r in reservations))
        now = utcnow()
        await self._sql.execute_many(
            _RESERVE,
            [{"w": r.warehouse_id, "p": r.product_id, "q": r.quantity} for r in reservations],
        )
        await self._sql.execute_many(
            _INSERT_RESERVATION,
            [
                {
                    "id": new_id(),
                    "order_id": order_id,
                    "line_id": r.line_id,
                    "warehouse_id": r.warehouse_id,
                    "product_id": r.product_id,
                    "quantity": r.quantity,
                    "created_at": now,
                    "released_at": None,
                }
                for r in reservations
            ],
        )

    async def open_reservations(self, order_id: str) -> list[Reservation]:
        rows = await self._sql.rows(_OPEN_RESERVATIONS, {"order_id": order_id})
        return [Reservation(r.line_id, r.warehouse_id, r.product_id, r.quantity) for r in rows]

    async def release(self, order_id: str, given_back: dict[tuple[str, str], int]) -> None:
        """Stock given back per (warehouse, product) and every open reservation closed
        (the stock rows are locked)."""
        self._uow.feed.touch_all(product_changes(product_id for (_, product_id) in given_back))
        await self._sql.execute_many(
            _UNRESERVE,
            [
                {"w": warehouse_id, "p": product_id, "q": quantity}
                for (warehouse_id, product_id), quantity in sorted(given_back.items())
            ],
        )
        await self._sql.execute(_RELEASE_RESERVATIONS, {"of_order": order_id, "now": utcnow()})
