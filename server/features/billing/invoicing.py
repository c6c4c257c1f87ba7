"""Invoicing shipped goods: one shipment, every unbilled shipment of an order, or a run
over every order that has any.

All three share one path that works on a batch of locked orders: read their lines and
unbilled shipments in a few statements, draft each invoice with the pure rules
(`server.domain.billing.draft_invoice`), then write every invoice, line, shipment mark,
order line and order of the batch with one statement per kind. Lock order (PostgreSQL):
the invoice counter first, then the orders in key order; shipments are read again after
the lock, so two invoicers of the same order take turns and the second finds nothing
left to bill.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from server.db.types import new_id, utcnow
from server.db.unit_of_work import AuditRecord, WriteUnit
from server.domain.actor import CurrentUser
from server.domain.billing import LineToInvoice, draft_invoice, due_date
from server.domain.errors import Conflict, NotFound, ValidationFailed
from server.features.billing.order_billing import save_orders, settle_order
from server.features.billing.store import (
    INVOICEABLE_SHIPMENTS,
    BillingStore,
    InvoiceLineRow,
    InvoiceRow,
    ShipmentRow,
)
from server.features.notifications.events import invoice_event
from server.features.sales.order_store import OrderLineRow, OrderRow
from server.features.shared.numbers import hold_numbering, next_numbers

__all__ = ["RUN_BATCH", "IssuedInvoice", "invoice_order", "invoice_shipment", "invoicing_batch"]

# Orders billed per transaction by a run: large enough that the per-statement cost is
# spread thin, small enough that other writers get the database in between.
RUN_BATCH = 1000


@dataclass(frozen=True)
class IssuedInvoice:
    invoice: InvoiceRow
    lines: list[InvoiceLineRow]
    shipment_numbers: list[str]


async def invoice_shipment(uow: WriteUnit, user: CurrentUser, shipment_id: str) -> IssuedInvoice:
    """Invoice one shipment: the units it shipped, at the order's own prices."""
    store = uow.scoped(BillingStore)
    found = await store.shipment(shipment_id)
    if found is None:
        raise NotFound("No such shipment.", code="shipment_not_found")
    await hold_numbering(uow, "INV")
    orders = await store.lock_orders([found.order_id])
    shipment = await store.shipment(shipment_id)
    assert shipment is not None  # shipments are never deleted
    if shipment.invoice_id is not None:
        raise Conflict(
            f"Shipment {shipment.number} is already invoiced.",
            code="shipment_already_invoiced",
            details={"invoice_id": shipment.invoice_id},
        )
    if shipment.status not in INVOICEABLE_SHIPMENTS:
        raise Conflict(
            f"Shipment {shipment.number} has not left yet ({shipment.status}).",
            code="shipment_not_shipped",
        )
    issued = await _bill(uow, user.id, orders, [shipment])
    return issued[0]


async def invoice_order(uow: WriteUnit, user: CurrentUser, order_id: str) -> IssuedInvoice:
    """One invoice for every shipped shipment of the order that no invoice has billed."""
    store = uow.scoped(BillingStore)
    await hold_numbering(uow, "INV")
    orders = await store.lock_orders([order_id])
    if not orders:
        raise NotFound("No such order.", code="order_not_found")
    shipments = await store.uninvoiced_shipments([order_id])
    if not shipments:
        raise ValidationFailed(
            "There is nothing shipped and not yet invoiced on this order.",
            code="nothing_to_invoice",
        )
    issued = await _bill(uow, user.id, orders, shipments)
    return issued[0]


async def invoicing_batch(
    uow: WriteUnit, user: CurrentUser, *, limit: int = RUN_BATCH
) -> list[IssuedInvoice]:
    """One invoice per order for up to `limit` orders with unbilled shipments (the first
    in key order). A run repeats it, one transaction each, until a batch comes back short."""
    store = uow.scoped(BillingStore)
    await hold_numbering(uow, "INV")
    order_ids = await store.orders_to_invoice(limit)
    if not order_ids:
        return []
    orders = await store.lock_orders(order_ids)
    shipments = await store.uninvoiced_shipments([o.id for o in orders])
    return await _bill(uow, user.id, orders, shipments)


async def _bill(
    uow: WriteUnit, actor_id: str, orders: list[OrderRow], shipments: list[ShipmentRow]
) -> list[IssuedInvoice]:
    store = uow.scoped(BillingStore)
    shipments_of: dict[str, list[ShipmentRow]] = defaultdict(list)
    for shipment in shipments:
        shipments_of[shipment.order_id].append(shipment)
    billed_orders = [o for o in orders if shipments_of.get(o.id)]
    if not billed_orders:
        return []
    order_ids = [o.id for o in billed_orders]
    shipped_units: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    order_of_shipment = {s.id: s.order_id for s in shipments}
    for sl in await store.shipment_lines([s.id for s in shipments]):
        shipped_units[order_of_shipment[sl.shipment_id]][sl.order_line_id] += sl.quantity
    lines_of: dict[str, list[OrderLineRow]] = defaultdict(list)
    for line in await store.order_lines(order_ids):
        lines_of[line.order_id].append(line)
    invoiced_before = await store.orders_with_invoices(order_ids)
    numbers = await next_numbers(uow, "INV", len(billed_orders))

    today, now = date.today(), utcnow()
    issued: list[IssuedInvoice] = []
    changed_lines: list[OrderLineRow] = []
    events: list[AuditRecord] = []
    for order, number in zip(billed_orders, numbers, strict=True):
        units = shipped_units[order.id]
        lines = lines_of[order.id]
        draft = draft_invoice(
            [
                LineToInvoice(
                    order_line_id=x.id,
                    quantity=x.quantity,
                    net_cents=x.net_cents,
                    tax_cents=x.tax_cents,
                    quantity_shipped=x.quantity_shipped,
                    quantity_invoiced=x.quantity_invoiced,
                    to_invoice=units.get(x.id, 0),
                )
                for x in lines
            ],
            first_invoice=order.id not in invoiced_before,
            shipping_cents=order.shipping_cents,
            shipping_tax_cents=order.shipping_tax_cents,
        )
        billed_shipments = shipments_of[order.id]
        invoice = InvoiceRow(
            id=new_id(),
            number=number,
            order_id=order.id,
            customer_id=order.customer_id,
            status="open" if draft.total_cents > 0 else "paid",
            issued_on=today,
            due_on=due_date(today, order.payment_terms),
            currency=order.currency,
            net_cents=draft.net_cents,
            shipping_cents=draft.shipping_cents,
            tax_cents=draft.tax_cents,
            total_cents=draft.total_cents,
            paid_cents=0,
            credited_cents=0,
            created_by=actor_id,
            created_at=now,
            updated_at=now,
        )
        by_id = {x.id: x for x in lines}
        only_shipment = billed_shipments[0].id if len(billed_shipments) == 1 else None
        invoice_lines = []
        for line_no, drafted in enumerate(draft.lines, start=1):
            source = by_id.get(drafted.order_line_id or "")
            invoice_lines.append(
                InvoiceLineRow(
                    id=new_id(),
                    invoice_id=invoice.id,
                    line_no=line_no,
                    order_line_id=drafted.order_line_id,
                    shipment_id=only_shipment if source is not None else None,
                    sku=source.sku if source is not None else "",
                    description=source.name if source is not None else "Shipping",
                    quantity=drafted.share.quantity,
                    unit_price_cents=(
                        source.unit_price_cents if source is not None else drafted.share.net_cents
                    ),
                    net_cents=drafted.share.net_cents,
                    tax_cents=drafted.share.tax_cents,
                    total_cents=drafted.share.total_cents,
                )
            )
            if source is not None:
                source.quantity_invoiced += drafted.share.quantity
                changed_lines.append(source)
        order.invoiced_cents += invoice.total_cents
        events.extend(
            settle_order(
                order,
                actor_id=actor_id,
                action="invoice",
                now=now,
                data={
                    "invoice_id": invoice.id,
                    "invoice_number": invoice.number,
                    "total_cents": invoice.total_cents,
                    "shipments": [s.number for s in billed_shipments],
                },
            )
        )
        issued.append(IssuedInvoice(invoice, invoice_lines, [s.number for s in billed_shipments]))

    await store.insert_invoices(
        [i.invoice for i in issued], [line for i in issued for line in i.lines]
    )
    marks = [(s.id, i.invoice.id) for i in issued for s in shipments_of[i.invoice.order_id]]
    if await store.mark_shipments(marks, now) != len(marks):
        raise Conflict(
            "A shipment was invoiced at the same moment.", code="shipment_already_invoiced"
        )
    await store.save_invoiced_quantities(changed_lines)
    await save_orders(uow, billed_orders, events, reason="invoiced")
    await uow.outbox.emit(*(invoice_event(invoice=i.invoice) for i in issued))
    return issued
