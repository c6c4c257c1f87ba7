"""Quota periods and draws: the rules that look at a rep's whole period, as pure functions.

The ledger's period is a calendar month (`YYYY-MM`). A quota is set for a month or for a
quarter (`YYYY-Qn`); attainment and tiers are computed on the quota's period. Under a
quarterly quota each month's tier and cap adjustment is the growth of the quarter's
adjustment: the adjustment on the quarter's figures up to the month's end, less the one on
its figures up to the end of the month before. The months of a quarter therefore add up to
exactly the quarter's adjustment, and a band reached in the third month (retroactive) pays
the catch-up on the first two months in the third, where it was earned.

Draws, set per rep and month:
- a non-recoverable draw is a guaranteed minimum: a month that earns less is topped up to
  it (an entry of kind `guarantee`), and that top-up is never taken back;
- a recoverable draw is an advance: the month is topped up the same way (kind `draw`), and
  the top-ups not yet recovered are taken back from later months' earnings above their own
  draw (kind `recovery`, negative), as far as those earnings go, the rest carrying forward.
Earnings here are everything the month's entries hold other than draws and recoveries
(commission, SPIFFs, overrides, clawbacks, the tier adjustment), so a month of clawbacks
is topped up to the draw too.

A negative balance carries forward: a month approved with a negative total (clawbacks
above its earnings, after its draws) pays nothing, and its balance moves whole into the next
open month as an entry of kind `carry_forward`, where later earnings recover it. The month
itself gets the opposite entry, so its entries still add up to what it pays.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

import msgspec

from server.domain.commission_plan import Plan, tier_adjustment_cents

__all__ = [
    "CARRY_FORWARD_KIND",
    "DRAW_KINDS",
    "Draw",
    "DrawKind",
    "DrawSettlement",
    "carried_forward_cents",
    "is_quarter",
    "months_of",
    "months_to_date",
    "quarter_of",
    "quota_period_tier_adjustment",
    "settle_draw",
]

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

# Entry kinds the draws write: not earnings, so they never count towards earnings.
DRAW_KINDS: tuple[str, ...] = ("draw", "guarantee", "recovery")
# The entry kind of a negative balance moved from an approved month to the next open one.
# It counts as earnings: the month it lands in earns that much less, draws included.
CARRY_FORWARD_KIND = "carry_forward"


def is_quarter(period: str) -> bool:
    return _QUARTER.match(period) is not None


def quarter_of(month: str) -> str:
    """The quarter (`YYYY-Qn`) a month (`YYYY-MM`) falls in."""
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def months_of(period: str) -> tuple[str, ...]:
    """The months of a quota period: the month itself, or the quarter's three."""
    found = _QUARTER.match(period)
    if found is None:
        if _MONTH.match(period) is None:
            raise ValueError(f"not a month or a quarter: {period!r}")
        return (period,)
    year, quarter = found.group(1), int(found.group(2))
    return tuple(f"{year}-{month:02d}" for month in range(3 * quarter - 2, 3 * quarter + 1))


def months_to_date(period: str, month: str) -> tuple[str, ...]:
    """The months of the quota period up to and including `month`."""
    months = months_of(period)
    return months[: months.index(month) + 1]


def quota_period_tier_adjustment(
    plan: Plan, months: Sequence[tuple[int, int]], quota_cents: int | None
) -> int:
    """The last month's tier and cap adjustment, from each month's (base commission,
    credited revenue) of the quota period up to it: the period's adjustment to date less
    the adjustment up to the month before."""
    base = sum(b for b, _ in months)
    revenue = sum(r for _, r in months)
    last_base, last_revenue = months[-1] if months else (0, 0)
    before = tier_adjustment_cents(plan, base - last_base, revenue - last_revenue, quota_cents)
    return tier_adjustment_cents(plan, base, revenue, quota_cents) - before


class DrawKind(StrEnum):
    RECOVERABLE = "recoverable"  # an advance on later earnings
    NON_RECOVERABLE = "non_recoverable"  # a guaranteed minimum for its month


class Draw(msgspec.Struct, frozen=True):
    kind: DrawKind
    amount_cents: int


class DrawSettlement(msgspec.Struct, frozen=True):
    """What a month's draw adds (`top_up_cents`, of `kind` draw or guarantee) and what it
    takes back of earlier recoverable draws (`recovered_cents`, as a positive figure)."""

    top_up_cents: int
    top_up_kind: str
    recovered_cents: int

    @property
    def paid_cents(self) -> int:
        """What the month's draws change in the month's pay."""
        return self.top_up_cents - self.recovered_cents


def settle_draw(earned_cents: int, draw: Draw | None, outstanding_cents: int) -> DrawSettlement:
    """The month's draw entries from its earnings, its draw (if any) and the recoverable
    top-ups of earlier months not yet recovered."""
    floor = draw.amount_cents if draw is not None else 0
    # Without a draw nothing is topped up: a negative month carries forward as it is.
    top_up = max(0, floor - earned_cents) if draw is not None else 0
    kind = "draw"
    if draw is not None and draw.kind is DrawKind.NON_RECOVERABLE:
        kind = "guarantee"
    # Only earnings above this month's own draw repay earlier advances.
    recovered = min(max(0, outstanding_cents), max(0, earned_cents - floor))
    return DrawSettlement(top_up_cents=top_up, top_up_kind=kind, recovered_cents=recovered)


def carried_forward_cents(total_cents: int) -> int:
    """What approving a month whose entries total `total_cents` (draws settled) carries
    into the next open month, as a positive figure: all of a negative total, else nothing.
    The rep is never asked to pay back at once; later earnings recover it."""
    return max(0, -total_cents)
