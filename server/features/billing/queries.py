"""Reading invoices, receivables and the invoicing queue, in the caller's order scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    SalesOrder,
    Shipment,
)
from server.domain.billing import AGEING_BUCKETS, ageing, ageing_bucket
from server.domain.errors import NotFound, ValidationFailed
from server.features.billing.schemas import (
    CreditNoteLineOut,
    CreditNoteOut,
    InvoiceDetail,
    InvoiceLineOut,
    InvoicePage,
    InvoiceSummary,
    ReceivedPaymentOut,
)
from server.features.billing.store import INVOICEABLE_SHIPMENTS
from server.features.sales.order_queries import order_filter
from server.features.shared.scope import Scope

__all__ = [
    "INVOICE_STATUSES",
    "Receivables",
    "credit_note_out",
    "customer_credit_cents",
    "invoice_detail",
    "invoice_detail_where",
    "invoicing_queue",
    "list_invoices",
    "receivables",
]

INVOICE_STATUSES = ("open", "paid")


def _summary_query() -> Select[Invoice, str]:
    return select(Invoice, SalesOrder.number.label("order_number")).join(
        SalesOrder, SalesOrder.id == Invoice.order_id
    )


def _summary(invoice: Invoice, order_number: str, today: date) -> InvoiceSummary:
    balance = invoice.total_cents - invoice.paid_cents - invoice.credited_cents
    return InvoiceSummary(
        id=invoice.id,
        number=invoice.number,
        order_id=invoice.order_id,
        order_number=order_number,
        customer_id=invoice.customer_id,
        status=invoice.status,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        currency=invoice.currency,
        total_cents=invoice.total_cents,
        paid_cents=invoice.paid_cents,
        credited_cents=invoice.credited_cents,
        balance_cents=balance,
        overdue=invoice.status == "open" and invoice.due_on < today,
    )


async def list_invoices(
    session: AsyncSession,
    scope: Scope,
    *,
    customer_id: str | None,
    status: str | None,
    overdue: bool | None,
    limit: int,
    offset: int,
    order_id: str | None = None,
    today: date | None = None,
) -> InvoicePage:
    """Invoices of the orders the caller can see, oldest due first."""
    today = today or date.today()
    if status and status not in INVOICE_STATUSES:
        raise ValidationFailed(
            f"Unknown invoice status '{status}'.",
            code="unknown_status",
            details={"allowed": list(INVOICE_STATUSES)},
        )
    where: list[ColumnElement[bool]] = [order_filter(scope)]
    if customer_id:
        where.append(Invoice.customer_id == customer_id)
    if order_id:
        where.append(Invoice.order_id == order_id)
    if status:
        where.append(Invoice.status == status)
    if overdue is True:
        where += [Invoice.status == "open", Invoice.due_on < today]
    elif overdue is False:
        where.append(~((Invoice.status == "open") & (Invoice.due_on < today)))
    counted = (
        select(func.count())
        .select_from(Invoice)
        .join(SalesOrder, SalesOrder.id == Invoice.order_id)
        .where(*where)
    )
    total = int(await session.scalar(counted) or 0)
    rows = await session.execute(
        _summary_query()
        .where(*where)
        .order_by(Invoice.due_on, Invoice.number)
        .limit(limit)
        .offset(offset)
    )
    return InvoicePage(
        items=[_summary(r.Invoice, r.order_number, today) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


def credit_note_out(note: Any, lines: list[Any]) -> CreditNoteOut:
    return CreditNoteOut(
        id=note.id,
        number=note.number,
        invoice_id=note.invoice_id,
        order_id=note.order_id,
        customer_id=note.customer_id,
        kind=note.kind,
        reason=note.reason,
        issued_on=note.issued_on,
        net_cents=note.net_cents,
        tax_cents=note.tax_cents,
        total_cents=note.total_cents,
        unapplied_cents=note.unapplied_cents,
        lines=[
            CreditNoteLineOut(
                order_line_id=x.order_line_id,
                description=x.description,
                quantity=x.quantity,
                net_cents=x.net_cents,
                tax_cents=x.tax_cents,
                total_cents=x.total_cents,
            )
            for x in lines
        ],
    )


async def invoice_detail(
    session: AsyncSession, scope: Scope, invoice_id: str, *, today: date | None = None
) -> InvoiceDetail:
    """The invoice with its lines, shipments, payments and credit notes; NotFound also when
    its order is outside the caller's scope."""
    return await invoice_detail_where(session, order_filter(scope), invoice_id, today=today)


async def invoice_detail_where(
    session: AsyncSession,
    orders: ColumnElement[bool],
    invoice_id: str,
    *,
    today: date | None = None,
) -> InvoiceDetail:
    """`invoice_detail` for an invoice whose order meets `orders` (a condition on
    SalesOrder): the customer portal's scope is a customer or one order, not a user's."""
    row = (await session.execute(_summary_query().where(Invoice.id == invoice_id, orders))).first()
    if row is None:
        raise NotFound("No such invoice.", code="invoice_not_found")
    invoice: Invoice = row.Invoice
    lines = (
        await session.execute(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == invoice.id)
            .order_by(InvoiceLine.line_no)
        )
    ).scalars()
    shipments = (
        await session.execute(
            select(Shipment.number)
            .where(Shipment.invoice_id == invoice.id)
            .order_by(Shipment.number)
        )
    ).scalars()
    payments = await session.execute(
        select(Payment, PaymentAllocation.amount_cents.label("allocated"))
        .join(PaymentAllocation, PaymentAllocation.payment_id == Payment.id)
        .where(PaymentAllocation.invoice_id == invoice.id)
        .order_by(Payment.received_on, Payment.number)
    )
    notes = list(
        (
            await session.execute(
                select(CreditNote)
                .where(CreditNote.invoice_id == invoice.id)
                .order_by(CreditNote.number)
            )
        ).scalars()
    )
    note_lines: dict[str, list[Any]] = {n.id: [] for n in notes}
    if notes:
        for line in (
            await session.execute(
                select(CreditNoteLine).where(CreditNoteLine.credit_note_id.in_(list(note_lines)))
            )
        ).scalars():
            note_lines[line.credit_note_id].append(line)
    return InvoiceDetail(
        invoice=_summary(invoice, row.order_number, today or date.today()),
        net_cents=invoice.net_cents,
        shipping_cents=invoice.shipping_cents,
        tax_cents=invoice.tax_cents,
        lines=[
            InvoiceLineOut(
                line_no=x.line_no,
                order_line_id=x.order_line_id,
                sku=x.sku,
                description=x.description,
                quantity=x.quantity,
                unit_price_cents=x.unit_price_cents,
                net_cents=x.net_cents,
                tax_cents=x.tax_cents,
                total_cents=x.total_cents,
            )
            for x in lines
        ],
        shipments=list(shipments),
        payments=[
            ReceivedPaymentOut(
                payment_id=p.Payment.id,
                number=p.Payment.number,
                method=p.Payment.method,
                reference=p.Payment.reference,
                received_on=p.Payment.received_on,
                amount_cents=p.allocated,
            )
            for p in payments
        ],
        credit_notes=[credit_note_out(n, note_lines[n.id]) for n in notes],
    )


@dataclass(frozen=True)
class Receivables:
    """Open invoices with their ageing, and the totals per bucket."""

    invoices: list[InvoiceSummary]
    buckets: dict[str, int]
    bucket_of: dict[str, str]
    total_cents: int
    overdue_cents: int


async def receivables(
    session: AsyncSession,
    scope: Scope,
    *,
    customer_id: str | None = None,
    today: date | None = None,
    limit: int = 500,
) -> Receivables:
    today = today or date.today()
    where: list[ColumnElement[bool]] = [order_filter(scope), Invoice.status == "open"]
    if customer_id:
        where.append(Invoice.customer_id == customer_id)
    sums = await session.execute(
        select(
            Invoice.due_on,
            func.sum(Invoice.total_cents - Invoice.paid_cents - Invoice.credited_cents),
        )
        .join(SalesOrder, SalesOrder.id == Invoice.order_id)
        .where(*where)
        .group_by(Invoice.due_on)
    )
    buckets = ageing(((due, int(balance or 0)) for due, balance in sums), today)
    rows = await session.execute(
        _summary_query().where(*where).order_by(Invoice.due_on, Invoice.number).limit(limit)
    )
    invoices = [_summary(r.Invoice, r.order_number, today) for r in rows]
    total = sum(buckets.values())
    return Receivables(
        invoices=invoices,
        buckets={name: buckets[name] for name in AGEING_BUCKETS},
        bucket_of={i.id: ageing_bucket(i.due_on, today) for i in invoices},
        total_cents=total,
        overdue_cents=total - buckets["current"],
    )


async def customer_credit_cents(session: AsyncSession, customer_id: str) -> int:
    """The customer's credit: payments no invoice took and credit notes' unapplied rest."""
    unallocated = await session.scalar(
        select(func.coalesce(func.sum(Payment.unallocated_cents), 0)).where(
            Payment.customer_id == customer_id
        )
    )
    unapplied = await session.scalar(
        select(func.coalesce(func.sum(CreditNote.unapplied_cents), 0)).where(
            CreditNote.customer_id == customer_id
        )
    )
    return int(unallocated or 0) + int(unapplied or 0)


async def invoicing_queue(session: AsyncSession, *, limit: int = 200) -> tuple[list[Any], int]:
    """Orders with shipped goods not yet invoiced (oldest placed first), and how many."""
    pending = (
        select(Shipment.order_id)
        .where(Shipment.invoice_id.is_(None), Shipment.status.in_(INVOICEABLE_SHIPMENTS))
        .distinct()
    )
    count = int(await session.scalar(select(func.count()).select_from(pending.subquery())) or 0)
    rows = (
        await session.execute(
            select(SalesOrder)
            .where(SalesOrder.id.in_(pending))
            .order_by(SalesOrder.placed_at, SalesOrder.id)
            .limit(limit)
        )
    ).scalars()
    return list(rows), count
