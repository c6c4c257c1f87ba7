"""The credit limit a customer starts with.

A limit is the number of cents the customer's open orders may reach (0: no credit at
all), or None: no limit, which a manager chooses explicitly. A customer onboarded without
a choice gets the configured default, so an account opened a minute ago cannot take the
whole stock on credit. What a limit allows is `credit_reasons` (server/domain/orders.py).
"""

from __future__ import annotations

__all__ = ["opening_credit_limit"]


def opening_credit_limit(
    *, chosen: bool, limit_cents: int | None, default_cents: int
) -> int | None:
    """The limit a new customer starts with: the one chosen (None included), else the default."""
    return limit_cents if chosen else default_cents
