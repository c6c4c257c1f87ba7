"""A realignment's open quotes and orders: listed in the preview, handed over on apply."""

from __future__ import annotations

from datetime import date

from tests.factories import bearer, login, seed_world
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock


async def test_realignment_lists_open_documents_and_hands_open_quotes_to_the_new_owner(client, db):
    world = await seed_world(db)
    catalog = await seed_catalog(db)
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    await set_stock(db, catalog.warehouse_ids[0], widget, 10)
    manager = bearer(await login(client, "manager@corp.test"))
    rep1 = bearer(await login(client, "rep1@corp.test"))
    rep2 = bearer(await login(client, "rep2@corp.test"))
    customer = await create_customer(client, manager, "Moving Target Cafe")  # WA 98101: North, rep1
    lines = [{"product_id": widget, "quantity": 1}]
    quote = (
        await client.post(
            "/api/quotes", json={"customer_id": customer["id"], "lines": lines}, headers=rep1
        )
    ).json()
    assert (await client.post(f"/api/quotes/{quote['id']}/send", headers=rep1)).status_code == 200
    order = (
        await client.post(
            "/api/orders", json={"customer_id": customer["id"], "lines": lines}, headers=rep1
        )
    ).json()
    assert order["status"] == "confirmed"

    draft = await client.post(
        "/api/realignments",
        headers=manager,
        json={
            "description": "Downtown goes south",
            "effective_on": date.today().isoformat(),
            "changes": {
                "add_rules": [
                    {"territory_id": world.south, "country": "US", "postal_exact": "98101"}
                ]
            },
        },
    )
    assert draft.status_code == 201, draft.text
    preview = (
        await client.get(f"/api/realignments/{draft.json()['id']}/preview", headers=manager)
    ).json()
    documents = {d["kind"]: d for d in preview["open_documents"]}
    assert preview["open_document_count"] == 2 and set(documents) == {"quote", "order"}
    assert (
        documents["quote"]["id"],
        documents["quote"]["rep_id"],
        documents["quote"]["new_rep_id"],
    ) == (quote["id"], world.rep1.id, world.rep2.id)
    assert documents["quote"]["new_territory_id"] == world.south
    # A placed order keeps the territory and rep it was placed with.
    assert (
        documents["order"]["id"],
        documents["order"]["new_territory_id"],
        documents["order"]["new_rep_id"],
    ) == (order["id"], world.north, world.rep1.id)

    applied = await client.post(f"/api/realignments/{draft.json()['id']}/apply", headers=manager)
    assert applied.status_code == 200 and applied.json()["open_document_count"] == 2
    handed = (await client.get(f"/api/quotes/{quote['id']}", headers=rep2)).json()
    assert (handed["rep_id"], handed["territory_id"], handed["status"]) == (
        world.rep2.id,
        world.south,
        "sent",
    )
    kept = (await client.get(f"/api/orders/{order['id']}", headers=manager)).json()
    assert (kept["rep_id"], kept["territory_id"]) == (world.rep1.id, world.north)
    recorded = (
        await client.get(f"/api/realignments/{draft.json()['id']}/preview", headers=manager)
    ).json()
    assert recorded["open_documents"] == applied.json()["open_documents"]
