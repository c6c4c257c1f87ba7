"""A planned price list version is never hidden silently; price items hold sane prices."""

from __future__ import annotations

from datetime import date

import pytest

from server.domain.errors import Conflict
from server.domain.price_list_versions import (
    VersionPeriod,
    hidden_future_versions,
    plan_new_version,
    price_item_problems,
)

TODAY = date(2030, 6, 15)
CURRENT = VersionPeriod("v1", 1, date(2030, 1, 1), None)
PLANNED = VersionPeriod("v2", 2, date(2030, 9, 1), None)


def test_a_new_version_taking_over_from_the_current_one_ends_nothing():
    assert (
        plan_new_version([CURRENT], valid_from=TODAY, valid_to=None, today=TODAY, supersede=False)
        == []
    )


def test_an_earlier_start_that_would_hide_a_planned_version_is_refused_naming_it():
    with pytest.raises(Conflict) as refused:
        plan_new_version(
            [CURRENT, PLANNED],
            valid_from=date(2030, 7, 1),
            valid_to=None,
            today=TODAY,
            supersede=False,
        )
    assert refused.value.code == "hides_planned_version"
    assert "version 2" in refused.value.message and "2030-09-01" in refused.value.message
    assert [h["version"] for h in refused.value.details["hidden"]] == [2]


def test_a_later_start_still_overlapping_a_planned_version_is_refused():
    with pytest.raises(Conflict):
        plan_new_version(
            [PLANNED], valid_from=date(2030, 10, 1), valid_to=None, today=TODAY, supersede=False
        )


def test_a_version_without_a_start_overlaps_every_planned_version():
    assert hidden_future_versions(
        [CURRENT, PLANNED], valid_from=None, valid_to=None, today=TODAY
    ) == [PLANNED]


def test_ending_the_new_version_before_the_planned_one_starts_is_allowed():
    assert (
        plan_new_version(
            [CURRENT, PLANNED],
            valid_from=date(2030, 7, 1),
            valid_to=date(2030, 8, 31),
            today=TODAY,
            supersede=False,
        )
        == []
    )


def test_supersede_withdraws_a_planned_version_the_new_one_starts_before():
    [ended] = plan_new_version(
        [CURRENT, PLANNED], valid_from=date(2030, 7, 1), valid_to=None, today=TODAY, supersede=True
    )
    assert (ended.id, ended.old_valid_to, ended.new_valid_to) == ("v2", None, date(2030, 8, 31))
    assert ended.new_valid_to < PLANNED.valid_from  # never valid any more


def test_supersede_keeps_the_days_a_planned_version_has_before_the_new_one():
    [ended] = plan_new_version(
        [PLANNED], valid_from=date(2030, 10, 1), valid_to=None, today=TODAY, supersede=True
    )
    assert ended.new_valid_to == date(2030, 9, 30)


def test_a_version_starting_today_is_in_force_not_planned():
    starts_today = VersionPeriod("v3", 3, TODAY, None)
    assert hidden_future_versions([starts_today], valid_from=None, valid_to=None, today=TODAY) == []


def test_a_withdrawn_plan_is_not_protected_again():
    withdrawn = VersionPeriod("v2", 2, date(2030, 9, 1), date(2030, 8, 31))
    assert hidden_future_versions([withdrawn], valid_from=None, valid_to=None, today=TODAY) == []


def test_every_hidden_planned_version_is_named_oldest_first():
    later = VersionPeriod("v3", 3, date(2031, 1, 1), None)
    hidden = hidden_future_versions([later, PLANNED], valid_from=TODAY, valid_to=None, today=TODAY)
    assert [p.version for p in hidden] == [2, 3]


@pytest.mark.parametrize(
    ("price", "breaks", "floor", "codes"),
    [
        (1000, [(10, 950), (50, 900)], 500, []),
        (0, [], 0, ["price_not_positive"]),
        (1000, [(10, 0)], 0, ["price_not_positive"]),
        (1000, [(1, 950)], 0, ["break_below_two"]),
        (1000, [(50, 900), (10, 950)], 0, ["breaks_not_increasing"]),
        (1000, [(10, 950), (10, 900)], 0, ["breaks_not_increasing"]),
        (1000, [(10, 450)], 500, ["below_floor_price"]),
        (499, [], 500, ["below_floor_price"]),
    ],
)
def test_price_item_problems(price, breaks, floor, codes):
    found = price_item_problems(unit_price_cents=price, breaks=breaks, floor_price_cents=floor)
    assert [p.code for p in found] == codes
