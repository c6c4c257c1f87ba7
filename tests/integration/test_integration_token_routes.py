"""What an integration (an EDI gateway, a web shop, an ERP) does with a scoped API token
beyond placing orders: quotes from draft to order, amending and cancelling orders, call-offs
of blanket orders, returns from authorisation to receipt, and reading stock, shipments,
invoices, categories, a customer's price and history, under the same rules as people and
recorded as the integration user."""

from __future__ import annotations

from datetime import date, timedelta
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


async def _blanket(client, s: dict[str, Any], quantity: int) -> dict[str, Any]:
    """A confirmed blanket order the rep agreed, 5 % off."""
    answer = await client.post(
        "/api/orders",
        json={
            "customer_id": s["customer"]["id"],
            "order_type": "blanket",
            "valid_from": date.today().isoformat(),
            "valid_to": (date.today() + timedelta(days=30)).isoformat(),
            "lines": [{"product_id": s["widget"], "quantity": quantity, "discount_percent": "5"}],
        },
        headers=s["rep"],
    )
    assert answer.status_code == 201 and answer.json()["status"] == "confirmed", answer.text
    return dict(answer.json())


async def test_token_calls_off_a_blanket_order_at_its_agreed_terms(client, db):
    s = await _setup(client, db)
    blanket = await _blanket(client, s, 10)
    line = blanket["blanket"]["lines"][0]["id"]
    headers, user_id = await _token(client, s["admin"], "orders:write", channel="edi")
    reader, _ = await _token(client, s["admin"], "orders:read")
    url = f"/api/orders/{blanket['id']}/call-offs"
    body = {"lines": [{"blanket_line_id": line, "quantity": 4}], "po_number": "EDI-850-17"}

    before = await count_orders(db)
    _refused(await client.post(url, json=body, headers=reader), "orders:write")
    assert await count_orders(db) == before

    placed = await client.post(url, json=body, headers=headers)
    assert placed.status_code == 201, placed.text
    call_off = placed.json()
    # The blanket's price and discount (above the integration user's own limit of none,
    # yet confirmed, as the blanket was approved), its rep and territory, the token's channel.
    assert (call_off["status"], call_off["fulfilment_status"]) == ("confirmed", "allocated")
    assert call_off["blanket_order_id"] == blanket["id"] and call_off["channel"] == "edi"
    assert (call_off["lines"][0]["unit_price_cents"], call_off["discount_percent"]) == (
        1000,
        "5.00",
    )
    assert (call_off["rep_id"], call_off["territory_id"], call_off["po_number"]) == (
        blanket["rep_id"],
        blanket["territory_id"],
        "EDI-850-17",
    )
    assert [(on_hand, held) for _, on_hand, held in await stock_of(db, s["widget"])] == [(100, 4)]
    shown = await client.get(f"/api/orders/{blanket['id']}", headers=reader)
    assert [(x["released"], x["remaining"]) for x in shown.json()["blanket"]["lines"]] == [(4, 6)]

    # More than the blanket has left is refused for a token as for anyone.
    too_many = {"lines": [{"blanket_line_id": line, "quantity": 7}]}
    refused = await client.post(url, json=too_many, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "exceeds_blanket_quantity")
    assert await count_orders(db) == before + 1
    assert set((await _actors(db, "sales_order", call_off["id"])).values()) == {user_id}
    assert (await _actors(db, "sales_order", blanket["id"]))["call_off_placed"] == user_id


async def test_token_authorises_and_receives_a_return_and_the_invoice_is_credited(client, db):
    s = await _setup(client, db)
    order = await place(client, s["rep"], s["customer"]["id"], [(s["widget"], 5)])
    await ship(client, s["admin"], order["id"], s["warehouse"])
    invoiced = await client.post(f"/api/orders/{order['id']}/invoice", headers=s["admin"])
    assert invoiced.status_code == 201, invoiced.text
    invoice = invoiced.json()["invoice"]
    warehouse, user_id = await _token(client, s["admin"], "returns:write")
    erp, _ = await _token(client, s["admin"], "orders:read", "orders:write", "invoices:read")
    returns_url = f"/api/orders/{order['id']}/returns"
    body = {
        "reason": "Two arrived dented",
        "lines": [{"line_id": order["lines"][0]["id"], "quantity": 2}],
    }

    _refused(await client.post(returns_url, json=body, headers=erp), "returns:write")
    assert (await client.get(returns_url, headers=erp)).json() == []
    authorised = await client.post(returns_url, json=body, headers=warehouse)
    assert authorised.status_code == 201, authorised.text
    rma = authorised.json()
    assert rma["number"].startswith("RMA-") and rma["status"] == "authorized"
    _refused(await client.get(returns_url, headers=warehouse), "orders:read")

    receive_url = f"/api/returns/{rma['id']}/receive"
    _refused(await client.post(receive_url, json={}, headers=erp), "returns:write")
    [listed] = (await client.get(returns_url, headers=erp)).json()
    assert listed["status"] == "authorized"
    assert [(on_hand, held) for _, on_hand, held in await stock_of(db, s["widget"])] == [(95, 0)]

    received = await client.post(receive_url, json={}, headers=warehouse)
    assert received.status_code == 200, received.text
    assert received.json()["status"] == "received"
    # Back on the shelf it left from, and credited on the invoice that billed it.
    assert [(on_hand, held) for _, on_hand, held in await stock_of(db, s["widget"])] == [(97, 0)]
    [listed] = (await client.get(returns_url, headers=erp)).json()
    assert listed["status"] == "received"
    assert listed["credit_note_number"] == received.json()["credit_note_number"]
    detail = (await client.get(f"/api/invoices/{invoice['id']}", headers=erp)).json()
    [note] = detail["credit_notes"]
    assert note["kind"] == "return" and note["lines"][0]["quantity"] == 2
    again = await client.post(receive_url, json={}, headers=warehouse)
    assert (again.status_code, again.json()["code"]) == (409, "return_not_open")
    actors = await _actors(db, "sales_order", order["id"])
    assert actors["return_authorised"] == user_id and actors["return_received"] == user_id
    # Cancelling an RMA stays with people.
    closed = await client.post(f"/api/returns/{rma['id']}/cancel", headers=warehouse)
    assert (closed.status_code, closed.json()["code"]) == (403, "token_route_closed")


async def test_token_reads_categories_a_customers_price_and_history(client, db):
    s = await _setup(client, db)
    catalog, _ = await _token(client, s["admin"], "catalog:read")
    customers, _ = await _token(client, s["admin"], "customers:read")
    customer_id = s["customer"]["id"]

    categories = await client.get("/api/categories", headers=catalog)
    assert categories.status_code == 200, categories.text
    assert [(c["code"], c["product_count"]) for c in categories.json()] == [("TOOLS", 1)]
    query = {"customer_id": customer_id, "product_id": s["widget"], "quantity": 3}
    price = await client.get("/api/prices/lookup", params=query, headers=catalog)
    assert price.status_code == 200, price.text
    assert (price.json()["unit_price_cents"], price.json()["net_cents"]) == (1000, 3000)
    assert price.json()["tax_rate"] == "0.1"
    _refused(
        await client.get("/api/prices/lookup", params=query, headers=customers), "catalog:read"
    )
    _refused(await client.get("/api/categories", headers=customers), "catalog:read")

    history = await client.get(f"/api/customers/{customer_id}/history", headers=customers)
    assert history.status_code == 200, history.text
    assert history.json()[0]["action"] == "customer_created"
    _refused(
        await client.get(f"/api/customers/{customer_id}/history", headers=catalog),
        "customers:read",
    )
