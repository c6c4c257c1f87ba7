"""Messages of commission disputes and of the credit split read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from server.domain.commission_disputes import ADJUSTMENT_LIMIT_CENTS, TEXT_MAX

__all__ = ["DisputeAnswerIn", "DisputeIn", "DisputeOut", "OrderSplitsOut", "SplitShareOut"]

Text = Annotated[str, Meta(min_length=1, max_length=TEXT_MAX)]


class DisputeIn(msgspec.Struct, forbid_unknown_fields=True):
    """The rep's question about one entry of their statement."""

    comment: Text


class DisputeAnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    """The answer; with `adjustment_cents` (signed), an adjustment entry is appended in
    the open period, with the answer as its reason."""

    answer: Text
    adjustment_cents: (
        Annotated[int, Meta(ge=-ADJUSTMENT_LIMIT_CENTS, le=ADJUSTMENT_LIMIT_CENTS)] | None
    ) = None


class DisputeOut(msgspec.Struct):
    id: str
    entry_id: str
    rep_id: str
    rep_name: str
    period: str
    status: str  # open | answered
    comment: str
    opened_at: datetime
    entry_amount_cents: int
    order_id: str | None = None
    order_number: str | None = None
    answer: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None
    adjustment_cents: int | None = None
    adjustment_period: str | None = None


class SplitShareOut(msgspec.Struct):
    rep_id: str
    rep_name: str
    percent: str


class OrderSplitsOut(msgspec.Struct):
    """The order's credit split; none: credited whole to `credited_rep_id` (the territory
    snapshot's rep, or the rep who placed the order)."""

    order_id: str
    order_number: str
    credited_rep_id: str | None
    splits: list[SplitShareOut]
