"""Offline quotes and orders through sync: exactly once, repriced, allocated, pulled back."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text

from server.app import create_app
from server.db.engine import Database
from server.db.models import Device, SalesOrder
from sync.client import LostResponse, SyncClient
from tests.conftest import api_client
from tests.factories import World, bearer, customer_body, login, seed_world
from tests.sales_factories import (
    Catalog,
    add_price_list,
    add_product,
    create_customer,
    seed_catalog,
    set_stock,
    stock_of,
)


@dataclass
class Shop:
    world: World
    catalog: Catalog
    manager: dict[str, str]
    customer_id: str
    widget: str  # 10.00, 10 % tax in WA
    gadget: str  # 25.00


async def _shop(client, db, *, widget_stock: int = 10) -> Shop:
    world = await seed_world(db)
    catalog = await seed_catalog(db)
    manager = bearer(await login(client, "manager@corp.test"))
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    gadget = await add_product(db, catalog, "GAD-1", price_cents=2500)
    await set_stock(db, catalog.warehouse_ids[0], widget, widget_stock)
    await set_stock(db, catalog.warehouse_ids[0], gadget, 100)
    customer = await create_customer(client, manager, "Harbor View Bistro")
    return Shop(world, catalog, manager, customer["id"], widget, gadget)


async def _phone(http, email: str = "rep1@corp.test") -> SyncClient:
    phone = SyncClient(http=http, access_token=(await login(http, email))["access_token"])
    await phone.register()
    return phone


def _order(
    shop: Shop, quantity: int = 2, product: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "customer_id": shop.customer_id,
        "lines": [{"product_id": product or shop.widget, "quantity": quantity}],
        **extra,
    }


async def _orders(db: Database) -> list[tuple[str, str]]:
    async with db.read() as unit:
        return [
            tuple(r)
            for r in (await unit.session.execute(select(SalesOrder.id, SalesOrder.number))).all()
        ]


async def _allocated(db: Database, product_id: str) -> int:
    return sum(allocated for _, _, allocated in await stock_of(db, product_id))


async def test_lost_response_then_retry_places_exactly_one_order_with_the_same_number(client, db):
    shop = await _shop(client, db)
    phone = await _phone(client)
    item = phone.enqueue("order.place", _order(shop))
    phone.lose_next_responses = 1
    try:
        await phone.push()
    except LostResponse:
        pass
    assert item.outcome is None
    [(order_id, number)] = await _orders(db)  # the server did commit
    outcome = (await phone.push()).json()["outcomes"][0]
    assert outcome["duplicate"] is True and outcome["status"] == "accepted"
    assert (
        outcome["result"]["number"] == number
        and outcome["result"]["order_id"] == order_id == item.entity_id
    )
    assert await _orders(db) == [(order_id, number)]
    assert await _allocated(db, shop.widget) == 2  # stock reserved once, not twice


async def test_retry_after_a_server_restart_places_exactly_one_order(client, backend, db):
    shop = await _shop(client, db)
    phone = await _phone(client)
    phone.enqueue("order.place", _order(shop, quantity=3))
    phone.lose_next_responses = 1
    try:
        await phone.push()
    except LostResponse:
        pass
    await db.dispose()
    restarted_db = Database(backend.url)  # a new process: new engine, new app, same database
    try:
        async with api_client(create_app(backend.settings(), restarted_db)) as http:
            phone.http = http
            outcome = (await phone.push()).json()["outcomes"][0]
        [(_, number)] = await _orders(restarted_db)
        assert outcome["duplicate"] is True and outcome["result"]["number"] == number
        assert await _allocated(restarted_db, shop.widget) == 3
    finally:
        await restarted_db.dispose()


async def test_two_concurrent_identical_pushes_place_one_order_without_a_500(client, db):
    shop = await _shop(client, db)
    phone = await _phone(client)
    phone.enqueue("order.place", _order(shop))
    body = {
        "protocol": 1,
        "schema_version": 1,
        "device_id": phone.device_id,
        "mutations": [phone.outbox[0].message()],
    }
    responses = await asyncio.gather(
        *(client.post("/api/sync/v1/push", json=body, headers=phone.headers) for _ in range(2))
    )
    assert [r.status_code for r in responses] == [200, 200]
    outcomes = [r.json()["outcomes"][0] for r in responses]
    assert sorted(o["duplicate"] for o in outcomes) == [False, True]
    assert outcomes[0]["result"]["number"] == outcomes[1]["result"]["number"]
    assert len(await _orders(db)) == 1 and await _allocated(db, shop.widget) == 2


async def test_a_rejected_order_mid_batch_is_reported_and_the_batch_goes_on(client, db):
    shop = await _shop(client, db)
    unpriced = await add_product(db, shop.catalog, "NOP-1", price_cents=None)
    phone = await _phone(client)
    phone.enqueue("order.place", _order(shop))
    bad = phone.enqueue("order.place", _order(shop, product=unpriced))
    phone.enqueue("order.place", _order(shop, product=shop.gadget))
    outcomes = (await phone.push()).json()["outcomes"]
    assert [o["status"] for o in outcomes] == ["accepted", "rejected", "accepted"]
    assert outcomes[1]["code"] == "validation_failed" and "no price" in outcomes[1]["message"]
    assert outcomes[1]["result"]["reasons"][0]["code"] == "no_price"
    numbers = {o["result"]["number"] for o in (outcomes[0], outcomes[2])}
    assert {n for _, n in await _orders(db)} == numbers
    assert bad.entity_id not in {i for i, _ in await _orders(db)}


async def test_a_malformed_order_is_rejected_with_a_clear_code(client, db):
    shop = await _shop(client, db)
    phone = await _phone(client)
    phone.enqueue("order.place", {"customer_id": shop.customer_id, "lines": []})
    outcome = (await phone.push()).json()["outcomes"][0]
    assert outcome["status"] == "rejected" and outcome["code"] == "invalid_mutation"
    assert "lines" in outcome["message"] and await _orders(db) == []


async def test_an_order_for_a_customer_whose_onboarding_was_rejected_is_rejected_as_such(
    client, db
):
    shop = await _shop(client, db)
    phone = await _phone(client)
    onboarding = phone.enqueue(
        "customer.create", customer_body("Ghost Diner", billing_address={"country": "USA"})
    )
    phone.enqueue("order.place", {**_order(shop), "customer_id": onboarding.entity_id})
    outcomes = (await phone.push()).json()["outcomes"]
    assert outcomes[0]["status"] == "rejected"
    assert outcomes[1]["status"] == "rejected" and outcomes[1]["code"] == "dependency_rejected"
    assert outcomes[1]["result"]["depends_on"] == onboarding.entity_id
    assert await _orders(db) == []


async def test_only_a_rejected_creation_makes_later_changes_depend_on_it(client, db):
    shop = await _shop(client, db)
    unpriced = await add_product(db, shop.catalog, "NOP-1", price_cents=None)
    phone = await _phone(client)
    bad_quote = phone.enqueue(
        "quote.save",
        {"customer_id": shop.customer_id, "lines": [{"product_id": unpriced, "quantity": 1}]},
    )
    phone.enqueue("quote.send", {}, entity_id=bad_quote.entity_id)
    phone.enqueue("order.place", {**_order(shop), "quote_id": bad_quote.entity_id})
    stale_edit = phone.enqueue(
        "customer.update", {"notes": "gate code 1234"}, entity_id=shop.customer_id, base_version=99
    )
    phone.enqueue("order.place", _order(shop))
    outcomes = (await phone.push()).json()["outcomes"]
    assert [(o["status"], o["code"]) for o in outcomes[:3]] == [
        ("rejected", "validation_failed"),
        ("rejected", "dependency_rejected"),
        ("rejected", "dependency_rejected"),
    ]
    # A rejected edit leaves the customer there: orders for it go on.
    assert stale_edit.outcome["status"] == "rejected"
    assert outcomes[4]["status"] == "accepted" and outcomes[4]["result"]["number"].startswith("SO-")


async def test_an_order_for_a_customer_created_offline_in_the_same_batch_is_placed(client, db):
    shop = await _shop(client, db)
    phone = await _phone(client)
    onboarding = phone.enqueue("customer.create", customer_body("Fresh Deli", status="active"))
    phone.enqueue("order.place", {**_order(shop), "customer_id": onboarding.entity_id})
    outcomes = (await phone.push()).json()["outcomes"]
    assert [o["status"] for o in outcomes] == ["accepted", "accepted"], outcomes
    assert outcomes[1]["result"]["number"].startswith("SO-")


async def test_a_stale_offline_price_is_reported_beside_the_servers_totals(client, db):
    shop = await _shop(client, db)
    # The phone priced 2 widgets at the 10.00 it had pulled: 20.00 + 10 % tax.
    phone = await _phone(client)
    await add_price_list(db, code="BASE", version=2, prices={shop.widget: 1200, shop.gadget: 2500})
    phone.enqueue("order.place", _order(shop, client_total_cents=2200))
    outcome = (await phone.push()).json()["outcomes"][0]
    result = outcome["result"]
    assert outcome["status"] == "accepted"
    assert result["client_total_cents"] == 2200 and result["total_cents"] == 2640
    assert result["repriced"] is True and result["totals_match"] is False
    assert result["totals"] == {
        "subtotal_cents": 2400,
        "discount_cents": 0,
        "net_cents": 2400,
        "tax_cents": 240,
        "shipping_cents": 0,
        "shipping_tax_cents": 0,
        "total_cents": 2640,
    }
    assert result["lines"] == [
        {
            "product_id": shop.widget,
            "quantity": 2,
            "unit_price_cents": 1200,
            "allocated": 2,
            "backordered": 0,
        }
    ]
    matching = phone.enqueue("order.place", _order(shop, client_total_cents=2640))
    await phone.push()
    assert (
        matching.outcome["result"]["totals_match"] is True
        and matching.outcome["result"]["repriced"] is False
    )


async def test_the_last_unit_ordered_from_two_devices_is_allocated_once(client, db):
    shop = await _shop(client, db, widget_stock=1)
    rep_phone = await _phone(client)
    manager_phone = await _phone(client, "manager@corp.test")
    rep_phone.enqueue("order.place", _order(shop, quantity=1))
    manager_phone.enqueue("order.place", _order(shop, quantity=1))
    responses = await asyncio.gather(rep_phone.push(), manager_phone.push())
    assert [r.status_code for r in responses] == [200, 200]
    lines = sorted(
        (r.json()["outcomes"][0]["result"]["lines"][0] for r in responses),
        key=lambda x: x["allocated"],
    )
    assert [(x["allocated"], x["backordered"]) for x in lines] == [(0, 1), (1, 0)]
    statuses = sorted(r.json()["outcomes"][0]["result"]["fulfilment_status"] for r in responses)
    assert statuses == ["allocated", "backordered"]
    assert await stock_of(db, shop.widget) == [(shop.catalog.warehouse_ids[0], 1, 1)]


async def test_an_order_over_the_credit_limit_waits_for_approval(client, db):
    shop = await _shop(client, db)
    limited = await create_customer(
        client, shop.manager, "Tight Budget Cafe", credit_limit_cents=1000
    )
    phone = await _phone(client)
    phone.enqueue("order.place", {**_order(shop), "customer_id": limited["id"]})
    outcome = (await phone.push()).json()["outcomes"][0]
    assert outcome["status"] == "needs_approval"
    assert outcome["result"]["status"] == "credit_hold"
    assert outcome["result"]["approval_reasons"][0]["code"] == "credit_limit_exceeded"
    assert outcome["result"]["number"].startswith("SO-")


async def test_a_quote_saved_and_sent_offline_becomes_an_order_at_the_quoted_price(client, db):
    shop = await _shop(client, db)
    phone = await _phone(client)
    saved = phone.enqueue(
        "quote.save",
        {
            "customer_id": shop.customer_id,
            "client_total_cents": 1100,
            "lines": [{"product_id": shop.widget, "quantity": 1}],
        },
    )
    phone.enqueue(
        "quote.save",
        {
            "customer_id": shop.customer_id,
            "client_total_cents": 5500,
            "lines": [{"product_id": shop.widget, "quantity": 5}],
        },
        entity_id=saved.entity_id,
    )
    phone.enqueue("quote.send", {}, entity_id=saved.entity_id)
    outcomes = (await phone.push()).json()["outcomes"]
    assert [o["status"] for o in outcomes] == ["accepted"] * 3, outcomes
    created, edited, sent = (o["result"] for o in outcomes)
    assert (
        created["number"].startswith("Q-")
        and created["number"] == edited["number"] == sent["number"]
    )
    assert (created["status"], created["total_cents"], created["totals_match"]) == (
        "draft",
        1100,
        True,
    )
    assert (edited["total_cents"], edited["client_total_cents"], edited["quote_id"]) == (
        5500,
        5500,
        saved.entity_id,
    )
    assert (sent["status"], sent["revision"]) == ("sent", 1)

    accepted = await client.post(f"/api/quotes/{saved.entity_id}/accept", headers=shop.manager)
    assert accepted.status_code == 200, accepted.text
    await add_price_list(db, code="BASE", version=2, prices={shop.widget: 1500})  # prices go up
    phone.enqueue(
        "order.place",
        {**_order(shop, quantity=5), "quote_id": saved.entity_id, "client_total_cents": 5500},
    )
    order = (await phone.push()).json()["outcomes"][0]
    assert order["status"] == "accepted", order
    assert order["result"]["lines"][0]["unit_price_cents"] == 1000
    assert order["result"]["total_cents"] == 5500 and order["result"]["totals_match"] is True
    quote = (await client.get(f"/api/quotes/{saved.entity_id}", headers=shop.manager)).json()
    assert quote["converted_order_id"] == order["entity_id"]


async def test_sending_a_quote_twice_is_a_rejection_not_an_error(client, db):
    shop = await _shop(client, db)
    phone = await _phone(client)
    saved = phone.enqueue(
        "quote.save",
        {"customer_id": shop.customer_id, "lines": [{"product_id": shop.widget, "quantity": 1}]},
    )
    phone.enqueue("quote.send", {}, entity_id=saved.entity_id)
    phone.enqueue("quote.send", {}, entity_id=saved.entity_id)
    phone.enqueue("quote.save", {"notes": "too late"}, entity_id=saved.entity_id)
    outcomes = (await phone.push()).json()["outcomes"]
    assert [o["status"] for o in outcomes] == ["accepted", "accepted", "rejected", "rejected"]
    assert outcomes[2]["code"] == outcomes[3]["code"] == "invalid_transition"


async def test_cancelling_offline_releases_the_stock_and_the_pull_shows_it(client, db):
    shop = await _shop(client, db)
    phone = await _phone(client)
    await phone.pull_all()
    assert phone.store["product"][shop.widget]["available"] == 10
    placed = phone.enqueue("order.place", _order(shop, quantity=4))
    await phone.push()
    await phone.pull_all()
    assert phone.store["product"][shop.widget]["available"] == 6
    order = phone.store["order"][placed.entity_id]
    assert (order["status"], order["fulfilment_status"]) == ("confirmed", "allocated")
    assert order["number"] == placed.outcome["result"]["number"]
    assert order["customer_name"] == "Harbor View Bistro"
    assert [x["quantity_allocated"] for x in order["lines"]] == [4]
    assert [e["action"] for e in order["events"]] == ["submit", "confirm", "stock_allocated"]

    phone.enqueue(
        "order.cancel", {"reason": "customer changed their mind"}, entity_id=placed.entity_id
    )
    outcome = (await phone.push()).json()["outcomes"][0]
    assert outcome["status"] == "accepted"
    assert outcome["result"] == {
        "number": order["number"],
        "status": "cancelled",
        "fulfilment_status": "unallocated",
    }
    assert await _allocated(db, shop.widget) == 0
    await phone.pull_all()
    assert phone.store["product"][shop.widget]["available"] == 10
    cancelled = phone.store["order"][placed.entity_id]
    assert (
        cancelled["status"] == "cancelled"
        and cancelled["events"][-2]["reason"] == "customer changed their mind"
    )


async def test_pull_brings_quotes_orders_prices_and_tax_rates_in_the_documented_shapes(client, db):
    shop = await _shop(client, db)
    phone = await _phone(client)
    quote = phone.enqueue(
        "quote.save",
        {"customer_id": shop.customer_id, "lines": [{"product_id": shop.gadget, "quantity": 2}]},
    )
    phone.enqueue("quote.send", {}, entity_id=quote.entity_id)
    order = phone.enqueue("order.place", _order(shop))
    await phone.push()
    await phone.pull_all(limit=2)  # a paged first snapshot

    pulled_quote = phone.store["quote"][quote.entity_id]
    assert (pulled_quote["status"], pulled_quote["revision"], pulled_quote["total_cents"]) == (
        "sent",
        1,
        5500,
    )
    assert [e["action"] for e in pulled_quote["events"]] == ["create", "send"]
    assert phone.store["order"][order.entity_id]["status"] == "confirmed"
    base = phone.store["price_list"][shop.catalog.base_list_id]
    assert (base["kind"], base["code"], base["version"]) == ("base", "BASE", 1)
    assert base["items"][shop.widget] == {"unit_price_cents": 1000, "breaks": []}
    [rate] = phone.store["tax_rate"].values()
    assert (rate["tax_category"], rate["country"], rate["state"], rate["rate"]) == (
        "standard",
        "US",
        "WA",
        "0.10000",
    )
    customer = phone.store["customer"][shop.customer_id]
    assert customer["open_orders_cents"] == 2200 and customer["tax_exempt"] is False
    assert customer["addresses"][0]["state"] == "WA"
    assert phone.store["product"][shop.widget]["floor_price_cents"] == 0

    # A new price list version and a changed quote come through the change feed.
    v2 = await add_price_list(db, code="BASE", version=2, prices={shop.widget: 1100})
    created = await client.post(
        "/api/price-lists",
        headers=bearer(await login(client, "admin@corp.test")),
        json={
            "code": "BASE",
            "name": "Base v3",
            "kind": "base",
            "items": [{"product_id": shop.widget, "unit_price_cents": 1150}],
        },
    )
    assert created.status_code == 201, created.text
    await client.post(f"/api/quotes/{quote.entity_id}/accept", headers=shop.manager)
    await phone.pull_all()
    assert (
        v2 not in phone.store["price_list"]
    )  # inserted behind the services' back: not on the feed
    assert (
        phone.store["price_list"][created.json()["price_list"]["id"]]["items"][shop.widget][
            "unit_price_cents"
        ]
        == 1150
    )
    assert phone.store["quote"][quote.entity_id]["status"] == "accepted"


async def test_a_rep_never_pulls_another_territorys_orders_or_quotes(client, db):
    shop = await _shop(client, db)
    south_customer = await create_customer(
        client, shop.manager, "Bay Bakery", state="CA", postal="94105", city="San Francisco"
    )
    south_phone = await _phone(client, "rep2@corp.test")
    theirs = south_phone.enqueue(
        "order.place", {**_order(shop), "customer_id": south_customer["id"]}
    )
    their_quote = south_phone.enqueue(
        "quote.save",
        {
            "customer_id": south_customer["id"],
            "lines": [{"product_id": shop.widget, "quantity": 1}],
        },
    )
    await south_phone.push()
    assert theirs.outcome["status"] == "accepted" and their_quote.outcome["status"] == "accepted"

    north_phone = await _phone(client)
    mine = north_phone.enqueue("order.place", _order(shop))
    await north_phone.push()
    await north_phone.pull_all()
    assert set(north_phone.store["order"]) == {mine.entity_id}
    assert "quote" not in north_phone.store
    assert south_customer["id"] not in north_phone.store["customer"]
    # Later changes of theirs stay invisible too.
    south_phone.enqueue("order.cancel", {"reason": "duplicate"}, entity_id=theirs.entity_id)
    south_phone.enqueue("order.place", {**_order(shop), "customer_id": south_customer["id"]})
    await south_phone.push()
    await north_phone.pull_all()
    assert set(north_phone.store["order"]) == {mine.entity_id}
    # Nor can the north rep cancel theirs: it does not exist for them.
    north_phone.enqueue("order.cancel", {"reason": "mischief"}, entity_id=theirs.entity_id)
    outcome = (await north_phone.push()).json()["outcomes"][0]
    assert outcome["status"] == "rejected" and outcome["code"] == "order_not_found"
    await south_phone.pull_all()
    assert south_phone.store["order"][theirs.entity_id]["status"] == "cancelled"


async def test_a_database_failure_answers_503_and_advances_nothing(client, db):
    shop = await _shop(client, db)
    phone = await _phone(client)
    phone.enqueue("order.place", _order(shop))
    # The outcome table goes missing: the order can be placed but not remembered, so nothing
    # may be kept.
    async with db.write() as uow:
        await uow.session.execute(text("ALTER TABLE sync_outcomes RENAME TO sync_outcomes_away"))
    response = await phone.push()
    assert response.status_code == 503 and response.json()["code"] == "unavailable"
    assert response.headers["retry-after"]
    async with db.write() as uow:
        await uow.session.execute(text("ALTER TABLE sync_outcomes_away RENAME TO sync_outcomes"))
        last_seq = await uow.session.scalar(
            select(Device.last_seq).where(Device.id == phone.device_id)
        )
    assert last_seq == 0 and await _orders(db) == [] and await _allocated(db, shop.widget) == 0
    assert len(phone.pending) == 1
    await phone.flush()
    assert phone.outbox[0].outcome["status"] == "accepted"
    assert len(await _orders(db)) == 1


async def test_every_order_of_many_devices_is_applied_exactly_once(client, db):
    shop = await _shop(client, db)
    phones = [await _phone(client) for _ in range(3)]
    for phone in phones:
        for quantity in range(1, 6):
            phone.enqueue("order.place", _order(shop, quantity=quantity))
        phone.lose_next_responses = 1
    for _ in range(3):
        await asyncio.gather(*(phone.flush(attempts=1) for phone in phones))
    assert all(not phone.pending for phone in phones)
    ids = sorted(item.entity_id for phone in phones for item in phone.outbox)
    async with db.read() as unit:
        stored = sorted((await unit.session.execute(select(SalesOrder.id))).scalars().all())
        numbers = await unit.session.scalar(select(func.count(func.distinct(SalesOrder.number))))
    assert stored == ids and numbers == 15
    assert (
        len({item.outcome["result"]["number"] for phone in phones for item in phone.outbox}) == 15
    )


_EXPLODING_ORDERS = {
    # A database that fails in the middle of a push: the third order's insert raises.
    "sqlite": [
        "CREATE TRIGGER explode BEFORE INSERT ON sales_orders WHEN NEW.po_number = 'PO-3' "
        "BEGIN SELECT RAISE(ABORT, 'the disk is on fire'); END"
    ],
    "postgres": [
        "CREATE FUNCTION explode() RETURNS trigger AS $$ BEGIN IF NEW.po_number = 'PO-3' THEN "
        "RAISE EXCEPTION 'the disk is on fire'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER explode BEFORE INSERT ON sales_orders FOR EACH ROW EXECUTE FUNCTION explode()",
    ],
}


async def test_a_failure_in_the_middle_of_a_push_keeps_applied_and_remembered_together(
    client, db, backend
):
    shop = await _shop(client, db, widget_stock=100)
    phone = await _phone(client)
    for n in range(1, 6):
        phone.enqueue("order.place", _order(shop, po_number=f"PO-{n}"))
    async with db.write() as uow:
        for statement in _EXPLODING_ORDERS[backend.name]:
            await uow.session.execute(text(statement))
    response = await phone.push()
    assert response.status_code == 503 and response.json()["code"] == "unavailable"
    # Whatever was committed before the failure is remembered as applied, nothing more:
    # every stored order has its outcome and last_seq counts exactly those.
    async with db.read() as unit:
        last_seq = await unit.session.scalar(
            select(Device.last_seq).where(Device.id == phone.device_id)
        )
        outcomes = await unit.session.scalar(text("SELECT count(*) FROM sync_outcomes"))
    stored = await _orders(db)
    assert last_seq == len(stored) == outcomes < 3
    assert await _allocated(db, shop.widget) == 2 * len(stored)
    # The failure is repaired; the phone sends its outbox again: every order exactly once.
    async with db.write() as uow:
        await uow.session.execute(
            text(
                "DROP TRIGGER explode" + (" ON sales_orders" if backend.name == "postgres" else "")
            )
        )
    await phone.flush()
    assert [item.outcome["status"] for item in phone.outbox] == ["accepted"] * 5
    stored = await _orders(db)
    assert len(stored) == len({number for _, number in stored}) == 5
    assert await _allocated(db, shop.widget) == 10
