"""Quotes: drafts, revisions with their differences, acceptance, expiry, conversion."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import update

from server.db.models import Quote
from server.features.sales import expire_quotes
from tests.factories import bearer, login, seed_world
from tests.sales_factories import (
    add_price_list,
    add_product,
    create_customer,
    seed_catalog,
    set_stock,
    stock_of,
)


async def _setup(client, db) -> dict[str, Any]:
    world = await seed_world(db)
    catalog = await seed_catalog(db)
    headers = {
        w: bearer(await login(client, f"{w}@corp.test")) for w in ("manager", "rep1", "rep2")
    }
    products = {
        sku: await add_product(db, catalog, sku, price_cents=price)
        for sku, price in (("WID", 1000), ("GAD", 2500), ("GIZ", 400))
    }
    for product_id in products.values():
        await set_stock(db, catalog.warehouse_ids[0], product_id, 20)
    customer = await create_customer(client, headers["manager"], "Harbor View Bistro")
    return {"world": world, "catalog": catalog, "h": headers, "p": products, "customer": customer}


async def _expire_in_db(db, quote_id: str) -> None:
    async with db.write() as uow:
        await uow.session.execute(
            update(Quote)
            .where(Quote.id == quote_id)
            .values(valid_until=date.today() - timedelta(days=1))
        )


async def _accepted_quote(client, s: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    rep = s["h"]["rep1"]
    quote = (
        await client.post(
            "/api/quotes", json={"customer_id": s["customer"]["id"], "lines": lines}, headers=rep
        )
    ).json()
    assert (await client.post(f"/api/quotes/{quote['id']}/send", headers=rep)).status_code == 200
    accepted = await client.post(f"/api/quotes/{quote['id']}/accept", headers=rep)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    return dict(accepted.json())


async def test_quote_revise_accept_convert_approve_allocate(client, db):
    s = await _setup(client, db)
    rep, manager, p = s["h"]["rep1"], s["h"]["manager"], s["p"]
    created = await client.post(
        "/api/quotes",
        headers={"Idempotency-Key": "q-1", **rep},
        json={
            "customer_id": s["customer"]["id"],
            "shipping_cents": 300,
            "lines": [
                {"product_id": p["WID"], "quantity": 3, "discount_percent": "15"},
                {"product_id": p["GAD"], "quantity": 2},
            ],
        },
    )
    assert created.status_code == 201, created.text
    quote = created.json()
    assert (
        quote["number"].startswith("Q-") and quote["status"] == "draft" and quote["revision"] == 1
    )
    assert quote["valid_until"] == (date.today() + timedelta(days=30)).isoformat()
    # 3 x 10.00 - 15 % = 25.50; 2 x 25.00 = 50.00; tax 10 %; shipping 3.00
    assert (
        quote["totals"]["net_cents"] == 7550 and quote["totals"]["total_cents"] == 7550 + 755 + 300
    )
    qid = quote["id"]

    edited = await client.patch(f"/api/quotes/{qid}", json={"notes": "Spring menu"}, headers=rep)
    assert edited.status_code == 200 and edited.json()["notes"] == "Spring menu"
    assert (await client.post(f"/api/quotes/{qid}/send", headers=rep)).json()["status"] == "sent"
    frozen = await client.patch(f"/api/quotes/{qid}", json={"notes": "x"}, headers=rep)
    assert frozen.status_code == 409

    revised = (await client.post(f"/api/quotes/{qid}/revise", headers=rep)).json()
    assert revised["status"] == "draft" and revised["revision"] == 2
    await client.patch(
        f"/api/quotes/{qid}",
        headers=rep,
        json={
            "lines": [
                {"product_id": p["WID"], "quantity": 5, "discount_percent": "15"},
                {"product_id": p["GIZ"], "quantity": 4},
            ]
        },
    )
    await client.post(f"/api/quotes/{qid}/send", headers=rep)
    assert (await client.post(f"/api/quotes/{qid}/accept", headers=rep)).json()[
        "status"
    ] == "accepted"

    history = (await client.get(f"/api/quotes/{qid}/revisions", headers=rep)).json()
    assert [r["revision"] for r in history] == [1, 2]
    # Revision 1 is kept as it went to the customer: sent, not the draft it was before.
    assert history[0]["status"] == "sent" and history[1]["status"] == "accepted"
    assert [(x["sku"], x["quantity"]) for x in history[0]["lines"]] == [("WID", 3), ("GAD", 2)]
    diff = (await client.get(f"/api/quotes/{qid}/diff?from=1&to=2", headers=rep)).json()
    assert {
        (d["change"], d["sku"], d["old_quantity"], d["new_quantity"]) for d in diff["lines"]
    } == {
        ("changed", "WID", 3, 5),
        ("removed", "GAD", 2, None),
        ("added", "GIZ", None, 4),
    }
    assert diff["old_total_cents"] == history[0]["totals"]["total_cents"]

    converted = await client.post(
        f"/api/quotes/{qid}/convert", json={"po_number": "PO-9"}, headers=rep
    )
    assert converted.status_code == 201, converted.text
    order = converted.json()
    assert order["quote_id"] == qid and order["status"] == "pending_approval"
    assert (
        order["totals"]["net_cents"]
        == (await client.get(f"/api/quotes/{qid}", headers=rep)).json()["totals"]["net_cents"]
    )
    assert (await client.get(f"/api/quotes/{qid}", headers=rep)).json()[
        "converted_order_id"
    ] == order["id"]
    again = await client.post(f"/api/quotes/{qid}/convert", headers=rep)
    assert again.status_code == 409 and again.json()["code"] == "already_converted"

    approved = (await client.post(f"/api/orders/{order['id']}/approve", headers=manager)).json()
    assert approved["status"] == "confirmed" and approved["fulfilment_status"] == "allocated"
    assert [held for _, _, held in await stock_of(db, p["WID"])] == [5]


async def test_quoted_price_holds_after_the_list_changes_and_expired_quote_is_refused(client, db):
    s = await _setup(client, db)
    rep, widget = s["h"]["rep1"], s["p"]["WID"]
    quote = await _accepted_quote(client, s, [{"product_id": widget, "quantity": 2}])
    await add_price_list(
        db,
        code="BASE",
        version=2,
        prices={widget: 1500},
        valid_from=date.today() - timedelta(days=1),
    )

    fresh = (
        await client.post(
            "/api/orders",
            headers=rep,
            json={
                "customer_id": s["customer"]["id"],
                "lines": [{"product_id": widget, "quantity": 2}],
            },
        )
    ).json()
    assert (
        fresh["lines"][0]["unit_price_cents"] == 1500
        and fresh["lines"][0]["price_list_version"] == 2
    )

    order = (await client.post(f"/api/quotes/{quote['id']}/convert", headers=rep)).json()
    line = order["lines"][0]
    assert line["unit_price_cents"] == 1000 and line["price_list_version"] == 1
    assert line["price_list_id"] == s["catalog"].base_list_id

    stale = await _accepted_quote(client, s, [{"product_id": widget, "quantity": 1}])
    await _expire_in_db(db, stale["id"])
    refused = await client.post(f"/api/quotes/{stale['id']}/convert", headers=rep)
    assert refused.status_code == 409 and refused.json()["code"] == "quote_expired"


async def test_quotes_expire_on_read_and_by_the_periodic_job_and_can_be_revised(client, db):
    s = await _setup(client, db)
    rep, widget = s["h"]["rep1"], s["p"]["WID"]
    body = {"customer_id": s["customer"]["id"], "lines": [{"product_id": widget, "quantity": 1}]}
    draft = (await client.post("/api/quotes", json=body, headers=rep)).json()
    await _expire_in_db(db, draft["id"])
    read = (await client.get(f"/api/quotes/{draft['id']}", headers=rep)).json()
    assert read["status"] == "expired"
    async with db.read() as unit:
        assert (await unit.session.get(Quote, draft["id"])).status == "expired"

    sent = (await client.post("/api/quotes", json=body, headers=rep)).json()
    await client.post(f"/api/quotes/{sent['id']}/send", headers=rep)
    await _expire_in_db(db, sent["id"])
    assert await expire_quotes(db) == 1
    refused = await client.post(f"/api/quotes/{sent['id']}/accept", headers=rep)
    assert refused.status_code == 409
    revised = (await client.post(f"/api/quotes/{sent['id']}/revise", headers=rep)).json()
    assert revised["status"] == "draft" and revised["revision"] == 2
    assert revised["valid_until"] >= date.today().isoformat()

    listed_late = (await client.post("/api/quotes", json=body, headers=rep)).json()
    await _expire_in_db(db, listed_late["id"])
    listed = (await client.get("/api/quotes?status=expired", headers=rep)).json()
    assert [q["id"] for q in listed] == [listed_late["id"], draft["id"]]


async def test_quote_scope_and_idempotent_create(client, db):
    s = await _setup(client, db)
    body = {
        "customer_id": s["customer"]["id"],
        "lines": [{"product_id": s["p"]["WID"], "quantity": 1}],
    }
    headers = {"Idempotency-Key": "quote-key", **s["h"]["rep1"]}
    first = await client.post("/api/quotes", json=body, headers=headers)
    retry = await client.post("/api/quotes", json=body, headers=headers)
    assert retry.status_code == 201 and retry.json()["number"] == first.json()["number"]
    changed = await client.post("/api/quotes", json={**body, "notes": "other"}, headers=headers)
    assert changed.status_code == 422 and changed.json()["code"] == "idempotency_key_reused"
    assert (
        await client.get(f"/api/quotes/{first.json()['id']}", headers=s["h"]["rep2"])
    ).status_code == 404
    assert (
        await client.post(f"/api/quotes/{first.json()['id']}/send", headers=s["h"]["rep2"])
    ).status_code == 404
