"""Return authorisations (RMA): what may come back, and where invoiced units are credited.

Only invoiced units are returned through an RMA: the credit note that follows a return
credits the invoice that billed them. Units shipped but not yet invoiced are invoiced
first (the invoicing run does it daily), so an invoice never bills goods that came back.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from server.domain.errors import Conflict, ValidationFailed

__all__ = [
    "Billed",
    "ReturnableLine",
    "check_return",
    "credit_targets",
]


class ReturnableLine(msgspec.Struct, frozen=True, kw_only=True):
    line_id: str
    shipped: int
    invoiced: int
    returned: int  # received back already
    authorised: int  # on open RMAs, not yet received

    @property
    def returnable(self) -> int:
        return max(min(self.shipped, self.invoiced) - self.returned - self.authorised, 0)


def check_return(lines: Iterable[ReturnableLine], requested: dict[str, int]) -> None:
    """Refuse, with every reason at once, a return asking for more than may come back."""
    if not requested:
        raise ValidationFailed("a return needs at least one line", code="empty_return")
    by_id = {x.line_id: x for x in lines}
    problems: list[dict[str, object]] = []
    for line_id, quantity in requested.items():
        line = by_id.get(line_id)
        if line is None:
            problems.append({"line_id": line_id, "code": "unknown_line"})
        elif quantity > line.returnable:
            shipped_not_invoiced = line.shipped - line.invoiced
            problems.append(
                {
                    "line_id": line_id,
                    "code": "invoice_first" if shipped_not_invoiced > 0 else "above_returnable",
                    "requested": quantity,
                    "returnable": line.returnable,
                }
            )
    if problems:
        raise Conflict(
            "; ".join(_describe(p) for p in problems),
            code="cannot_return",
            details={"lines": problems},
        )


def _describe(problem: dict[str, object]) -> str:
    if problem["code"] == "unknown_line":
        return f"line {problem['line_id']} is not on this order"
    message = (
        f"line {problem['line_id']}: {problem['requested']} asked, "
        f"{problem['returnable']} may be returned"
    )
    if problem["code"] == "invoice_first":
        message += " (units shipped but not invoiced yet are invoiced first)"
    return message


class Billed(msgspec.Struct, frozen=True):
    """Units of an order line on one invoice, and how many of them were already credited
    as returned."""

    invoice_id: str
    line_id: str
    quantity: int
    credited: int


def credit_targets(billed: Iterable[Billed], received: dict[str, int]) -> dict[str, dict[str, int]]:
    """Which invoice credits how many returned units of each line: the newest invoice
    first (its balance is the likeliest to be open), never more than it billed less what
    it already credited. Returns invoice id -> line id -> units."""
    left = dict(received)
    targets: dict[str, dict[str, int]] = {}
    for entry in billed:  # newest invoice first
        want = left.get(entry.line_id, 0)
        room = entry.quantity - entry.credited
        if want <= 0 or room <= 0:
            continue
        units = min(want, room)
        targets.setdefault(entry.invoice_id, {})[entry.line_id] = units
        left[entry.line_id] = want - units
    return targets
