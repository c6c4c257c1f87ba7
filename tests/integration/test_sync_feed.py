"""The change feed: stock, prices, imports and realignment reach the phones that see them."""

from __future__ import annotations

from datetime import date

from sync.client import SyncClient
from tests.conftest import browser_client
from tests.factories import PASSWORD, bearer, login, seed_world
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock


async def _phone(http, email: str) -> SyncClient:
    phone = SyncClient(http=http, access_token=(await login(http, email))["access_token"])
    await phone.register()
    await phone.pull_all()
    return phone


async def test_stock_adjustments_and_receipts_reach_the_phone(client, db):
    await seed_world(db)
    catalog = await seed_catalog(db)
    admin = bearer(await login(client, "admin@corp.test"))
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    await set_stock(db, catalog.warehouse_ids[0], widget, 2)
    customer = await create_customer(client, admin, "Harbor View Bistro")
    phone = await _phone(client, "rep1@corp.test")
    assert phone.store["product"][widget]["available"] == 2

    placed = phone.enqueue(
        "order.place",
        {"customer_id": customer["id"], "lines": [{"product_id": widget, "quantity": 5}]},
    )
    await phone.push()
    assert placed.outcome["result"]["lines"][0]["backordered"] == 3
    adjusted = await client.post(
        "/api/stock/adjust",
        headers=admin,
        json={"warehouse_id": catalog.warehouse_ids[1], "product_id": widget, "delta": 4},
    )
    assert adjusted.status_code in (200, 201), adjusted.text
    await phone.pull_all()
    assert phone.store["product"][widget]["available"] == 4
    assert phone.store["order"][placed.entity_id]["fulfilment_status"] == "partially_allocated"

    received = await client.post(
        "/api/stock/receipts",
        headers=admin,
        json={"warehouse_id": catalog.warehouse_ids[0], "product_id": widget, "quantity": 3},
    )
    assert received.status_code == 200 and received.json()["backorders_allocated"] == 3
    await phone.pull_all()
    order = phone.store["order"][placed.entity_id]
    assert (
        order["fulfilment_status"] == "allocated" and order["lines"][0]["quantity_allocated"] == 5
    )
    assert phone.store["product"][widget]["available"] == 4


async def test_imported_customers_products_and_prices_reach_the_phone(client, db):
    await seed_world(db)
    await seed_catalog(db)
    admin = bearer(await login(client, "admin@corp.test"))
    north_phone = await _phone(client, "rep1@corp.test")
    south_phone = await _phone(client, "rep2@corp.test")
    customers_csv = (
        "legal_name,trading_name,tax_id,status,payment_terms,credit_limit,email,phone,contact_name,"
        "country,state,city,postal_code,street\n"
        "Rainier Roasters,,,active,net_30,,buy@rainier.test,,Ann,US,WA,Seattle,98101,1 Pike St\n"
    )
    products_csv = (
        "sku,name,description,category_code,unit_of_measure,pack_size,min_order_qty,floor_price,"
        "active,tax_category,low_stock_threshold,base_price,warehouse_code,on_hand\n"
        "HAM-1,Claw hammer,Steel head,tools,each,1,1,5.00,true,standard,10,12.50,W1,40\n"
    )
    for path, body in (
        ("/api/imports/customers", customers_csv),
        ("/api/imports/products", products_csv),
    ):
        answer = await client.post(
            path, content=body.encode(), headers={**admin, "content-type": "text/csv"}
        )
        assert answer.status_code in (200, 201), answer.text
    await north_phone.pull_all()
    await south_phone.pull_all()
    assert [c["legal_name"] for c in north_phone.store["customer"].values()] == ["Rainier Roasters"]
    assert "customer" not in south_phone.store
    [hammer] = [p for p in north_phone.store["product"].values() if p["sku"] == "HAM-1"]
    assert (hammer["available"], hammer["floor_price_cents"]) == (40, 500)
    prices = [
        pl["items"][hammer["id"]]["unit_price_cents"]
        for pl in north_phone.store["price_list"].values()
        if hammer["id"] in pl["items"]
    ]
    assert prices == [1250]


async def test_a_realignment_moves_the_customer_and_its_prices_from_one_phone_to_the_other(
    client, db
):
    world = await seed_world(db)
    catalog = await seed_catalog(db)
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    manager = bearer(await login(client, "manager@corp.test"))
    admin = bearer(await login(client, "admin@corp.test"))
    customer = await create_customer(client, manager, "Moving Target Cafe")  # WA 98101: North
    own_prices = await client.post(
        "/api/price-lists",
        headers=admin,
        json={
            "code": "CAFE",
            "name": "Cafe prices",
            "kind": "customer",
            "customer_id": customer["id"],
            "items": [{"product_id": widget, "unit_price_cents": 800}],
        },
    )
    assert own_prices.status_code == 201, own_prices.text
    list_id = own_prices.json()["price_list"]["id"]
    await set_stock(db, catalog.warehouse_ids[0], widget, 10)
    order = await client.post(
        "/api/orders",
        headers=manager,
        json={"customer_id": customer["id"], "lines": [{"product_id": widget, "quantity": 1}]},
    )
    assert order.status_code == 201, order.text
    north_phone = await _phone(client, "rep1@corp.test")
    south_phone = await _phone(client, "rep2@corp.test")
    assert customer["id"] in north_phone.store["customer"] and "customer" not in south_phone.store
    assert (
        list_id in north_phone.store["price_list"]
        and list_id not in south_phone.store["price_list"]
    )

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
    applied = await client.post(f"/api/realignments/{draft.json()['id']}/apply", headers=manager)
    assert applied.status_code == 200 and applied.json()["moved_count"] == 1
    await north_phone.pull_all()
    await south_phone.pull_all()
    assert customer["id"] not in north_phone.store["customer"]
    moved = south_phone.store["customer"][customer["id"]]
    assert moved["territory_id"] == world.south and moved["owner_id"] == world.rep2.id
    assert south_phone.store["price_list"][list_id]["items"][widget]["unit_price_cents"] == 800
    assert list_id not in north_phone.store["price_list"]
    # Its order history goes along; the order placed in North stays visible there too.
    assert order.json()["id"] in south_phone.store["order"]
    assert north_phone.store["order"][order.json()["id"]]["territory_id"] == world.north


async def test_a_customers_own_price_list_reaches_only_who_sees_the_customer(client, db):
    await seed_world(db)
    catalog = await seed_catalog(db)
    admin = bearer(await login(client, "admin@corp.test"))
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    customer = await create_customer(client, admin, "Special Terms Diner")
    north_phone = await _phone(client, "rep1@corp.test")
    south_phone = await _phone(client, "rep2@corp.test")
    created = await client.post(
        "/api/price-lists",
        headers=admin,
        json={
            "code": "DINER",
            "name": "Diner prices",
            "kind": "customer",
            "customer_id": customer["id"],
            "items": [
                {
                    "product_id": widget,
                    "unit_price_cents": 900,
                    "breaks": [{"min_qty": 10, "unit_price_cents": 850}],
                }
            ],
        },
    )
    assert created.status_code == 201, created.text
    list_id = created.json()["price_list"]["id"]
    await north_phone.pull_all()
    await south_phone.pull_all()
    own = north_phone.store["price_list"][list_id]
    assert (own["kind"], own["customer_id"]) == ("customer", customer["id"])
    assert own["items"][widget] == {"unit_price_cents": 900, "breaks": [[10, 850]]}
    assert list_id not in south_phone.store["price_list"]
    # What the phone would compute is what the server charges.
    phone_order = north_phone.enqueue(
        "order.place",
        {
            "customer_id": customer["id"],
            "client_total_cents": 9350,
            "lines": [{"product_id": widget, "quantity": 10}],
        },
    )
    await north_phone.push()
    assert phone_order.outcome["result"]["totals_match"] is True, phone_order.outcome


async def test_a_pull_is_gzipped_for_phones_and_the_apps_own_requests_only(client, app, db):
    await seed_world(db)
    catalog = await seed_catalog(db)
    for n in range(30):
        await add_product(db, catalog, f"SKU-{n:02d}", price_cents=100 + n)
    tokens = await login(client, "rep1@corp.test")
    params = {"cursor": "", "limit": 100, "protocol": 1, "schema_version": 1}
    phone = await client.get(
        "/api/sync/v1/pull", params=params, headers={**bearer(tokens), "accept-encoding": "gzip"}
    )
    assert phone.status_code == 200 and phone.headers["content-encoding"] == "gzip"
    assert phone.num_bytes_downloaded < len(phone.content) / 3
    # 30 products, the base list, the tax rate, the rep's commission summary and favourites.
    assert len(phone.json()["changes"]) == 34
    async with browser_client(app) as browser:
        signed_in = await browser.post(
            "/api/auth/login", json={"email": "rep1@corp.test", "password": PASSWORD}
        )
        assert signed_in.status_code == 200
        page = await browser.get(
            "/api/sync/v1/pull", params=params, headers={"accept-encoding": "gzip"}
        )
        # Another site's request with the browser's cookies: nothing for BREACH to measure.
        cross_site = await browser.get(
            "/api/sync/v1/pull",
            params=params,
            headers={"accept-encoding": "gzip", "sec-fetch-site": "cross-site"},
        )
        # The app's own request, as the browser marks it.
        own = await browser.get(
            "/api/sync/v1/pull",
            params=params,
            headers={"accept-encoding": "gzip", "sec-fetch-site": "same-origin"},
        )
    assert page.status_code == 200 and "content-encoding" not in page.headers
    assert page.json()["changes"] == phone.json()["changes"]
    assert cross_site.status_code == 200 and "content-encoding" not in cross_site.headers
    assert own.status_code == 200 and own.headers["content-encoding"] == "gzip"
    assert own.json()["changes"] == phone.json()["changes"]


async def _raw_pull(http, phone: SyncClient) -> list[dict]:
    """One incremental pull page as sent: every change row, deletions included."""
    response = await http.get(
        "/api/sync/v1/pull", params={"cursor": phone.cursor, "limit": 500}, headers=phone.headers
    )
    assert response.status_code == 200, response.text
    return list(response.json()["changes"])


async def test_pull_leaves_out_other_reps_orders(client, db):
    await seed_world(db)
    catalog = await seed_catalog(db)
    admin = bearer(await login(client, "admin@corp.test"))
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    await set_stock(db, catalog.warehouse_ids[0], widget, 100)
    customer = await create_customer(client, admin, "North Only Bakery")
    north_phone = await _phone(client, "rep1@corp.test")
    south_phone = await _phone(client, "rep2@corp.test")

    placed = [
        north_phone.enqueue(
            "order.place",
            {"customer_id": customer["id"], "lines": [{"product_id": widget, "quantity": 1}]},
        )
        for _ in range(3)
    ]
    await north_phone.push()
    assert all(item.outcome["status"] == "accepted" for item in placed), [i.outcome for i in placed]

    south_changes = await _raw_pull(client, south_phone)
    assert [c for c in south_changes if c["entity_type"] in ("order", "customer", "quote")] == []
    # The catalog is everyone's: the stock those orders took still reaches the other phone.
    assert [c["entity_id"] for c in south_changes if c["entity_type"] == "product"] == [widget]
    north_changes = await _raw_pull(client, north_phone)
    north_orders = {c["entity_id"] for c in north_changes if c["entity_type"] == "order"}
    assert north_orders == {item.entity_id for item in placed}


async def test_a_pull_is_brotli_compressed_for_a_client_that_takes_it(client, db):
    await seed_world(db)
    catalog = await seed_catalog(db)
    for n in range(30):
        await add_product(db, catalog, f"SKU-{n:02d}", price_cents=100 + n)
    tokens = await login(client, "rep1@corp.test")
    params = {"cursor": "", "limit": 100, "protocol": 1, "schema_version": 1}
    gzipped = await client.get(
        "/api/sync/v1/pull", params=params, headers={**bearer(tokens), "accept-encoding": "gzip"}
    )
    brotli = await client.get(
        "/api/sync/v1/pull",
        params=params,
        headers={**bearer(tokens), "accept-encoding": "gzip, deflate, br"},
    )
    assert brotli.headers["content-encoding"] == "br"
    assert brotli.json()["changes"] == gzipped.json()["changes"]
    assert brotli.num_bytes_downloaded < gzipped.num_bytes_downloaded


async def test_an_entity_changed_many_times_since_the_cursor_comes_once_as_it_is_now(client, db):
    await seed_world(db)
    catalog = await seed_catalog(db)
    admin = bearer(await login(client, "admin@corp.test"))
    first = await add_product(db, catalog, "ONE-1", price_cents=1000)
    second = await add_product(db, catalog, "TWO-1", price_cents=1000)
    phone = await _phone(client, "rep1@corp.test")
    warehouse = catalog.warehouse_ids[0]
    for product, delta in ((first, 2), (second, 1), (first, 3), (first, 4)):
        adjusted = await client.post(
            "/api/stock/adjust",
            headers=admin,
            json={"warehouse_id": warehouse, "product_id": product, "delta": delta},
        )
        assert adjusted.status_code in (200, 201), adjusted.text

    page = (
        await client.get(
            "/api/sync/v1/pull",
            params={"cursor": phone.cursor},
            headers=bearer(await login(client, "rep1@corp.test")),
        )
    ).json()
    products = [c for c in page["changes"] if c["entity_type"] == "product"]
    # In the order of their first change since the cursor, each once, as they are now.
    assert [c["entity_id"] for c in products] == [first, second]
    assert [c["data"]["available"] for c in products] == [9, 1]
