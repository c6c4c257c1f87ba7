"""Billing's persistence: invoices, payments, credit notes and the order rows they change,
as typed rows, read and written in batches.

One statement per kind of row for a whole batch of orders (the invoicing run bills
thousands at once), through the unit's direct runner. Locks (PostgreSQL): the caller holds
its document counter first; orders are locked here in key order; every change of an
invoice's money is made under its order's lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import msgspec
from sqlalchemy import bindparam, insert, literal, select, update

from server.db.models import (
    CreditNote,
    CreditNoteLine,
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
)
from server.db.models.base import table_of
from server.db.statements import by_arity
from server.db.unit_of_work import WriteUnit
from server.features.sales.order_store import OrderLineRow, OrderRow
from server.features.shared import sales_sums

__all__ = [
    "INVOICEABLE_SHIPMENTS",
    "BillingStore",
    "CreditNoteLineRow",
    "CreditNoteRow",
    "CustomerRef",
    "InvoiceLineRow",
    "InvoiceRow",
    "PaymentRow",
    "ShipmentLineRow",
    "ShipmentRow",
]

# Shipments that have left (and may have arrived): what invoices bill.
INVOICEABLE_SHIPMENTS: tuple[str, ...] = ("shipped", "delivered")


class InvoiceRow(msgspec.Struct, kw_only=True):
    id: str
    number: str
    order_id: str
    customer_id: str
    status: str
    issued_on: date
    due_on: date
    currency: str
    net_cents: int
    shipping_cents: int
    tax_cents: int
    total_cents: int
    paid_cents: int
    credited_cents: int
    created_by: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def balance_cents(self) -> int:
        return self.total_cents - self.paid_cents - self.credited_cents


class InvoiceLineRow(msgspec.Struct, kw_only=True):
    id: str
    invoice_id: str
    line_no: int
    order_line_id: str | None
    shipment_id: str | None
    sku: str
    description: str
    quantity: int
    unit_price_cents: int
    net_cents: int
    tax_cents: int
    total_cents: int


class PaymentRow(msgspec.Struct, kw_only=True):
    id: str
    number: str
    customer_id: str
    amount_cents: int
    unallocated_cents: int
    currency: str
    method: str
    reference: str
    received_on: date
    created_by: str | None
    created_at: datetime


class CreditNoteRow(msgspec.Struct, kw_only=True):
    id: str
    number: str
    invoice_id: str
    order_id: str
    customer_id: str
    kind: str
    return_id: str | None
    reason: str
    issued_on: date
    net_cents: int
    tax_cents: int
    total_cents: int
    unapplied_cents: int
    created_by: str | None
    created_at: datetime


class CreditNoteLineRow(msgspec.Struct, kw_only=True):
    id: str
    credit_note_id: str
    order_line_id: str | None
    description: str
    quantity: int
    net_cents: int
    tax_cents: int
    total_cents: int


class ShipmentRow(msgspec.Struct, kw_only=True):
    id: str
    number: str
    order_id: str
    status: str
    invoice_id: str | None


class ShipmentLineRow(msgspec.Struct, kw_only=True):
    shipment_id: str
    order_line_id: str
    quantity: int


class CustomerRef(msgspec.Struct, kw_only=True):
    """What a change-feed touch needs of a customer."""

    id: str
    territory_id: str
    status: str
    created_by: str | None
    owner_id: str | None


def _cols(table: Any, row_type: type[msgspec.Struct]) -> list[Any]:
    return [table.c[name] for name in row_type.__struct_fields__]


_ORDERS, _LINES = table_of(SalesOrder), table_of(SalesOrderLine)
_INVOICES, _INVOICE_LINES = table_of(Invoice), table_of(InvoiceLine)
_SHIPMENTS, _SHIPMENT_LINES = table_of(Shipment), table_of(ShipmentLine)
_PAYMENTS, _CREDIT_NOTES = table_of(Payment), table_of(CreditNote)
_CREDIT_NOTE_LINES = table_of(CreditNoteLine)
_CUSTOMERS = table_of(Customer)
_ORDER_COLUMNS = _cols(_ORDERS, OrderRow)
_LINE_COLUMNS = _cols(_LINES, OrderLineRow)
_INVOICE_COLUMNS = _cols(_INVOICES, InvoiceRow)
_SHIPPED = [literal(s) for s in INVOICEABLE_SHIPMENTS]


def _ids(n: int) -> list[Any]:
    return [bindparam(f"i{k}") for k in range(n)]


def _params(ids: Sequence[str]) -> dict[str, Any]:
    return {f"i{k}": value for k, value in enumerate(ids)}


_LOCK_ORDERS = by_arity(
    lambda n: (
        select(*_ORDER_COLUMNS)
        .where(_ORDERS.c.id.in_(_ids(n)))
        .order_by(_ORDERS.c.id)
        .with_for_update(of=_ORDERS)
    )
)
_LINES_OF = by_arity(
    lambda n: (
        select(*_LINE_COLUMNS)
        .where(_LINES.c.order_id.in_(_ids(n)))
        .order_by(_LINES.c.order_id, _LINES.c.line_no)
    )
)
_UNINVOICED_OF = by_arity(
    lambda n: (
        select(*_cols(_SHIPMENTS, ShipmentRow))
        .where(
            _SHIPMENTS.c.order_id.in_(_ids(n)),
            _SHIPMENTS.c.invoice_id.is_(None),
            _SHIPMENTS.c.status.in_(_SHIPPED),
        )
        .order_by(_SHIPMENTS.c.order_id, _SHIPMENTS.c.number)
    )
)
_SHIPMENT_LINES_OF = by_arity(
    lambda n: select(*_cols(_SHIPMENT_LINES, ShipmentLineRow)).where(
        _SHIPMENT_LINES.c.shipment_id.in_(_ids(n))
    )
)
_INVOICED_ORDERS = by_arity(
    lambda n: select(_INVOICES.c.order_id).where(_INVOICES.c.order_id.in_(_ids(n))).distinct()
)
_CUSTOMER_REFS = by_arity(
    lambda n: select(*_cols(_CUSTOMERS, CustomerRef)).where(_CUSTOMERS.c.id.in_(_ids(n)))
)
_ORDERS_TO_INVOICE = (
    select(_SHIPMENTS.c.order_id)
    .where(_SHIPMENTS.c.invoice_id.is_(None), _SHIPMENTS.c.status.in_(_SHIPPED))
    .group_by(_SHIPMENTS.c.order_id)
    .order_by(_SHIPMENTS.c.order_id)
    .limit(bindparam("limit"))
)
_SHIPMENT = select(*_cols(_SHIPMENTS, ShipmentRow)).where(_SHIPMENTS.c.id == bindparam("id"))
_INVOICE = select(*_INVOICE_COLUMNS).where(_INVOICES.c.id == bindparam("id"))
_INVOICE_LINES_OF = (
    select(*_cols(_INVOICE_LINES, InvoiceLineRow))
    .where(_INVOICE_LINES.c.invoice_id == bindparam("invoice_id"))
    .order_by(_INVOICE_LINES.c.line_no)
)
_OPEN_INVOICES_OF_CUSTOMER = (
    select(*_INVOICE_COLUMNS)
    .where(_INVOICES.c.customer_id == bindparam("customer_id"), _INVOICES.c.status == "open")
    .order_by(_INVOICES.c.due_on, _INVOICES.c.number)
)
_CREDITED_LINES_OF_INVOICE = (
    select(*_cols(_CREDIT_NOTE_LINES, CreditNoteLineRow))
    .join(_CREDIT_NOTES, _CREDIT_NOTES.c.id == _CREDIT_NOTE_LINES.c.credit_note_id)
    .where(_CREDIT_NOTES.c.invoice_id == bindparam("invoice_id"))
)
_CUSTOMER_CREDIT_PAYMENTS = (
    select(*_cols(_PAYMENTS, PaymentRow))
    .where(_PAYMENTS.c.customer_id == bindparam("customer_id"), _PAYMENTS.c.unallocated_cents > 0)
    .order_by(_PAYMENTS.c.received_on, _PAYMENTS.c.number)
)
_CUSTOMER_CREDIT_NOTES = (
    select(*_cols(_CREDIT_NOTES, CreditNoteRow))
    .where(
        _CREDIT_NOTES.c.customer_id == bindparam("customer_id"),
        _CREDIT_NOTES.c.unapplied_cents > 0,
    )
    .order_by(_CREDIT_NOTES.c.issued_on, _CREDIT_NOTES.c.number)
)

_INSERT_INVOICES = insert(_INVOICES)
_INSERT_INVOICE_LINES = insert(_INVOICE_LINES)
_INSERT_PAYMENT = insert(_PAYMENTS)
_INSERT_ALLOCATIONS = insert(table_of(PaymentAllocation))
_INSERT_CREDIT_NOTE = insert(_CREDIT_NOTES)
_INSERT_CREDIT_NOTE_LINES = insert(_CREDIT_NOTE_LINES)
# Only a shipment no invoice has billed yet: a second biller changes nothing (rowcount 0).
_MARK_SHIPMENT = (
    update(Shipment)
    .where(Shipment.id == bindparam("shipment_id"), Shipment.invoice_id.is_(None))
    .values(
        invoice_id=bindparam("billed_by"),
        updated_at=bindparam("now", type_=_SHIPMENTS.c.updated_at.type),
    )
)
_SAVE_INVOICED_QUANTITY = (
    update(SalesOrderLine)
    .where(SalesOrderLine.id == bindparam("line_id"))
    .values(quantity_invoiced=bindparam("invoiced"))
)
_ORDER_BILLING_COLUMNS = (
    "status",
    "billing_status",
    "invoiced_cents",
    "paid_cents",
    "credited_cents",
    "closed_at",
    "version",
    "updated_at",
)
_SAVE_ORDER_BILLING = (
    update(SalesOrder)
    .where(SalesOrder.id == bindparam("order_id"))
    .values(
        {
            name: bindparam(f"new_{name}", type_=_ORDERS.c[name].type)
            for name in _ORDER_BILLING_COLUMNS
        }
    )
)
_SAVE_INVOICE_MONEY = (
    update(Invoice)
    .where(Invoice.id == bindparam("invoice_id"))
    .values(
        paid_cents=bindparam("new_paid"),
        credited_cents=bindparam("new_credited"),
        status=bindparam("new_status"),
        updated_at=bindparam("now", type_=_INVOICES.c.updated_at.type),
    )
)
_SAVE_PAYMENT_CREDIT = (
    update(Payment)
    .where(Payment.id == bindparam("payment_id"))
    .values(unallocated_cents=bindparam("left"))
)
_SAVE_CREDIT_NOTE_CREDIT = (
    update(CreditNote)
    .where(CreditNote.id == bindparam("credit_note_id"))
    .values(unapplied_cents=bindparam("left"))
)

# IN lists longer than this are read in slices (both databases take far more parameters;
# one statement shape per slice length keeps the compiled-statement cache small).
_SLICE = 500


def _slices(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(ids), _SLICE):
        yield ids[start : start + _SLICE]


class BillingStore:
    """Billing rows in one unit of work (`uow.scoped(BillingStore)`)."""

    def __init__(self, uow: WriteUnit) -> None:
        self._uow = uow
        self._sql = uow.sql

    async def _many(self, statement: Any, ids: Sequence[str]) -> list[Any]:
        rows: list[Any] = []
        for part in _slices(ids):
            rows.extend(await self._sql.rows(statement(len(part)), _params(part)))
        return rows

    # --- reads ---------------------------------------------------------------------------

    async def orders_to_invoice(self, limit: int) -> list[str]:
        """Ids of orders with shipments no invoice has billed, in key order."""
        return [r.order_id for r in await self._sql.rows(_ORDERS_TO_INVOICE, {"limit": limit})]

    async def lock_orders(self, order_ids: Iterable[str]) -> list[OrderRow]:
        """The orders, locked to commit, in key order (two lockers queue, never deadlock)."""
        rows = await self._many(_LOCK_ORDERS, sorted(set(order_ids)))
        return [OrderRow(**r._asdict()) for r in rows]

    async def order_lines(self, order_ids: Sequence[str]) -> list[OrderLineRow]:
        return [OrderLineRow(**r._asdict()) for r in await self._many(_LINES_OF, order_ids)]

    async def uninvoiced_shipments(self, order_ids: Sequence[str]) -> list[ShipmentRow]:
        return [ShipmentRow(**r._asdict()) for r in await self._many(_UNINVOICED_OF, order_ids)]

    async def shipment(self, shipment_id: str) -> ShipmentRow | None:
        row = await self._sql.first(_SHIPMENT, {"id": shipment_id})
        return None if row is None else ShipmentRow(**row._asdict())

    async def shipment_lines(self, shipment_ids: Sequence[str]) -> list[ShipmentLineRow]:
        rows = await self._many(_SHIPMENT_LINES_OF, shipment_ids)
        return [ShipmentLineRow(**r._asdict()) for r in rows]

    async def orders_with_invoices(self, order_ids: Sequence[str]) -> set[str]:
        return {r.order_id for r in await self._many(_INVOICED_ORDERS, order_ids)}

    async def customers(self, customer_ids: Iterable[str]) -> dict[str, CustomerRef]:
        rows = await self._many(_CUSTOMER_REFS, sorted(set(customer_ids)))
        return {r.id: CustomerRef(**r._asdict()) for r in rows}

    async def invoice(self, invoice_id: str) -> InvoiceRow | None:
        row = await self._sql.first(_INVOICE, {"id": invoice_id})
        return None if row is None else InvoiceRow(**row._asdict())

    async def invoice_lines(self, invoice_id: str) -> list[InvoiceLineRow]:
        rows = await self._sql.rows(_INVOICE_LINES_OF, {"invoice_id": invoice_id})
        return [InvoiceLineRow(**r._asdict()) for r in rows]

    async def open_invoices(self, customer_id: str) -> list[InvoiceRow]:
        """The customer's open invoices, oldest due first."""
        rows = await self._sql.rows(_OPEN_INVOICES_OF_CUSTOMER, {"customer_id": customer_id})
        return [InvoiceRow(**r._asdict()) for r in rows]

    async def credited_lines(self, invoice_id: str) -> list[CreditNoteLineRow]:
        rows = await self._sql.rows(_CREDITED_LINES_OF_INVOICE, {"invoice_id": invoice_id})
        return [CreditNoteLineRow(**r._asdict()) for r in rows]

    async def credit_payments(self, customer_id: str) -> list[PaymentRow]:
        rows = await self._sql.rows(_CUSTOMER_CREDIT_PAYMENTS, {"customer_id": customer_id})
        return [PaymentRow(**r._asdict()) for r in rows]

    async def credit_notes_with_credit(self, customer_id: str) -> list[CreditNoteRow]:
        rows = await self._sql.rows(_CUSTOMER_CREDIT_NOTES, {"customer_id": customer_id})
        return [CreditNoteRow(**r._asdict()) for r in rows]

    # --- writes --------------------------------------------------------------------------

    async def insert_invoices(
        self, invoices: Sequence[InvoiceRow], lines: Sequence[InvoiceLineRow]
    ) -> None:
        await self._sql.execute_many(
            _INSERT_INVOICES, [msgspec.structs.asdict(x) for x in invoices]
        )
        await sales_sums.invoices_issued(self._uow, invoices)
        await self._sql.execute_many(
            _INSERT_INVOICE_LINES, [msgspec.structs.asdict(x) for x in lines]
        )

    async def mark_shipments(self, billed: Sequence[tuple[str, str]], now: datetime) -> int:
        """`(shipment_id, invoice_id)` pairs; returns how many shipments were still unbilled."""
        if not billed:
            return 0
        if len(billed) == 1:
            shipment_id, invoice_id = billed[0]
            return await self._sql.execute(
                _MARK_SHIPMENT, {"shipment_id": shipment_id, "billed_by": invoice_id, "now": now}
            )
        await self._sql.execute_many(
            _MARK_SHIPMENT,
            [{"shipment_id": s, "billed_by": i, "now": now} for s, i in billed],
        )
        return len(billed)

    async def save_invoiced_quantities(self, lines: Iterable[OrderLineRow]) -> None:
        await self._sql.execute_many(
            _SAVE_INVOICED_QUANTITY,
            [{"line_id": x.id, "invoiced": x.quantity_invoiced} for x in lines],
        )

    async def save_order_billing(self, orders: Iterable[OrderRow]) -> None:
        orders = list(orders)
        stored = await sales_sums.orders_as_stored(self._uow, (o.id for o in orders))
        for order in orders:
            sales_sums.order_changed(self._uow, stored.get(order.id), order)
        await self._sql.execute_many(
            _SAVE_ORDER_BILLING,
            [
                {
                    "order_id": o.id,
                    **{f"new_{name}": getattr(o, name) for name in _ORDER_BILLING_COLUMNS},
                }
                for o in orders
            ],
        )

    async def save_invoice_money(self, invoices: Iterable[InvoiceRow], now: datetime) -> None:
        await self._sql.execute_many(
            _SAVE_INVOICE_MONEY,
            [
                {
                    "invoice_id": x.id,
                    "new_paid": x.paid_cents,
                    "new_credited": x.credited_cents,
                    "new_status": x.status,
                    "now": now,
                }
                for x in invoices
            ],
        )

    async def insert_payment(
        self, payment: PaymentRow, allocations: Sequence[dict[str, Any]]
    ) -> None:
        await self._sql.execute(_INSERT_PAYMENT, msgspec.structs.asdict(payment))
        await self._sql.execute_many(_INSERT_ALLOCATIONS, list(allocations))
        await sales_sums.allocations_made(self._uow, allocations)

    async def insert_allocations(self, allocations: Sequence[dict[str, Any]]) -> None:
        await self._sql.execute_many(_INSERT_ALLOCATIONS, list(allocations))
        await sales_sums.allocations_made(self._uow, allocations)

    async def save_payment_credit(self, payments: Iterable[PaymentRow]) -> None:
        await self._sql.execute_many(
            _SAVE_PAYMENT_CREDIT,
            [{"payment_id": p.id, "left": p.unallocated_cents} for p in payments],
        )

    async def save_credit_note_credit(self, notes: Iterable[CreditNoteRow]) -> None:
        await self._sql.execute_many(
            _SAVE_CREDIT_NOTE_CREDIT,
            [{"credit_note_id": n.id, "left": n.unapplied_cents} for n in notes],
        )

    async def insert_credit_note(
        self, note: CreditNoteRow, lines: Sequence[CreditNoteLineRow]
    ) -> None:
        await self._sql.execute(_INSERT_CREDIT_NOTE, msgspec.structs.asdict(note))
        await self._sql.execute_many(
            _INSERT_CREDIT_NOTE_LINES, [msgspec.structs.asdict(x) for x in lines]
        )
