"""Amending a placed order before it ships: what may change and what did, line by line.

An amendment names the lines the order should have from now on: an existing line by its
id (a new quantity or discount, or the same), a new line by its product; an existing line
it does not name is removed. Goods that have left stay on the order: a line cannot go
below what has shipped of it, nor be removed once anything of it shipped. The result is
the lines to price, the difference to record, or every reason it is refused at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Literal

import msgspec

from server.domain.errors import InvalidTransition, ValidationFailed
from server.domain.orders import OrderStatus, OrderType, Reason

__all__ = [
    "AMENDABLE_STATUSES",
    "AmendedLine",
    "AmendmentPlan",
    "CurrentLine",
    "HeaderChange",
    "LineChange",
    "WantedLine",
    "can_amend",
    "plan_amendment",
    "priced_changes",
    "status_after_amendment",
]

_O = OrderStatus
# Open orders whose goods have not all left: submitted and waiting for a decision, or
# accepted and (partly) being picked. Cancelled, completed and closed orders are history.
AMENDABLE_STATUSES: frozenset[OrderStatus] = frozenset(
    {_O.SUBMITTED, _O.PENDING_APPROVAL, _O.CREDIT_HOLD, _O.CONFIRMED, _O.IN_FULFILMENT}
)

_CENT = Decimal("0.01")


def can_amend(status: str, order_type: str) -> bool:
    """Whether an order may be amended; a blanket order changes through its call-offs."""
    return status in AMENDABLE_STATUSES and order_type != OrderType.BLANKET


class CurrentLine(msgspec.Struct, frozen=True, kw_only=True):
    line_id: str
    product_id: str
    quantity: int
    discount_percent: Decimal
    quantity_shipped: int = 0


class WantedLine(msgspec.Struct, frozen=True, kw_only=True):
    """An existing line by `line_id`, or a new one by `product_id`."""

    quantity: int
    discount_percent: Decimal = Decimal(0)
    line_id: str | None = None
    product_id: str | None = None


class AmendedLine(msgspec.Struct, frozen=True):
    """A line of the amended order, in order; `line_id` None for a new line."""

    line_id: str | None
    product_id: str
    quantity: int
    discount_percent: Decimal


class LineChange(msgspec.Struct, frozen=True, kw_only=True):
    # added / removed / changed: asked for; repriced: the same line at another price now.
    change: Literal["added", "removed", "changed", "repriced"]
    line_id: str | None
    product_id: str
    old_quantity: int | None = None
    new_quantity: int | None = None
    old_discount_percent: str | None = None
    new_discount_percent: str | None = None
    old_unit_price_cents: int | None = None
    new_unit_price_cents: int | None = None


class HeaderChange(msgspec.Struct, frozen=True):
    field: str
    old: str | None
    new: str | None


class AmendmentPlan(msgspec.Struct, frozen=True):
    lines: tuple[AmendedLine, ...]
    line_changes: tuple[LineChange, ...]
    header_changes: tuple[HeaderChange, ...]


def _pct(value: Decimal) -> str:
    return str(value.quantize(_CENT))


def _refuse(reasons: list[Reason]) -> ValidationFailed:
    return ValidationFailed(
        "; ".join(r.message for r in reasons),
        code=reasons[0].code,
        details={"reasons": [msgspec.structs.asdict(r) for r in reasons]},
    )


def _check_amendable(status: str, order_type: str) -> None:
    details = {"status": status, "order_type": order_type}
    if order_type == OrderType.BLANKET:
        raise InvalidTransition(
            "a blanket order is changed through its call-offs, not amended",
            code="not_amendable",
            details=details,
        )
    if status not in AMENDABLE_STATUSES:
        raise InvalidTransition(
            f"cannot amend an order that is {status.replace('_', ' ')}",
            code="not_amendable",
            details=details,
        )


def _resulting_lines(
    current: Sequence[CurrentLine], wanted: Sequence[WantedLine]
) -> tuple[list[AmendedLine], list[Reason]]:
    by_id = {line.line_id: line for line in current}
    named: set[str] = set()
    lines: list[AmendedLine] = []
    reasons: list[Reason] = []
    for number, want in enumerate(wanted, start=1):
        if want.line_id is None:
            if want.product_id is None:
                reasons.append(
                    Reason("invalid_line", f"line {number} names neither a line nor a product")
                )
                continue
            lines.append(AmendedLine(None, want.product_id, want.quantity, want.discount_percent))
            continue
        line = by_id.get(want.line_id)
        if line is None:
            reasons.append(
                Reason("unknown_line", f"line {number} is not a line of this order", want.line_id)
            )
            continue
        if want.product_id not in (None, line.product_id):
            reasons.append(
                Reason(
                    "invalid_line",
                    f"line {number} cannot change its product; remove it and add another",
                    want.line_id,
                )
            )
            continue
        if want.line_id in named:
            reasons.append(
                Reason("duplicate_line", f"line {number} names a line twice", want.line_id)
            )
            continue
        named.add(want.line_id)
        if want.quantity < line.quantity_shipped:
            reasons.append(
                Reason(
                    "below_shipped",
                    f"line {number}: {line.quantity_shipped} already shipped, "
                    f"the quantity cannot go below that",
                    want.line_id,
                )
            )
        lines.append(
            AmendedLine(line.line_id, line.product_id, want.quantity, want.discount_percent)
        )
    for line in current:
        if line.line_id not in named and line.quantity_shipped > 0:
            reasons.append(
                Reason(
                    "line_shipped",
                    f"{line.quantity_shipped} of a line already shipped; it cannot be removed",
                    line.line_id,
                )
            )
    return lines, reasons


def _line_changes(current: Sequence[CurrentLine], lines: Sequence[AmendedLine]) -> list[LineChange]:
    by_id = {line.line_id: line for line in current}
    kept = {line.line_id for line in lines if line.line_id is not None}
    changes: list[LineChange] = []
    for new in lines:
        old = by_id.get(new.line_id) if new.line_id is not None else None
        if old is None:
            changes.append(
                LineChange(
                    change="added",
                    line_id=None,
                    product_id=new.product_id,
                    new_quantity=new.quantity,
                    new_discount_percent=_pct(new.discount_percent),
                )
            )
        elif old.quantity != new.quantity or old.discount_percent != new.discount_percent:
            changes.append(
                LineChange(
                    change="changed",
                    line_id=old.line_id,
                    product_id=old.product_id,
                    old_quantity=old.quantity,
                    new_quantity=new.quantity,
                    old_discount_percent=_pct(old.discount_percent),
                    new_discount_percent=_pct(new.discount_percent),
                )
            )
    changes.extend(
        LineChange(
            change="removed",
            line_id=old.line_id,
            product_id=old.product_id,
            old_quantity=old.quantity,
            old_discount_percent=_pct(old.discount_percent),
        )
        for old in current
        if old.line_id not in kept
    )
    return changes


def plan_amendment(
    *,
    status: str,
    order_type: str,
    current: Sequence[CurrentLine],
    wanted: Sequence[WantedLine] | None,
    header_now: Mapping[str, str | None],
    header_wanted: Mapping[str, str | None],
) -> AmendmentPlan:
    """The amended order's lines and the difference, or a refusal.

    `wanted` None keeps the lines as they are. Header fields are compared as the strings
    the caller gives (only the ones in `header_wanted`). Refused with InvalidTransition
    (`not_amendable`) in a status that cannot be amended, else with ValidationFailed
    carrying every reason (`below_shipped`, `line_shipped`, `unknown_line`, ...), or
    `no_change` when the amendment asks for nothing different.
    """
    _check_amendable(status, order_type)
    if wanted is None:
        lines = [
            AmendedLine(x.line_id, x.product_id, x.quantity, x.discount_percent) for x in current
        ]
    else:
        lines, reasons = _resulting_lines(current, wanted)
        if reasons:
            raise _refuse(reasons)
    header = [
        HeaderChange(name, header_now.get(name), new)
        for name, new in header_wanted.items()
        if header_now.get(name) != new
    ]
    changes = _line_changes(current, lines)
    if not changes and not header:
        raise ValidationFailed("The amendment changes nothing.", code="no_change")
    return AmendmentPlan(tuple(lines), tuple(changes), tuple(header))


def priced_changes(
    changes: Sequence[LineChange],
    old_prices: Mapping[str, int],
    new_prices: Sequence[tuple[str | None, str, int]],
) -> list[LineChange]:
    """The changes with the unit prices before and after re-pricing, and a `repriced`
    entry for each kept line whose price moved though the amendment did not touch it.

    `old_prices`: unit price by existing line id. `new_prices`: (line id, or None for a new
    line; product id; unit price) for each line of the amended order, in its order.
    """
    new_by_id = {line_id: price for line_id, _, price in new_prices if line_id is not None}
    added = iter([price for line_id, _, price in new_prices if line_id is None])
    out: list[LineChange] = []
    touched: set[str] = set()
    for change in changes:
        if change.change == "added":
            out.append(msgspec.structs.replace(change, new_unit_price_cents=next(added, None)))
            continue
        if change.line_id is not None:
            touched.add(change.line_id)
            change = msgspec.structs.replace(
                change,
                old_unit_price_cents=old_prices.get(change.line_id),
                new_unit_price_cents=new_by_id.get(change.line_id),
            )
        out.append(change)
    out.extend(
        LineChange(
            change="repriced",
            line_id=line_id,
            product_id=product_id,
            old_unit_price_cents=old_prices.get(line_id),
            new_unit_price_cents=price,
        )
        for line_id, product_id, price in new_prices
        if line_id is not None and line_id not in touched and old_prices.get(line_id) != price
    )
    return out


def status_after_amendment(current: OrderStatus, verdict: OrderStatus) -> OrderStatus:
    """Where an amended order goes: the checks' verdict, like a new submission, except
    that an order being picked keeps on being picked when nothing needs a decision."""
    if current == OrderStatus.IN_FULFILMENT and verdict == OrderStatus.CONFIRMED:
        return OrderStatus.IN_FULFILMENT
    return verdict
