"""Service orders need a date that has not passed and complete once; pick lists serve
rush orders first, then priority, then the oldest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from server.domain.errors import Conflict, ValidationFailed
from server.domain.fulfilment_rules import check_schedule, check_service_completion, pick_rank

TODAY = date(2026, 3, 10)


def test_a_service_order_needs_a_scheduled_date():
    with pytest.raises(ValidationFailed) as refused:
        check_schedule("service", None, TODAY)
    assert refused.value.code == "scheduled_date_required"
    check_schedule("service", TODAY, TODAY)
    check_schedule("standard", None, TODAY)


def test_a_scheduled_date_in_the_past_is_refused_for_any_order():
    for order_type in ("service", "standard"):
        with pytest.raises(ValidationFailed) as refused:
            check_schedule(order_type, TODAY - timedelta(days=1), TODAY)
        assert refused.value.code == "scheduled_date_in_past"


@pytest.mark.parametrize(
    ("order_type", "done", "on", "code"),
    [
        ("standard", False, TODAY, "not_a_service_order"),
        ("drop_ship", False, TODAY, "not_a_service_order"),
        ("service", True, TODAY, "service_already_completed"),
        ("service", False, TODAY + timedelta(days=1), "date_in_future"),
    ],
)
def test_service_completion_refusals(order_type, done, on, code):
    with pytest.raises((Conflict, ValidationFailed)) as refused:
        check_service_completion(
            order_type=order_type, already_completed=done, completed_on=on, today=TODAY
        )
    assert refused.value.code == code


def test_service_completion_on_a_past_day_is_accepted():
    check_service_completion(
        order_type="service", already_completed=False, completed_on=TODAY, today=TODAY
    )


def test_pick_rank_is_rush_then_priority_then_oldest():
    old = datetime(2026, 3, 1, tzinfo=UTC)
    new = datetime(2026, 3, 5, tzinfo=UTC)
    orders = {
        "old-standard": ("standard", 0, old),
        "new-standard-priority": ("standard", 5, new),
        "new-rush": ("rush", 0, new),
        "new-standard": ("standard", 0, new),
    }
    ranked = sorted(orders, key=lambda name: pick_rank(*orders[name]))
    assert ranked == ["new-rush", "new-standard-priority", "old-standard", "new-standard"]
