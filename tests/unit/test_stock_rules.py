"""Stock adjustments and user rules: pure checks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.domain.errors import Conflict, ValidationFailed
from server.domain.stock import adjustment_target
from server.domain.users import check_discount_limit, check_not_self, check_role


def test_an_adjustment_moves_on_hand_by_its_change_or_sets_the_count():
    assert adjustment_target(on_hand=10, allocated=2, change=-3, counted=None) == 7
    assert adjustment_target(on_hand=10, allocated=2, change=None, counted=4) == 4


def test_an_adjustment_may_not_take_on_hand_below_what_is_allocated():
    with pytest.raises(Conflict) as refused:
        adjustment_target(on_hand=10, allocated=6, change=-5, counted=None)
    assert refused.value.code == "below_allocated" and "6 units allocated" in refused.value.message
    assert refused.value.details["allocated"] == 6
    with pytest.raises(Conflict):
        adjustment_target(on_hand=1, allocated=0, change=-2, counted=None)


def test_an_adjustment_is_either_a_change_or_a_count():
    for change, counted in ((None, None), (1, 1)):
        with pytest.raises(ValidationFailed):
            adjustment_target(on_hand=1, allocated=0, change=change, counted=counted)


@pytest.mark.parametrize("value", ["-1", "100.01", "abc", "NaN", "12.345"])
def test_a_discount_limit_is_a_percentage_with_two_decimals(value):
    with pytest.raises(ValidationFailed) as refused:
        check_discount_limit(value)
    assert refused.value.code == "invalid_discount_limit"


def test_valid_discount_limits_and_roles_pass():
    assert check_discount_limit("12.5") == Decimal("12.50")
    assert check_discount_limit("100") == Decimal("100.00")
    assert check_role("manager") == "manager"
    with pytest.raises(ValidationFailed):
        check_role("owner")
    with pytest.raises(ValidationFailed):
        check_not_self("a", "a", "deactivate")
    check_not_self("a", "b", "deactivate")
