"""The back office's fulfilment pages in a browser session: the queue's tabs and paging,
shipping from a chosen warehouse, dispatch and delivery with htmx, refusals shown in place
with nothing changed, the printable pick list, and the order page's shipments."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import httpx

from server.db.engine import Database
from tests.factories import PASSWORD, bearer, login, seed_world
from tests.fulfilment_factories import place, ship
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock, stock_of

HTMX = {"hx-request": "true"}


async def _world(client: Any, db: Database) -> dict[str, Any]:
    await seed_world(db)
    catalog = await seed_catalog(db)
    w1, w2 = catalog.warehouse_ids
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    await set_stock(db, w1, widget, 10)
    manager = bearer(await login(client, "manager@corp.test"))
    customer = await create_customer(client, manager, "Harbor View Bistro")
    return {"w1": w1, "w2": w2, "widget": widget, "manager": manager, "customer": customer["id"]}


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


def _csrf(browser: httpx.AsyncClient, **fields: str) -> dict[str, str]:
    return {"_csrf_token": browser.cookies.get("fs_csrf") or "", **fields}


async def test_the_queue_is_for_admins_and_pages_on_the_server(client, browser, db):
    w = await _world(client, db)
    await set_stock(db, w["w1"], w["widget"], 30)
    orders = [
        await place(client, w["manager"], w["customer"], [(w["widget"], 1)]) for _ in range(21)
    ]
    await _log_in(browser, "manager@corp.test")
    assert (await browser.get("/admin/fulfilment")).status_code in (401, 403)

    await _log_in(browser, "admin@corp.test")
    first = await browser.get("/admin/fulfilment")
    assert first.status_code == 200
    assert "Ready to pick" in first.text and "Drop-ship: awaiting the supplier" in first.text
    assert orders[0]["number"] in first.text and orders[20]["number"] not in first.text
    assert "1\u201320 of 21" in first.text
    second = await browser.get("/admin/fulfilment?state=ready_to_pick&offset=20", headers=HTMX)
    assert "<html" not in second.text and orders[20]["number"] in second.text
    found = await browser.get(f"/admin/fulfilment?q={orders[20]['number']}")
    assert orders[20]["number"] in found.text and orders[0]["number"] not in found.text
    assert "1\u20131 of 1" in found.text
    bad = await browser.get("/admin/fulfilment?state=nowhere")
    assert bad.status_code == 422


async def test_admin_ships_part_of_an_order_from_the_queue_and_then_delivers_it(
    client, browser, db
):
    w = await _world(client, db)
    order = await place(client, w["manager"], w["customer"], [(w["widget"], 5)])
    line = order["lines"][0]["id"]
    await _log_in(browser, "admin@corp.test")

    page = await browser.get("/admin/fulfilment")
    # The form ships from the warehouse holding the reservation, all of it by default.
    assert re.search(rf'<option value="{w["w1"]}" selected>', page.text)
    assert f'name="qty-{line}"' in page.text and 'value="5"' in page.text

    refused = await browser.post(
        f"/admin/fulfilment/orders/{order['id']}/ship",
        data=_csrf(browser, warehouse_id=w["w1"], **{f"qty-{line}": "6"}),
        headers=HTMX,
    )
    assert refused.status_code == 200
    assert "only 5 reserved at this warehouse" in refused.text and 'role="alert"' in refused.text
    assert 'value="6"' in refused.text  # what was typed stays in the form
    assert await stock_of(db, w["widget"]) == [(w["w1"], 10, 5)]

    shipped = await browser.post(
        f"/admin/fulfilment/orders/{order['id']}/ship",
        data=_csrf(
            browser,
            warehouse_id=w["w1"],
            carrier="UPS",
            service="Ground",
            tracking_number="1Z999AA10123456784",
            dispatch="1",
            **{f"qty-{line}": "2"},
        ),
        headers=HTMX,
    )
    assert shipped.status_code == 200 and 'data-testid="notice"' in shipped.text
    assert re.search(r"SH-\d+ shipped\.", shipped.text)
    assert await stock_of(db, w["widget"]) == [(w["w1"], 8, 3)]

    transit = await browser.get("/admin/fulfilment?state=in_transit")
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in transit.text
    shipment_id = re.search(r"/admin/fulfilment/shipments/([0-9a-f-]{36})/deliver", transit.text)
    assert shipment_id is not None
    future = (date.today() + timedelta(days=2)).isoformat()
    early = await browser.post(
        f"/admin/fulfilment/shipments/{shipment_id[1]}/deliver",
        data=_csrf(browser, delivered_on=future, state="in_transit"),
        headers=HTMX,
    )
    assert "cannot be in the future" in early.text
    done = await browser.post(
        f"/admin/fulfilment/shipments/{shipment_id[1]}/deliver",
        data=_csrf(browser, delivered_on=date.today().isoformat(), state="in_transit"),
    )
    assert done.status_code == 303

    detail = await browser.get(f"/orders/{order['id']}")
    assert "Shipments" in detail.text and 'data-testid="tracking"' in detail.text
    assert "1Z999AA10123456784" in detail.text and "UPS Ground" in detail.text
    assert "shipped 2" in detail.text and "delivered 2" in detail.text
    assert "allocated 3" in detail.text and "ordered 5" in detail.text


async def test_a_packed_shipment_is_dispatched_from_the_queue(client, browser, db):
    w = await _world(client, db)
    order = await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
    admin = bearer(await login(client, "admin@corp.test"))
    packed = await ship(client, admin, order["id"], w["w1"], dispatch=False)
    await _log_in(browser, "admin@corp.test")
    page = await browser.get("/admin/fulfilment?state=packed")
    assert packed["number"] in page.text and "Dispatch" in page.text
    sent = await browser.post(
        f"/admin/fulfilment/shipments/{packed['id']}/dispatch",
        data=_csrf(browser, carrier="FedEx", tracking_number="449044304137821", state="packed"),
        headers=HTMX,
    )
    assert f"{packed['number']} has left." in sent.text
    again = await browser.post(
        f"/admin/fulfilment/shipments/{packed['id']}/dispatch",
        data=_csrf(browser, state="packed"),
    )
    assert again.status_code == 409 and "has already left" in again.text


async def test_the_pick_list_prints_per_warehouse(client, browser, db):
    w = await _world(client, db)
    order = await place(client, w["manager"], w["customer"], [(w["widget"], 4)])
    await _log_in(browser, "admin@corp.test")
    page = await browser.get(f"/admin/fulfilment/pick-lists/{w['w1']}")
    assert page.status_code == 200
    assert order["number"] in page.text and "Harbor View Bistro" in page.text
    assert "/static/fulfilment.css" in page.text and "4 units" in page.text
    empty = await browser.get(f"/admin/fulfilment/pick-lists/{w['w2']}")
    assert "Nothing to pick" in empty.text
