"""The manager's dashboard arithmetic: periods, comparisons, attainment, lapsed customers.

Plain data in, plain data out. A period is a half-open range of days `[start, end)`; the
previous period is the one of the same length that ends where it starts, so a month is
compared with the days just before it (a 31-day December with the 31 days before it).
Percentages are Decimal, rounded once to one decimal, ROUND_HALF_UP.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from itertools import pairwise

import msgspec

from server.domain.errors import ValidationFailed

__all__ = [
    "LAPSE_FACTOR",
    "LAPSE_MIN_WEEKS",
    "Comparison",
    "Lapse",
    "Period",
    "PeriodKind",
    "attainment_percent",
    "average_cents",
    "compare",
    "conversion_percent",
    "cycle_days",
    "lapse_of",
    "months_starting_in",
    "period_for",
]

# A customer has lapsed when their last order is older than their usual interval between
# orders times this factor, and at least this many weeks old: a weekly buyer is not
# chased after nine days.
LAPSE_FACTOR = Decimal(2)
LAPSE_MIN_WEEKS = 4
# The longest custom period: a year and a day covers "last year" in a leap year.
MAX_PERIOD_DAYS = 367
_TENTH = Decimal("0.1")


class PeriodKind(StrEnum):
    MONTH = "month"  # the calendar month of the reference day
    QUARTER = "quarter"  # the calendar quarter of the reference day
    CUSTOM = "custom"  # from and to, both days included


class Period(msgspec.Struct, frozen=True):
    start: date  # first day, included
    end: date  # first day after the period

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end


def period_for(
    kind: PeriodKind, today: date, start: date | None = None, to: date | None = None
) -> Period:
    """The period a filter names: this month, this quarter, or `start` to `to` inclusive."""
    if kind is PeriodKind.MONTH:
        first = today.replace(day=1)
        return Period(first, _add_months(first, 1))
    if kind is PeriodKind.QUARTER:
        first = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        return Period(first, _add_months(first, 3))
    if start is None or to is None:
        raise ValidationFailed("A custom period needs a from and a to day.", code="period_bounds")
    if to < start:
        raise ValidationFailed("The period ends before it starts.", code="period_reversed")
    period = Period(start, to + timedelta(days=1))
    if period.days > MAX_PERIOD_DAYS:
        raise ValidationFailed(
            f"Choose a period of at most {MAX_PERIOD_DAYS} days.", code="period_too_long"
        )
    return period


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_starting_in(period: Period) -> list[str]:
    """The `YYYY-MM` months whose first day is in the period: the months whose quotas
    make its target (a custom period from the 15th counts the next month, not this one)."""
    first = period.start.replace(day=1)
    if first < period.start:
        first = _add_months(first, 1)
    months = []
    while first < period.end:
        months.append(f"{first.year:04d}-{first.month:02d}")
        first = _add_months(first, 1)
    return months


def _percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    value = Decimal(part) * 100 / Decimal(whole)
    return value.quantize(_TENTH, rounding=ROUND_HALF_UP)


class Comparison(msgspec.Struct, frozen=True):
    """A figure this period and in the previous one."""

    current: int
    previous: int

    @property
    def delta(self) -> int:
        return self.current - self.previous

    @property
    def change_percent(self) -> Decimal | None:
        """The change against the previous period in percent; None when it was zero
        (there is no percentage of nothing)."""
        return _percent(self.delta, abs(self.previous))


def compare(current: int | None, previous: int | None) -> Comparison:
    return Comparison(int(current or 0), int(previous or 0))


def attainment_percent(revenue_cents: int, target_cents: int) -> Decimal | None:
    """Revenue against target in percent; None without a positive target."""
    if target_cents <= 0:
        return None
    return _percent(revenue_cents, target_cents)


def conversion_percent(converted: int, decided: int) -> Decimal | None:
    """Quotes that became orders out of the quotes that went out."""
    return _percent(converted, decided)


def average_cents(total_cents: int, count: int) -> int:
    """The average amount, rounded once to the cent."""
    if count <= 0:
        return 0
    return int((Decimal(total_cents) / count).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def cycle_days(average_days: float | Decimal | None) -> Decimal | None:
    """A database's average of day differences (a float there) as days to one decimal."""
    if average_days is None:
        return None
    return Decimal(str(average_days)).quantize(_TENTH, rounding=ROUND_HALF_UP)


class Lapse(msgspec.Struct, frozen=True):
    """Why a customer counts as lapsed: their rhythm and how long it has been."""

    last_order: date
    usual_interval_days: Decimal
    days_since: int
    threshold_days: Decimal


def _usual_interval(days: Sequence[date]) -> Decimal | None:
    if len(days) < 2:
        return None
    gaps = sorted((later - earlier).days for earlier, later in pairwise(days))
    middle = len(gaps) // 2
    if len(gaps) % 2:
        return Decimal(gaps[middle])
    return (Decimal(gaps[middle - 1]) + Decimal(gaps[middle])) / 2


def lapse_of(
    order_days: Iterable[date],
    as_of: date,
    *,
    factor: Decimal = LAPSE_FACTOR,
    min_weeks: int = LAPSE_MIN_WEEKS,
) -> Lapse | None:
    """The lapse of a customer who ordered on `order_days` (orders after `as_of` are not
    known yet), or None while they keep their rhythm. A customer needs two ordering days
    to have a rhythm; one who ordered once has none to break."""
    days = sorted({d for d in order_days if d <= as_of})
    usual = _usual_interval(days)
    if usual is None:
        return None
    threshold = max(usual * factor, Decimal(min_weeks * 7))
    since = (as_of - days[-1]).days
    if since <= threshold:
        return None
    return Lapse(days[-1], usual, since, threshold)
