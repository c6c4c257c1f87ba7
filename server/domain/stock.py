"""Rules for changing stock on hand by hand: adjustments and counts."""

from __future__ import annotations

from enum import StrEnum

from server.domain.errors import Conflict, ValidationFailed

__all__ = ["MovementKind", "adjustment_target"]


class MovementKind(StrEnum):
    """Why a stock row's on-hand quantity changed (`stock_movements.kind`)."""

    RECEIPT = "receipt"  # goods arrived (a purchase receipt)
    ADJUSTMENT = "adjustment"  # changed or counted by hand, or set by a CSV import
    SHIPMENT = "shipment"  # goods left for an order
    RETURN = "return"  # goods came back from a customer
    SCRAP = "scrap"  # written off


def adjustment_target(
    *, on_hand: int, allocated: int, change: int | None, counted: int | None
) -> int:
    """The on-hand quantity an adjustment leads to: `change` moves it by a signed quantity,
    `counted` sets it to what a stock count found. Exactly one is given.

    On hand never goes below what is allocated to orders (nor below zero): those units are
    promised, and the order that holds them must be cancelled or shipped first."""
    if (change is None) == (counted is None):
        raise ValidationFailed(
            "Give exactly one of quantity (a signed change) or counted_on_hand (a count).",
            code="quantity_or_count",
        )
    target = counted if counted is not None else on_hand + (change or 0)
    floor = max(allocated, 0)
    if target < floor:
        if floor:
            message = (
                f"On hand cannot go below the {allocated} units allocated to orders "
                f"(it would be {target})."
            )
        else:
            message = f"On hand cannot go below zero (it would be {target})."
        raise Conflict(
            message,
            code="below_allocated",
            details={"on_hand": on_hand, "allocated": allocated, "would_be": target},
        )
    return target
