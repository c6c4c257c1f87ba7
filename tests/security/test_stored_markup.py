"""Stored text is shown as text: markup typed into records never becomes live on a page,
and an export never hands a spreadsheet a formula to run.

Customers (names, notes, addresses, contacts), quotes, orders (notes, PO numbers, reasons),
products and territories are created through the API with markup in every text field they
take. Every page that shows them, full pages and htmx fragments alike, must show the
escaped text and no live markup. CSV and XLSX exports go through
server/features/shared/table_export.py (CSV cells through csv_export.py).
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import httpx
from litestar import Litestar
from litestar.routes import HTTPRoute

from tests.conftest import browser_client
from tests.factories import bearer, login, make_user, seed_world
from tests.sales_factories import add_product, seed_catalog, set_stock
from tests.security.org import browser_login
from tests.xlsx_reading import read_sheet

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
LIVE = ("<script>alert(1)", "<img src=x", "onerror=alert(1)>")
# How the pages' templates (Jinja, autoescaped) write the two payloads.
ESCAPED = ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;")


async def _stored_markup(client: httpx.AsyncClient, db: Any) -> dict[str, str]:
    world = await seed_world(db)
    catalog = await seed_catalog(db)
    admin = bearer(await login(client, "admin@corp.test"))
    rep = bearer(await login(client, "rep1@corp.test"))
    product = await add_product(db, catalog, "HAM-1", price_cents=1000, floor_cents=100)
    await set_stock(db, catalog.warehouse_ids[0], product, 100)
    marked_product = await client.post(
        "/api/products",
        json={
            "sku": "XSS-1",
            "name": f"Hammer {SCRIPT}",
            "category_code": "TOOLS",
            "description": f"Strong {IMAGE}",
        },
        headers=admin,
    )
    assert marked_product.status_code == 201, marked_product.text
    territory = await client.patch(
        f"/api/territories/{world.north}", json={"name": f"North {SCRIPT}"}, headers=admin
    )
    assert territory.status_code == 200, territory.text

    customer = await client.post(
        "/api/customers",
        json={
            "legal_name": f"Acme {SCRIPT}",
            "trading_name": f"Acme {IMAGE}",
            "notes": f"Call first {SCRIPT} {IMAGE}",
            "status": "active",
            "confirm_new": True,
            "billing_address": {
                "country": "US",
                "state": "WA",
                "city": f"Seattle {IMAGE}",
                "postal_code": "98101",
                "street": f"1 Main St {SCRIPT}",
            },
            "contacts": [{"name": f"Pat {IMAGE}", "email": "pat@acme.test"}],
        },
        headers=rep,
    )
    assert customer.status_code == 201, customer.text
    customer_id = customer.json()["id"]
    quote = await client.post(
        "/api/quotes",
        json={
            "customer_id": customer_id,
            "lines": [{"product_id": product, "quantity": 1}],
            "notes": f"Quote note {SCRIPT}",
        },
        headers=rep,
    )
    assert quote.status_code == 201, quote.text
    order = await client.post(
        "/api/orders",
        json={
            "customer_id": customer_id,
            "lines": [{"product_id": product, "quantity": 1}],
            "notes": f"Order note {IMAGE}",
            "po_number": f"PO {SCRIPT}"[:60],
        },
        headers=rep,
    )
    assert order.status_code == 201, order.text
    waiting = await client.post(
        "/api/orders",
        json={
            "customer_id": customer_id,
            "lines": [{"product_id": product, "quantity": 1, "discount_percent": "60"}],
            "notes": f"Needs a yes {SCRIPT}",
        },
        headers=rep,
    )
    assert waiting.status_code == 201 and waiting.json()["status"] == "pending_approval"
    cancelled = await client.post(
        f"/api/orders/{order.json()['id']}/cancel", json={"reason": f"Because {IMAGE}"}, headers=rep
    )
    assert cancelled.status_code == 200, cancelled.text
    return {
        "customer": customer_id,
        "quote": quote.json()["id"],
        "order": order.json()["id"],
        "waiting": waiting.json()["id"],
        "product": marked_product.json()["product"]["id"],
        "territory": world.north,
    }


async def test_markup_stored_through_the_api_is_escaped_on_every_page(app, client, db):
    ids = await _stored_markup(client, db)
    pages = {
        "rep1@corp.test": [
            "/customers",
            "/customers?q=Acme",
            f"/customers/{ids['customer']}",
            "/orders",
            f"/orders/{ids['order']}",
            f"/orders/{ids['waiting']}",
            "/quotes",
            f"/quotes/{ids['quote']}",
            "/catalog",
            "/catalog?q=Hammer",
            f"/catalog/{ids['product']}",
        ],
        "manager@corp.test": [
            "/approvals",
            "/territories",
            f"/territories/{ids['territory']}",
            f"/customers/{ids['customer']}",
        ],
    }
    htmx = {"HX-Request": "true"}
    live: list[str] = []
    unseen: list[str] = []
    for email, paths in pages.items():
        async with browser_client(app) as browser:
            await browser_login(browser, email)
            for path in paths:
                for headers in ({}, htmx):
                    answer = await browser.get(path, headers=headers)
                    assert answer.status_code == 200, (path, answer.status_code)
                    how = "fragment" if headers else "page"
                    shown = [p for p in LIVE if p in answer.text]
                    if shown:
                        live.append(f"{path} ({how}) as {email}: live {shown}")
                    if not headers and not any(e in answer.text for e in ESCAPED):
                        unseen.append(f"{path} as {email}")
    assert live == [], "\n".join(live)
    # The records are on those pages: the test looked where the text is shown.
    assert unseen == [], "pages that did not show the stored text: " + ", ".join(unseen)


CSV_TYPE = "text/csv"
FORMULA = '=HYPERLINK("http://evil.test","x")'
# Routes that export CSV, each with the URL to call (`{price_list}`: the base price list)
# after a customer and a product with a formula for a name or SKU are stored; a new export
# fails test_every_csv_export_is_checked until it is listed here.
CSV_EXPORTS: dict[tuple[str, str], str] = {
    (
        "GET",
        "/api/price-lists/{price_list_id}/items.csv",
    ): "/api/price-lists/{price_list}/items.csv",
    # The desktop tables: the customer's name is typed by people.
    ("GET", "/customers/export.csv"): "/customers/export.csv",
    ("GET", "/orders/export.csv"): "/orders/export.csv",
    ("GET", "/quotes/export.csv"): "/quotes/export.csv",
    ("GET", "/manager/dashboard/export.csv"): "/manager/dashboard/export.csv",
    # The payroll export: a rep's name is typed by people (an approved statement of theirs).
    (
        "GET",
        "/api/commission/periods/{period}/payroll.csv",
    ): "/api/commission/periods/{period}/payroll.csv",
    # The accounting export: customer names and PO numbers are typed by people.
    ("GET", "/api/orders/export"): "/api/orders/export?from={yesterday}&to={tomorrow}",
}

# Exports whose text cells no API caller can set, each proven by a test of its writer.
CSV_PROVEN_ELSEWHERE: dict[tuple[str, str], str] = {
    (
        "GET",
        "/api/commission/statements/{rep_id}/{period}/entries.csv",
    ): "tests/unit/test_commission_csv.py",
}


def test_every_csv_export_is_checked(routes_app: Litestar) -> None:
    app = routes_app
    unchecked = sorted(
        _routes_of_type(app, CSV_TYPE) - set(CSV_EXPORTS) - set(CSV_PROVEN_ELSEWHERE)
    )
    assert unchecked == [], (
        f"CSV exports not checked for formula injection: {unchecked}. Write their cells with "
        "server/features/shared/csv_export.py and add them to CSV_EXPORTS."
    )


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Routes that export XLSX, like CSV_EXPORTS; a new one fails test_every_xlsx_export_is_checked.
XLSX_EXPORTS: dict[tuple[str, str], str] = {
    ("GET", "/customers/export.xlsx"): "/customers/export.xlsx",
    ("GET", "/orders/export.xlsx"): "/orders/export.xlsx",
    ("GET", "/quotes/export.xlsx"): "/quotes/export.xlsx",
    ("GET", "/manager/dashboard/export.xlsx"): "/manager/dashboard/export.xlsx",
}


def _routes_of_type(app: Litestar, media_type: str) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                media = str(getattr(handler, "media_type", "") or "")
                if media.startswith(media_type):
                    found |= {(m, route.path_format) for m in handler.http_methods - {"OPTIONS"}}
    return found


def test_every_xlsx_export_is_checked(routes_app: Litestar) -> None:
    unchecked = sorted(_routes_of_type(routes_app, XLSX_TYPE) - set(XLSX_EXPORTS))
    assert unchecked == [], (
        f"XLSX exports not checked for formula injection: {unchecked}. Write them with "
        "server/features/shared/table_export.py and add them to XLSX_EXPORTS."
    )


async def _formulas_stored(client: httpx.AsyncClient, db: Any) -> tuple[Any, dict[str, str]]:
    """A product and a customer named with a formula, an order and a quote of them; the
    base catalogue and the admin's headers."""
    await seed_world(db)
    catalog = await seed_catalog(db)
    # The API refuses such a SKU; a row written before that rule (or by hand) still exports.
    product = await add_product(db, catalog, FORMULA, price_cents=1000)
    admin = bearer(await login(client, "admin@corp.test"))
    created = await client.post(
        "/api/customers",
        json={
            "legal_name": FORMULA,
            "status": "active",
            "confirm_new": True,
            "billing_address": {"country": "US", "state": "WA", "postal_code": "98101"},
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    document = {
        "customer_id": created.json()["id"],
        "lines": [{"product_id": product, "quantity": 1}],
    }
    for path in ("/api/orders", "/api/quotes"):
        made = await client.post(path, json=document, headers=admin)
        assert made.status_code == 201, made.text
    return catalog, admin


async def test_csv_exports_neutralise_formulas_in_stored_text(app, client, db):
    catalog, admin = await _formulas_stored(client, db)
    period = date.today().isoformat()[:7]
    payee = await make_user(db, role="rep", email="payee@corp.test", name=FORMULA)
    approved = await client.post(
        f"/api/commission/statements/{payee.id}/{period}/approve", headers=admin
    )
    assert approved.status_code == 200, approved.text
    for (method, path), url in CSV_EXPORTS.items():
        answer = await client.request(
            method,
            url.format(
                price_list=catalog.base_list_id,
                yesterday=date.today() - timedelta(days=1),
                tomorrow=date.today() + timedelta(days=1),
                period=period,
            ),
            headers=admin,
        )
        assert answer.status_code == 200, path
        assert "HYPERLINK" in answer.text, path  # the stored formula is in the file, as text
        rows = list(csv.reader(io.StringIO(answer.text)))
        assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r), path


async def test_xlsx_exports_store_formulas_as_text(app, client, db):
    await _formulas_stored(client, db)
    admin = bearer(await login(client, "admin@corp.test"))
    for (method, path), url in XLSX_EXPORTS.items():
        answer = await client.request(method, url, headers=admin)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith(XLSX_TYPE), path
        sheet = read_sheet(answer.content)
        assert sheet.formulas == 0, path
        # The stored name is in the file exactly as typed, in a text cell marked as text.
        assert FORMULA in sheet.quoted, path
