"""Exact money: integer minor units at rest, Decimal in arithmetic.

Every amount is rounded once, at currency precision, with ROUND_HALF_UP. Floats are
refused outright because a float cannot represent most cent values exactly.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["CENT", "from_cents", "percent_of", "quantize", "to_cents"]

CENT = Decimal("0.01")


def _as_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money never takes a float; use Decimal, int or str")
    return value if isinstance(value, Decimal) else Decimal(value)


def quantize(value: Decimal | int | str) -> Decimal:
    """Round to whole cents, half away from zero (the one rounding rule of the product)."""
    return _as_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(value: Decimal | int | str) -> int:
    """A currency amount (e.g. Decimal('12.345')) as integer cents, rounded once."""
    return int(quantize(value) * 100)


def from_cents(cents: int) -> Decimal:
    """Integer cents as an exact Decimal currency amount."""
    if not isinstance(cents, int) or isinstance(cents, bool):
        raise TypeError("cents must be an int")
    return (Decimal(cents) / 100).quantize(CENT)


def percent_of(amount: Decimal, percent: Decimal | int | str) -> Decimal:
    """`percent` % of `amount`, unrounded: callers quantize once at the end."""
    return _as_decimal(amount) * _as_decimal(percent) / Decimal(100)
