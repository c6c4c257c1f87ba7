"""The catalog slice: products, prices and price lists, stock; JSON routes and HTML views."""

from __future__ import annotations

from typing import Any

__all__ = ["ROUTES"]


def _routes() -> list[Any]:
    from server.features.catalog.price_routes import PriceListController, lookup_price
    from server.features.catalog.routes import ProductController, list_categories
    from server.features.catalog.stock_routes import StockController, WarehouseController
    from server.features.catalog.views import CATALOG_PAGES
    from server.features.imports.routes import (
        import_customers,
        import_job,
        import_jobs,
        import_products,
        resume_import,
    )
    from server.features.imports.views import IMPORT_PAGES

    return [
        ProductController, list_categories, lookup_price, PriceListController,
        StockController, WarehouseController, *CATALOG_PAGES, import_customers, import_products,
        import_jobs, import_job, resume_import, *IMPORT_PAGES,
    ]


def __getattr__(name: str) -> Any:
    # ROUTES (the handlers server/app.py registers) is built on first access rather than
    # when this package is imported: the imports slice, which rides along here, uses the
    # catalog's services, so importing it eagerly would make a cycle whichever package a
    # caller happens to import first.
    if name == "ROUTES":
        routes = _routes()
        globals()["ROUTES"] = routes
        return routes
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
