"""Credit notes against an invoice: a price correction (an amount off a billed line) or a
return (returned units at the amounts they were invoiced at, pro rata and exact).

The credit reduces its invoice's open balance; what exceeds the balance stays on the
credit note as the customer's credit (`unapplied_cents`), spent later by applying credit.
The invoice's and its order's credited cents follow what the invoice took.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from server.db.types import new_id, utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.billing import Share, correction_share, line_share, within_creditable
from server.domain.errors import NotFound, ValidationFailed
from server.features.billing.order_billing import save_orders, settle_order
from server.features.billing.store import (
    BillingStore,
    CreditNoteLineRow,
    CreditNoteRow,
    InvoiceLineRow,
)
from server.features.notifications.events import credit_note_event
from server.features.shared.numbers import next_number

__all__ = ["CREDIT_KINDS", "CreditRequest", "IssuedCreditNote", "issue_credit_note"]

CREDIT_KINDS = ("price_correction", "return")


@dataclass(frozen=True)
class CreditRequest:
    """Credit for one billed order line: `quantity` units, or `amount_cents` net."""

    order_line_id: str
    quantity: int | None = None
    amount_cents: int | None = None


@dataclass(frozen=True)
class IssuedCreditNote:
    note: CreditNoteRow
    lines: list[CreditNoteLineRow]
    applied_cents: int


def _share(
    line: InvoiceLineRow,
    wanted: CreditRequest,
    credited_qty: int,
    credited_net: int,
    *,
    returned: bool,
) -> Share:
    if (wanted.quantity is None) == (wanted.amount_cents is None):
        raise ValidationFailed(
            "Give each credited line a quantity or an amount, not both.",
            code="quantity_or_amount",
            details={"order_line_id": wanted.order_line_id},
        )
    if wanted.amount_cents is not None:
        return correction_share(
            amount_cents=wanted.amount_cents,
            line_net_cents=line.net_cents,
            line_tax_cents=line.tax_cents,
            creditable_net_cents=line.net_cents - credited_net,
        )
    assert wanted.quantity is not None
    share = line_share(
        net_cents=line.net_cents,
        tax_cents=line.tax_cents,
        line_quantity=line.quantity,
        already=credited_qty,
        quantity=wanted.quantity,
    )
    if returned:
        return within_creditable(share, creditable_net_cents=line.net_cents - credited_net)
    if credited_net + share.net_cents > line.net_cents:
        raise ValidationFailed(
            "This credit and the corrections already given are more than the line billed.",
            code="credit_exceeds_line",
            details={"order_line_id": wanted.order_line_id},
        )
    return share


async def issue_credit_note(
    uow: WriteUnit,
    actor_id: str,
    *,
    invoice_id: str,
    kind: str,
    reason: str,
    lines: list[CreditRequest],
    return_id: str | None = None,
) -> IssuedCreditNote:
    """Issue a credit note for billed lines of an invoice (see the module). Refused whole
    with 422 when a line was not billed on the invoice or asks more than is left of it."""
    if kind not in CREDIT_KINDS:
        raise ValidationFailed(f"Unknown credit note kind {kind!r}.", code="unknown_credit_kind")
    if not lines:
        raise ValidationFailed("A credit note needs at least one line.", code="nothing_to_credit")
    store = uow.scoped(BillingStore)
    number = await next_number(uow, "CN")
    found = await store.invoice(invoice_id)
    if found is None:
        raise NotFound("No such invoice.", code="invoice_not_found")
    orders = await store.lock_orders([found.order_id])
    invoice = await store.invoice(invoice_id)
    assert invoice is not None and orders
    order = orders[0]
    billed = {x.order_line_id: x for x in await store.invoice_lines(invoice.id) if x.order_line_id}
    credited_qty: dict[str, int] = defaultdict(int)
    credited_net: dict[str, int] = defaultdict(int)
    for done in await store.credited_lines(invoice.id):
        if done.order_line_id:
            credited_qty[done.order_line_id] += done.quantity
            credited_net[done.order_line_id] += done.net_cents
    note_id, now = new_id(), utcnow()
    note_lines: list[CreditNoteLineRow] = []
    for wanted in lines:
        line = billed.get(wanted.order_line_id)
        if line is None:
            raise ValidationFailed(
                "That order line is not billed on this invoice.",
                code="line_not_on_invoice",
                details={"order_line_id": wanted.order_line_id},
            )
        share = _share(
            line,
            wanted,
            credited_qty[line.order_line_id or ""],
            credited_net[line.order_line_id or ""],
            returned=kind == "return",
        )
        credited_qty[wanted.order_line_id] += share.quantity
        credited_net[wanted.order_line_id] += share.net_cents
        note_lines.append(
            CreditNoteLineRow(
                id=new_id(),
                credit_note_id=note_id,
                order_line_id=wanted.order_line_id,
                description=line.description,
                quantity=share.quantity,
                net_cents=share.net_cents,
                tax_cents=share.tax_cents,
                total_cents=share.total_cents,
            )
        )
    total = sum(x.total_cents for x in note_lines)
    applied = max(0, min(total, invoice.balance_cents))
    note = CreditNoteRow(
        id=note_id,
        number=number,
        invoice_id=invoice.id,
        order_id=invoice.order_id,
        customer_id=invoice.customer_id,
        kind=kind,
        return_id=return_id,
        reason=reason.strip(),
        issued_on=date.today(),
        net_cents=sum(x.net_cents for x in note_lines),
        tax_cents=sum(x.tax_cents for x in note_lines),
        total_cents=total,
        unapplied_cents=total - applied,
        created_by=actor_id,
        created_at=now,
    )
    await store.insert_credit_note(note, note_lines)
    invoice.credited_cents += applied
    invoice.status = "paid" if invoice.balance_cents <= 0 else "open"
    await store.save_invoice_money([invoice], now)
    order.credited_cents += applied
    events = settle_order(
        order,
        actor_id=actor_id,
        action="credit_note",
        now=now,
        data={
            "credit_note_id": note.id,
            "credit_note_number": note.number,
            "invoice_number": invoice.number,
            "kind": kind,
            "total_cents": total,
            "applied_cents": applied,
        },
    )
    await save_orders(uow, [order], events, reason=f"credit note {note.number}")
    await uow.outbox.emit(credit_note_event(credit_note=note))
    return IssuedCreditNote(note, note_lines, applied)
