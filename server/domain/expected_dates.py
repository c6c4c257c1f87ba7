"""When waiting backorders can expect their goods, from the purchase receipts expected.

Backordered lines are served from expected receipts in the rank received stock serves
them (rush orders first, then the oldest, as `allocate_backorders` does), the receipts
taken in date order. A line gets the date of the receipt that completes it; a line the
expected quantities do not cover completely gets no date, because promising one would
be a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import msgspec

__all__ = [
    "ExpectedSupply",
    "ReceiptMatch",
    "WaitingLine",
    "expected_dates",
    "match_received",
]


class WaitingLine(msgspec.Struct, frozen=True):
    order_id: str
    line_id: str
    line_no: int
    quantity_backordered: int
    rush: bool
    placed_at: datetime


class ExpectedSupply(msgspec.Struct, frozen=True):
    receipt_id: str
    quantity: int
    expected_on: date


class ReceiptMatch(msgspec.Struct, frozen=True):
    """What a receipt of goods does to the receipts expected for them."""

    received_ids: tuple[str, ...]  # fully arrived
    remaining: dict[str, int]  # partly arrived: the quantity still expected


def _rank(line: WaitingLine) -> tuple[int, datetime, str, int]:
    # The same order as received stock serves backorders (allocation_service._rank).
    return (0 if line.rush else 1, line.placed_at, line.order_id, line.line_no)


def _supply_order(supply: ExpectedSupply) -> tuple[date, str]:
    return (supply.expected_on, supply.receipt_id)


def expected_dates(
    lines: Iterable[WaitingLine], supplies: Iterable[ExpectedSupply]
) -> dict[str, date]:
    """The expected date of each backordered line the supplies cover, by line id."""
    ordered = sorted(supplies, key=_supply_order)
    left = [supply.quantity for supply in ordered]
    dates: dict[str, date] = {}
    at = 0
    for line in sorted(lines, key=_rank):
        needed = line.quantity_backordered
        if needed <= 0:
            continue
        completed_on: date | None = None
        while needed > 0 and at < len(ordered):
            taken = min(needed, left[at])
            left[at] -= taken
            needed -= taken
            completed_on = ordered[at].expected_on
            if left[at] <= 0:
                at += 1
        if needed > 0 or completed_on is None:
            # Not covered: this line and every line ranked after it wait with no date.
            break
        dates[line.line_id] = completed_on
    return dates


def match_received(supplies: Sequence[ExpectedSupply], quantity: int) -> ReceiptMatch:
    """Goods received against the receipts expected at that warehouse, earliest first:
    each receipt the quantity covers has arrived; the first one it covers in part keeps
    the rest as still expected."""
    left = quantity
    received: list[str] = []
    remaining: dict[str, int] = {}
    for supply in sorted(supplies, key=_supply_order):
        if left <= 0:
            break
        if supply.quantity <= left:
            received.append(supply.receipt_id)
            left -= supply.quantity
        else:
            remaining[supply.receipt_id] = supply.quantity - left
            left = 0
    return ReceiptMatch(received_ids=tuple(received), remaining=remaining)
