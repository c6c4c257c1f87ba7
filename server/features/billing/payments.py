"""Payments received and the customer's credit: allocate money to open invoices.

A payment is allocated to the invoices it names or, naming none, to the oldest due first;
what no invoice takes stays on the payment as the customer's credit (`unallocated_cents`).
Applying credit spends that, and what credit notes could not apply to their own invoice,
on open invoices the same way. Each changes the invoices' paid or credited cents and their
orders' totals, billing sub-state and (delivered and paid) status.

Lock order (PostgreSQL): the payment counter (held by both actions, so two of them never
spend the same credit), then the customer's orders that have open invoices, in key order;
the open invoices are read after that lock, as every change of an invoice's money is
made under its order's lock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from server.db.models import Customer
from server.db.types import new_id, utcnow
from server.db.unit_of_work import AuditRecord, WriteUnit
from server.domain.billing import Allocation, OpenItem, allocate_amount
from server.domain.errors import NotFound
from server.features.billing.order_billing import save_orders, settle_order
from server.features.billing.store import BillingStore, InvoiceRow, PaymentRow
from server.features.notifications.events import payment_event
from server.features.shared.numbers import hold_numbering, next_number

__all__ = ["AppliedCredit", "RecordedPayment", "apply_credit", "record_payment"]


@dataclass(frozen=True)
class RecordedPayment:
    payment: PaymentRow
    allocations: list[Allocation]


@dataclass(frozen=True)
class AppliedCredit:
    applied_cents: int
    allocations: list[Allocation]
    credit_left_cents: int


async def _customer_exists(uow: WriteUnit, customer_id: str) -> None:
    found = await uow.session.scalar(select(Customer.id).where(Customer.id == customer_id))
    if found is None:
        raise NotFound("No such customer.", code="customer_not_found")


async def _locked_open_invoices(uow: WriteUnit, customer_id: str) -> list[InvoiceRow]:
    store = uow.scoped(BillingStore)
    unlocked = await store.open_invoices(customer_id)
    locked = {o.id for o in await store.lock_orders(i.order_id for i in unlocked)}
    # An invoice issued in between, on an order not locked here, waits for the next payment:
    # locking its order now would break the key order of the locks.
    return [i for i in await store.open_invoices(customer_id) if i.order_id in locked]


def _open_items(invoices: Sequence[InvoiceRow]) -> list[OpenItem]:
    return [OpenItem(i.id, i.due_on, i.number, i.balance_cents) for i in invoices]


async def _pay_invoices(
    uow: WriteUnit,
    actor_id: str,
    invoices: Sequence[InvoiceRow],
    allocations: Sequence[Allocation],
    *,
    action: str,
    credited: bool,
    data: dict[str, object],
    now: datetime,
) -> None:
    """Add each allocation to its invoice (paid, or credited when it comes from a credit
    note) and to the invoice's order, settle the orders and save them."""
    if not allocations:
        return
    store = uow.scoped(BillingStore)
    by_id = {i.id: i for i in invoices}
    per_order: dict[str, list[tuple[InvoiceRow, int]]] = defaultdict(list)
    for allocation in allocations:
        invoice = by_id[allocation.invoice_id]
        if credited:
            invoice.credited_cents += allocation.amount_cents
        else:
            invoice.paid_cents += allocation.amount_cents
        invoice.status = "paid" if invoice.balance_cents <= 0 else "open"
        per_order[invoice.order_id].append((invoice, allocation.amount_cents))
    await store.save_invoice_money([by_id[a.invoice_id] for a in allocations], now)
    orders = await store.lock_orders(per_order)
    events: list[AuditRecord] = []
    for order in orders:
        amount = sum(cents for _, cents in per_order[order.id])
        if credited:
            order.credited_cents += amount
        else:
            order.paid_cents += amount
        events.extend(
            settle_order(
                order,
                actor_id=actor_id,
                action=action,
                now=now,
                data={
                    **data,
                    "amount_cents": amount,
                    "invoices": [i.number for i, _ in per_order[order.id]],
                },
            )
        )
    await save_orders(uow, orders, events, reason=action)


async def record_payment(
    uow: WriteUnit,
    actor_id: str,
    *,
    customer_id: str,
    amount_cents: int,
    method: str,
    reference: str,
    received_on: date,
    allocations: Sequence[Allocation] | None,
) -> RecordedPayment:
    """Book a payment and allocate it (see the module); refused whole with 422 when an
    allocation names an invoice that is not the customer's and open, or asks more than its
    balance or than the payment."""
    number = await next_number(uow, "PAY")
    await _customer_exists(uow, customer_id)
    invoices = await _locked_open_invoices(uow, customer_id)
    plan = allocate_amount(amount_cents, _open_items(invoices), allocations)
    now = utcnow()
    payment = PaymentRow(
        id=new_id(),
        number=number,
        customer_id=customer_id,
        amount_cents=amount_cents,
        unallocated_cents=plan.unallocated_cents,
        currency="USD",
        method=method,
        reference=reference.strip(),
        received_on=received_on,
        created_by=actor_id,
        created_at=now,
    )
    await uow.scoped(BillingStore).insert_payment(
        payment,
        [
            {
                "id": new_id(),
                "payment_id": payment.id,
                "invoice_id": a.invoice_id,
                "amount_cents": a.amount_cents,
                "created_at": now,
            }
            for a in plan.allocations
        ],
    )
    await _pay_invoices(
        uow,
        actor_id,
        invoices,
        plan.allocations,
        action="payment",
        credited=False,
        data={"payment_id": payment.id, "payment_number": payment.number},
        now=now,
    )
    await uow.outbox.emit(payment_event(payment=payment))
    return RecordedPayment(payment, list(plan.allocations))


async def apply_credit(uow: WriteUnit, actor_id: str, customer_id: str) -> AppliedCredit:
    """Spend the customer's credit on open invoices, oldest due first: unallocated payments
    first (oldest received first), then credit notes' unapplied amounts."""
    await hold_numbering(uow, "PAY")
    await _customer_exists(uow, customer_id)
    store = uow.scoped(BillingStore)
    invoices = await _locked_open_invoices(uow, customer_id)
    payments = await store.credit_payments(customer_id)
    notes = await store.credit_notes_with_credit(customer_id)
    now = utcnow()
    spent: list[Allocation] = []
    for payment in payments:
        plan = allocate_amount(payment.unallocated_cents, _open_items(invoices))
        if not plan.allocations:
            break
        payment.unallocated_cents = plan.unallocated_cents
        await store.insert_allocations(
            [
                {
                    "id": new_id(),
                    "payment_id": payment.id,
                    "invoice_id": a.invoice_id,
                    "amount_cents": a.amount_cents,
                    "created_at": now,
                }
                for a in plan.allocations
            ]
        )
        await _pay_invoices(
            uow,
            actor_id,
            invoices,
            plan.allocations,
            action="credit_applied",
            credited=False,
            data={"payment_id": payment.id, "payment_number": payment.number},
            now=now,
        )
        spent.extend(plan.allocations)
    for note in notes:
        plan = allocate_amount(note.unapplied_cents, _open_items(invoices))
        if not plan.allocations:
            break
        note.unapplied_cents = plan.unallocated_cents
        await _pay_invoices(
            uow,
            actor_id,
            invoices,
            plan.allocations,
            action="credit_applied",
            credited=True,
            data={"credit_note_id": note.id, "credit_note_number": note.number},
            now=now,
        )
        spent.extend(plan.allocations)
    await store.save_payment_credit(payments)
    await store.save_credit_note_credit(notes)
    left = sum(p.unallocated_cents for p in payments) + sum(n.unapplied_cents for n in notes)
    return AppliedCredit(sum(a.amount_cents for a in spent), spent, left)
