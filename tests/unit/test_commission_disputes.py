"""The rules of a dispute's answer: answered once, an adjustment that moves money, text
kept trimmed and bounded."""

from __future__ import annotations

import pytest

from server.domain.commission_disputes import (
    ADJUSTMENT_LIMIT_CENTS,
    ANSWERED,
    OPEN,
    TEXT_MAX,
    adjustment_key,
    can_answer,
    check_adjustment,
    checked_text,
    require_answerable,
)
from server.domain.errors import InvalidTransition, ValidationFailed


def test_only_an_open_dispute_is_answered() -> None:
    assert can_answer(OPEN) and not can_answer(ANSWERED)
    require_answerable(OPEN)
    with pytest.raises(InvalidTransition) as refused:
        require_answerable(ANSWERED)
    assert refused.value.code == "dispute_answered"


@pytest.mark.parametrize("cents", [None, 1, -1, ADJUSTMENT_LIMIT_CENTS, -ADJUSTMENT_LIMIT_CENTS])
def test_an_adjustment_of_any_sign_within_the_limit_is_accepted(cents: int | None) -> None:
    check_adjustment(cents)


@pytest.mark.parametrize(
    ("cents", "code"),
    [(0, "adjustment_zero"), (ADJUSTMENT_LIMIT_CENTS + 1, "adjustment_too_large")],
)
def test_an_adjustment_that_says_nothing_or_too_much_is_refused(cents: int, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_adjustment(cents)
    assert refused.value.code == code


def test_text_is_trimmed_and_must_say_something_within_the_limit() -> None:
    assert checked_text("  Rate looks low \n", missing="m", code="c") == "Rate looks low"
    with pytest.raises(ValidationFailed) as empty:
        checked_text(" \n ", missing="Say what is wrong.", code="comment_required")
    assert (empty.value.code, empty.value.message) == ("comment_required", "Say what is wrong.")
    with pytest.raises(ValidationFailed) as long:
        checked_text("x" * (TEXT_MAX + 1), missing="m", code="c")
    assert long.value.code == "text_too_long"


def test_each_dispute_has_its_own_ledger_key() -> None:
    assert adjustment_key("d1") == "dispute:d1" != adjustment_key("d2")
