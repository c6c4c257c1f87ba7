"""The back office's stock: levels with backorders, adjustments with a reason, a product's
stock history (the stock ledger), expected receipts that date waiting backorders."""

from __future__ import annotations

from typing import Any

from server.features.inventory.routes import (
    add_expected_receipt,
    adjust_stock,
    list_expected_receipts,
    list_stock_levels,
    product_stock_history,
)
from server.features.inventory.views import STOCK_PAGES

__all__ = ["ROUTES"]

ROUTES: list[Any] = [
    list_stock_levels,
    adjust_stock,
    product_stock_history,
    add_expected_receipt,
    list_expected_receipts,
    *STOCK_PAGES,
]
