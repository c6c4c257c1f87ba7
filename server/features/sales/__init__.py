"""The sales slice: quotes and sales orders, their pricing, approvals and stock allocation."""

from __future__ import annotations

from typing import Any

from server.features.sales.order_routes import OrderController, approval_queue, stock_receipt

__all__ = ["ROUTES"]

ROUTES: list[Any] = [OrderController, approval_queue, stock_receipt]
