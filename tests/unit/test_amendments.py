from __future__ import annotations

from decimal import Decimal

import pytest

from server.domain.amendments import (
    AmendedLine,
    CurrentLine,
    LineChange,
    WantedLine,
    can_amend,
    plan_amendment,
    priced_changes,
    status_after_amendment,
)
from server.domain.errors import InvalidTransition, ValidationFailed
from server.domain.orders import OrderStatus

D = Decimal
A = CurrentLine(line_id="a", product_id="pa", quantity=10, discount_percent=D(0))
B = CurrentLine(line_id="b", product_id="pb", quantity=4, discount_percent=D("5"))
HEADER = {"notes": "", "po_number": "PO-1"}


def plan(wanted: list[WantedLine] | None, *, current=(A, B), status="confirmed", **header):
    return plan_amendment(
        status=status,
        order_type="standard",
        current=list(current),
        wanted=wanted,
        header_now=HEADER,
        header_wanted=header,
    )


def test_amend_quantity_change_is_a_changed_line():
    result = plan(
        [
            WantedLine(line_id="a", quantity=12),
            WantedLine(line_id="b", quantity=4, discount_percent=D(5)),
        ]
    )

    assert result.lines == (AmendedLine("a", "pa", 12, D(0)), AmendedLine("b", "pb", 4, D(5)))
    assert result.line_changes == (
        LineChange(
            change="changed",
            line_id="a",
            product_id="pa",
            old_quantity=10,
            new_quantity=12,
            old_discount_percent="0.00",
            new_discount_percent="0.00",
        ),
    )
    assert result.header_changes == ()


def test_amend_added_removed_and_discount_changed_lines_are_all_listed():
    result = plan(
        [
            WantedLine(line_id="a", quantity=10, discount_percent=D("2.5")),
            WantedLine(product_id="pc", quantity=3),
        ]
    )

    assert [(c.change, c.line_id, c.product_id) for c in result.line_changes] == [
        ("changed", "a", "pa"),
        ("added", None, "pc"),
        ("removed", "b", "pb"),
    ]
    assert result.line_changes[0].new_discount_percent == "2.50"
    assert result.lines[-1] == AmendedLine(None, "pc", 3, D(0))


def test_amend_header_only_keeps_lines_and_lists_the_fields():
    result = plan(None, notes="ring first", po_number="PO-1")

    assert [(h.field, h.old, h.new) for h in result.header_changes] == [("notes", "", "ring first")]
    assert result.line_changes == ()
    assert [x.line_id for x in result.lines] == ["a", "b"]


def test_amend_nothing_different_is_refused_no_change():
    with pytest.raises(ValidationFailed) as exc:
        plan(
            [
                WantedLine(line_id="a", quantity=10),
                WantedLine(line_id="b", quantity=4, discount_percent=D("5.00")),
            ],
            po_number="PO-1",
        )
    assert exc.value.code == "no_change"


def test_amend_below_shipped_is_refused():
    shipped = CurrentLine(
        line_id="a", product_id="pa", quantity=10, discount_percent=D(0), quantity_shipped=6
    )

    with pytest.raises(ValidationFailed) as exc:
        plan([WantedLine(line_id="a", quantity=5)], current=[shipped])

    assert exc.value.code == "below_shipped"
    assert exc.value.details["reasons"][0]["subject"] == "a"


def test_amend_down_to_exactly_shipped_is_allowed():
    shipped = CurrentLine(
        line_id="a", product_id="pa", quantity=10, discount_percent=D(0), quantity_shipped=6
    )

    assert plan([WantedLine(line_id="a", quantity=6)], current=[shipped]).lines[0].quantity == 6


def test_amend_removing_a_shipped_line_is_refused_with_every_reason():
    shipped_b = CurrentLine(
        line_id="b", product_id="pb", quantity=4, discount_percent=D(0), quantity_shipped=1
    )
    shipped_a = CurrentLine(
        line_id="a", product_id="pa", quantity=10, discount_percent=D(0), quantity_shipped=3
    )

    with pytest.raises(ValidationFailed) as exc:
        plan([WantedLine(line_id="a", quantity=2)], current=[shipped_a, shipped_b])

    assert [r["code"] for r in exc.value.details["reasons"]] == ["below_shipped", "line_shipped"]


def test_amend_unknown_duplicate_or_product_changing_lines_are_refused():
    with pytest.raises(ValidationFailed) as exc:
        plan(
            [
                WantedLine(line_id="zz", quantity=1),
                WantedLine(line_id="a", quantity=1),
                WantedLine(line_id="a", quantity=2),
                WantedLine(line_id="b", product_id="other", quantity=1),
                WantedLine(quantity=1),
            ]
        )
    codes = [r["code"] for r in exc.value.details["reasons"]]
    assert codes == ["unknown_line", "duplicate_line", "invalid_line", "invalid_line"]


@pytest.mark.parametrize("status", ["cancelled", "completed", "closed", "draft"])
def test_amend_in_a_final_status_is_refused_not_amendable(status: str):
    with pytest.raises(InvalidTransition) as exc:
        plan([WantedLine(line_id="a", quantity=1)], status=status)
    assert exc.value.code == "not_amendable"


def test_amend_a_blanket_order_is_refused():
    with pytest.raises(InvalidTransition) as exc:
        plan_amendment(
            status="confirmed",
            order_type="blanket",
            current=[A],
            wanted=[WantedLine(line_id="a", quantity=1)],
            header_now={},
            header_wanted={},
        )
    assert exc.value.code == "not_amendable"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("submitted", True),
        ("pending_approval", True),
        ("credit_hold", True),
        ("confirmed", True),
        ("in_fulfilment", True),
        ("cancelled", False),
        ("completed", False),
        ("closed", False),
    ],
)
def test_can_amend_by_status(status: str, expected: bool):
    assert can_amend(status, "standard") is expected
    assert can_amend(status, "blanket") is False


def test_priced_changes_add_prices_and_list_lines_repriced_without_being_asked():
    changes = plan(
        [
            WantedLine(line_id="a", quantity=12),
            WantedLine(line_id="b", quantity=4, discount_percent=D(5)),
            WantedLine(product_id="pc", quantity=1),
        ]
    ).line_changes

    result = priced_changes(
        changes, {"a": 100, "b": 200}, [("a", "pa", 90), ("b", "pb", 210), (None, "pc", 55)]
    )

    assert [(c.change, c.old_unit_price_cents, c.new_unit_price_cents) for c in result] == [
        ("changed", 100, 90),
        ("added", None, 55),
        ("repriced", 200, 210),
    ]


@pytest.mark.parametrize(
    ("current", "verdict", "expected"),
    [
        (OrderStatus.CONFIRMED, OrderStatus.CONFIRMED, OrderStatus.CONFIRMED),
        (OrderStatus.PENDING_APPROVAL, OrderStatus.CONFIRMED, OrderStatus.CONFIRMED),
        (OrderStatus.CREDIT_HOLD, OrderStatus.CONFIRMED, OrderStatus.CONFIRMED),
        (OrderStatus.IN_FULFILMENT, OrderStatus.CONFIRMED, OrderStatus.IN_FULFILMENT),
        (OrderStatus.CONFIRMED, OrderStatus.PENDING_APPROVAL, OrderStatus.PENDING_APPROVAL),
        (OrderStatus.IN_FULFILMENT, OrderStatus.CREDIT_HOLD, OrderStatus.CREDIT_HOLD),
    ],
)
def test_status_after_amendment_follows_the_verdict(current, verdict, expected):
    assert status_after_amendment(current, verdict) == expected
