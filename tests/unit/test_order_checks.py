from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from server.domain.errors import ValidationFailed
from server.domain.orders import (
    OrderCheckInput,
    OrderStatus,
    Reason,
    SubmissionVerdict,
    decide_submission,
)


def check(**overrides: Any) -> OrderCheckInput:
    # A clean order: active customer, 100.00 of room on a 1000.00 limit, 5% of 10% allowed.
    fields: dict[str, Any] = {
        "customer_status": "active",
        "customer_on_hold": False,
        "credit_limit_cents": 100_000,
        "open_receivables_cents": 50_000,
        "open_orders_cents": 40_000,
        "order_total_cents": 10_000,
        "discount_percent": Decimal(5),
        "discount_limit_percent": Decimal(10),
    }
    fields.update(overrides)
    return OrderCheckInput(**fields)


def codes(verdict: SubmissionVerdict) -> list[str]:
    return [reason.code for reason in verdict.reasons]


def refused_codes(inp: OrderCheckInput) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        decide_submission(inp)
    return [reason["code"] for reason in caught.value.details["reasons"]]


def test_decide_submission_confirms_a_clean_order() -> None:
    assert decide_submission(check()) == SubmissionVerdict(OrderStatus.CONFIRMED, ())


def test_decide_submission_confirms_an_order_exactly_at_the_credit_limit() -> None:
    verdict = decide_submission(check(order_total_cents=10_000))
    assert verdict.status is OrderStatus.CONFIRMED


def test_decide_submission_holds_an_order_one_cent_over_the_credit_limit() -> None:
    # given receivables + open orders + this order = 1000.01 on a 1000.00 limit
    verdict = decide_submission(check(order_total_cents=10_001))
    assert verdict.status is OrderStatus.CREDIT_HOLD
    assert codes(verdict) == ["credit_limit_exceeded"]


@pytest.mark.parametrize("field", ["open_receivables_cents", "open_orders_cents"])
def test_decide_submission_counts_receivables_and_open_orders_against_credit(field: str) -> None:
    verdict = decide_submission(check(**{field: 60_000}))
    assert codes(verdict) == ["credit_limit_exceeded"]


def test_decide_submission_without_a_credit_limit_never_holds_for_credit() -> None:
    verdict = decide_submission(check(credit_limit_cents=None, order_total_cents=10**12))
    assert verdict.status is OrderStatus.CONFIRMED


def test_decide_submission_holds_a_customer_on_hold() -> None:
    verdict = decide_submission(check(customer_on_hold=True, credit_limit_cents=None))
    assert verdict.status is OrderStatus.CREDIT_HOLD
    assert codes(verdict) == ["customer_on_hold"]


def test_decide_submission_sends_a_discount_above_the_limit_for_approval() -> None:
    verdict = decide_submission(check(discount_percent=Decimal("10.01")))
    assert verdict.status is OrderStatus.PENDING_APPROVAL
    assert codes(verdict) == ["discount_above_limit"]
    assert "10.01%" in verdict.reasons[0].message


def test_decide_submission_allows_a_discount_exactly_at_the_limit() -> None:
    verdict = decide_submission(check(discount_percent=Decimal(10)))
    assert verdict.status is OrderStatus.CONFIRMED


def test_decide_submission_credit_hold_wins_over_approval_and_keeps_both_reasons() -> None:
    verdict = decide_submission(
        check(customer_on_hold=True, order_total_cents=20_000, discount_percent=Decimal(15))
    )
    assert verdict.status is OrderStatus.CREDIT_HOLD
    assert codes(verdict) == ["customer_on_hold", "credit_limit_exceeded", "discount_above_limit"]


@pytest.mark.parametrize("status", ["inactive", "prospect", "blocked"])
def test_decide_submission_refuses_a_customer_who_is_not_active(status: str) -> None:
    assert refused_codes(check(customer_status=status)) == ["customer_inactive"]


def test_decide_submission_refuses_inactive_products() -> None:
    with pytest.raises(ValidationFailed) as caught:
        decide_submission(check(inactive_product_ids=("p1", "p2")))
    assert caught.value.code == "validation_failed"
    assert caught.value.details["reasons"] == [
        {"code": "product_inactive", "message": "product p1 is no longer sold", "subject": "p1"},
        {"code": "product_inactive", "message": "product p2 is no longer sold", "subject": "p2"},
    ]


def test_decide_submission_refuses_quantity_errors_with_their_own_code() -> None:
    inp = check(quantity_errors=(("l1", "quantity_below_minimum", "order at least 6"),))
    with pytest.raises(ValidationFailed) as caught:
        decide_submission(inp)
    assert caught.value.details["reasons"] == [
        {"code": "quantity_below_minimum", "message": "order at least 6", "subject": "l1"}
    ]


def test_decide_submission_refuses_prices_below_floor() -> None:
    assert refused_codes(check(below_floor_line_ids=("l2",))) == ["price_below_floor"]


def test_decide_submission_lists_every_hard_error_even_when_credit_would_hold() -> None:
    # given everything wrong at once, then all hard errors are listed and nothing is held
    inp = check(
        customer_status="inactive",
        customer_on_hold=True,
        discount_percent=Decimal(50),
        inactive_product_ids=("p1",),
        quantity_errors=(("l1", "quantity_not_multiple", "sold in packs of 12"),),
        below_floor_line_ids=("l3",),
    )
    assert refused_codes(inp) == [
        "customer_inactive",
        "product_inactive",
        "quantity_not_multiple",
        "price_below_floor",
    ]


def test_reason_subject_is_optional() -> None:
    assert Reason("customer_on_hold", "on hold").subject is None
