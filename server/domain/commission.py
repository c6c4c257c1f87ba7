"""Commission: what each document earns whom, as exact ledger entries.

The rules are pure functions over plain data. The ledger is append-only: a recompute
works out the entries an order *should* have (`desired_entries`), compares them key by
key with the entries it *has*, and appends only the difference (`entries_to_append`).
Running it twice appends nothing; a later change (amendment, cancellation, payment, credit
note) appends a correction of the right sign under the same key.

Rounding: every desired figure (a line's credited revenue and its commission) is computed
exactly from the documents and rounded once, half up, to whole cents; a paid share (paid
over collectable, often a repeating decimal) is kept as a fraction and divided last, so a
figure of exactly half a cent rounds up. Entries are differences of those rounded
figures, so they are exact integers and the ledger of a key always adds up to the figure
the plan gives for the documents as they are now.

Tiers are accelerators on the rep's own base commission in a period (so product and
category rates keep their meaning): `marginal` pays each band of attainment at its own
multiplier, `retroactive` pays the whole period at the multiplier of the band reached.
They land as one adjustment entry per rep and period, recomputed like any other key; the
optional cap limits the period's commission after tiers.

Discount erosion (optional): a line's rate falls linearly as its own discount rises,
`rate x (1 - discount / erosion_limit)`, reaching zero at the limit and never below, so a
rep sees what discounting costs them. The eroded rate is an exact Decimal quotient; only
the commission is rounded.

Margin: a plan, or a category or product override, may pay on margin instead of revenue.
A line's margin is its net less the product's cost times its quantity, floored at zero (a
line sold below cost earns nothing, it never costs the rep); the rate applies to the
line's revenue times margin / net, so an invoiced, paid or credited part of the line earns
on the same fraction. Where the product's cost is unknown the line is paid on revenue,
and its entries say "cost unknown: paid on revenue". The cost is the product's as recorded
when the commission is computed. Attainment and tiers always count revenue.

Credit splits: an order may be credited to several reps by percent (totalling 100). Each
figure of a line is split by largest remainder, so the reps' cents add up exactly to the
line's. An order without splits is credited whole to its territory's rep.

SPIFFs: a time-boxed bonus for named products, per unit or per order, for orders placed
within its dates. It is earned while the order is booked (whatever the plan's basis) and
taken back when the order stops earning, as entries of kind `spiff` that tiers ignore.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction

import msgspec

from server.domain.commission_plan import (
    Basis,
    CreditSplit,
    EarningShare,
    Estimate,
    EstimateLine,
    NextTier,
    PaysOn,
    Plan,
    Spiff,
    SpiffPer,
    Tier,
    TierMode,
    attainment_percent,
    commission_of,
    commission_on,
    commissionable_share,
    estimate,
    next_tier,
    ordered_shares,
    rate_for,
    round_cents,
    spiff_amounts,
    spiffs_in_force,
    split_cents,
    tier_adjustment_cents,
    tiered_commission_cents,
    validate_splits,
)

__all__ = [
    "EARNING_STATUSES",
    "Basis",
    "CreditFacts",
    "CreditLineFacts",
    "CreditSplit",
    "DesiredEntry",
    "EarningShare",
    "Estimate",
    "EstimateLine",
    "ExistingEntry",
    "InvoiceFacts",
    "InvoiceLineFacts",
    "NewEntry",
    "NextTier",
    "OrderFacts",
    "OrderLineFacts",
    "PaysOn",
    "Plan",
    "Spiff",
    "SpiffPer",
    "Tier",
    "TierMode",
    "attainment_percent",
    "commission_of",
    "commission_on",
    "commissionable_share",
    "credited_rep",
    "desired_entries",
    "entries_to_append",
    "estimate",
    "next_period",
    "next_tier",
    "open_period",
    "ordered_shares",
    "period_of",
    "rate_for",
    "spiffs_in_force",
    "split_cents",
    "tier_adjustment_cents",
    "tiered_commission_cents",
    "validate_splits",
]


# Order statuses in which a booked order earns (confirmed or further along); an order
# waiting for approval or credit earns nothing yet, a cancelled one nothing any more.
EARNING_STATUSES = frozenset({"confirmed", "in_fulfilment", "completed", "closed"})


class OrderLineFacts(msgspec.Struct, frozen=True):
    id: str
    product_id: str
    category_id: str
    net_cents: int
    quantity: int = 0
    discount_percent: Decimal = Decimal(0)  # the line's own discount (erosion reads it)
    unit_cost_cents: int | None = None  # the product's cost (margin reads it); None: unknown


class InvoiceLineFacts(msgspec.Struct, frozen=True):
    id: str
    order_line_id: str | None  # None for the shipping charge, which earns nothing
    net_cents: int


class InvoiceFacts(msgspec.Struct, frozen=True):
    id: str
    total_cents: int
    paid_cents: int
    credited_cents: int
    lines: tuple[InvoiceLineFacts, ...]


class CreditLineFacts(msgspec.Struct, frozen=True):
    id: str
    order_line_id: str | None
    net_cents: int


class CreditFacts(msgspec.Struct, frozen=True):
    id: str
    invoice_id: str
    lines: tuple[CreditLineFacts, ...]


class OrderFacts(msgspec.Struct, frozen=True):
    id: str
    status: str
    rep_id: str | None  # the territory snapshot's owner when the order was placed
    created_by: str
    manager_ids: tuple[str, ...]
    lines: tuple[OrderLineFacts, ...]
    invoices: tuple[InvoiceFacts, ...] = ()
    credit_notes: tuple[CreditFacts, ...] = ()
    order_type: str = "standard"
    placed_on: date | None = None  # which SPIFFs the order falls in
    splits: tuple[CreditSplit, ...] = ()  # none: credited whole to `credited_rep`


class DesiredEntry(msgspec.Struct, frozen=True):
    """What the ledger should hold under `key`, in total."""

    key: str
    rep_id: str
    role: str  # rep | manager
    source_type: str  # order_line | invoice_line | credit_note_line | period
    source_id: str
    revenue_cents: int
    amount_cents: int
    rate: Decimal
    kind: str = "commission"  # commission | spiff | draw | guarantee | recovery
    note: str = ""  # how the figure was reached (margin, a fallback), added to the reason


class ExistingEntry(msgspec.Struct, frozen=True):
    key: str
    rep_id: str
    role: str
    source_type: str
    source_id: str
    revenue_cents: int
    amount_cents: int
    kind: str = "commission"


class NewEntry(msgspec.Struct, frozen=True):
    """One entry to append: the difference under `key`, numbered `sequence` within it."""

    key: str
    entry_key: str  # key + sequence: unique in the ledger, so a racing duplicate fails
    sequence: int
    rep_id: str
    role: str
    source_type: str
    source_id: str
    period: str
    revenue_cents: int
    amount_cents: int
    rate: Decimal
    reason: str
    kind: str = "commission"


def period_of(day: date) -> str:
    """The commission period (a calendar month) of a day, as `YYYY-MM`."""
    return f"{day.year:04d}-{day.month:02d}"


def next_period(period: str) -> str:
    """The month after `period` (`YYYY-MM`)."""
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def open_period(period: str, locked: Iterable[str]) -> str:
    """`period`, or the first later period that no approved statement has locked."""
    closed = set(locked)
    while period in closed:
        period = next_period(period)
    return period


def credited_rep(order: OrderFacts) -> str:
    """The territory snapshot's rep; an order in a territory without an owner is credited to
    the rep who placed it."""
    return order.rep_id or order.created_by


_Rate = tuple[Decimal, EarningShare]
# Revenue is an exact fraction of cents: the paid basis takes a paid share (say 5/37) of a
# line's net, which a Decimal quotient would cut to 28 digits, turning a half cent into
# 0.4999... that rounds down.
_Credited = tuple[str, str, str, Fraction, _Rate]


def _line_rate(plan: Plan, line: OrderLineFacts) -> _Rate:
    """The line's rate and the share of its revenue the rate applies to (below the whole
    on margin)."""
    share = commissionable_share(
        plan, line.product_id, line.category_id, line.net_cents, line.quantity,
        line.unit_cost_cents,
    )  # fmt: skip
    return rate_for(plan, line.product_id, line.category_id, line.discount_percent), share


def _line_entries(plan: Plan, order: OrderFacts) -> list[_Credited]:
    """(key, source_type, source_id, exact revenue, (rate, share)) of the credited lines."""
    lines = {line.id: line for line in order.lines}
    out: list[_Credited] = []

    def rate_of(order_line_id: str | None) -> _Rate | None:
        line = lines.get(order_line_id or "")
        return None if line is None else _line_rate(plan, line)

    if plan.basis is Basis.BOOKED:
        if order.status in EARNING_STATUSES:
            for line in order.lines:
                out.append(
                    (
                        f"booked:{line.id}",
                        "order_line",
                        line.id,
                        Fraction(line.net_cents),
                        _line_rate(plan, line),
                    )
                )
    elif plan.basis is Basis.INVOICED:
        for invoice in order.invoices:
            for inv_line in invoice.lines:
                found = rate_of(inv_line.order_line_id)
                if found is not None:
                    out.append(
                        (f"invoiced:{inv_line.id}", "invoice_line", inv_line.id,
                         Fraction(inv_line.net_cents), found)
                    )  # fmt: skip
    if plan.basis is not Basis.PAID:
        # A credit note takes back what its lines earned, whenever the line earned it.
        for note in order.credit_notes:
            for cn_line in note.lines:
                found = rate_of(cn_line.order_line_id)
                if found is not None:
                    out.append(
                        (f"credit:{cn_line.id}", "credit_note_line", cn_line.id,
                         -Fraction(cn_line.net_cents), found)
                    )  # fmt: skip
        return out
    # Paid: each invoice line earns on its net after credit notes, in the proportion of
    # the invoice's collectable amount (total less credits) that has been paid.
    credited: dict[tuple[str, str], int] = {}
    for note in order.credit_notes:
        for cn_line in note.lines:
            if cn_line.order_line_id is not None:
                k = (note.invoice_id, cn_line.order_line_id)
                credited[k] = credited.get(k, 0) + cn_line.net_cents
    for invoice in order.invoices:
        collectable = invoice.total_cents - invoice.credited_cents
        paid_share = (
            min(Fraction(1), Fraction(invoice.paid_cents, collectable))
            if collectable > 0
            else Fraction(0)
        )
        for inv_line in invoice.lines:
            found = rate_of(inv_line.order_line_id)
            if found is None:
                continue
            # Credits on a line are spent on its invoice lines in order, never below zero.
            k = (invoice.id, inv_line.order_line_id or "")
            taken = min(credited.get(k, 0), inv_line.net_cents)
            credited[k] = credited.get(k, 0) - taken
            net = Fraction(inv_line.net_cents - taken)
            out.append(
                (f"paid:{inv_line.id}", "invoice_line", inv_line.id, net * paid_share, found)
            )
    return out


def _shares(order: OrderFacts) -> list[tuple[str, Decimal]]:
    if order.splits:
        return [(s.rep_id, s.percent) for s in order.splits]
    return [(credited_rep(order), Decimal(100))]


def _credit(
    out: list[DesiredEntry],
    order: OrderFacts,
    key: str,
    entry: DesiredEntry,
) -> None:
    """`entry` for the order's credited rep, or split between its split reps (each under
    its own key, so changing a split reverses the old shares and posts the new)."""
    if not order.splits:
        out.append(entry)
        return
    shares = _shares(order)
    percents = [p for _, p in shares]
    revenues = split_cents(entry.revenue_cents, percents)
    amounts = split_cents(entry.amount_cents, percents)
    for (rep_id, _), revenue, amount in zip(shares, revenues, amounts, strict=True):
        out.append(
            msgspec.structs.replace(
                entry,
                key=f"{key}:split:{rep_id}",
                rep_id=rep_id,
                revenue_cents=revenue,
                amount_cents=amount,
            )
        )


def desired_entries(plan: Plan, order: OrderFacts) -> list[DesiredEntry]:
    """Every entry the order should have in the ledger under `plan`, as of now.

    The credited rep (or the split reps, by share) earns each line at its rate; each
    manager recorded on the order (other than the rep) earns the plan's override rate on
    the same revenue; SPIFFs in force on the order's day are earned while it is booked.
    """
    rep_id = credited_rep(order)
    desired: list[DesiredEntry] = []
    if order.order_type == "blanket":
        # An agreement, not a sale: its call-offs are the orders that earn.
        return desired
    managers = [m for m in dict.fromkeys(order.manager_ids) if m != rep_id]
    for key, source_type, source_id, revenue, (rate, share) in _line_entries(plan, order):
        # Every division comes last, so a figure that is exactly half a cent rounds as one.
        numerator, per = Decimal(revenue.numerator), revenue.denominator
        revenue_cents = round_cents(numerator / per)
        full_key = f"{order.id}:{key}"
        _credit(
            desired,
            order,
            full_key,
            DesiredEntry(
                key=full_key,
                rep_id=rep_id,
                role="rep",
                source_type=source_type,
                source_id=source_id,
                revenue_cents=revenue_cents,
                amount_cents=commission_on(
                    numerator, rate, EarningShare(num=share.num, den=share.den * per)
                ),
                # The rate on revenue: below the stated rate where the line pays on margin.
                rate=rate if share.whole else rate * share.num / share.den,
                note=share.note,
            ),
        )
        if plan.manager_override_rate:
            for manager_id in managers:
                desired.append(
                    DesiredEntry(
                        key=f"{full_key}:mgr:{manager_id}",
                        rep_id=manager_id,
                        role="manager",
                        source_type=source_type,
                        source_id=source_id,
                        revenue_cents=revenue_cents,
                        amount_cents=commission_on(
                            numerator, plan.manager_override_rate, EarningShare(num=1, den=per)
                        ),
                        rate=plan.manager_override_rate,
                    )
                )
    if order.status in EARNING_STATUSES:
        facts = [(line.id, line.product_id, order.id, line.quantity) for line in order.lines]
        for key, source_type, source_id, cents in spiff_amounts(plan, order.placed_on, facts):
            full_key = f"{order.id}:{key}"
            _credit(
                desired,
                order,
                full_key,
                DesiredEntry(
                    key=full_key,
                    rep_id=rep_id,
                    role="rep",
                    source_type=source_type,
                    source_id=source_id,
                    revenue_cents=0,
                    amount_cents=cents,
                    rate=Decimal(0),
                    kind="spiff",
                ),
            )
    return desired


def entries_to_append(
    desired: Sequence[DesiredEntry],
    existing: Sequence[ExistingEntry],
    *,
    period: str,
    locked: Iterable[str],
    reason: str,
) -> list[NewEntry]:
    """Desired minus existing, key by key: the entries to append, in `period` (moved to
    the next open period when an approved statement has locked it). A key the documents
    no longer give (a cancelled order, a removed line) is desired at zero."""
    have: dict[str, tuple[int, int, int, ExistingEntry]] = {}
    for entry in existing:
        amount, revenue, count, _ = have.get(entry.key, (0, 0, 0, entry))
        have[entry.key] = (
            amount + entry.amount_cents,
            revenue + entry.revenue_cents,
            count + 1,
            entry,
        )
    target = open_period(period, locked)
    why = reason if target == period else f"{reason} (period {period} is locked)"
    out: list[NewEntry] = []
    wanted = {d.key: d for d in desired}
    for key in [*wanted, *(k for k in have if k not in wanted)]:
        note = wanted[key].note if key in wanted else ""
        amount, revenue, count, sample = have.get(key, (0, 0, 0, None))
        want = wanted.get(key)
        delta_amount = (want.amount_cents if want else 0) - amount
        delta_revenue = (want.revenue_cents if want else 0) - revenue
        if delta_amount == 0 and delta_revenue == 0:
            continue
        like = want or sample
        assert like is not None
        out.append(
            NewEntry(
                key=key,
                entry_key=f"{key}#{count}",
                sequence=count,
                rep_id=like.rep_id,
                role=like.role,
                source_type=like.source_type,
                source_id=like.source_id,
                period=target,
                revenue_cents=delta_revenue,
                amount_cents=delta_amount,
                rate=want.rate if want else Decimal(0),
                reason=f"{why}; {note}" if note else why,
                kind=like.kind,
            )
        )
    return out
