"""HTML pages of the catalog: search with the customer's price and availability, detail."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.response import Template

from server.db.engine import Database
from server.db.models import Customer
from server.domain.actor import CurrentUser
from server.features.catalog import queries
from server.features.catalog.prices import load_price_context, visible_customer
from server.features.shared.paging import Offset
from server.features.shared.viewer import money_in
from server.http.htmx import is_htmx

__all__ = ["CATALOG_PAGES"]

PAGE_SIZE = 25
STOCK_LABELS = {
    "in_stock": ("ok", "In stock"),
    "low": ("warn", "Low stock"),
    "out": ("bad", "Out of stock"),
}


def money(cents: int, currency: str | None = None) -> str:
    return money_in(cents, currency)


def _context(
    request: Request[CurrentUser, Any, Any], customer: Customer | None, **extra: Any
) -> dict[str, Any]:
    return {
        "user": request.user,
        "customer": customer,
        "money": money,
        "stock_labels": STOCK_LABELS,
        "customer_query": urlencode({"customer_id": customer.id}) if customer else "",
        **extra,
    }


@get("/catalog", include_in_schema=False)
async def catalog_page(
    request: Request[CurrentUser, Any, Any],
    db: Database,
    q: str = "",
    category: str = "",
    customer_id: str = "",
    offset: Offset = 0,
) -> Template:
    async with db.read() as unit:
        customer = (
            await visible_customer(unit.session, request.user, customer_id) if customer_id else None
        )
        # Reps sell from what is on offer: inactive products stay out of the picker.
        page = await queries.search_products(
            unit.session,
            customer=customer,
            on=date.today(),
            q=q,
            category=category or None,
            active=True,
            limit=PAGE_SIZE,
            offset=offset,
        )
        categories = await queries.list_categories(unit.session)
    more = urlencode(
        {"q": q, "category": category, "customer_id": customer_id, "offset": offset + PAGE_SIZE}
    )
    context = _context(
        request, customer, page=page, q=q, category=category, categories=categories, more_query=more
    )
    # htmx live search swaps only the result list.
    name = "catalog/_results.html" if is_htmx(request) else "catalog/search.html"
    return Template(name, context=context)


@get("/catalog/{product_id:str}", include_in_schema=False)
async def product_page(
    request: Request[CurrentUser, Any, Any], db: Database, product_id: str, customer_id: str = ""
) -> Template:
    async with db.read() as unit:
        customer = (
            await visible_customer(unit.session, request.user, customer_id) if customer_id else None
        )
        product, category = await queries.get_product(unit.session, product_id)
        prices = await load_price_context(unit.session, customer, [product.id])
        detail = await queries.product_detail(unit.session, product, category, prices, date.today())
    return Template(
        "catalog/detail.html", context=_context(request, customer, d=detail, p=detail.product)
    )


CATALOG_PAGES = [catalog_page, product_page]
