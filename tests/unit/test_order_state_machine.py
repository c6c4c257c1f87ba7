from __future__ import annotations

import itertools
from datetime import date

import pytest

from server.domain.errors import InvalidTransition
from server.domain.orders import (
    CLIENT_ORDER_ACTIONS,
    ORDER_TRANSITIONS,
    QUOTE_TRANSITIONS,
    FulfilmentStatus,
    OrderStatus,
    QuoteStatus,
    allowed_actions,
    allowed_quote_actions,
    can,
    can_cancel,
    can_edit_quote,
    can_quote,
    next_order_status,
    next_quote_status,
)

O = OrderStatus  # noqa: E741 - O and Q keep the tables of transitions readable
Q = QuoteStatus

# Written out by hand from docs/architecture.md, not derived from the module's table, so a
# change to the table must be made twice on purpose.
EXPECTED_ORDER: dict[tuple[OrderStatus, str], OrderStatus] = {
    (O.DRAFT, "submit"): O.SUBMITTED,
    (O.SUBMITTED, "require_approval"): O.PENDING_APPROVAL,
    (O.SUBMITTED, "hold_for_credit"): O.CREDIT_HOLD,
    (O.PENDING_APPROVAL, "hold_for_credit"): O.CREDIT_HOLD,
    (O.PENDING_APPROVAL, "approve"): O.CONFIRMED,
    (O.PENDING_APPROVAL, "reject"): O.CANCELLED,
    (O.CREDIT_HOLD, "reject"): O.CANCELLED,
    (O.CREDIT_HOLD, "release_credit"): O.CONFIRMED,
    (O.SUBMITTED, "confirm"): O.CONFIRMED,
    (O.CONFIRMED, "start_fulfilment"): O.IN_FULFILMENT,
    (O.IN_FULFILMENT, "complete"): O.COMPLETED,
    (O.COMPLETED, "close"): O.CLOSED,
    (O.DRAFT, "cancel"): O.CANCELLED,
    (O.SUBMITTED, "cancel"): O.CANCELLED,
    (O.PENDING_APPROVAL, "cancel"): O.CANCELLED,
    (O.CREDIT_HOLD, "cancel"): O.CANCELLED,
    (O.CONFIRMED, "cancel"): O.CANCELLED,
}
ORDER_ACTIONS = sorted({action for _, action in EXPECTED_ORDER})

EXPECTED_QUOTE: dict[tuple[QuoteStatus, str], QuoteStatus] = {
    (Q.DRAFT, "save"): Q.DRAFT,
    (Q.DRAFT, "send"): Q.SENT,
    (Q.SENT, "revise"): Q.DRAFT,
    (Q.DECLINED, "revise"): Q.DRAFT,
    (Q.EXPIRED, "revise"): Q.DRAFT,
    (Q.SENT, "accept"): Q.ACCEPTED,
    (Q.SENT, "decline"): Q.DECLINED,
    (Q.DRAFT, "expire"): Q.EXPIRED,
    (Q.SENT, "expire"): Q.EXPIRED,
    (Q.ACCEPTED, "convert"): Q.ACCEPTED,
}
QUOTE_ACTIONS = sorted({action for _, action in EXPECTED_QUOTE})


def test_order_table_names_exactly_the_expected_actions() -> None:
    assert sorted(ORDER_TRANSITIONS) == ORDER_ACTIONS
    assert sorted(QUOTE_TRANSITIONS) == QUOTE_ACTIONS


@pytest.mark.parametrize(("status", "action"), list(itertools.product(OrderStatus, ORDER_ACTIONS)))
def test_next_order_status_follows_the_table(status: OrderStatus, action: str) -> None:
    expected = EXPECTED_ORDER.get((status, action))
    if expected is None:
        # given an action the table does not allow from this status, then it is refused
        with pytest.raises(InvalidTransition) as caught:
            next_order_status(status, action)
        assert caught.value.code == "invalid_transition"
        assert caught.value.details == {"action": action, "status": str(status)}
        assert not can(status, action)
        assert action not in allowed_actions(status)
    else:
        assert next_order_status(status, action) is expected
        assert can(status, action)
        # offered to clients exactly when a client can call it
        assert (action in allowed_actions(status)) is (action in CLIENT_ORDER_ACTIONS)


@pytest.mark.parametrize(("status", "action"), list(itertools.product(QuoteStatus, QUOTE_ACTIONS)))
def test_next_quote_status_follows_the_table(status: QuoteStatus, action: str) -> None:
    expected = EXPECTED_QUOTE.get((status, action))
    if expected is None:
        with pytest.raises(InvalidTransition) as caught:
            next_quote_status(status, action)
        assert caught.value.code == "invalid_transition"
        assert not can_quote(status, action)
        assert action not in allowed_quote_actions(status)
    else:
        assert next_quote_status(status, action) is expected
        assert can_quote(status, action)
        assert (action in allowed_quote_actions(status)) is (action != "expire")


def test_next_order_status_refusal_says_what_and_why_in_words() -> None:
    with pytest.raises(InvalidTransition) as caught:
        next_order_status(O.PENDING_APPROVAL, "start_fulfilment")
    assert caught.value.message == "cannot start fulfilment an order that is pending approval"
    with pytest.raises(InvalidTransition) as caught:
        next_order_status(O.CLOSED, "cancel")
    assert caught.value.message == "cannot cancel an order that is closed"


def test_next_order_status_refuses_an_unknown_action() -> None:
    with pytest.raises(InvalidTransition) as caught:
        next_order_status(O.DRAFT, "teleport")
    assert caught.value.code == "unknown_action"
    assert not can(O.DRAFT, "teleport")


@pytest.mark.parametrize(
    "fulfilment",
    [
        FulfilmentStatus.PARTIALLY_SHIPPED,
        FulfilmentStatus.SHIPPED,
        FulfilmentStatus.DELIVERED,
    ],
)
@pytest.mark.parametrize("status", [O.SUBMITTED, O.CONFIRMED, O.CREDIT_HOLD])
def test_cancel_after_shipment_is_refused(
    status: OrderStatus, fulfilment: FulfilmentStatus
) -> None:
    # given goods have left the warehouse, when cancelling, then it is refused
    with pytest.raises(InvalidTransition) as caught:
        next_order_status(status, "cancel", fulfilment=fulfilment)
    assert caught.value.code == "already_shipped"
    assert not can_cancel(status, fulfilment=fulfilment)


@pytest.mark.parametrize(
    "fulfilment",
    [
        None,
        FulfilmentStatus.UNALLOCATED,
        FulfilmentStatus.ALLOCATED,
        FulfilmentStatus.PARTIALLY_ALLOCATED,
        FulfilmentStatus.BACKORDERED,
    ],
)
def test_cancel_before_shipment_is_allowed(fulfilment: FulfilmentStatus | None) -> None:
    assert next_order_status(O.CONFIRMED, "cancel", fulfilment=fulfilment) is O.CANCELLED
    assert can_cancel(O.CONFIRMED, fulfilment=fulfilment)


def test_cancel_in_fulfilment_is_refused_by_the_table_before_the_shipment_check() -> None:
    with pytest.raises(InvalidTransition) as caught:
        next_order_status(O.IN_FULFILMENT, "cancel", fulfilment=FulfilmentStatus.SHIPPED)
    assert caught.value.code == "invalid_transition"
    assert not can_cancel(O.IN_FULFILMENT)


def test_fulfilment_does_not_block_other_actions() -> None:
    status = next_order_status(O.IN_FULFILMENT, "complete", fulfilment=FulfilmentStatus.DELIVERED)
    assert status is O.COMPLETED


def test_allowed_actions_are_sorted_names() -> None:
    assert allowed_actions(O.DRAFT) == ["cancel"]
    assert allowed_actions(O.CREDIT_HOLD) == ["cancel", "reject", "release_credit"]
    # nothing a client cannot call: fulfilment and expiry happen to documents
    assert allowed_actions(O.CONFIRMED) == ["cancel"]
    assert allowed_actions(O.CONFIRMED, fulfilment=FulfilmentStatus.PARTIALLY_SHIPPED) == []
    assert allowed_actions(O.IN_FULFILMENT) == []
    assert allowed_actions(O.CLOSED) == []
    assert allowed_actions(O.CANCELLED) == []
    assert allowed_quote_actions(Q.SENT) == ["accept", "decline", "revise"]


def test_can_edit_quote_only_in_draft() -> None:
    assert [s for s in QuoteStatus if can_edit_quote(s)] == [Q.DRAFT]


def test_accept_quote_on_its_last_valid_day_is_allowed() -> None:
    status = next_quote_status(
        Q.SENT, "accept", today=date(2025, 3, 31), valid_until=date(2025, 3, 31)
    )
    assert status is Q.ACCEPTED


def test_accept_quote_after_its_validity_is_refused() -> None:
    with pytest.raises(InvalidTransition) as caught:
        next_quote_status(Q.SENT, "accept", today=date(2025, 4, 1), valid_until=date(2025, 3, 31))
    assert caught.value.code == "quote_expired"


def test_decline_quote_after_its_validity_is_still_allowed() -> None:
    status = next_quote_status(
        Q.SENT, "decline", today=date(2025, 4, 1), valid_until=date(2025, 3, 31)
    )
    assert status is Q.DECLINED


def test_convert_quote_twice_is_refused() -> None:
    assert next_quote_status(Q.ACCEPTED, "convert", converted=False) is Q.ACCEPTED
    with pytest.raises(InvalidTransition) as caught:
        next_quote_status(Q.ACCEPTED, "convert", converted=True)
    assert caught.value.code == "already_converted"


def test_convert_quote_after_its_validity_is_refused() -> None:
    with pytest.raises(InvalidTransition) as caught:
        next_quote_status(
            Q.ACCEPTED, "convert", today=date(2025, 4, 1), valid_until=date(2025, 3, 31)
        )
    assert caught.value.code == "quote_expired"


def test_convert_a_quote_that_is_not_accepted_is_refused() -> None:
    with pytest.raises(InvalidTransition) as caught:
        next_quote_status(Q.SENT, "convert")
    assert caught.value.message == "cannot convert a quote that is sent"


def test_status_values_are_the_stored_strings() -> None:
    assert [s.value for s in OrderStatus] == [
        "draft",
        "submitted",
        "pending_approval",
        "credit_hold",
        "confirmed",
        "in_fulfilment",
        "completed",
        "closed",
        "cancelled",
    ]
    assert [s.value for s in QuoteStatus] == ["draft", "sent", "accepted", "declined", "expired"]
