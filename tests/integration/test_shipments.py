"""Packing, shipping (partially too) and delivering orders through the API, on both
databases: the order's status and fulfilment sub-state follow the quantities, stock
leaves the warehouse it was reserved in, and refusals change nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.db.engine import Database
from server.db.models import StockMovement
from tests.factories import bearer, login, seed_world
from tests.fulfilment_factories import deliver, place, ship
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock, stock_of


async def _world(client: Any, db: Database) -> dict[str, Any]:
    await seed_world(db)
    catalog = await seed_catalog(db)
    w1 = catalog.warehouse_ids[0]
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    gadget = await add_product(db, catalog, "GAD-1", price_cents=2500)
    await set_stock(db, w1, widget, 10)
    await set_stock(db, w1, gadget, 5)
    manager = bearer(await login(client, "manager@corp.test"))
    admin = bearer(await login(client, "admin@corp.test"))
    customer = await create_customer(client, manager, "Harbor View Bistro")
    return {
        "w1": w1,
        "w2": catalog.warehouse_ids[1],
        "widget": widget,
        "gadget": gadget,
        "manager": manager,
        "admin": admin,
        "customer": customer["id"],
    }


async def _order(client: Any, w: dict[str, Any], order_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/orders/{order_id}", headers=w["admin"])
    assert response.status_code == 200
    return dict(response.json())


def _line(order: dict[str, Any], product_id: str) -> dict[str, Any]:
    return next(x for x in order["lines"] if x["product_id"] == product_id)


async def test_two_partial_shipments_then_delivery_complete_the_order(client, db):
    w = await _world(client, db)
    order = await place(client, w["manager"], w["customer"], [(w["widget"], 6), (w["gadget"], 2)])
    assert order["status"] == "confirmed"
    widget_line = _line(order, w["widget"])["id"]
    gadget_line = _line(order, w["gadget"])["id"]

    first = await ship(
        client,
        w["admin"],
        order["id"],
        w["w1"],
        [(widget_line, 4)],
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
    )
    assert first["status"] == "shipped"
    assert first["number"].startswith("SH-")
    assert first["tracking_url"] == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    after_first = await _order(client, w, order["id"])
    assert (after_first["status"], after_first["fulfilment_status"]) == (
        "in_fulfilment",
        "partially_shipped",
    )
    assert await stock_of(db, w["widget"]) == [(w["w1"], 6, 2)]

    second = await ship(client, w["admin"], order["id"], w["w1"])  # the rest reserved there
    assert sorted((x["order_line_id"], x["quantity"]) for x in second["lines"]) == sorted(
        [(widget_line, 2), (gadget_line, 2)]
    )
    shipped = await _order(client, w, order["id"])
    assert (shipped["status"], shipped["fulfilment_status"]) == ("in_fulfilment", "shipped")
    assert await stock_of(db, w["widget"]) == [(w["w1"], 4, 0)]
    assert await stock_of(db, w["gadget"]) == [(w["w1"], 3, 0)]

    await deliver(client, w["admin"], first["id"])
    partly = await _order(client, w, order["id"])
    assert partly["status"] == "in_fulfilment"
    await deliver(client, w["admin"], second["id"], on="2026-01-02")
    done = await _order(client, w, order["id"])
    assert (done["status"], done["fulfilment_status"]) == ("completed", "delivered")
    actions = [entry["action"] for entry in done["timeline"]]
    assert actions.index("start_fulfilment") < actions.index("complete")

    listed = await client.get(f"/api/orders/{order['id']}/shipments", headers=w["manager"])
    assert [s["status"] for s in listed.json()] == ["delivered", "delivered"]
    assert listed.json()[1]["delivered_on"] == "2026-01-02"

    async with db.read() as unit:
        moves = (
            await unit.session.execute(
                select(
                    StockMovement.product_id, StockMovement.quantity, StockMovement.kind
                ).order_by(StockMovement.created_at)
            )
        ).all()
    assert sorted(moves) == sorted(
        [
            (w["widget"], -4, "shipment"),
            (w["widget"], -2, "shipment"),
            (w["gadget"], -2, "shipment"),
        ]
    )


async def test_shipping_more_than_is_reserved_is_refused_and_changes_nothing(client, db):
    w = await _world(client, db)
    order = await place(client, w["manager"], w["customer"], [(w["gadget"], 8)])
    assert order["fulfilment_status"] == "partially_allocated"  # 5 reserved, 3 backordered
    line = _line(order, w["gadget"])["id"]
    response = await client.post(
        f"/api/orders/{order['id']}/shipments",
        json={"warehouse_id": w["w1"], "lines": [{"line_id": line, "quantity": 6}]},
        headers=w["admin"],
    )
    assert response.status_code == 409
    assert response.json()["code"] == "cannot_ship"
    assert "only 5 reserved" in response.json()["detail"]
    assert await stock_of(db, w["gadget"]) == [(w["w1"], 5, 5)]
    unchanged = await _order(client, w, order["id"])
    assert (unchanged["status"], unchanged["fulfilment_status"]) == (
        "confirmed",
        "partially_allocated",
    )

    from_elsewhere = await client.post(
        f"/api/orders/{order['id']}/shipments",
        json={"warehouse_id": w["w2"], "lines": [{"line_id": line, "quantity": 1}]},
        headers=w["admin"],
    )
    assert from_elsewhere.status_code == 409
    assert from_elsewhere.json()["code"] == "cannot_ship"


async def test_a_ship_complete_order_cannot_ship_partially(client, db):
    w = await _world(client, db)
    order = await place(
        client,
        w["manager"],
        w["customer"],
        [(w["widget"], 3), (w["gadget"], 1)],
        ship_complete=True,
    )
    line = _line(order, w["widget"])["id"]
    response = await client.post(
        f"/api/orders/{order['id']}/shipments",
        json={"warehouse_id": w["w1"], "lines": [{"line_id": line, "quantity": 3}]},
        headers=w["admin"],
    )
    assert response.status_code == 409
    assert response.json()["code"] == "ship_complete"
    whole = await ship(client, w["admin"], order["id"], w["w1"])
    assert sum(x["quantity"] for x in whole["lines"]) == 4


async def test_a_shipped_order_cannot_be_cancelled_and_reps_cannot_ship(client, db):
    w = await _world(client, db)
    order = await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
    rep = bearer(await login(client, "rep1@corp.test"))
    refused = await client.post(
        f"/api/orders/{order['id']}/shipments", json={"warehouse_id": w["w1"]}, headers=rep
    )
    assert refused.status_code == 403
    await ship(client, w["admin"], order["id"], w["w1"], [(_line(order, w["widget"])["id"], 1)])
    cancel = await client.post(
        f"/api/orders/{order['id']}/cancel", json={"reason": "too late"}, headers=w["manager"]
    )
    assert cancel.status_code == 409
    assert await stock_of(db, w["widget"]) == [(w["w1"], 9, 1)]


async def test_packed_then_dispatched_with_tracking(client, db):
    w = await _world(client, db)
    order = await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
    packed = await client.post(
        f"/api/orders/{order['id']}/shipments",
        json={"warehouse_id": w["w1"], "dispatch": False},
        headers=w["admin"],
    )
    assert packed.status_code == 201
    assert packed.json()["status"] == "packed"
    waiting = await _order(client, w, order["id"])
    assert (waiting["status"], waiting["fulfilment_status"]) == (
        "in_fulfilment",
        "partially_shipped",
    )
    early = await client.post(
        f"/api/shipments/{packed.json()['id']}/deliver", json={}, headers=w["admin"]
    )
    assert early.status_code == 409
    sent = await client.post(
        f"/api/shipments/{packed.json()['id']}/dispatch",
        json={"carrier": "FedEx", "tracking_number": "449044304137821"},
        headers=w["admin"],
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "shipped"
    assert sent.json()["tracking_url"].startswith("https://www.fedex.com/")
    again = await client.post(
        f"/api/shipments/{packed.json()['id']}/dispatch", json={}, headers=w["admin"]
    )
    assert again.status_code == 409
    assert (await _order(client, w, order["id"]))["fulfilment_status"] == "shipped"


async def test_a_drop_ship_order_ships_without_own_stock(client, db):
    w = await _world(client, db)
    order = await place(
        client, w["manager"], w["customer"], [(w["widget"], 50)], order_type="drop_ship"
    )
    shipment = await ship(
        client,
        w["admin"],
        order["id"],
        None,
        carrier="DHL",
        tracking_number="JD0123",
        supplier_reference="PO-SUP-77",
    )
    assert (shipment["kind"], shipment["warehouse_id"], shipment["supplier_reference"]) == (
        "drop_ship",
        None,
        "PO-SUP-77",
    )
    assert await stock_of(db, w["widget"]) == [(w["w1"], 10, 0)]
    assert (await _order(client, w, order["id"]))["fulfilment_status"] == "shipped"
