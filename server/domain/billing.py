"""Billing rules: due dates, invoice and credit amounts, the billing sub-state, payment
allocation and receivables ageing. Plain data in, plain data out.

Amounts are integer cents. A share of a priced line (some of its units) is computed from
the line's own net and tax, never re-priced: the cumulative amount of the first k of its
n units is `round_half_up(amount * k / n)`, and a share is the difference of two
cumulative amounts. So however a line is split (1+1+1, 2+1, all at once), its shares add
up exactly to the line, and the last units take the remainder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from server.domain.customers import payment_due_on
from server.domain.errors import ValidationFailed
from server.domain.orders import BillingStatus

__all__ = [
    "AGEING_BUCKETS",
    "Allocation",
    "AllocationPlan",
    "InvoiceDraft",
    "InvoiceDraftLine",
    "LineToInvoice",
    "OpenItem",
    "Share",
    "ageing",
    "ageing_bucket",
    "allocate_amount",
    "billing_status",
    "correction_share",
    "draft_invoice",
    "due_date",
    "invoice_balance",
    "line_share",
    "within_creditable",
]

AGEING_BUCKETS: tuple[str, ...] = ("current", "1-30", "31-60", "61-90", "90+")


def due_date(issued_on: date, payment_terms: str) -> date:
    """When an invoice issued on `issued_on` falls due under the order's payment terms."""
    return payment_due_on(issued_on, payment_terms)


# --- shares of a line ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Share:
    """Some units of a priced line: their net, tax and total cents."""

    quantity: int
    net_cents: int
    tax_cents: int

    @property
    def total_cents(self) -> int:
        return self.net_cents + self.tax_cents


def _cumulative(amount_cents: int, units: int, of_units: int) -> int:
    if units >= of_units:
        return amount_cents
    exact = Decimal(amount_cents) * units / of_units
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_share(
    *, net_cents: int, tax_cents: int, line_quantity: int, already: int, quantity: int
) -> Share:
    """`quantity` more units of a line of `line_quantity` units worth `net_cents` and
    `tax_cents`, after `already` units were taken: pro rata, exact over any split."""
    if quantity <= 0 or already < 0 or already + quantity > line_quantity:
        raise ValidationFailed(
            f"Cannot take {quantity} units after {already} of a line of {line_quantity}.",
            code="quantity_out_of_range",
            details={"line_quantity": line_quantity, "already": already, "quantity": quantity},
        )
    net = _cumulative(net_cents, already + quantity, line_quantity) - _cumulative(
        net_cents, already, line_quantity
    )
    tax = _cumulative(tax_cents, already + quantity, line_quantity) - _cumulative(
        tax_cents, already, line_quantity
    )
    return Share(quantity, net, tax)


def correction_share(
    *, amount_cents: int, line_net_cents: int, line_tax_cents: int, creditable_net_cents: int
) -> Share:
    """A price correction of `amount_cents` net on a billed line: tax in the line's own
    proportion of tax to net; never more than the line's net not yet credited."""
    if amount_cents <= 0 or amount_cents > creditable_net_cents:
        raise ValidationFailed(
            f"A correction of {amount_cents} cents is more than the {creditable_net_cents} "
            "cents of this line that can still be credited.",
            code="credit_exceeds_line",
            details={"amount_cents": amount_cents, "creditable_net_cents": creditable_net_cents},
        )
    tax = (
        0
        if line_net_cents == 0
        else int(
            (Decimal(amount_cents) * line_tax_cents / line_net_cents).quantize(
                Decimal(1), rounding=ROUND_HALF_UP
            )
        )
    )
    return Share(0, amount_cents, tax)


def within_creditable(share: Share, *, creditable_net_cents: int) -> Share:
    """Returned units' credit, held to what the line still has to credit: price
    corrections may already have credited most of it, and the goods still come back (the
    units count in full, the money only up to what is left; the tax falls with the net)."""
    net = max(0, min(share.net_cents, creditable_net_cents))
    if net == share.net_cents:
        return share
    tax = int(
        (Decimal(share.tax_cents) * net / share.net_cents).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )
    return Share(share.quantity, net, tax)


# --- drafting an invoice -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineToInvoice:
    """An order line and the shipped units an invoice is to bill of it now."""

    order_line_id: str
    quantity: int  # ordered
    net_cents: int
    tax_cents: int
    quantity_shipped: int
    quantity_invoiced: int  # before this invoice
    to_invoice: int


@dataclass(frozen=True, slots=True)
class InvoiceDraftLine:
    order_line_id: str | None  # None: the order's shipping charge
    share: Share


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    lines: tuple[InvoiceDraftLine, ...]
    net_cents: int
    shipping_cents: int
    tax_cents: int  # the lines' and the shipping's

    @property
    def total_cents(self) -> int:
        return self.net_cents + self.shipping_cents + self.tax_cents


def draft_invoice(
    lines: Sequence[LineToInvoice],
    *,
    first_invoice: bool,
    shipping_cents: int,
    shipping_tax_cents: int,
) -> InvoiceDraft:
    """The amounts of an invoice billing `to_invoice` units of each line; the order's
    shipping charge and its tax go on its first invoice. Refuses to bill more than has
    shipped, and an invoice with nothing on it."""
    drafted: list[InvoiceDraftLine] = []
    for line in lines:
        if line.to_invoice <= 0:
            continue
        if line.quantity_invoiced + line.to_invoice > line.quantity_shipped:
            raise ValidationFailed(
                "An invoice cannot bill more than has shipped.",
                code="invoiced_exceeds_shipped",
                details={
                    "order_line_id": line.order_line_id,
                    "shipped": line.quantity_shipped,
                    "invoiced": line.quantity_invoiced,
                    "to_invoice": line.to_invoice,
                },
            )
        share = line_share(
            net_cents=line.net_cents,
            tax_cents=line.tax_cents,
            line_quantity=line.quantity,
            already=line.quantity_invoiced,
            quantity=line.to_invoice,
        )
        drafted.append(InvoiceDraftLine(line.order_line_id, share))
    if not drafted:
        raise ValidationFailed(
            "There is nothing shipped and not yet invoiced.", code="nothing_to_invoice"
        )
    shipping = shipping_cents if first_invoice else 0
    shipping_tax = shipping_tax_cents if first_invoice else 0
    if shipping or shipping_tax:
        drafted.append(InvoiceDraftLine(None, Share(1, shipping, shipping_tax)))
    net = sum(x.share.net_cents for x in drafted if x.order_line_id is not None)
    tax = sum(x.share.tax_cents for x in drafted)
    return InvoiceDraft(tuple(drafted), net, shipping, tax)


# --- states --------------------------------------------------------------------------------


def invoice_balance(*, total_cents: int, paid_cents: int, credited_cents: int) -> int:
    return total_cents - paid_cents - credited_cents


def billing_status(
    *, total_cents: int, invoiced_cents: int, paid_cents: int, credited_cents: int
) -> BillingStatus:
    """The order's billing sub-state from its total and what was invoiced, paid and
    credited against its invoices."""
    if invoiced_cents <= 0 and paid_cents <= 0:
        return BillingStatus.NOT_INVOICED
    fully_invoiced = invoiced_cents >= total_cents
    open_balance = invoiced_cents - paid_cents - credited_cents
    if fully_invoiced and open_balance <= 0:
        return BillingStatus.PAID
    if paid_cents > 0:
        return BillingStatus.PARTIALLY_PAID
    return BillingStatus.INVOICED if fully_invoiced else BillingStatus.PARTIALLY_INVOICED


# --- allocating money over open invoices ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An open invoice as allocation sees it."""

    invoice_id: str
    due_on: date
    number: str
    balance_cents: int


@dataclass(frozen=True, slots=True)
class Allocation:
    invoice_id: str
    amount_cents: int


@dataclass(frozen=True, slots=True)
class AllocationPlan:
    allocations: tuple[Allocation, ...]
    unallocated_cents: int = 0
    by_invoice: dict[str, int] = field(default_factory=dict, compare=False)


def allocate_amount(
    amount_cents: int,
    open_items: Sequence[OpenItem],
    requested: Sequence[Allocation] | None = None,
) -> AllocationPlan:
    """Spread `amount_cents` over open invoices: as `requested` (each within its invoice's
    balance, together within the amount), else oldest due first. What no invoice takes
    is left unallocated: the customer's credit."""
    if amount_cents < 0:
        raise ValidationFailed("An amount cannot be negative.", code="negative_amount")
    items = {item.invoice_id: item for item in open_items}
    if requested is None:
        plan: list[Allocation] = []
        left = amount_cents
        for item in sorted(open_items, key=lambda i: (i.due_on, i.number)):
            if left <= 0:
                break
            take = min(left, item.balance_cents)
            if take > 0:
                plan.append(Allocation(item.invoice_id, take))
                left -= take
        return _plan(plan, left)
    seen: set[str] = set()
    for wanted in requested:
        found = items.get(wanted.invoice_id)
        if found is None:
            raise ValidationFailed(
                "An allocation names an invoice that is not open for this customer.",
                code="invoice_not_open",
                details={"invoice_id": wanted.invoice_id},
            )
        if wanted.invoice_id in seen:
            raise ValidationFailed(
                "An invoice is named twice in the allocations.",
                code="duplicate_allocation",
                details={"invoice_id": wanted.invoice_id},
            )
        seen.add(wanted.invoice_id)
        item = found
        if wanted.amount_cents <= 0 or wanted.amount_cents > item.balance_cents:
            raise ValidationFailed(
                f"Invoice {item.number} has {item.balance_cents} cents open; an allocation "
                f"of {wanted.amount_cents} cents does not fit.",
                code="allocation_exceeds_balance",
                details={
                    "invoice_id": item.invoice_id,
                    "balance_cents": item.balance_cents,
                    "amount_cents": wanted.amount_cents,
                },
            )
    allocated = sum(a.amount_cents for a in requested)
    if allocated > amount_cents:
        raise ValidationFailed(
            f"The allocations ({allocated} cents) are more than the amount ({amount_cents}).",
            code="allocation_exceeds_amount",
            details={"allocated_cents": allocated, "amount_cents": amount_cents},
        )
    return _plan(list(requested), amount_cents - allocated)


def _plan(allocations: list[Allocation], left: int) -> AllocationPlan:
    return AllocationPlan(
        tuple(allocations), left, {a.invoice_id: a.amount_cents for a in allocations}
    )


# --- ageing --------------------------------------------------------------------------------


def ageing_bucket(due_on: date, today: date) -> str:
    """`current` until the due date has passed, then by whole days overdue."""
    overdue = (today - due_on).days
    if overdue <= 0:
        return "current"
    if overdue <= 30:
        return "1-30"
    if overdue <= 60:
        return "31-60"
    if overdue <= 90:
        return "61-90"
    return "90+"


def ageing(items: Iterable[tuple[date, int]], today: date) -> dict[str, int]:
    """Open balances `(due_on, balance_cents)` summed per ageing bucket, every bucket shown."""
    buckets = dict.fromkeys(AGEING_BUCKETS, 0)
    for due_on, balance in items:
        buckets[ageing_bucket(due_on, today)] += balance
    return buckets
