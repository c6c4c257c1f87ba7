"""The sales slice: quotes and sales orders, their pricing, approvals and stock allocation."""

from __future__ import annotations

from typing import Any

from server.features.sales.order_export import export_orders, export_orders_json
from server.features.sales.order_routes import OrderController, approval_queue, stock_receipt
from server.features.sales.quote_routes import QuoteController
from server.features.sales.quote_service import expire_quotes
from server.features.sales.views import SALES_PAGES

__all__ = ["ROUTES", "expire_quotes"]

ROUTES: list[Any] = [
    export_orders,
    export_orders_json,
    OrderController,
    QuoteController,
    approval_queue,
    stock_receipt,
    *SALES_PAGES,
]
