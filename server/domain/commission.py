"""Commission: what each document earns whom, as exact ledger entries.

The rules are pure functions over plain data. The ledger is append-only: a recompute
works out the entries an order *should* have (`desired_entries`), compares them key by
key with the entries it *has*, and appends only the difference (`entries_to_append`).
Running it twice appends nothing; a later change (amendment, cancellation, payment, credit
note) appends a correction of the right sign under the same key.

Rounding: every desired figure (a line's credited revenue and its commission) is computed
exactly in Decimal from the documents and rounded once, half up, to whole cents. Entries
are differences of those rounded figures, so they are exact integers and the ledger of a
key always adds up to the figure the plan gives for the documents as they are now.

Tiers are accelerators on the rep's own base commission in a period (so product and
category rates keep their meaning): `marginal` pays each band of attainment at its own
multiplier, `retroactive` pays the whole period at the multiplier of the band reached.
They land as one adjustment entry per rep and period, recomputed like any other key; the
optional cap limits the period's commission after tiers.

Discount erosion (optional): a line's rate falls linearly as its own discount rises,
`rate x (1 - discount / erosion_limit)`, reaching zero at the limit and never below, so a
rep sees what discounting costs them. The eroded rate is an exact Decimal quotient; only
the commission is rounded.

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
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

import msgspec

__all__ = [
    "EARNING_STATUSES",
    "Basis",
    "CreditFacts",
    "CreditLineFacts",
    "CreditSplit",
    "DesiredEntry",
    "Estimate",
    "EstimateLine",
    "ExistingEntry",
    "InvoiceFacts",
    "InvoiceLineFacts",
    "NewEntry",
    "NextTier",
    "OrderFacts",
    "OrderLineFacts",
    "Plan",
    "Spiff",
    "SpiffPer",
    "Tier",
    "TierMode",
    "attainment_percent",
    "commission_of",
    "credited_rep",
    "desired_entries",
    "entries_to_append",
    "estimate",
    "next_tier",
    "open_period",
    "period_of",
    "rate_for",
    "spiffs_in_force",
    "split_cents",
    "tier_adjustment_cents",
    "tiered_commission_cents",
    "validate_splits",
]

_HUNDRED = Decimal(100)

# Order statuses in which a booked order earns (confirmed or further along); an order
# waiting for approval or credit earns nothing yet, a cancelled one nothing any more.
EARNING_STATUSES = frozenset({"confirmed", "in_fulfilment", "completed", "closed"})


class Basis(StrEnum):
    BOOKED = "booked"  # earned when the order is confirmed, on its lines' net
    INVOICED = "invoiced"  # earned when a line is invoiced, on the invoiced net
    PAID = "paid"  # earned as invoices are paid, in proportion to the amount paid


class TierMode(StrEnum):
    NONE = "none"  # the base rates only
    MARGINAL = "marginal"  # each band of attainment at its own multiplier
    RETROACTIVE = "retroactive"  # the band reached applies to the whole period


class Tier(msgspec.Struct, frozen=True):
    """From `from_percent` of quota upwards, base commission is multiplied by `multiplier`."""

    from_percent: Decimal
    multiplier: Decimal


class SpiffPer(StrEnum):
    UNIT = "unit"  # the bonus for every unit of the product ordered
    ORDER = "order"  # the bonus once for an order holding the product


class Spiff(msgspec.Struct, frozen=True):
    """A bonus of `amount_cents` per unit or per order of `product_id`, for orders placed
    from `starts_on` to `ends_on` inclusive."""

    product_id: str
    per: SpiffPer
    amount_cents: int
    starts_on: date
    ends_on: date


class Plan(msgspec.Struct, frozen=True):
    id: str
    version: int
    basis: Basis
    default_rate: Decimal  # percent of net revenue (excluding tax and shipping)
    category_rates: dict[str, Decimal] = {}
    product_rates: dict[str, Decimal] = {}
    tier_mode: TierMode = TierMode.NONE
    tiers: tuple[Tier, ...] = ()
    cap_cents: int | None = None
    manager_override_rate: Decimal = Decimal(0)  # percent of subordinates' credited revenue
    erosion_limit: Decimal | None = None  # the line discount percent at which the rate is 0
    spiffs: tuple[Spiff, ...] = ()


class CreditSplit(msgspec.Struct, frozen=True):
    rep_id: str
    percent: Decimal


class OrderLineFacts(msgspec.Struct, frozen=True):
    id: str
    product_id: str
    category_id: str
    net_cents: int
    quantity: int = 0
    discount_percent: Decimal = Decimal(0)  # the line's own discount (erosion reads it)


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
    kind: str = "commission"  # commission | spiff


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


class NextTier(msgspec.Struct, frozen=True):
    from_percent: Decimal
    multiplier: Decimal
    revenue_needed_cents: int


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def period_of(day: date) -> str:
    """The commission period (a calendar month) of a day, as `YYYY-MM`."""
    return f"{day.year:04d}-{day.month:02d}"


def _next_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def open_period(period: str, locked: Iterable[str]) -> str:
    """`period`, or the first later period that no approved statement has locked."""
    closed = set(locked)
    while period in closed:
        period = _next_period(period)
    return period


def rate_for(
    plan: Plan, product_id: str, category_id: str, discount_percent: Decimal = Decimal(0)
) -> Decimal:
    """The product's own rate, else its category's, else the plan's default; eroded by
    the line's discount when the plan says so."""
    if product_id in plan.product_rates:
        rate = plan.product_rates[product_id]
    elif category_id in plan.category_rates:
        rate = plan.category_rates[category_id]
    else:
        rate = plan.default_rate
    limit = plan.erosion_limit
    if limit is None or limit <= 0 or not discount_percent:
        return rate
    if discount_percent >= limit:
        return Decimal(0)
    return rate * (limit - discount_percent) / limit


def split_cents(amount: int, percents: Sequence[Decimal]) -> list[int]:
    """`amount` cents in parts of `percents` (totalling 100) by largest remainder, ties to
    the earlier part: the parts add up to `amount` exactly, whatever its sign."""
    sign = -1 if amount < 0 else 1
    whole = abs(amount)
    exact = [Decimal(whole) * p / _HUNDRED for p in percents]
    parts = [int(x) for x in exact]  # towards zero: the floor of a non-negative value
    left = whole - sum(parts)
    by_remainder = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return [sign * part for part in parts]


def validate_splits(splits: Sequence[CreditSplit]) -> str | None:
    """Why the splits cannot stand (a message), or None: each rep once, each percent above
    zero, together exactly 100."""
    reps = [s.rep_id for s in splits]
    if len(set(reps)) != len(reps):
        return "A rep is named twice in the split."
    if any(s.percent <= 0 for s in splits):
        return "Every share of a split must be above 0 %."
    total = sum((s.percent for s in splits), Decimal(0))
    if splits and total != _HUNDRED:
        return f"The shares of a split must total 100 %, not {total.normalize():f} %."
    return None


def spiffs_in_force(plan: Plan, on: date) -> list[Spiff]:
    return [s for s in plan.spiffs if s.starts_on <= on <= s.ends_on]


class EstimateLine(msgspec.Struct, frozen=True):
    product_id: str
    category_id: str
    quantity: int
    net_cents: int
    discount_percent: Decimal = Decimal(0)


class Estimate(msgspec.Struct, frozen=True):
    """What a document would earn its rep: each line's commission, the SPIFFs, the sum
    (before the period's tiers, which depend on the rest of the period)."""

    line_cents: tuple[int, ...]
    spiff_cents: int
    total_cents: int


def _spiff_amounts(
    plan: Plan, on: date | None, lines: Sequence[tuple[str, str, str, int]]
) -> list[tuple[str, str, str, int]]:
    """(key suffix, source type, source id, cents) of the SPIFFs `lines` earn, from
    (line id, product id, order id, quantity); overlapping SPIFFs of one product add."""
    if on is None:
        return []
    found: dict[str, tuple[str, str, int]] = {}
    for spiff in spiffs_in_force(plan, on):
        if spiff.per is SpiffPer.UNIT:
            for line_id, product_id, _, quantity in lines:
                if product_id == spiff.product_id and quantity > 0:
                    key = f"spiff:{line_id}"
                    _, _, cents = found.get(key, ("", "", 0))
                    found[key] = ("order_line", line_id, cents + spiff.amount_cents * quantity)
        else:
            holders = [x for x in lines if x[1] == spiff.product_id and x[3] > 0]
            if holders:
                key = f"spiff:order:{spiff.product_id}"
                _, _, cents = found.get(key, ("", "", 0))
                found[key] = ("order", holders[0][2], cents + spiff.amount_cents)
    return [(key, kind, source, cents) for key, (kind, source, cents) in found.items()]


def estimate(plan: Plan, lines: Sequence[EstimateLine], on: date) -> Estimate:
    """What a document of `lines` placed `on` that day would earn, as the phone shows it."""
    per_line = tuple(
        commission_of(line.net_cents, rate_for(plan, line.product_id, line.category_id,
                                               line.discount_percent))
        for line in lines
    )  # fmt: skip
    spiffs = _spiff_amounts(
        plan, on, [(str(i), line.product_id, "", line.quantity) for i, line in enumerate(lines)]
    )
    spiff_total = sum(cents for *_, cents in spiffs)
    return Estimate(
        line_cents=per_line, spiff_cents=spiff_total, total_cents=sum(per_line) + spiff_total
    )


def commission_of(revenue: Decimal | int, rate: Decimal) -> int:
    """`rate` percent of `revenue` cents, rounded once, half away from zero."""
    return _round(Decimal(revenue) * rate / _HUNDRED)


def credited_rep(order: OrderFacts) -> str:
    """The territory snapshot's rep; an order in a territory without an owner is credited to
    the rep who placed it."""
    return order.rep_id or order.created_by


def _line_entries(plan: Plan, order: OrderFacts) -> list[tuple[str, str, str, Decimal, Decimal]]:
    """(key, source_type, source_id, exact revenue, rate) of the rep's credited lines."""
    lines = {line.id: line for line in order.lines}
    out: list[tuple[str, str, str, Decimal, Decimal]] = []

    def rate_of(order_line_id: str | None) -> Decimal | None:
        line = lines.get(order_line_id or "")
        if line is None:
            return None
        return rate_for(plan, line.product_id, line.category_id, line.discount_percent)

    if plan.basis is Basis.BOOKED:
        if order.status in EARNING_STATUSES:
            for line in order.lines:
                rate = rate_for(plan, line.product_id, line.category_id, line.discount_percent)
                out.append(
                    (f"booked:{line.id}", "order_line", line.id, Decimal(line.net_cents), rate)
                )
    elif plan.basis is Basis.INVOICED:
        for invoice in order.invoices:
            for inv_line in invoice.lines:
                found = rate_of(inv_line.order_line_id)
                if found is not None:
                    out.append(
                        (f"invoiced:{inv_line.id}", "invoice_line", inv_line.id,
                         Decimal(inv_line.net_cents), found)
                    )  # fmt: skip
    if plan.basis is not Basis.PAID:
        # A credit note takes back what its lines earned, whenever the line earned it.
        for note in order.credit_notes:
            for cn_line in note.lines:
                found = rate_of(cn_line.order_line_id)
                if found is not None:
                    out.append(
                        (f"credit:{cn_line.id}", "credit_note_line", cn_line.id,
                         -Decimal(cn_line.net_cents), found)
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
            min(Decimal(1), Decimal(invoice.paid_cents) / Decimal(collectable))
            if collectable > 0
            else Decimal(0)
        )
        for inv_line in invoice.lines:
            found = rate_of(inv_line.order_line_id)
            if found is None:
                continue
            # Credits on a line are spent on its invoice lines in order, never below zero.
            k = (invoice.id, inv_line.order_line_id or "")
            taken = min(credited.get(k, 0), inv_line.net_cents)
            credited[k] = credited.get(k, 0) - taken
            net = Decimal(inv_line.net_cents - taken)
            out.append(
                (f"paid:{inv_line.id}", "invoice_line", inv_line.id, net * paid_share, found)
            )
    return out


def _shares(order: OrderFacts) -> list[tuple[str, Decimal]]:
    if order.splits:
        return [(s.rep_id, s.percent) for s in order.splits]
    return [(credited_rep(order), _HUNDRED)]


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
    for key, source_type, source_id, revenue, rate in _line_entries(plan, order):
        revenue_cents = _round(revenue)
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
                amount_cents=commission_of(revenue, rate),
                rate=rate,
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
                        amount_cents=commission_of(revenue, plan.manager_override_rate),
                        rate=plan.manager_override_rate,
                    )
                )
    if order.status in EARNING_STATUSES:
        facts = [(line.id, line.product_id, order.id, line.quantity) for line in order.lines]
        for key, source_type, source_id, cents in _spiff_amounts(plan, order.placed_on, facts):
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
                reason=why,
                kind=like.kind,
            )
        )
    return out


def attainment_percent(revenue_cents: int, quota_cents: int | None) -> Decimal | None:
    """Credited revenue as a percent of quota (exact), or None without a quota."""
    if not quota_cents or quota_cents <= 0:
        return None
    return Decimal(revenue_cents) * _HUNDRED / Decimal(quota_cents)


def _bands(plan: Plan) -> list[Tier]:
    tiers = sorted(plan.tiers, key=lambda t: t.from_percent)
    if not tiers or tiers[0].from_percent > 0:
        tiers.insert(0, Tier(from_percent=Decimal(0), multiplier=Decimal(1)))
    return tiers


def _tiered_exact(
    plan: Plan, base_cents: int, revenue_cents: int, quota_cents: int | None
) -> Decimal:
    base = Decimal(base_cents)
    if plan.tier_mode is TierMode.NONE or not plan.tiers or not quota_cents or revenue_cents <= 0:
        return base
    bands = _bands(plan)
    revenue, quota = Decimal(revenue_cents), Decimal(quota_cents)
    if plan.tier_mode is TierMode.RETROACTIVE:
        reached = [t for t in bands if revenue * _HUNDRED >= t.from_percent * quota]
        return base * reached[-1].multiplier
    weighted = Decimal(0)
    for i, band in enumerate(bands):
        low = quota * band.from_percent / _HUNDRED
        high = quota * bands[i + 1].from_percent / _HUNDRED if i + 1 < len(bands) else None
        top = revenue if high is None else min(revenue, high)
        if top > low:
            weighted += (top - low) * band.multiplier
    # The rep's base commission has its own mix of rates; each band keeps that mix.
    return base * weighted / revenue


def tiered_commission_cents(
    plan: Plan, base_cents: int, revenue_cents: int, quota_cents: int | None
) -> int:
    """The period's commission after tiers and cap, from its base commission and revenue."""
    total = _round(_tiered_exact(plan, base_cents, revenue_cents, quota_cents))
    if plan.cap_cents is not None:
        total = min(total, plan.cap_cents)
    return total


def tier_adjustment_cents(
    plan: Plan, base_cents: int, revenue_cents: int, quota_cents: int | None
) -> int:
    """What tiers and cap add to (or take from) the period's base commission."""
    return tiered_commission_cents(plan, base_cents, revenue_cents, quota_cents) - base_cents


def next_tier(plan: Plan, revenue_cents: int, quota_cents: int | None) -> NextTier | None:
    """The next band above the rep's attainment and the revenue it still takes."""
    if plan.tier_mode is TierMode.NONE or not quota_cents or quota_cents <= 0:
        return None
    for band in _bands(plan):
        threshold = Decimal(quota_cents) * band.from_percent / _HUNDRED
        if Decimal(revenue_cents) < threshold:
            needed = int(
                (threshold - Decimal(revenue_cents)).to_integral_value(rounding="ROUND_CEILING")
            )
            return NextTier(
                from_percent=band.from_percent,
                multiplier=band.multiplier,
                revenue_needed_cents=needed,
            )
    return None
