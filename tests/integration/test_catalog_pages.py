"""Catalog pages in the browser: search with price and availability, live search, detail."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, select

from server.db.models import Customer, Product, Territory, TerritoryAssignment, TerritoryRule
from server.db.types import new_id
from tests.factories import PASSWORD, bearer, login, make_user

PRODUCTS = (
    "sku,name,category_code,pack_size,min_order_qty,low_stock_threshold,base_price,warehouse_code,on_hand\n"
    "HAM-1,Claw hammer,tools,1,1,10,12.50,W1,40\n"
    "SAW-1,Hand saw,tools,6,12,5,9.99,W1,3\n"
    "GLU-1,Wood glue,supplies,1,1,0,,,\n"
)
CUSTOMERS = "legal_name,country,state,postal_code\nAcme Inc,US,CA,93650\nBolt Ltd,US,NY,12207\n"


async def _seed(client: Any, db: Any) -> dict[str, str]:
    """Products and customers through the import API; the rep owns the Californian one."""
    admin = await make_user(db, role="admin", email="admin@example.com")
    rep = await make_user(db, role="rep", email="rep@example.com", name="Rita Rep")
    headers = bearer(await login(client, admin.email))
    territory = new_id()
    async with db.write() as uow:
        await uow.session.execute(
            insert(Territory).values(id=territory, code="WEST", name="West", kind="territory")
        )
        await uow.session.execute(
            insert(TerritoryRule).values(
                id=new_id(), territory_id=territory, country="US", state="CA"
            )
        )
        await uow.session.execute(
            insert(TerritoryAssignment).values(
                id=new_id(),
                territory_id=territory,
                user_id=rep.id,
                role="owner",
                valid_from=date.today() - timedelta(days=1),
            )
        )
    await client.post(
        "/api/warehouses", headers=headers, json={"code": "W1", "name": "Main", "country": "US"}
    )
    for kind, body in (("products", PRODUCTS), ("customers", CUSTOMERS)):
        answer = await client.post(
            f"/api/imports/{kind}",
            content=body.encode(),
            headers={**headers, "content-type": "text/csv"},
        )
        assert answer.status_code == 200, answer.text
    async with db.read() as unit:
        ids = {c.legal_name: c.id for c in (await unit.session.execute(select(Customer))).scalars()}
        ids |= {p.sku: p.id for p in (await unit.session.execute(select(Product))).scalars()}
    made = await client.post(
        "/api/price-lists",
        headers=headers,
        json={
            "code": "ACME",
            "name": "Acme prices",
            "kind": "customer",
            "customer_id": ids["Acme Inc"],
            "items": [
                {
                    "product_id": ids["HAM-1"],
                    "unit_price_cents": 1100,
                    "breaks": [{"min_qty": 20, "unit_price_cents": 1000}],
                }
            ],
        },
    )
    assert made.status_code == 201, made.text
    return ids


async def _log_in(browser: Any, email: str) -> None:
    await browser.get("/login")
    answer = await browser.post(
        "/login",
        data={
            "email": email,
            "password": PASSWORD,
            "next": "/",
            "_csrf_token": browser.cookies.get("fs_csrf") or "",
        },
    )
    assert answer.status_code == 303


async def test_catalog_page_shows_price_and_availability_badges(browser, client, db):
    await _seed(client, db)
    await _log_in(browser, "rep@example.com")
    page = await browser.get("/catalog")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    text = page.text
    assert 'name="viewport"' in text and 'hx-get="/catalog"' in text and "Rita Rep" in text
    assert "Claw hammer" in text and "12.50" in text and 'data-stock="in_stock"' in text
    assert "Hand saw" in text and "pack 6 · min 12" in text and 'data-stock="low"' in text
    assert "Wood glue" in text and "no price" in text and 'data-stock="out"' in text
    assert '<option value="supplies"' in text


async def test_live_search_swaps_only_the_results(browser, client, db):
    await _seed(client, db)
    await _log_in(browser, "rep@example.com")
    fragment = await browser.get("/catalog", params={"q": "saw"}, headers={"hx-request": "true"})
    assert fragment.status_code == 200
    assert (
        "<html" not in fragment.text
        and "Hand saw" in fragment.text
        and "Claw hammer" not in fragment.text
    )
    supplies = await browser.get(
        "/catalog", params={"category": "supplies"}, headers={"hx-request": "true"}
    )
    assert "Wood glue" in supplies.text and "Hand saw" not in supplies.text


async def test_catalog_with_a_customer_shows_that_customers_price(browser, client, db):
    ids = await _seed(client, db)
    await _log_in(browser, "rep@example.com")
    page = await browser.get("/catalog", params={"customer_id": ids["Acme Inc"]})
    assert page.status_code == 200
    assert "Prices for <strong>Acme Inc</strong>" in page.text and "11.00" in page.text
    assert f'name="customer_id" value="{ids["Acme Inc"]}"' in page.text
    foreign = await browser.get("/catalog", params={"customer_id": ids["Bolt Ltd"]})
    assert foreign.status_code == 404 and "text/html" in foreign.headers["content-type"]


async def test_product_page_shows_stock_per_warehouse_and_breaks(browser, client, db):
    ids = await _seed(client, db)
    await _log_in(browser, "rep@example.com")
    page = await browser.get(f"/catalog/{ids['HAM-1']}", params={"customer_id": ids["Acme Inc"]})
    assert page.status_code == 200
    text = page.text
    assert "Claw hammer" in text and "Main" in text and "W1" in text and "40 available" in text
    assert "ACME v1" in text and "Volume breaks" in text and "10.00" in text
    glue = await browser.get(f"/catalog/{ids['GLU-1']}")
    assert (
        "Not stocked in any warehouse" in glue.text
        and "No price list prices this product" in glue.text
    )
    missing = await browser.get(f"/catalog/{new_id()}")
    assert missing.status_code == 404


async def test_catalog_page_without_a_session_redirects_to_login(browser, db):
    answer = await browser.get("/catalog")
    assert answer.status_code in (302, 303) and answer.headers["location"].startswith("/login")
