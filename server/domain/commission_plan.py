"""Commission plans and their rules on one figure: rates (with discount erosion), margin,
SPIFFs, credit splits and tiers, as pure functions over plain data.

Each commission is computed exactly in Decimal and rounded once, half up, to whole cents;
the phone's what-if (pwa/static/js/commission.js) applies the same rules to the same
strings and is held equal to `estimate` by tests/unit/test_commission_match_server.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

import msgspec

__all__ = [
    "Basis",
    "CreditSplit",
    "EarningShare",
    "Estimate",
    "EstimateLine",
    "NextTier",
    "PaysOn",
    "Plan",
    "Spiff",
    "SpiffPer",
    "Standing",
    "Tier",
    "TierMode",
    "attainment_percent",
    "commission_of",
    "commission_on",
    "commissionable_share",
    "estimate",
    "next_tier",
    "ordered_shares",
    "pays_on_for",
    "rate_for",
    "round_cents",
    "spiff_amounts",
    "spiffs_in_force",
    "split_cents",
    "tier_adjustment_cents",
    "tier_effect_cents",
    "tiered_commission_cents",
    "validate_splits",
]

_HUNDRED = Decimal(100)


class Basis(StrEnum):
    BOOKED = "booked"  # earned when the order is confirmed, on its lines' net
    INVOICED = "invoiced"  # earned when a line is invoiced, on the invoiced net
    PAID = "paid"  # earned as invoices are paid, in proportion to the amount paid


class TierMode(StrEnum):
    NONE = "none"  # the base rates only
    MARGINAL = "marginal"  # each band of attainment at its own multiplier
    RETROACTIVE = "retroactive"  # the band reached applies to the whole period


class PaysOn(StrEnum):
    REVENUE = "revenue"  # the rate applies to the line's net revenue
    MARGIN = "margin"  # the rate applies to net minus the product's cost, where it is known


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
    pays_on: PaysOn = PaysOn.REVENUE
    category_pays_on: dict[str, PaysOn] = {}
    product_pays_on: dict[str, PaysOn] = {}


class CreditSplit(msgspec.Struct, frozen=True):
    rep_id: str
    percent: Decimal


class NextTier(msgspec.Struct, frozen=True):
    from_percent: Decimal
    multiplier: Decimal
    revenue_needed_cents: int


def round_cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def commission_of(revenue: Decimal | int, rate: Decimal) -> int:
    """`rate` percent of `revenue` cents, rounded once, half away from zero."""
    return round_cents(Decimal(revenue) * rate / _HUNDRED)


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


def pays_on_for(plan: Plan, product_id: str, category_id: str) -> PaysOn:
    """The product's own basis, else its category's, else the plan's (like the rates)."""
    if product_id in plan.product_pays_on:
        return plan.product_pays_on[product_id]
    return plan.category_pays_on.get(category_id, plan.pays_on)


class EarningShare(msgspec.Struct, frozen=True):
    """The part of a line's revenue its rate applies to, `num / den` (exact integers), and
    a note for its entries saying how it was reached."""

    num: int = 1
    den: int = 1
    note: str = ""

    @property
    def whole(self) -> bool:
        return self.num == self.den


def commissionable_share(
    plan: Plan,
    product_id: str,
    category_id: str,
    net_cents: int,
    quantity: int,
    unit_cost_cents: int | None,
) -> EarningShare:
    """The part of a line's revenue the rate applies to.

    On revenue: all of it. On margin: (net - cost x quantity) / net, never below 0 (a line
    sold at or below cost earns nothing, it does not cost the rep). Every figure derived
    from the line (invoiced, paid, credited) earns on the same part. Where the product's
    cost is unknown the line falls back to the revenue basis and says so.
    """
    if pays_on_for(plan, product_id, category_id) is PaysOn.REVENUE:
        return EarningShare()
    if unit_cost_cents is None:
        return EarningShare(note="cost unknown: paid on revenue")
    if net_cents <= 0:
        return EarningShare(num=0, den=1, note="on margin")
    margin = max(0, net_cents - unit_cost_cents * quantity)
    return EarningShare(
        num=margin,
        den=net_cents,
        note=f"on margin {_money(margin)} of {_money(net_cents)} net",
    )


def commission_on(revenue: Decimal | int, rate: Decimal, share: EarningShare) -> int:
    """`rate` percent of the earning `share` of `revenue` cents, rounded once, half up; the
    share's division comes last, so a figure that is exactly half a cent stays exact."""
    if share.whole:
        return commission_of(revenue, rate)
    return round_cents(Decimal(revenue) * rate * share.num / (Decimal(share.den) * _HUNDRED))


def _money(cents: int) -> str:
    return f"{Decimal(cents) / _HUNDRED:.2f}"


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
    unit_cost_cents: int | None = None  # a margin line's cost; None: unknown


class Standing(msgspec.Struct, frozen=True):
    """The rep's quota period so far: base commission (before tiers), credited revenue,
    and the quota (None: no quota, no tier effect)."""

    base_cents: int = 0
    revenue_cents: int = 0
    quota_cents: int | None = None


class Estimate(msgspec.Struct, frozen=True):
    """What a document would earn its rep: each line's commission (the rep's share), the
    SPIFFs, what the document does to the period's tiers and cap, and the sum."""

    line_cents: tuple[int, ...]
    spiff_cents: int
    total_cents: int
    tier_cents: int = 0


def spiff_amounts(
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


def ordered_shares(splits: Sequence[CreditSplit]) -> list[CreditSplit]:
    """The split's shares in the order every figure is divided in: the larger share first,
    then by rep (so the largest remainder goes the same way on the phone and the server)."""
    return sorted(splits, key=lambda s: (-s.percent, s.rep_id))


def _share_of(splits: Sequence[CreditSplit], rep_id: str) -> tuple[list[Decimal], int | None]:
    """The percents to split by and the rep's place among them (None: not the rep's)."""
    shares = ordered_shares(splits)
    reps = [s.rep_id for s in shares]
    return [s.percent for s in shares], reps.index(rep_id) if rep_id in reps else None


def estimate(
    plan: Plan,
    lines: Sequence[EstimateLine],
    on: date,
    *,
    standing: Standing | None = None,
    splits: Sequence[CreditSplit] = (),
    rep_id: str = "",
) -> Estimate:
    """What a document of `lines` placed `on` that day would earn `rep_id`, as the phone
    shows it: with `splits`, the rep's share of each figure (nothing when the split leaves
    them out); with `standing`, the tier and cap effect of adding the document to the
    rep's quota period."""
    percents, place = _share_of(splits, rep_id) if splits else ([], 0)

    def mine(cents: int) -> int:
        if not percents:
            return cents
        return 0 if place is None else split_cents(cents, percents)[place]

    per_line: list[int] = []
    revenue = 0
    for line in lines:
        share = commissionable_share(
            plan, line.product_id, line.category_id, line.net_cents, line.quantity,
            line.unit_cost_cents,
        )  # fmt: skip
        rate = rate_for(plan, line.product_id, line.category_id, line.discount_percent)
        per_line.append(mine(commission_on(line.net_cents, rate, share)))
        revenue += mine(line.net_cents)
    spiffs = spiff_amounts(
        plan, on, [(str(i), line.product_id, "", line.quantity) for i, line in enumerate(lines)]
    )
    spiff_total = sum(mine(cents) for *_, cents in spiffs)
    base = sum(per_line)
    tier = 0
    if standing is not None:
        tier = tier_effect_cents(
            plan, standing.base_cents, standing.revenue_cents, standing.quota_cents, base, revenue
        )
    return Estimate(
        line_cents=tuple(per_line),
        spiff_cents=spiff_total,
        total_cents=base + spiff_total + tier,
        tier_cents=tier,
    )


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
    total = round_cents(_tiered_exact(plan, base_cents, revenue_cents, quota_cents))
    if plan.cap_cents is not None:
        total = min(total, plan.cap_cents)
    return total


def tier_adjustment_cents(
    plan: Plan, base_cents: int, revenue_cents: int, quota_cents: int | None
) -> int:
    """What tiers and cap add to (or take from) the period's base commission."""
    return tiered_commission_cents(plan, base_cents, revenue_cents, quota_cents) - base_cents


def tier_effect_cents(
    plan: Plan,
    base_cents: int,
    revenue_cents: int,
    quota_cents: int | None,
    add_base_cents: int,
    add_revenue_cents: int,
) -> int:
    """What adding a document's base commission and revenue to a quota period does to the
    period's tier and cap adjustment: positive where it lifts the rep into a higher band
    (marginal: on the part above the boundary; retroactive: on the whole period), negative
    where it runs into the cap."""
    before = tier_adjustment_cents(plan, base_cents, revenue_cents, quota_cents)
    after = tier_adjustment_cents(
        plan, base_cents + add_base_cents, revenue_cents + add_revenue_cents, quota_cents
    )
    return after - before


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
