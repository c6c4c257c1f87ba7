"""The catalog slice: products, prices and price lists, stock; JSON routes and HTML views."""

from __future__ import annotations

from typing import Any

from server.features.catalog.price_routes import PriceListController, lookup_price
from server.features.catalog.routes import ProductController, list_categories
from server.features.catalog.stock_routes import StockController, WarehouseController
from server.features.catalog.views import CATALOG_PAGES
from server.features.catalog.views_price_lists import PRICE_LIST_PAGES

__all__ = ["ROUTES"]

ROUTES: list[Any] = [
    ProductController,
    list_categories,
    lookup_price,
    PriceListController,
    StockController,
    WarehouseController,
    *CATALOG_PAGES,
    *PRICE_LIST_PAGES,
]
