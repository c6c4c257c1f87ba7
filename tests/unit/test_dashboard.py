from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from server.domain.dashboard import (
    Comparison,
    Period,
    PeriodKind,
    attainment_percent,
    average_cents,
    compare,
    conversion_percent,
    cycle_days,
    lapse_of,
    months_starting_in,
    period_for,
)
from server.domain.errors import ValidationFailed

# --- periods ---------------------------------------------------------------------------------


def test_month_period_is_the_calendar_month_and_its_previous_has_the_same_length():
    period = period_for(PeriodKind.MONTH, date(2026, 3, 17))
    assert period == Period(date(2026, 3, 1), date(2026, 4, 1))
    assert period.previous() == Period(date(2026, 1, 29), date(2026, 3, 1))
    assert period.previous().days == period.days == 31


def test_december_ends_on_the_first_of_january():
    assert period_for(PeriodKind.MONTH, date(2026, 12, 6)).end == date(2027, 1, 1)


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        (date(2026, 2, 10), date(2026, 1, 1), date(2026, 4, 1)),
        (date(2026, 6, 30), date(2026, 4, 1), date(2026, 7, 1)),
        (date(2026, 11, 1), date(2026, 10, 1), date(2027, 1, 1)),
    ],
)
def test_quarter_period_is_the_calendar_quarter(today, start, end):
    assert period_for(PeriodKind.QUARTER, today) == Period(start, end)


def test_custom_period_includes_both_days():
    period = period_for(PeriodKind.CUSTOM, date(2026, 1, 1), date(2026, 5, 4), date(2026, 5, 10))
    assert (period.start, period.end, period.days) == (date(2026, 5, 4), date(2026, 5, 11), 7)
    assert period.previous() == Period(date(2026, 4, 27), date(2026, 5, 4))
    assert period.contains(date(2026, 5, 10)) and not period.contains(date(2026, 5, 11))


@pytest.mark.parametrize(
    ("start", "to", "code"),
    [
        (None, date(2026, 1, 1), "period_bounds"),
        (date(2026, 2, 1), date(2026, 1, 1), "period_reversed"),
        (date(2024, 1, 1), date(2026, 1, 1), "period_too_long"),
    ],
)
def test_custom_period_refuses_bad_bounds(start, to, code):
    with pytest.raises(ValidationFailed) as refused:
        period_for(PeriodKind.CUSTOM, date(2026, 1, 1), start, to)
    assert refused.value.code == code


def test_target_months_are_those_starting_in_the_period():
    quarter = period_for(PeriodKind.QUARTER, date(2026, 11, 5))
    assert months_starting_in(quarter) == ["2026-10", "2026-11", "2026-12"]
    custom = Period(date(2026, 1, 15), date(2026, 3, 2))
    assert months_starting_in(custom) == ["2026-02", "2026-03"]


# --- comparisons and ratios -------------------------------------------------------------------


def test_comparison_gives_delta_and_change_percent_rounded_half_up():
    figure = compare(1_000_05, 800_00)
    assert figure == Comparison(100005, 80000)
    assert figure.delta == 20005
    assert figure.change_percent == Decimal("25.0")  # 25.00625 -> 25.0
    assert compare(2, 3).change_percent == Decimal("-33.3")
    assert compare(1, 8).change_percent == Decimal("-87.5")


def test_comparison_against_nothing_has_no_percentage():
    assert compare(500, 0).change_percent is None
    assert compare(None, None) == Comparison(0, 0)


def test_comparison_against_a_negative_previous_keeps_the_direction():
    assert compare(-50, -100).change_percent == Decimal("50.0")


def test_attainment_against_target():
    assert attainment_percent(75_000, 100_000) == Decimal("75.0")
    assert attainment_percent(2, 3) == Decimal("66.7")
    assert attainment_percent(1, 0) is None
    assert attainment_percent(1, -5) is None


def test_conversion_and_average():
    assert conversion_percent(1, 3) == Decimal("33.3")
    assert conversion_percent(0, 0) is None
    assert average_cents(1001, 2) == 501  # 500.5 rounds half up
    assert average_cents(1000, 0) == 0


def test_cycle_days_rounds_the_database_average_once():
    assert cycle_days(2.25) == Decimal("2.3")
    assert cycle_days(Decimal("0.04")) == Decimal("0.0")
    assert cycle_days(None) is None


# --- lapsed customers ------------------------------------------------------------------------

DAY = date(2026, 6, 1)


def _every(days: int, count: int, last: date) -> list[date]:
    return [last - timedelta(days=days * n) for n in range(count)]


def test_a_monthly_buyer_lapses_after_twice_their_interval():
    orders = _every(30, 5, DAY - timedelta(days=61))
    lapse = lapse_of(orders, DAY)
    assert lapse is not None
    assert lapse.usual_interval_days == Decimal(30)
    assert (lapse.days_since, lapse.threshold_days) == (61, Decimal(60))
    assert lapse_of(_every(30, 5, DAY - timedelta(days=60)), DAY) is None


def test_a_weekly_buyer_is_not_chased_before_the_minimum_weeks():
    assert lapse_of(_every(7, 6, DAY - timedelta(days=20)), DAY) is None
    lapse = lapse_of(_every(7, 6, DAY - timedelta(days=29)), DAY)
    assert lapse is not None and lapse.threshold_days == Decimal(28)


def test_the_usual_interval_is_the_median_so_one_long_gap_does_not_move_it():
    last = DAY - timedelta(days=25)
    orders = [last, last - timedelta(days=10), last - timedelta(days=20), last - timedelta(300)]
    lapse = lapse_of(orders, DAY, min_weeks=1)
    assert lapse is not None and lapse.usual_interval_days == Decimal(10)


def test_one_order_is_no_rhythm_and_later_orders_are_not_known_yet():
    assert lapse_of([DAY - timedelta(days=400)], DAY) is None
    late = [DAY - timedelta(days=200), DAY - timedelta(days=190), DAY + timedelta(days=5)]
    lapse = lapse_of(late, DAY)
    assert lapse is not None and lapse.last_order == DAY - timedelta(days=190)


def test_two_orders_on_one_day_count_as_one_ordering_day():
    same_day = [DAY - timedelta(days=100)] * 2
    assert lapse_of(same_day, DAY) is None


def test_an_even_number_of_intervals_takes_the_middle_two():
    last = DAY - timedelta(days=100)
    orders = [last, last - timedelta(days=4), last - timedelta(days=10), last - timedelta(days=17)]
    lapse = lapse_of(orders, DAY)
    assert lapse is not None and lapse.usual_interval_days == Decimal(6)  # gaps 4, 6, 7
    pair = lapse_of([last, last - timedelta(days=3), last - timedelta(days=8)], DAY)
    assert pair is not None and str(pair.usual_interval_days) == "4"  # (3 + 5) / 2
