"""A rep's quota period as the ledger holds it: which period a month's attainment and tiers
run on (the month, or its quarter), its figures to date, and the month's adjustment."""

from __future__ import annotations

import msgspec

from server.domain.commission import Plan
from server.domain.commission_periods import months_to_date, quota_period_tier_adjustment
from server.features.commission.store import CommissionStore

__all__ = ["QuotaStanding", "month_tier_adjustment", "quota_standing"]


class QuotaStanding(msgspec.Struct, frozen=True):
    """`month` within its quota period: each month's (base, revenue) up to it, the quota."""

    month: str
    quota_period: str | None  # None: no quota covers the month
    quota_cents: int | None
    months: tuple[tuple[int, int], ...]

    @property
    def base_cents(self) -> int:
        return sum(b for b, _ in self.months)

    @property
    def revenue_cents(self) -> int:
        return sum(r for _, r in self.months)


async def quota_standing(store: CommissionStore, rep_id: str, month: str) -> QuotaStanding:
    found = await store.quota(rep_id, month)
    period, quota = found if found is not None else (None, None)
    months = months_to_date(period, month) if period is not None else (month,)
    sums = tuple([await store.period_sums(rep_id, m) for m in months])
    return QuotaStanding(month=month, quota_period=period, quota_cents=quota, months=sums)


def month_tier_adjustment(plan: Plan, standing: QuotaStanding) -> int:
    """The month's tier and cap adjustment: its share of its quota period's."""
    return quota_period_tier_adjustment(plan, standing.months, standing.quota_cents)
