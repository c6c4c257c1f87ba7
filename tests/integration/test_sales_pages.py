"""The sales pages in a browser session: order list and detail, cancel, the manager's
approval queue with htmx decisions, and the quote pages with revisions and conversion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select

from server.db.models import AuditEvent, SalesOrder
from tests.conftest import browser_client
from tests.factories import PASSWORD, World, bearer, login, seed_world
from tests.sales_factories import (
    Catalog,
    add_product,
    create_customer,
    seed_catalog,
    set_stock,
    stock_of,
)

HTMX = {"hx-request": "true"}


@dataclass
class Shop:
    world: World
    catalog: Catalog
    api: dict[str, dict[str, str]]
    north: dict[str, Any]  # Rita's customer
    south: dict[str, Any]  # Rob's customer
    widget: str


async def _shop(client: httpx.AsyncClient, db: Any, *, stock: int = 10) -> Shop:
    world = await seed_world(db)
    catalog = await seed_catalog(db)
    api = {
        who: bearer(await login(client, f"{who}@corp.test")) for who in ("manager", "rep1", "rep2")
    }
    widget = await add_product(db, catalog, "WID-1", price_cents=1000, floor_cents=500)
    await set_stock(db, catalog.warehouse_ids[0], widget, stock)
    north = await create_customer(client, api["manager"], "Harbor View Bistro")
    south = await create_customer(
        client,
        api["manager"],
        "Mission Street Kitchen",
        state="CA",
        postal="94105",
        city="San Francisco",
    )
    return Shop(world, catalog, api, north, south, widget)


async def _place(
    client: httpx.AsyncClient,
    shop: Shop,
    who: str = "rep1",
    *,
    customer: str = "north",
    quantity: int = 3,
    discount: str = "0",
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "customer_id": getattr(shop, customer)["id"],
        "po_number": "PO-77",
        "lines": [{"product_id": shop.widget, "quantity": quantity, "discount_percent": discount}],
        **extra,
    }
    response = await client.post("/api/orders", json=body, headers=shop.api[who])
    assert response.status_code == 201, response.text
    return dict(response.json())


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


async def _order_row(db: Any, order_id: str) -> SalesOrder:
    async with db.read() as unit:
        order = await unit.session.get(SalesOrder, order_id)
    assert order is not None
    return order


async def _events(db: Any, order_id: str) -> int:
    async with db.read() as unit:
        return int(
            await unit.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_id == order_id)
            )
            or 0
        )


async def test_order_list_shows_only_the_users_visible_orders_newest_first(client, browser, db):
    shop = await _shop(client, db)
    first = await _place(client, shop, quantity=1)
    second = await _place(client, shop, quantity=2, discount="15")
    others = await _place(client, shop, "rep2", customer="south")
    await _log_in(browser, "rep1@corp.test")

    page = await browser.get("/orders")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert page.text.index(second["number"]) < page.text.index(first["number"])
    assert others["number"] not in page.text and "Mission Street Kitchen" not in page.text
    assert "Harbor View Bistro" in page.text and 'data-testid="order-count">2 orders<' in page.text
    assert (
        "pending approval" in page.text and "not invoiced" in page.text and "allocated" in page.text
    )
    assert 'href="/app/orders/new"' in page.text

    filtered = await browser.get("/orders?status=pending_approval", headers=HTMX)
    assert filtered.status_code == 200 and "<html" not in filtered.text
    assert second["number"] in filtered.text and first["number"] not in filtered.text
    refused = await browser.get("/orders?status=shipped-ish")
    assert refused.status_code == 422 and "Unknown order status" in refused.text

    hidden = await browser.get(f"/orders/{others['id']}")
    assert hidden.status_code == 404


async def test_order_detail_shows_sub_states_lines_and_the_timeline(client, browser, db):
    shop = await _shop(client, db, stock=10)
    order = await _place(client, shop, quantity=12)
    await _log_in(browser, "rep1@corp.test")

    page = await browser.get(f"/orders/{order['id']}")
    assert page.status_code == 200
    text = page.text
    assert f"Order {order['number']}" in text and "Harbor View Bistro" in text
    assert 'data-testid="status">confirmed<' in text
    assert 'data-testid="fulfilment">partially allocated<' in text
    assert 'data-testid="billing">not invoiced<' in text
    assert "allocated 10" in text and "backordered 2" in text
    assert "PO-77" in text and "North" in text and "Rita Rep" in text and "Max Manager" in text
    assert "1 Main St" in text  # ship-to
    assert f"USD {order['totals']['total_cents'] // 100:,}." in text
    timeline = text[text.index('data-testid="timeline"') :]
    assert timeline.index("submit") < timeline.index("confirm") < timeline.index("stock allocated")
    assert "draft" in timeline and "→ submitted" in timeline and "Rita Rep" in timeline
    assert "Cancel order" in text and "Approve" not in text  # a rep decides nothing


async def test_cancel_from_the_page_releases_stock_and_needs_a_reason(client, browser, db):
    shop = await _shop(client, db, stock=10)
    order = await _place(client, shop, quantity=4)
    assert await stock_of(db, shop.widget) == [(shop.catalog.warehouse_ids[0], 10, 4)]
    await _log_in(browser, "rep1@corp.test")

    refused = await browser.post(f"/orders/{order['id']}/cancel", data=_csrf(browser, reason="  "))
    assert refused.status_code == 422 and "Give a reason for cancelling" in refused.text
    assert (await _order_row(db, order["id"])).status == "confirmed"
    assert await stock_of(db, shop.widget) == [(shop.catalog.warehouse_ids[0], 10, 4)]

    done = await browser.post(
        f"/orders/{order['id']}/cancel",
        data=_csrf(browser, reason="Customer closed for renovation"),
    )
    assert done.status_code == 303 and done.headers["location"] == f"/orders/{order['id']}"
    assert await stock_of(db, shop.widget) == [(shop.catalog.warehouse_ids[0], 10, 0)]
    page = await browser.get(f"/orders/{order['id']}")
    assert (
        'data-testid="status">cancelled<' in page.text
        and 'data-testid="fulfilment">unallocated<' in page.text
    )
    assert "Why: Customer closed for renovation" in page.text and "stock released" in page.text
    assert "Cancel order" not in page.text

    again = await browser.post(f"/orders/{order['id']}/cancel", data=_csrf(browser, reason="twice"))
    assert again.status_code == 409 and 'role="alert"' in again.text


async def test_manager_approves_from_the_queue_and_the_row_updates_in_place(client, browser, db):
    shop = await _shop(client, db, stock=10)
    order = await _place(client, shop, quantity=3, discount="15")
    assert order["status"] == "pending_approval"
    await _log_in(browser, "manager@corp.test")

    queue = await browser.get("/approvals")
    assert queue.status_code == 200
    assert (
        order["number"] in queue.text
        and "Harbor View Bistro" in queue.text
        and "Rita Rep" in queue.text
    )
    assert order["approval_reasons"][0]["message"] in queue.text
    assert f'hx-post="/approvals/{order["id"]}/approve"' in queue.text

    row = await browser.post(f"/approvals/{order['id']}/approve", data=_csrf(browser), headers=HTMX)
    assert row.status_code == 200 and "<html" not in row.text
    assert f'id="approval-{order["id"]}"' in row.text and "Approved" in row.text
    assert 'data-testid="status">confirmed<' in row.text and "Reject" not in row.text
    stored = await _order_row(db, order["id"])
    assert stored.status == "confirmed" and stored.fulfilment_status == "allocated"
    assert stored.decided_by == shop.world.manager.id
    assert await stock_of(db, shop.widget) == [(shop.catalog.warehouse_ids[0], 10, 3)]
    assert order["number"] not in (await browser.get("/approvals")).text


async def test_manager_rejects_with_a_reason_and_without_one_nothing_changes(
    app, client, browser, db
):
    shop = await _shop(client, db)
    order = await _place(client, shop, discount="20")
    await _log_in(browser, "manager@corp.test")
    events_before = await _events(db, order["id"])

    blank = await browser.post(
        f"/approvals/{order['id']}/reject", data=_csrf(browser, reason=""), headers=HTMX
    )
    assert blank.status_code == 200 and "<html" not in blank.text
    assert "Give a reason for rejecting" in blank.text and 'role="alert"' in blank.text
    plain = await browser.post(f"/approvals/{order['id']}/reject", data=_csrf(browser, reason=""))
    assert plain.status_code == 422 and "Give a reason for rejecting" in plain.text
    assert (await _order_row(db, order["id"])).status == "pending_approval"
    assert await _events(db, order["id"]) == events_before

    row = await browser.post(
        f"/approvals/{order['id']}/reject",
        data=_csrf(browser, reason="Margin too thin this quarter"),
        headers=HTMX,
    )
    assert row.status_code == 200 and "Rejected" in row.text and "cancelled" in row.text
    assert (await _order_row(db, order["id"])).status == "cancelled"

    async with browser_client(app) as rep:
        await _log_in(rep, "rep1@corp.test")
        seen = await rep.get(f"/orders/{order['id']}")
    assert "Why: Margin too thin this quarter" in seen.text and "Max Manager" in seen.text


async def test_manager_releases_a_credit_hold_from_the_queue(client, browser, db):
    shop = await _shop(client, db)
    held_customer = await create_customer(
        client, shop.api["manager"], "Cedar Street Cafe", status="on_hold", postal="98102"
    )
    held = await _place(client, shop, customer_id=held_customer["id"])
    assert held["status"] == "credit_hold"
    await _log_in(browser, "manager@corp.test")

    queue = await browser.get("/approvals")
    assert held["number"] in queue.text and "Release credit" in queue.text
    row = await browser.post(
        f"/approvals/{held['id']}/release-credit", data=_csrf(browser), headers=HTMX
    )
    assert row.status_code == 200 and 'data-testid="status">confirmed<' in row.text
    stored = await _order_row(db, held["id"])
    assert stored.status == "confirmed" and stored.fulfilment_status == "allocated"


async def test_manager_decides_from_the_order_page(client, browser, db):
    shop = await _shop(client, db)
    order = await _place(client, shop, discount="15")
    await _log_in(browser, "manager@corp.test")
    page = await browser.get(f"/orders/{order['id']}")
    assert (
        "Waiting for a manager" in page.text
        and f'action="/orders/{order["id"]}/approve"' in page.text
    )
    done = await browser.post(f"/orders/{order['id']}/approve", data=_csrf(browser))
    assert done.status_code == 303
    assert (await _order_row(db, order["id"])).status == "confirmed"


async def test_a_rep_cannot_see_the_queue_or_decide(client, browser, db):
    shop = await _shop(client, db)
    order = await _place(client, shop, discount="15")
    await _log_in(browser, "rep1@corp.test")
    home = await browser.get("/")
    assert 'href="/orders"' in home.text and 'href="/approvals"' not in home.text
    queue = await browser.get("/approvals")
    assert queue.status_code == 403 and "text/html" in queue.headers["content-type"]
    approve = await browser.post(
        f"/approvals/{order['id']}/approve", data=_csrf(browser), headers=HTMX
    )
    assert approve.status_code == 403
    on_page = await browser.post(f"/orders/{order['id']}/approve", data=_csrf(browser))
    assert on_page.status_code == 403 and "manager" in on_page.text
    assert (await _order_row(db, order["id"])).status == "pending_approval"


async def test_quote_pages_show_revisions_with_their_difference_and_convert_to_an_order(
    client, browser, db
):
    shop = await _shop(client, db)
    rep = shop.api["rep1"]
    gadget = await add_product(db, shop.catalog, "GAD-2", price_cents=2500)
    await set_stock(db, shop.catalog.warehouse_ids[0], gadget, 10)
    body = {"customer_id": shop.north["id"], "lines": [{"product_id": shop.widget, "quantity": 2}]}
    quote = (await client.post("/api/quotes", json=body, headers=rep)).json()
    await _log_in(browser, "rep1@corp.test")

    listed = await browser.get("/quotes")
    assert quote["number"] in listed.text and "Harbor View Bistro" in listed.text
    assert 'href="/app/quotes/new"' in listed.text
    sent = await browser.post(f"/quotes/{quote['id']}/send", data=_csrf(browser))
    assert sent.status_code == 303
    revised = await browser.post(f"/quotes/{quote['id']}/revise", data=_csrf(browser))
    assert revised.status_code == 303
    changed = await client.patch(
        f"/api/quotes/{quote['id']}",
        headers=rep,
        json={
            "lines": [
                {"product_id": shop.widget, "quantity": 5},
                {"product_id": gadget, "quantity": 1},
            ]
        },
    )
    assert changed.status_code == 200, changed.text

    page = await browser.get(f"/quotes/{quote['id']}")
    assert page.status_code == 200 and 'data-testid="status">draft<' in page.text
    diff = page.text[page.text.index('data-testid="diff-2"') :]
    assert "quantity 2 → 5" in diff and "added" in diff and "GAD-2" in diff
    assert (
        "Revision 1" in page.text and "Revision 2" in page.text and "Send to customer" in page.text
    )

    refused = await browser.post(f"/quotes/{quote['id']}/accept", data=_csrf(browser))
    assert refused.status_code == 409 and 'role="alert"' in refused.text
    for action in ("send", "accept"):
        assert (
            await browser.post(f"/quotes/{quote['id']}/{action}", data=_csrf(browser))
        ).status_code == 303
    accepted = await browser.get(f"/quotes/{quote['id']}")
    assert 'data-testid="status">accepted<' in accepted.text and "Convert to order" in accepted.text

    converted = await browser.post(
        f"/quotes/{quote['id']}/convert", data=_csrf(browser, po_number="PO-9")
    )
    assert converted.status_code == 303 and converted.headers["location"].startswith("/orders/")
    order_page = await browser.get(converted.headers["location"])
    assert "PO-9" in order_page.text and 'data-testid="status">confirmed<' in order_page.text
    again = await browser.get(f"/quotes/{quote['id']}")
    assert "Convert to order" not in again.text and "Open the order" in again.text


async def test_an_unknown_action_on_an_order_or_quote_page_is_not_found_and_changes_nothing(
    client, browser, db
):
    shop = await _shop(client, db, stock=10)
    order = await _place(client, shop, quantity=4)
    quote = (
        await client.post(
            "/api/quotes",
            json={
                "customer_id": shop.north["id"],
                "lines": [{"product_id": shop.widget, "quantity": 2}],
            },
            headers=shop.api["rep1"],
        )
    ).json()
    events = await _events(db, order["id"])
    await _log_in(browser, "rep1@corp.test")

    for path in (f"/orders/{order['id']}/ship", f"/quotes/{quote['id']}/delete"):
        response = await browser.post(path, data=_csrf(browser, reason="because"))
        assert response.status_code == 404, path
    assert (await _order_row(db, order["id"])).status == "confirmed"
    assert await _events(db, order["id"]) == events
    assert await stock_of(db, shop.widget) == [(shop.catalog.warehouse_ids[0], 10, 4)]
