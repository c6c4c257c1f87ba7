"""Request and response shapes of the back office's stock API."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from msgspec import Meta

from server.domain.text import ONE_LINE_PATTERN

__all__ = [
    "ExpectedReceiptIn",
    "ExpectedReceiptOut",
    "ExpectedReceiptPage",
    "StockAdjustmentIn",
    "StockAdjustmentOut",
    "StockHistoryPage",
    "StockLevelOut",
    "StockLevelPage",
    "StockMovementOut",
]

Uuid = Annotated[str, Meta(pattern=r"^[0-9a-fA-F-]{36}$")]
Reason = Annotated[str, Meta(min_length=1, max_length=200, pattern=ONE_LINE_PATTERN)]


class StockAdjustmentIn(msgspec.Struct, forbid_unknown_fields=True):
    """Exactly one of `quantity` (a signed change of on hand) or `counted_on_hand` (what a
    count found). Every adjustment says why."""

    warehouse_id: Uuid
    product_id: Uuid
    reason: Reason
    quantity: Annotated[int, Meta(ge=-(10**9), le=10**9)] | None = None
    counted_on_hand: Annotated[int, Meta(ge=0, le=10**9)] | None = None


class StockLevelOut(msgspec.Struct):
    warehouse_id: str
    warehouse_code: str
    product_id: str
    sku: str
    name: str
    on_hand: int
    allocated: int
    available: int  # on hand - allocated, never below zero
    backordered: int  # of the product, over every order line still waiting for it


class StockLevelPage(msgspec.Struct):
    items: list[StockLevelOut]
    total: int
    limit: int
    offset: int


class StockMovementOut(msgspec.Struct):
    id: str
    at: str
    warehouse_id: str
    warehouse_code: str
    quantity: int  # signed change of on hand
    on_hand_after: int
    kind: str
    reason: str
    actor_id: str | None
    actor_name: str | None
    order_id: str | None
    document_number: str


class StockAdjustmentOut(msgspec.Struct):
    level: StockLevelOut
    movement: StockMovementOut | None  # None when a count found what was on hand already


class StockHistoryPage(msgspec.Struct):
    product_id: str
    sku: str
    name: str
    items: list[StockMovementOut]  # newest first
    total: int
    limit: int
    offset: int


class ExpectedReceiptIn(msgspec.Struct, forbid_unknown_fields=True):
    warehouse_id: Uuid
    product_id: Uuid
    quantity: Annotated[int, Meta(ge=1, le=10**9)]
    expected_on: date
    reference: Annotated[str, Meta(max_length=80, pattern=ONE_LINE_PATTERN)] = ""


class ExpectedReceiptOut(msgspec.Struct):
    id: str
    warehouse_id: str
    warehouse_code: str
    product_id: str
    sku: str
    name: str
    quantity: int
    expected_on: str
    reference: str
    received: bool
    created_at: str
    # Backordered order lines of the product that now have an expected date.
    lines_dated: int = 0


class ExpectedReceiptPage(msgspec.Struct):
    items: list[ExpectedReceiptOut]
    total: int
    limit: int
    offset: int
