"""Expected dates of backordered lines: served in allocation rank from receipts by date."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from server.domain.expected_dates import (
    ExpectedSupply,
    WaitingLine,
    expected_dates,
    match_received,
)

T0 = datetime(2025, 1, 1, 9, 0)
MAY_1, MAY_10, MAY_20 = date(2025, 5, 1), date(2025, 5, 10), date(2025, 5, 20)


def _line(line_id: str, quantity: int, *, minutes: int, rush: bool = False) -> WaitingLine:
    return WaitingLine(
        order_id=f"order-{line_id}",
        line_id=line_id,
        line_no=1,
        quantity_backordered=quantity,
        rush=rush,
        placed_at=T0 + timedelta(minutes=minutes),
    )


def test_rush_lines_then_the_oldest_take_the_earliest_receipts():
    lines = [
        _line("old", 3, minutes=0),
        _line("new", 2, minutes=5),
        _line("rush", 4, minutes=10, rush=True),
    ]
    supplies = [ExpectedSupply("late", 5, MAY_20), ExpectedSupply("early", 4, MAY_1)]
    assert expected_dates(lines, supplies) == {"rush": MAY_1, "old": MAY_20, "new": MAY_20}


def test_a_line_gets_the_date_of_the_receipt_that_completes_it():
    lines = [_line("a", 6, minutes=0)]
    supplies = [ExpectedSupply("r1", 2, MAY_1), ExpectedSupply("r2", 4, MAY_10)]
    assert expected_dates(lines, supplies) == {"a": MAY_10}


def test_lines_the_expected_quantities_do_not_cover_get_no_date():
    lines = [
        _line("first", 2, minutes=0),
        _line("partly", 3, minutes=1),
        _line("none", 1, minutes=2),
    ]
    supplies = [ExpectedSupply("r1", 4, MAY_1)]
    assert expected_dates(lines, supplies) == {"first": MAY_1}


def test_nothing_expected_means_no_dates():
    assert expected_dates([_line("a", 1, minutes=0)], []) == {}


def test_a_receipt_marks_the_expected_receipts_it_covers_and_keeps_the_rest_expected():
    supplies = [
        ExpectedSupply("late", 5, MAY_20),
        ExpectedSupply("early", 3, MAY_1),
        ExpectedSupply("middle", 4, MAY_10),
    ]
    match = match_received(supplies, 5)
    assert match.received_ids == ("early",)
    assert match.remaining == {"middle": 2}
    assert match_received(supplies, 12).received_ids == ("early", "middle", "late")
    assert match_received(supplies, 0).received_ids == ()
