"""What orders, invoices and payment allocations add to the sales day sums.

The stores call these wherever those documents are written, so every write path (the
API, the pages, the sync push, group commit, jobs) keeps the dashboard's sums in step:

- an order counts as booked on the UTC day it was placed while its status is booked and
  it is not a blanket order; a change (placing, confirming, cancelling, amending,
  closing) takes off what the stored row counted and adds what the new one counts, so an
  order's change costs one key of the unit's single upsert;
- a booked order also counts on its customer's ordering day (for the lapsed customers);
- an invoice adds its total on its issue day, an allocation its amount on its payment's
  day, both to the keys of the invoice's order (its territory, rep and currency, fixed
  when it was placed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, select

from server.db.models import Invoice, Payment, SalesOrder
from server.db.statements import by_arity
from server.db.summaries import BOOKED_STATUSES, CustomerDayKey, SumKey
from server.db.unit_of_work import WriteUnit

__all__ = [
    "allocations_made",
    "invoices_issued",
    "order_changed",
    "orders_as_stored",
]

_BLANKET = "blanket"


class BookedFields(Protocol):
    """What decides an order's part of the sums (an order row, or the stored columns)."""

    @property
    def customer_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def order_type(self) -> str: ...
    @property
    def placed_at(self) -> datetime: ...
    @property
    def territory_id(self) -> str: ...
    @property
    def rep_id(self) -> str | None: ...
    @property
    def currency(self) -> str: ...
    @property
    def net_cents(self) -> int: ...


def _key(order: Any, day: date) -> SumKey:
    return SumKey(day, order.territory_id, order.rep_id or "", order.currency)


def order_changed(uow: WriteUnit, before: BookedFields | None, after: BookedFields) -> None:
    """An order written: `before` as it was stored (None for a new one), `after` as it is."""
    for order, sign in ((before, -1), (after, 1)):
        if order is None or order.order_type == _BLANKET or order.status not in BOOKED_STATUSES:
            continue
        day = order.placed_at.date()
        uow.sums.add(_key(order, day), booked=sign * order.net_cents, orders=sign)
        uow.sums.add_ordering_day(
            CustomerDayKey(order.customer_id, day, order.territory_id, order.rep_id or ""), sign
        )


_STORED_COLUMNS = (
    SalesOrder.id,
    SalesOrder.customer_id,
    SalesOrder.status,
    SalesOrder.order_type,
    SalesOrder.placed_at,
    SalesOrder.territory_id,
    SalesOrder.rep_id,
    SalesOrder.currency,
    SalesOrder.net_cents,
)
_STORED = by_arity(
    lambda n: select(*_STORED_COLUMNS).where(
        SalesOrder.id.in_([bindparam(f"i{k}") for k in range(n)])
    )
)
_SLICE = 500


async def orders_as_stored(uow: WriteUnit, order_ids: Iterable[str]) -> dict[str, Any]:
    """The stored columns that decide the orders' part of the sums (read before a change)."""
    ids = sorted(set(order_ids))
    found: dict[str, Any] = {}
    for start in range(0, len(ids), _SLICE):
        part = ids[start : start + _SLICE]
        rows = await uow.sql.rows(_STORED(len(part)), {f"i{k}": v for k, v in enumerate(part)})
        found.update((row.id, row) for row in rows)
    return found


class IssuedInvoice(Protocol):
    @property
    def order_id(self) -> str: ...
    @property
    def issued_on(self) -> date: ...
    @property
    def total_cents(self) -> int: ...


async def invoices_issued(uow: WriteUnit, invoices: Sequence[IssuedInvoice]) -> None:
    orders = await orders_as_stored(uow, (x.order_id for x in invoices))
    for invoice in invoices:
        order = orders.get(invoice.order_id)
        if order is not None and order.order_type != _BLANKET:
            uow.sums.add(_key(order, invoice.issued_on), invoiced=invoice.total_cents)


_INVOICE_ORDERS = by_arity(
    lambda n: select(Invoice.id, Invoice.order_id).where(
        Invoice.id.in_([bindparam(f"v{k}") for k in range(n)])
    )
)
_PAYMENT_DAYS = by_arity(
    lambda n: select(Payment.id, Payment.received_on).where(
        Payment.id.in_([bindparam(f"p{k}") for k in range(n)])
    )
)


async def allocations_made(uow: WriteUnit, allocations: Sequence[dict[str, Any]]) -> None:
    """Allocations inserted (their payment rows already are): each adds its amount on
    its payment's day to its invoice's order."""
    if not allocations:
        return
    invoice_ids = sorted({a["invoice_id"] for a in allocations})
    payment_ids = sorted({a["payment_id"] for a in allocations})
    invoice_orders = {
        row.id: row.order_id
        for row in await uow.sql.rows(
            _INVOICE_ORDERS(len(invoice_ids)), {f"v{k}": v for k, v in enumerate(invoice_ids)}
        )
    }
    payment_days = {
        row.id: row.received_on
        for row in await uow.sql.rows(
            _PAYMENT_DAYS(len(payment_ids)), {f"p{k}": v for k, v in enumerate(payment_ids)}
        )
    }
    orders = await orders_as_stored(uow, invoice_orders.values())
    for allocation in allocations:
        order = orders.get(invoice_orders.get(allocation["invoice_id"], ""))
        if order is not None and order.order_type != _BLANKET:
            day = payment_days[allocation["payment_id"]]
            uow.sums.add(_key(order, day), paid=allocation["amount_cents"])
