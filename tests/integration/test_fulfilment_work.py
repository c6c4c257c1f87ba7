"""Pick lists, the fulfilment queue, service completion, drop-ship references and the
phone's view of shipments, through the HTTP API on both databases."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from server.db.engine import Database
from server.db.models import SalesOrder, SalesOrderLine, Shipment
from sync.client import SyncClient
from tests.factories import bearer, login, seed_world
from tests.fulfilment_factories import deliver, place, ship
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock


async def _world(client: Any, db: Database) -> dict[str, Any]:
    await seed_world(db)
    catalog = await seed_catalog(db)
    w1, w2 = catalog.warehouse_ids
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    gadget = await add_product(db, catalog, "GAD-1", price_cents=2500)
    await set_stock(db, w1, widget, 10)
    await set_stock(db, w1, gadget, 5)
    await set_stock(db, w2, gadget, 2)
    manager = bearer(await login(client, "manager@corp.test"))
    admin = bearer(await login(client, "admin@corp.test"))
    customer = await create_customer(client, manager, "Harbor View Bistro")
    return {
        "w1": w1,
        "w2": w2,
        "widget": widget,
        "gadget": gadget,
        "manager": manager,
        "admin": admin,
        "customer": customer["id"],
    }


def _line_id(order: dict[str, Any], product_id: str) -> str:
    return str(next(x["id"] for x in order["lines"] if x["product_id"] == product_id))


async def _queue(client: Any, w: dict[str, Any], state: str, **params: Any) -> dict[str, Any]:
    response = await client.get(
        "/api/fulfilment/queue", params={"state": state, **params}, headers=w["admin"]
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_pick_list_holds_reserved_unpacked_units_rush_first_then_oldest(client, db):
    w = await _world(client, db)
    older = await place(client, w["manager"], w["customer"], [(w["widget"], 3)])
    newer = await place(client, w["manager"], w["customer"], [(w["widget"], 2), (w["gadget"], 1)])
    rush = await place(client, w["manager"], w["customer"], [(w["widget"], 1)], order_type="rush")
    # Nothing reserved for a cancelled order, nor what was already packed.
    gone = await place(client, w["manager"], w["customer"], [(w["widget"], 1)])
    cancelled = await client.post(
        f"/api/orders/{gone['id']}/cancel",
        json={"reason": "no longer needed"},
        headers=w["manager"],
    )
    assert cancelled.status_code == 200
    await ship(client, w["admin"], older["id"], w["w1"], [(_line_id(older, w["widget"]), 1)])

    response = await client.get(
        "/api/fulfilment/pick-lists", params={"warehouse_id": w["w1"]}, headers=w["admin"]
    )
    assert response.status_code == 200, response.text
    [pick] = response.json()
    assert pick["warehouse_id"] == w["w1"] and pick["warehouse_code"] in ("W1", "W2")
    assert [(x["order_number"], x["sku"], x["quantity"]) for x in pick["lines"]] == [
        (rush["number"], "WID-1", 1),
        (older["number"], "WID-1", 2),
        (newer["number"], "WID-1", 2),
        (newer["number"], "GAD-1", 1),
    ]
    assert pick["units"] == 6
    assert {x["customer_name"] for x in pick["lines"]} == {"Harbor View Bistro"}

    every = await client.get("/api/fulfilment/pick-lists", headers=w["admin"])
    assert [p["warehouse_id"] for p in every.json()] == [w["w1"]]  # w2 has nothing to pick
    empty = await client.get(
        "/api/fulfilment/pick-lists", params={"warehouse_id": w["w2"]}, headers=w["admin"]
    )
    assert empty.json()[0]["lines"] == []


async def test_pick_lists_and_queue_are_the_back_offices_only(client, db):
    w = await _world(client, db)
    for path in ("/api/fulfilment/pick-lists", "/api/fulfilment/queue"):
        refused = await client.get(path, headers=w["manager"])
        assert refused.status_code == 403
    unknown = await client.get(
        "/api/fulfilment/pick-lists",
        params={"warehouse_id": "01890000-0000-7000-8000-000000000000"},
        headers=w["admin"],
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "warehouse_not_found")
    bad = await client.get("/api/fulfilment/queue", params={"state": "lost"}, headers=w["admin"])
    assert (bad.status_code, bad.json()["code"]) == (422, "unknown_queue_state")


async def test_queue_groups_orders_and_shipments_by_what_they_wait_for(client, db):
    w = await _world(client, db)
    ready = await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
    short = await place(client, w["manager"], w["customer"], [(w["gadget"], 9)])
    partial = await place(client, w["manager"], w["customer"], [(w["widget"], 4)])
    await ship(client, w["admin"], partial["id"], w["w1"], [(_line_id(partial, w["widget"]), 1)])
    packed_order = await place(client, w["manager"], w["customer"], [(w["widget"], 1)])
    packed = await ship(client, w["admin"], packed_order["id"], w["w1"], dispatch=False)
    dropped = await place(
        client,
        w["manager"],
        w["customer"],
        [(w["widget"], 40)],
        order_type="drop_ship",
        supplier_reference="SUP-PO-9",
    )
    async with db.write() as uow:
        line = await uow.session.get(SalesOrderLine, _line_id(short, w["gadget"]))
        assert line is not None
        line.expected_on = date.today() + timedelta(days=7)

    page = await _queue(client, w, "ready_to_pick")
    numbers = [i["order_number"] for i in page["items"]]
    assert ready["number"] in numbers and short["number"] in numbers  # 7 of 9 reserved
    assert partial["number"] not in numbers and dropped["number"] not in numbers
    assert page["counts"] == {
        "ready_to_pick": 2,
        "partially_shipped": 2,
        "backordered": 1,
        "packed": 1,
        "in_transit": 1,
        "awaiting_supplier": 1,
    }

    backordered = await _queue(client, w, "backordered")
    [item] = backordered["items"]
    assert item["order_number"] == short["number"]
    assert (item["lines"][0]["backordered"], item["lines"][0]["expected_on"]) == (
        2,
        (date.today() + timedelta(days=7)).isoformat(),
    )

    waiting = await _queue(client, w, "packed")
    assert [i["shipment"]["number"] for i in waiting["items"]] == [packed["number"]]
    assert waiting["items"][0]["order_number"] == packed_order["number"]
    moving = await _queue(client, w, "in_transit")
    assert [i["order_number"] for i in moving["items"]] == [partial["number"]]
    supplier = await _queue(client, w, "awaiting_supplier")
    assert [(i["order_number"], i["supplier_reference"]) for i in supplier["items"]] == [
        (dropped["number"], "SUP-PO-9")
    ]

    searched = await _queue(client, w, "ready_to_pick", q=short["number"])
    assert [i["order_number"] for i in searched["items"]] == [short["number"]]
    assert searched["counts"]["backordered"] == 1 and searched["counts"]["packed"] == 0
    by_customer = await _queue(client, w, "packed", q="harbor view")
    assert by_customer["total"] == 1

    first = await _queue(client, w, "partially_shipped", limit=1)
    second = await _queue(client, w, "partially_shipped", limit=1, offset=1)
    assert first["total"] == second["total"] == 2
    assert {first["items"][0]["order_number"], second["items"][0]["order_number"]} == {
        partial["number"],
        packed_order["number"],
    }


async def test_drop_ship_reference_is_kept_and_a_drop_shipment_takes_it(client, db):
    w = await _world(client, db)
    order = await place(
        client,
        w["manager"],
        w["customer"],
        [(w["widget"], 3)],
        order_type="drop_ship",
        supplier_reference=" SUP-77 ",
    )
    assert order["supplier_reference"] == "SUP-77"
    shipment = await ship(
        client, w["admin"], order["id"], None, carrier="DHL", tracking_number="JD1"
    )
    assert (shipment["kind"], shipment["supplier_reference"]) == ("drop_ship", "SUP-77")
    assert (await _queue(client, w, "awaiting_supplier"))["items"] == []


async def test_a_service_order_needs_a_date_that_has_not_passed(client, db):
    w = await _world(client, db)
    body = {
        "customer_id": w["customer"],
        "order_type": "service",
        "lines": [{"product_id": w["widget"], "quantity": 1}],
    }
    missing = await client.post("/api/orders", json=body, headers=w["manager"])
    assert (missing.status_code, missing.json()["code"]) == (422, "scheduled_date_required")
    past = (date.today() - timedelta(days=1)).isoformat()
    late = await client.post(
        "/api/orders", json={**body, "scheduled_date": past}, headers=w["manager"]
    )
    assert (late.status_code, late.json()["code"]) == (422, "scheduled_date_in_past")
    async with db.read() as unit:
        assert await unit.session.scalar(select(func.count()).select_from(SalesOrder)) == 0

    when = (date.today() + timedelta(days=3)).isoformat()
    order = await place(
        client,
        w["manager"],
        w["customer"],
        [(w["widget"], 1)],
        order_type="service",
        scheduled_date=when,
    )
    assert order["scheduled_date"] == when
    got = await client.get(f"/api/orders/{order['id']}", headers=w["manager"])
    assert got.json()["scheduled_date"] == when


async def test_completing_a_service_order_records_a_delivered_service_shipment_once(client, db):
    w = await _world(client, db)
    when = date.today().isoformat()
    order = await place(
        client,
        w["manager"],
        w["customer"],
        [(w["widget"], 2), (w["gadget"], 1)],
        order_type="service",
        scheduled_date=when,
    )
    future = await client.post(
        f"/api/orders/{order['id']}/complete-service",
        json={"completed_on": (date.today() + timedelta(days=1)).isoformat()},
        headers=w["admin"],
    )
    assert (future.status_code, future.json()["code"]) == (422, "date_in_future")
    by_manager = await client.post(
        f"/api/orders/{order['id']}/complete-service", json={}, headers=w["manager"]
    )
    assert by_manager.status_code == 403

    done_on = (date.today() - timedelta(days=1)).isoformat()
    done = await client.post(
        f"/api/orders/{order['id']}/complete-service",
        json={"completed_on": done_on, "notes": "boiler serviced"},
        headers=w["admin"],
    )
    assert done.status_code == 201, done.text
    shipment = done.json()
    assert (shipment["kind"], shipment["status"], shipment["warehouse_id"]) == (
        "service",
        "delivered",
        None,
    )
    assert shipment["delivered_on"] == done_on
    assert sorted(x["quantity"] for x in shipment["lines"]) == [1, 2]
    completed = (await client.get(f"/api/orders/{order['id']}", headers=w["admin"])).json()
    assert (completed["status"], completed["fulfilment_status"]) == ("completed", "delivered")
    assert [x["quantity_delivered"] for x in completed["lines"]] == [2, 1]
    service_event = next(e for e in completed["timeline"] if e["action"] == "service_completed")
    assert service_event["reason"] == "boiler serviced"

    again = await client.post(
        f"/api/orders/{order['id']}/complete-service", json={}, headers=w["admin"]
    )
    assert (again.status_code, again.json()["code"]) == (409, "service_already_completed")
    async with db.read() as unit:
        assert await unit.session.scalar(select(func.count()).select_from(Shipment)) == 1


async def test_only_a_service_order_completes_as_service(client, db):
    w = await _world(client, db)
    order = await place(client, w["manager"], w["customer"], [(w["widget"], 1)])
    refused = await client.post(
        f"/api/orders/{order['id']}/complete-service", json={}, headers=w["admin"]
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "not_a_service_order")
    unknown = await client.post(
        "/api/orders/01890000-0000-7000-8000-000000000000/complete-service",
        json={},
        headers=w["admin"],
    )
    assert unknown.status_code == 404


async def test_the_phone_pulls_each_orders_shipments_with_tracking(client, db):
    w = await _world(client, db)
    phone = SyncClient(
        http=client, access_token=(await login(client, "rep1@corp.test"))["access_token"]
    )
    await phone.register()
    order = await place(client, w["manager"], w["customer"], [(w["widget"], 5)])
    line = _line_id(order, w["widget"])
    await phone.pull_all()
    assert phone.store["order"][order["id"]]["shipments"] == []

    sent = await ship(
        client,
        w["admin"],
        order["id"],
        w["w1"],
        [(line, 3)],
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
    )
    await phone.pull_all()
    pulled = phone.store["order"][order["id"]]
    assert pulled["shipments"] == [
        {
            "number": sent["number"],
            "status": "shipped",
            "carrier": "UPS",
            "tracking_number": "1Z999AA10123456784",
            "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
            "shipped_at": sent["shipped_at"],
            "delivered_on": None,
            "lines": {line: 3},
        }
    ]
    assert pulled["lines"][0]["quantity_shipped"] == 3

    await deliver(client, w["admin"], sent["id"], on=date.today().isoformat())
    await phone.pull_all()
    assert phone.store["order"][order["id"]]["shipments"][0]["delivered_on"] == (
        date.today().isoformat()
    )
