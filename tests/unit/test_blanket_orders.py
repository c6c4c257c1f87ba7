"""Which blanket orders and call-offs may be accepted."""

from __future__ import annotations

from datetime import date

import pytest

from server.domain.blanket_orders import (
    BlanketLine,
    CallOffRequest,
    check_blanket_period,
    check_call_off,
    reserves_stock,
)
from server.domain.errors import Conflict, DomainError, InvalidTransition, ValidationFailed

LINES = {"a": BlanketLine("a", 1, agreed=10, released=6), "b": BlanketLine("b", 2, 5, 0)}
FROM, TO = date(2030, 1, 1), date(2030, 12, 31)


def _check(requested, *, status="confirmed", on=date(2030, 6, 1), order_type="blanket"):
    check_call_off(
        order_type=order_type,
        status=status,
        valid_from=FROM,
        valid_to=TO,
        on=on,
        lines=LINES,
        requested=[CallOffRequest(line, qty) for line, qty in requested],
    )


def test_a_call_off_up_to_what_is_left_is_accepted():
    _check([("a", 4), ("b", 5)])


def test_a_call_off_above_what_is_left_is_refused_with_the_remaining_quantity():
    with pytest.raises(Conflict) as refused:
        _check([("a", 3), ("a", 2)])  # one line named twice counts once, with both
    assert refused.value.code == "exceeds_blanket_quantity"
    assert refused.value.details["lines"] == [
        {"blanket_line_id": "a", "line_no": 1, "requested": 5, "remaining": 4}
    ]


@pytest.mark.parametrize(
    ("kwargs", "requested", "error", "code"),
    [
        ({"status": "pending_approval"}, [("a", 1)], InvalidTransition, "blanket_not_confirmed"),
        ({"status": "cancelled"}, [("a", 1)], InvalidTransition, "blanket_not_confirmed"),
        ({"on": date(2029, 12, 31)}, [("a", 1)], ValidationFailed, "outside_blanket_period"),
        ({"on": date(2031, 1, 1)}, [("a", 1)], ValidationFailed, "outside_blanket_period"),
        ({}, [("elsewhere", 1)], ValidationFailed, "unknown_blanket_line"),
        ({"order_type": "standard"}, [("a", 1)], ValidationFailed, "not_a_blanket_order"),
    ],
)
def test_call_offs_are_refused_with_a_reason(kwargs, requested, error, code):
    with pytest.raises(DomainError) as refused:
        _check(requested, **kwargs)
    assert isinstance(refused.value, error) and refused.value.code == code


def test_the_period_ends_are_inclusive():
    _check([("a", 1)], on=FROM)
    _check([("a", 1)], on=TO)


def test_a_blanket_order_needs_its_period_and_other_orders_have_none():
    check_blanket_period("blanket", FROM, TO)
    check_blanket_period("standard", None, None)
    for order_type, start, end, code in [
        ("blanket", None, TO, "blanket_period_required"),
        ("blanket", TO, FROM, "invalid_period"),
        ("standard", FROM, TO, "period_not_allowed"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            check_blanket_period(order_type, start, end)
        assert refused.value.code == code


def test_only_blanket_orders_never_reserve_stock():
    assert not reserves_stock("blanket")
    assert reserves_stock("standard") and reserves_stock("rush")
