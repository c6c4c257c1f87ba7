"""What an integration (an EDI gateway, a web shop, an ERP) does with a scoped API token
beyond placing orders: quotes from draft to order, amending and cancelling orders, and
reading stock, shipments and invoices, under the same rules as people and recorded as
the integration user."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.db.models import AuditEvent, Quote, SalesOrder
from tests.factories import bearer, login, seed_world
from tests.fulfilment_factories import place, ship
from tests.sales_factories import (
    add_product,
    count_orders,
    create_customer,
    seed_catalog,
    set_stock,
    stock_of,
)


async def _setup(client, db) -> dict[str, Any]:
    await seed_world(db)
    catalog = await seed_catalog(db)
    admin = bearer(await login(client, "admin@corp.test"))
    rep = bearer(await login(client, "rep1@corp.test"))
    widget = await add_product(db, catalog, "WID-1", price_cents=1000, floor_cents=500)
    await set_stock(db, catalog.warehouse_ids[0], widget, 100)
    customer = await create_customer(client, admin, "Harbor View Bistro")
    return {
        "admin": admin,
        "rep": rep,
        "widget": widget,
        "warehouse": catalog.warehouse_ids[0],
        "customer": customer,
    }


async def _token(client, admin, *scopes: str, channel: str = "api") -> tuple[dict[str, str], str]:
    """The token's Authorization header and its integration user's id."""
    answer = await client.post(
        "/api/integrations",
        json={"name": "ERP bridge", "scopes": list(scopes), "channel": channel},
        headers=admin,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return {"Authorization": f"Bearer {body['token']}"}, body["integration"]["user_id"]


def _refused(answer, scope: str) -> None:
    assert answer.status_code == 403, answer.text
    problem = answer.json()
    assert problem["code"] == "token_scope_missing" and problem["details"]["scope"] == scope
    assert scope in problem["detail"]


async def _actors(db, entity_type: str, entity_id: str) -> dict[str, str | None]:
    async with db.read() as unit:
        rows = await unit.session.execute(
            select(AuditEvent.action, AuditEvent.actor_id).where(
                AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id
            )
        )
        return {action: actor for action, actor in rows.all()}


async def test_token_takes_a_quote_from_draft_to_an_edi_order(client, db):
    s = await _setup(client, db)
    headers, user_id = await _token(
        client, s["admin"], "quotes:read", "quotes:write", "orders:write", channel="edi"
    )
    line = {"product_id": s["widget"], "quantity": 4, "discount_percent": "0"}
    created = await client.post(
        "/api/quotes",
        json={"customer_id": s["customer"]["id"], "lines": [line]},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    quote = created.json()
    # Priced by the server like a rep's quote: 4 x 10.00 + 10 % tax.
    assert quote["status"] == "draft" and quote["totals"]["total_cents"] == 4400
    quote_id = quote["id"]

    edited = await client.patch(
        f"/api/quotes/{quote_id}", json={"notes": "Dock 4"}, headers=headers
    )
    assert edited.status_code == 200 and edited.json()["notes"] == "Dock 4"
    for action, status in (("send", "sent"), ("accept", "accepted")):
        answer = await client.post(f"/api/quotes/{quote_id}/{action}", headers=headers)
        assert answer.status_code == 200 and answer.json()["status"] == status, answer.text
    shown = await client.get(f"/api/quotes/{quote_id}", headers=headers)
    assert shown.status_code == 200 and shown.json()["status"] == "accepted"
    listed = await client.get("/api/quotes", headers=headers)
    assert [q["id"] for q in listed.json()] == [quote_id]
    revisions = await client.get(f"/api/quotes/{quote_id}/revisions", headers=headers)
    assert revisions.status_code == 200 and len(revisions.json()) >= 1

    converted = await client.post(f"/api/quotes/{quote_id}/convert", json={}, headers=headers)
    assert converted.status_code == 201, converted.text
    order = converted.json()
    assert order["channel"] == "edi" and order["status"] == "confirmed"
    assert order["totals"]["total_cents"] == 4400
    # Converting twice is refused as for anyone.
    again = await client.post(f"/api/quotes/{quote_id}/convert", json={}, headers=headers)
    assert again.status_code == 409

    # Every step is recorded as the integration user.
    quote_steps = await _actors(db, "quote", quote_id)
    assert {"create", "send", "accept"} <= set(quote_steps)
    assert set(quote_steps.values()) == {user_id}
    assert set((await _actors(db, "sales_order", order["id"])).values()) == {user_id}
    async with db.read() as unit:
        stored = await unit.session.get(SalesOrder, order["id"])
    assert stored is not None and stored.created_by == user_id and stored.channel == "edi"


async def test_quote_routes_refuse_a_token_without_the_scope(client, db):
    s = await _setup(client, db)
    reader, _ = await _token(client, s["admin"], "quotes:read")
    writer, _ = await _token(client, s["admin"], "quotes:write")
    body = {
        "customer_id": s["customer"]["id"],
        "lines": [{"product_id": s["widget"], "quantity": 1}],
    }
    _refused(await client.post("/api/quotes", json=body, headers=reader), "quotes:write")
    async with db.read() as unit:
        assert (await unit.session.execute(select(Quote.id))).all() == []

    quote = (await client.post("/api/quotes", json=body, headers=writer)).json()
    _refused(await client.get("/api/quotes", headers=writer), "quotes:read")
    _refused(await client.get(f"/api/quotes/{quote['id']}", headers=writer), "quotes:read")
    _refused(await client.post(f"/api/quotes/{quote['id']}/send", headers=reader), "quotes:write")
    for action in ("send", "accept"):
        answer = await client.post(f"/api/quotes/{quote['id']}/{action}", headers=writer)
        assert answer.status_code == 200, answer.text
    # Accepting is not ordering: converting asks for orders:write.
    before = await count_orders(db)
    refused = await client.post(f"/api/quotes/{quote['id']}/convert", json={}, headers=writer)
    _refused(refused, "orders:write")
    assert await count_orders(db) == before
    shown = await client.get(f"/api/quotes/{quote['id']}", headers=reader)
    assert shown.json()["status"] == "accepted"


async def test_token_amends_and_cancels_orders_under_the_same_rules(client, db):
    s = await _setup(client, db)
    headers, user_id = await _token(client, s["admin"], "orders:read", "orders:write")
    reader, _ = await _token(client, s["admin"], "orders:read")
    order = await place(client, headers, s["customer"]["id"], [(s["widget"], 3)])
    assert order["channel"] == "api"

    refused = await client.post(
        f"/api/orders/{order['id']}/amend",
        json={"expected_revision": order["revision"], "po_number": "PO-9"},
        headers=reader,
    )
    _refused(refused, "orders:write")
    line = order["lines"][0]["id"]
    amended = await client.post(
        f"/api/orders/{order['id']}/amend",
        json={
            "expected_revision": order["revision"],
            "lines": [{"line_id": line, "quantity": 5}],
            "reason": "EDI change 0042",
        },
        headers=headers,
    )
    assert amended.status_code == 200, amended.text
    body = amended.json()
    # Re-priced and re-allocated like a rep's amendment; the channel stays the order's.
    assert body["lines"][0]["quantity"] == 5 and body["lines"][0]["quantity_allocated"] == 5
    assert body["totals"]["total_cents"] == 5500 and body["channel"] == "api"
    stale = await client.post(
        f"/api/orders/{order['id']}/amend",
        json={"expected_revision": order["revision"], "po_number": "PO-9"},
        headers=headers,
    )
    assert stale.status_code == 409 and stale.json()["code"] == "revision_conflict"

    reason = {"reason": "Customer withdrew the EDI order"}
    _refused(
        await client.post(f"/api/orders/{order['id']}/cancel", json=reason, headers=reader),
        "orders:write",
    )
    assert [(on_hand, allocated) for _, on_hand, allocated in await stock_of(db, s["widget"])] == [
        (100, 5)
    ]
    cancelled = await client.post(f"/api/orders/{order['id']}/cancel", json=reason, headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert [(on_hand, allocated) for _, on_hand, allocated in await stock_of(db, s["widget"])] == [
        (100, 0)
    ]
    actors = await _actors(db, "sales_order", order["id"])
    assert actors["cancel"] == user_id and set(actors.values()) == {user_id}

    # A shipped order cannot be cancelled, by a token either.
    shipped = await place(client, s["rep"], s["customer"]["id"], [(s["widget"], 2)])
    await ship(client, s["admin"], shipped["id"], s["warehouse"])
    late = await client.post(f"/api/orders/{shipped['id']}/cancel", json=reason, headers=headers)
    assert late.status_code == 409
    shown = await client.get(f"/api/orders/{shipped['id']}", headers=headers)
    assert shown.json()["status"] != "cancelled"


async def test_token_reads_stock_shipments_and_invoices_with_their_scopes(client, db):
    s = await _setup(client, db)
    order = await place(client, s["rep"], s["customer"]["id"], [(s["widget"], 3)])
    other = await place(client, s["rep"], s["customer"]["id"], [(s["widget"], 1)])
    shipment = await ship(client, s["admin"], order["id"], s["warehouse"])
    for shipped in (shipment, await ship(client, s["admin"], other["id"], s["warehouse"])):
        invoiced = await client.post(f"/api/shipments/{shipped['id']}/invoice", headers=s["admin"])
        assert invoiced.status_code in (200, 201), invoiced.text
    everything, _ = await _token(
        client, s["admin"], "stock:read", "orders:read", "invoices:read", "catalog:read"
    )
    orders_only, _ = await _token(client, s["admin"], "orders:read", "catalog:read")

    stock = await client.get(f"/api/stock?product_id={s['widget']}", headers=everything)
    assert stock.status_code == 200, stock.text
    [row] = stock.json()
    # 100 received, 4 shipped: on hand 96, nothing left reserved.
    assert (row["sku"], row["on_hand"], row["allocated"], row["available"]) == (
        "WID-1",
        96,
        0,
        96,
    )
    warehouses = await client.get("/api/warehouses", headers=everything)
    assert s["warehouse"] in [w["id"] for w in warehouses.json()]
    product = await client.get(f"/api/products/{s['widget']}", headers=orders_only)
    assert product.status_code == 200
    _refused(await client.get("/api/stock", headers=orders_only), "stock:read")
    _refused(await client.get("/api/warehouses", headers=orders_only), "stock:read")

    shipments = await client.get(f"/api/orders/{order['id']}/shipments", headers=orders_only)
    assert shipments.status_code == 200
    assert [x["id"] for x in shipments.json()] == [shipment["id"]]

    of_order = await client.get(f"/api/invoices?order_id={order['id']}", headers=everything)
    assert of_order.status_code == 200, of_order.text
    [invoice] = of_order.json()["items"]
    assert invoice["order_id"] == order["id"] and of_order.json()["total"] == 1
    detail = await client.get(f"/api/invoices/{invoice['id']}", headers=everything)
    assert detail.status_code == 200 and detail.json()["shipments"] == [shipment["number"]]
    every = await client.get("/api/invoices", headers=everything)
    assert every.json()["total"] == 2
    _refused(await client.get("/api/invoices", headers=orders_only), "invoices:read")
    _refused(
        await client.get(f"/api/invoices/{invoice['id']}", headers=orders_only), "invoices:read"
    )
    billing_only, _ = await _token(client, s["admin"], "invoices:read")
    _refused(
        await client.get(f"/api/orders/{order['id']}/shipments", headers=billing_only),
        "orders:read",
    )
