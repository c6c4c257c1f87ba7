"""Blanket orders: a framework agreement (quantities and prices for a period) that the
customer draws on with call-offs.

A blanket order is priced, checked and approved like any order, but it never reserves
stock and is never shipped or invoiced itself: its call-offs are ordinary orders at the
blanket's prices, and each call-off raises its blanket lines' released quantity. These
rules say which blanket and which call-off may be accepted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date

import msgspec

from server.domain.errors import Conflict, InvalidTransition, ValidationFailed
from server.domain.orders import OrderStatus, OrderType

__all__ = [
    "BlanketLine",
    "CallOffRequest",
    "check_blanket_period",
    "check_call_off",
    "remaining",
    "reserves_stock",
]


def reserves_stock(order_type: str) -> bool:
    """A blanket order is an agreement: its call-offs take the stock, never itself."""
    return order_type != OrderType.BLANKET


def check_blanket_period(order_type: str, valid_from: date | None, valid_to: date | None) -> None:
    """A blanket order needs its period (both ends, in order); no other order has one."""
    if order_type != OrderType.BLANKET:
        if valid_from is not None or valid_to is not None:
            raise ValidationFailed(
                "only a blanket order has a validity period (valid_from, valid_to)",
                code="period_not_allowed",
            )
        return
    if valid_from is None or valid_to is None:
        raise ValidationFailed(
            "a blanket order needs valid_from and valid_to", code="blanket_period_required"
        )
    if valid_to < valid_from:
        raise ValidationFailed(
            f"valid_to {valid_to} is before valid_from {valid_from}", code="invalid_period"
        )


class BlanketLine(msgspec.Struct, frozen=True):
    id: str
    line_no: int
    agreed: int  # the blanket line's quantity
    released: int  # what call-offs have taken of it


def remaining(line: BlanketLine) -> int:
    return max(0, line.agreed - line.released)


class CallOffRequest(msgspec.Struct, frozen=True):
    blanket_line_id: str
    quantity: int


def check_call_off(
    *,
    order_type: str,
    status: str,
    valid_from: date | None,
    valid_to: date | None,
    on: date,
    lines: Mapping[str, BlanketLine],
    requested: Sequence[CallOffRequest],
) -> None:
    """Refuse a call-off that is not against a confirmed blanket within its period, names a
    line the blanket does not have, or asks more than a line has left (a line named twice
    counts once with both quantities)."""
    if order_type != OrderType.BLANKET:
        raise ValidationFailed(
            "call-offs are placed against blanket orders only", code="not_a_blanket_order"
        )
    if status != OrderStatus.CONFIRMED:
        raise InvalidTransition(
            f"the blanket order is {status.replace('_', ' ')}; call-offs need it confirmed",
            code="blanket_not_confirmed",
            details={"status": status},
        )
    if (valid_from is not None and on < valid_from) or (valid_to is not None and on > valid_to):
        raise ValidationFailed(
            f"the blanket order runs from {valid_from} to {valid_to}; {on} is outside it",
            code="outside_blanket_period",
            details={"valid_from": str(valid_from), "valid_to": str(valid_to), "on": str(on)},
        )
    unknown = sorted({r.blanket_line_id for r in requested} - lines.keys())
    if unknown:
        raise ValidationFailed(
            "some lines are not lines of this blanket order",
            code="unknown_blanket_line",
            details={"blanket_line_ids": unknown},
        )
    wanted: Counter[str] = Counter()
    for r in requested:
        wanted[r.blanket_line_id] += r.quantity
    over = [
        {
            "blanket_line_id": line_id,
            "line_no": lines[line_id].line_no,
            "requested": quantity,
            "remaining": remaining(lines[line_id]),
        }
        for line_id, quantity in sorted(wanted.items(), key=lambda kv: lines[kv[0]].line_no)
        if quantity > remaining(lines[line_id])
    ]
    if over:
        first = over[0]
        raise Conflict(
            f"line {first['line_no']} has {first['remaining']} left of the agreed quantity; "
            f"{first['requested']} were asked",
            code="exceeds_blanket_quantity",
            details={"lines": over},
        )
