"""The amend form and the revision history on the desktop order page."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import PASSWORD, bearer, login, seed_world
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock, stock_of


async def _log_in(browser: httpx.AsyncClient, email: str) -> None:
    await browser.get("/login")
    response = await browser.post(
        "/login",
        data={
            "email": email,
            "password": PASSWORD,
            "next": "/",
            "_csrf_token": browser.cookies.get("fs_csrf") or "",
        },
    )
    assert response.status_code == 303, response.text


async def _order(client, db) -> tuple[dict[str, Any], list[str], str]:
    await seed_world(db)
    catalog = await seed_catalog(db)
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    gadget = await add_product(db, catalog, "GAD-1", price_cents=2500)
    for product in (widget, gadget):
        await set_stock(db, catalog.warehouse_ids[0], product, 10)
    manager = bearer(await login(client, "manager@corp.test"))
    customer = await create_customer(client, manager, "Harbor View Bistro")
    body = {"customer_id": customer["id"], "lines": [{"product_id": widget, "quantity": 3}]}
    rep = bearer(await login(client, "rep1@corp.test"))
    placed = await client.post("/api/orders", json=body, headers=rep)
    assert placed.status_code == 201, placed.text
    return placed.json(), catalog.warehouse_ids, gadget


def _form(browser: httpx.AsyncClient, order: dict[str, Any], **fields: str) -> dict[str, Any]:
    line = order["lines"][0]["id"]
    return {
        "_csrf_token": browser.cookies.get("fs_csrf") or "",
        "expected_revision": str(order["revision"]),
        "line_id": line,
        f"quantity_{line}": "3",
        f"discount_{line}": "0.00",
        "add_sku": "",
        "add_quantity": "1",
        "requested_delivery_date": "",
        "po_number": "",
        "notes": "",
        "amend_reason": "",
        **fields,
    }


async def test_amend_form_adds_a_line_by_sku_and_the_page_shows_the_revision(client, browser, db):
    order, warehouses, gadget = await _order(client, db)
    await _log_in(browser, "rep1@corp.test")
    page = await browser.get(f"/orders/{order['id']}")
    assert 'data-testid="amend-form"' in page.text and "revision 1" in page.text

    line = order["lines"][0]["id"]
    response = await browser.post(
        f"/orders/{order['id']}/amend",
        data=_form(
            browser,
            order,
            **{f"quantity_{line}": "4"},
            add_sku="gad-1",
            add_quantity="2",
            notes="Call before delivery",
            amend_reason="Customer asked",
        ),
    )

    assert response.status_code == 303, response.text
    page = await browser.get(f"/orders/{order['id']}")
    assert 'data-testid="revisions"' in page.text and "Revision 2" in page.text
    assert "Why: Customer asked" in page.text and "GAD-1: added" in page.text
    assert "WID-1: changed" in page.text and "Call before delivery" in page.text
    assert await stock_of(db, gadget) == [(warehouses[0], 10, 2)]


async def test_amend_form_refusal_is_shown_on_the_page_and_changes_nothing(client, browser, db):
    order, _, _ = await _order(client, db)
    await _log_in(browser, "rep1@corp.test")

    unchanged = await browser.post(f"/orders/{order['id']}/amend", data=_form(browser, order))
    unknown = await browser.post(
        f"/orders/{order['id']}/amend", data=_form(browser, order, add_sku="NOPE-9")
    )
    line = order["lines"][0]["id"]
    removed_all = await browser.post(
        f"/orders/{order['id']}/amend",
        data=_form(browser, order, **{f"remove_{line}": "1"}),
    )

    assert unchanged.status_code == 422 and "The amendment changes nothing." in unchanged.text
    assert unknown.status_code == 422 and "There is no product with SKU NOPE-9." in unknown.text
    assert removed_all.status_code == 422 and "cancel it instead" in removed_all.text
    api = await client.get(
        f"/api/orders/{order['id']}", headers=bearer(await login(client, "rep1@corp.test"))
    )
    assert api.json()["revision"] == 1 and api.json()["revisions"] == []
