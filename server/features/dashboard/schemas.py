"""The dashboard's figures and tables as the API answers them (amounts in cents)."""

from __future__ import annotations

from datetime import date

import msgspec

from server.domain.dashboard import Comparison, compare

__all__ = [
    "Breakdown",
    "BreakdownRow",
    "CustomerRow",
    "DashboardOut",
    "Figure",
    "Headline",
    "LapsedRow",
    "OrderRow",
    "PeriodOut",
    "Point",
    "Ratio",
    "Snapshot",
]


class Figure(msgspec.Struct, frozen=True):
    """A figure of the period and of the previous one; `change_percent` is None when the
    previous was zero."""

    current: int
    previous: int
    change_percent: str | None

    @classmethod
    def of(cls, comparison: Comparison) -> Figure:
        change = comparison.change_percent
        return cls(comparison.current, comparison.previous, None if change is None else str(change))


class Ratio(msgspec.Struct, frozen=True):
    """A percentage or a number of days (one decimal, as text), or None where there is
    nothing to divide."""

    current: str | None
    previous: str | None


class Snapshot(msgspec.Struct, frozen=True):
    """Open work at a moment: now (or at the end of a period that has ended), and for
    approvals, credit holds, backorders and overdue receivables also as it stood when the
    period began (the end of the previous period); `change_percent` is the count's."""

    count: int
    value_cents: int
    previous_count: int | None = None
    previous_value_cents: int | None = None
    change_percent: str | None = None

    @classmethod
    def compared(cls, now: tuple[int, int], before: tuple[int, int]) -> Snapshot:
        change = compare(now[0], before[0]).change_percent
        return cls(now[0], now[1], before[0], before[1], None if change is None else str(change))


class PeriodOut(msgspec.Struct, frozen=True):
    kind: str
    start: date
    end: date  # last day, included
    previous_start: date
    previous_end: date


class Headline(msgspec.Struct, frozen=True):
    booked_cents: Figure
    invoiced_cents: Figure
    paid_cents: Figure
    target_cents: Figure
    attainment_percent: Ratio
    orders: Figure
    average_order_cents: Figure
    quotes_sent: Figure
    quotes_converted: Figure
    conversion_percent: Ratio
    commission_accrued_cents: Figure
    new_customers: Figure
    lapsed_customers: Figure
    fulfilment_cycle_days: Ratio
    pipeline: Snapshot
    quotes_expiring_this_week: Snapshot
    approvals_waiting: Snapshot
    credit_holds: Snapshot
    backorders: Snapshot
    overdue_receivables: Snapshot


class BreakdownRow(msgspec.Struct, frozen=True):
    """One territory or rep: booked revenue now and before, orders, target, attainment."""

    id: str
    name: str
    booked_cents: Figure
    orders: int
    target_cents: int | None = None
    attainment_percent: str | None = None


class Breakdown(msgspec.Struct, frozen=True):
    territories: list[BreakdownRow]
    reps: list[BreakdownRow]


class CustomerRow(msgspec.Struct, frozen=True):
    id: str
    number: str
    name: str
    booked_cents: Figure
    orders: int
    last_order_on: date | None


class OrderRow(msgspec.Struct, frozen=True):
    id: str
    number: str
    placed_on: date
    status: str
    rep: str
    net_cents: int
    total_cents: int


class LapsedRow(msgspec.Struct, frozen=True):
    id: str
    number: str
    name: str
    last_order_on: date
    usual_interval_days: str
    days_since: int


class Point(msgspec.Struct, frozen=True):
    """Booked revenue of one day (or week, from its Monday) of the period."""

    start: date
    booked_cents: int


class DashboardOut(msgspec.Struct, frozen=True):
    currency: str
    period: PeriodOut
    territory_id: str | None
    rep_id: str | None
    customer_id: str | None
    figures: Headline
    territories: list[BreakdownRow]
    reps: list[BreakdownRow]
    customers: list[CustomerRow]
    orders: list[OrderRow]
    lapsed: list[LapsedRow]
    revenue_over_time: list[Point]
