"""CSV imports of products (with prices and stock) and customers, all or nothing."""

from __future__ import annotations

from typing import Any

from server.features.imports.routes import import_customers, import_products

__all__ = ["ROUTES"]

ROUTES: list[Any] = [import_customers, import_products]
