"""The back-office pages in a browser session, and that only admins reach them."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from server.db.models import StockMovement, User
from tests.factories import PASSWORD, add_many_users, bearer, login, seed_world
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock

UNKNOWN = "00000000-0000-4000-8000-000000000000"

PAGES_GET = [
    "/admin",
    "/admin/users",
    f"/admin/users/{UNKNOWN}",
    "/admin/stock",
    f"/admin/stock/products/{UNKNOWN}/history",
    "/admin/stock/expected",
]
PAGES_POST = [
    "/admin/users",
    f"/admin/users/{UNKNOWN}/access",
    f"/admin/users/{UNKNOWN}/deactivate",
    f"/admin/users/{UNKNOWN}/reactivate",
    f"/admin/users/{UNKNOWN}/password",
    "/admin/stock/adjustments",
    "/admin/stock/receipts",
    "/admin/warehouses",
    "/admin/stock/expected",
]
API = [
    ("GET", "/api/users"),
    ("GET", f"/api/users/{UNKNOWN}"),
    ("POST", "/api/users"),
    ("PATCH", f"/api/users/{UNKNOWN}"),
    ("POST", f"/api/users/{UNKNOWN}/deactivate"),
    ("POST", f"/api/users/{UNKNOWN}/reactivate"),
    ("POST", f"/api/users/{UNKNOWN}/password"),
    ("GET", "/api/stock/levels"),
    ("POST", "/api/stock/adjustments"),
    ("POST", "/api/stock/receipts"),
    ("GET", f"/api/products/{UNKNOWN}/stock-history"),
    ("GET", "/api/stock/expected-receipts"),
    ("POST", "/api/stock/expected-receipts"),
    ("POST", "/api/warehouses"),
]


async def _log_in(browser: httpx.AsyncClient, email: str, password: str = PASSWORD) -> None:
    await browser.get("/login")
    response = await browser.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "next": "/",
            "_csrf_token": browser.cookies.get("fs_csrf") or "",
        },
    )
    assert response.status_code == 303, response.text


def _csrf(browser: httpx.AsyncClient, **fields: str) -> dict[str, str]:
    return {"_csrf_token": browser.cookies.get("fs_csrf") or "", **fields}


async def test_non_admins_get_403_on_every_back_office_page_and_endpoint(client, browser, db):
    await seed_world(db)
    for who in ("manager@corp.test", "rep1@corp.test"):
        browser.cookies.clear()
        await _log_in(browser, who)
        for path in PAGES_GET:
            assert (await browser.get(path)).status_code == 403, path
        for path in PAGES_POST:
            assert (await browser.post(path, data=_csrf(browser))).status_code == 403, path
        headers = bearer(await login(client, who))
        for method, path in API:
            response = await client.request(
                method, path, headers=headers, json={} if method != "GET" else None
            )
            assert response.status_code == 403, (who, method, path, response.text)
            assert response.json()["code"] == "forbidden"


async def test_admin_home_links_every_back_office_area(browser, db):
    await seed_world(db)
    await _log_in(browser, "admin@corp.test")
    page = await browser.get("/admin")
    assert page.status_code == 200
    for href in (
        "/admin/users",
        "/admin/stock",
        "/admin/stock/expected",
        "/imports",
        "/orders",
        "/admin/fulfilment",
        "/admin/invoicing",
        "/admin/receivables",
        "/admin/price-lists",
    ):
        assert f'href="{href}"' in page.text, href
    assert 'href="/admin"' in (await browser.get("/")).text


async def test_admin_creates_a_user_with_a_one_time_password_then_deactivates_and_resets(
    client, browser, db
):
    await seed_world(db)
    await _log_in(browser, "admin@corp.test")
    created = await browser.post(
        "/admin/users",
        data=_csrf(
            browser,
            full_name="Pia Page",
            email="pia@corp.test",
            role="rep",
            discount_limit_percent="7.5",
            password="",
        ),
    )
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    shown = re.search(r'data-testid="one-time-password">([^<]+)<', created.text)
    assert shown is not None
    password = shown.group(1)
    tokens = await login(client, "pia@corp.test", password)
    listing = await browser.get("/admin/users")
    assert "Pia Page" in listing.text and "7.50 %" in listing.text and password not in listing.text

    duplicate = await browser.post(
        "/admin/users",
        data=_csrf(browser, full_name="Pia Again", email="pia@corp.test", role="rep"),
    )
    assert duplicate.status_code == 409 and "already exists" in duplicate.text

    async with db.read() as unit:
        pia = await unit.session.scalar(select(User).where(User.email == "pia@corp.test"))
    assert pia is not None
    changed = await browser.post(
        f"/admin/users/{pia.id}/access",
        data=_csrf(browser, role="rep", discount_limit_percent="150"),
    )
    assert changed.status_code == 422 and "from 0 to 100" in changed.text
    changed = await browser.post(
        f"/admin/users/{pia.id}/access",
        data=_csrf(browser, role="manager", discount_limit_percent="20"),
    )
    assert changed.status_code == 303
    detail = await browser.get(f"/admin/users/{pia.id}")
    assert 'data-testid="role">manager<' in detail.text
    assert 'data-testid="discount-limit">20.00 %<' in detail.text

    off = await browser.post(f"/admin/users/{pia.id}/deactivate", data=_csrf(browser))
    assert off.status_code == 303
    assert (await client.get("/api/auth/me", headers=bearer(tokens))).status_code == 401
    on = await browser.post(f"/admin/users/{pia.id}/reactivate", data=_csrf(browser))
    assert on.status_code == 303

    reset = await browser.post(
        f"/admin/users/{pia.id}/password", data=_csrf(browser, password="brand new pass")
    )
    assert reset.status_code == 200 and "sessions were ended" in reset.text
    assert 'data-testid="one-time-password"' not in reset.text
    await login(client, "pia@corp.test", "brand new pass")


async def test_an_admin_cannot_deactivate_themself_on_the_page(browser, db):
    world = await seed_world(db)
    await _log_in(browser, "admin@corp.test")
    page = await browser.get(f"/admin/users/{world.admin.id}")
    assert "Deactivate" not in page.text
    refused = await browser.post(f"/admin/users/{world.admin.id}/deactivate", data=_csrf(browser))
    assert refused.status_code == 422 and "your own account" in refused.text
    assert (await browser.get("/admin")).status_code == 200


async def _stock_world(client, db) -> dict[str, Any]:
    await seed_world(db)
    catalog = await seed_catalog(db)
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    w1 = catalog.warehouse_ids[0]
    await set_stock(db, w1, widget, 5)
    admin = bearer(await login(client, "admin@corp.test"))
    rep = bearer(await login(client, "rep1@corp.test"))
    customer = await create_customer(client, admin, "Harbor View Bistro")
    return {"widget": widget, "w1": w1, "admin": admin, "rep": rep, "customer": customer}


async def test_admin_adjusts_stock_on_the_page_and_sees_it_in_the_history(client, browser, db):
    s = await _stock_world(client, db)
    await _log_in(browser, "admin@corp.test")
    page = await browser.get("/admin/stock", params={"q": "WID"})
    assert page.status_code == 200 and 'data-sku="WID-1"' in page.text
    adjusted = await browser.post(
        "/admin/stock/adjustments",
        data=_csrf(
            browser,
            warehouse_id=s["w1"],
            product_id=s["widget"],
            quantity="-2",
            counted_on_hand="",
            reason="Broken on delivery",
        ),
    )
    assert adjusted.status_code == 303
    assert adjusted.headers["location"] == f"/admin/stock/products/{s['widget']}/history"
    history = await browser.get(adjusted.headers["location"])
    assert "Broken on delivery" in history.text and "-2" in history.text
    refused = await browser.post(
        "/admin/stock/adjustments",
        data=_csrf(
            browser,
            warehouse_id=s["w1"],
            product_id=s["widget"],
            quantity="-9",
            reason="Too much",
        ),
    )
    assert refused.status_code == 409 and "below zero" in refused.text
    async with db.read() as unit:
        moves = (await unit.session.execute(select(StockMovement.quantity))).scalars().all()
    assert moves == [-2]


async def test_expected_receipt_on_the_page_shows_on_the_order_page(client, browser, db):
    s = await _stock_world(client, db)
    body = {
        "customer_id": s["customer"]["id"],
        "lines": [{"product_id": s["widget"], "quantity": 8}],
    }
    order = (await client.post("/api/orders", json=body, headers=s["rep"])).json()
    assert order["lines"][0]["quantity_backordered"] == 3
    await _log_in(browser, "admin@corp.test")
    due = (date.today() + timedelta(days=5)).isoformat()
    entered = await browser.post(
        "/admin/stock/expected",
        data=_csrf(
            browser,
            warehouse_id=s["w1"],
            sku="wid-1",
            quantity="3",
            expected_on=due,
            reference="PO-99",
        ),
    )
    assert entered.status_code == 201, entered.text
    assert "1 backordered line(s)" in entered.text and "PO-99" in entered.text
    detail = await browser.get(f"/orders/{order['id']}")
    assert f'data-testid="expected-on">expected {due}<' in detail.text
    unknown = await browser.post(
        "/admin/stock/expected",
        data=_csrf(browser, warehouse_id=s["w1"], sku="NOPE", quantity="1", expected_on=due),
    )
    assert unknown.status_code == 404 and "No product has the SKU" in unknown.text


async def test_admin_users_page_pages_and_filters_the_users(browser, db):
    await seed_world(db)
    await add_many_users(db, 120)
    await _log_in(browser, "admin@corp.test")

    first = await browser.get("/admin/users")
    assert first.status_code == 200
    assert 'data-testid="user-count">125 users<' in first.text
    assert first.text.count('href="/admin/users/') == 50
    assert "1\u201350 of 125" in first.text
    next_link = re.search(r'href="(/admin/users\?[^"]*offset=50[^"]*)">Next<', first.text)
    assert next_link is not None
    second = await browser.get(html.unescape(next_link.group(1)))
    assert "51\u2013100 of 125" in second.text
    last = await browser.get("/admin/users?offset=100")
    assert last.text.count('href="/admin/users/') == 25 and "101\u2013125 of 125" in last.text
    assert ">Next<" not in last.text

    found = await browser.get("/admin/users", params={"q": "rep 11", "status": "active"})
    names = re.findall(r'href="/admin/users/[^"]+">([^<]+)</a>', found.text)
    assert names == [f"Field Rep 11{n}" for n in range(10) if (110 + n) % 3 != 0]
    assert 'value="rep 11"' in found.text and '<option value="active" selected' in found.text

    refused = await browser.get("/admin/users", params={"role": "owner"})
    assert refused.status_code == 422 and "Unknown role" in refused.text
