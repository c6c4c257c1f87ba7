"""Placing orders: pricing, validation, approvals, credit, stock, idempotency, scope."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update

from server.db.models import SalesOrder, StockReservation
from tests.factories import World, bearer, login, seed_world
from tests.sales_factories import (
    Catalog,
    add_product,
    count_orders,
    create_customer,
    seed_catalog,
    set_stock,
    stock_of,
)


@dataclass
class Setup:
    world: World
    catalog: Catalog
    headers: dict[str, dict[str, str]]
    customer: dict[str, Any]
    widget: str


async def _setup(client, db, *, stock: int = 10, **customer: Any) -> Setup:
    world = await seed_world(db)
    catalog = await seed_catalog(db)
    headers = {
        who: bearer(await login(client, f"{who}@corp.test"))
        for who in ("admin", "manager", "rep1", "rep2")
    }
    widget = await add_product(db, catalog, "WID-1", price_cents=1000, floor_cents=500)
    await set_stock(db, catalog.warehouse_ids[0], widget, stock)
    created = await create_customer(client, headers["manager"], "Harbor View Bistro", **customer)
    return Setup(world, catalog, headers, created, widget)


def _order(s: Setup, quantity: int = 3, discount: str = "5", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_id": s.customer["id"],
        "lines": [{"product_id": s.widget, "quantity": quantity, "discount_percent": discount}],
        "shipping_cents": 500,
        "po_number": "PO-77",
        "shipping_method": "ground",
    }
    body.update(extra)
    return body


async def _allocated(db, product_id: str) -> int:
    return sum(allocated for _, _, allocated in await stock_of(db, product_id))


async def test_place_order_prices_snapshots_and_allocates(client, db):
    s = await _setup(client, db)
    response = await client.post("/api/orders", json=_order(s), headers=s.headers["rep1"])
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["number"].startswith("SO-") and len(order["number"]) == 9
    assert order["status"] == "confirmed" and order["fulfilment_status"] == "allocated"
    # 3 x 10.00 = 30.00, 5 % off = 28.50, 10 % tax = 2.85, shipping 5.00
    assert order["totals"]["subtotal_cents"] == 3000 and order["totals"]["discount_cents"] == 150
    assert order["totals"]["net_cents"] == 2850 and order["totals"]["tax_cents"] == 285
    assert order["totals"]["total_cents"] == 3635 and order["totals_mismatch"] is None
    line = order["lines"][0]
    assert line["price_list_id"] == s.catalog.base_list_id and line["price_list_version"] == 1
    assert line["quantity_allocated"] == 3 and line["quantity_backordered"] == 0
    assert order["territory_id"] == s.world.north and order["rep_id"] == s.world.rep1.id
    assert order["manager_ids"] == [s.world.manager.id]
    assert order["ship_to"]["state"] == "WA" and order["po_number"] == "PO-77"
    assert [e["action"] for e in order["timeline"]] == ["submit", "confirm", "stock_allocated"]
    assert await stock_of(db, s.widget) == [(s.catalog.warehouse_ids[0], 10, 3)]


async def test_wrong_client_total_is_reported_and_not_trusted(client, db):
    s = await _setup(client, db)
    response = await client.post(
        "/api/orders", json=_order(s, client_total_cents=3000), headers=s.headers["rep1"]
    )
    order = response.json()
    assert order["totals"]["total_cents"] == 3635
    assert order["totals_mismatch"] == {
        "client_total_cents": 3000,
        "server_total_cents": 3635,
        "difference_cents": 635,
    }
    again = await client.get(f"/api/orders/{order['id']}", headers=s.headers["rep1"])
    assert again.json()["totals_mismatch"]["difference_cents"] == 635


async def test_discount_above_limit_waits_for_approval_then_manager_approves(client, db):
    s = await _setup(client, db)
    placed = (
        await client.post("/api/orders", json=_order(s, discount="15"), headers=s.headers["rep1"])
    ).json()
    assert placed["status"] == "pending_approval" and placed["fulfilment_status"] == "unallocated"
    assert [r["code"] for r in placed["approval_reasons"]] == ["discount_above_limit"]
    assert await _allocated(db, s.widget) == 0

    refused = await client.post(f"/api/orders/{placed['id']}/approve", headers=s.headers["rep1"])
    assert refused.status_code == 403
    queue = (await client.get("/api/approvals", headers=s.headers["manager"])).json()
    assert [item["order"]["id"] for item in queue] == [placed["id"]]
    assert (await client.get("/api/approvals", headers=s.headers["rep1"])).status_code == 403

    approved = await client.post(
        f"/api/orders/{placed['id']}/approve", headers=s.headers["manager"]
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "confirmed" and body["fulfilment_status"] == "allocated"
    assert body["decided_by"] == s.world.manager.id
    assert await _allocated(db, s.widget) == 3
    assert (await client.get("/api/approvals", headers=s.headers["manager"])).json() == []


async def test_rejection_cancels_and_the_rep_sees_the_reason(client, db):
    s = await _setup(client, db)
    placed = (
        await client.post("/api/orders", json=_order(s, discount="20"), headers=s.headers["rep1"])
    ).json()
    rejected = await client.post(
        f"/api/orders/{placed['id']}/reject",
        json={"reason": "Margin too thin"},
        headers=s.headers["manager"],
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "cancelled"
    seen = (await client.get(f"/api/orders/{placed['id']}", headers=s.headers["rep1"])).json()
    assert seen["status"] == "cancelled"
    decision = next(e for e in seen["timeline"] if e["action"] == "reject")
    assert decision["reason"] == "Margin too thin" and decision["actor_id"] == s.world.manager.id
    assert decision["from_state"] == "pending_approval" and decision["to_state"] == "cancelled"


async def test_credit_limit_puts_the_order_on_hold_until_released(client, db):
    s = await _setup(client, db, credit_limit_cents=5000)
    first = (await client.post("/api/orders", json=_order(s), headers=s.headers["rep1"])).json()
    assert first["status"] == "confirmed"
    second = (await client.post("/api/orders", json=_order(s), headers=s.headers["rep1"])).json()
    assert second["status"] == "credit_hold"
    assert [r["code"] for r in second["approval_reasons"]] == ["credit_limit_exceeded"]
    assert await _allocated(db, s.widget) == 3

    released = await client.post(
        f"/api/orders/{second['id']}/release-credit", headers=s.headers["manager"]
    )
    assert released.status_code == 200 and released.json()["status"] == "confirmed"
    assert await _allocated(db, s.widget) == 6


async def test_customer_on_hold_goes_to_credit_hold(client, db):
    s = await _setup(client, db)
    held = await create_customer(
        client, s.headers["manager"], "Cedar Street Cafe", status="on_hold", postal="98102"
    )
    placed = (
        await client.post(
            "/api/orders", json=_order(s, customer_id=held["id"]), headers=s.headers["rep1"]
        )
    ).json()
    assert placed["status"] == "credit_hold"
    assert [r["code"] for r in placed["approval_reasons"]] == ["customer_on_hold"]


async def test_hard_errors_answer_422_with_every_reason_and_write_nothing(client, db):
    s = await _setup(client, db)
    retired = await add_product(db, s.catalog, "OLD-1", price_cents=800, active=False)
    boxed = await add_product(db, s.catalog, "BOX-6", price_cents=200, pack_size=6, min_qty=6)
    floored = await add_product(db, s.catalog, "FLR-1", price_cents=1000, floor_cents=900)
    before = await count_orders(db)
    body = _order(
        s,
        lines=[
            {"product_id": retired, "quantity": 1},
            {"product_id": boxed, "quantity": 4},
            {"product_id": floored, "quantity": 1, "discount_percent": "20"},
            {"product_id": s.widget, "quantity": 2},
        ],
    )
    response = await client.post("/api/orders", json=body, headers=s.headers["rep1"])
    assert response.status_code == 422, response.text
    reasons = response.json()["details"]["reasons"]
    assert {(r["code"], r["subject"]) for r in reasons} == {
        ("product_inactive", retired),
        ("below_minimum_quantity", "2"),
        ("price_below_floor", "3"),
    }
    assert all(r["message"] for r in reasons)
    assert await count_orders(db) == before
    assert await _allocated(db, s.widget) == 0

    pack = await client.post(
        "/api/orders",
        json=_order(s, lines=[{"product_id": boxed, "quantity": 8}]),
        headers=s.headers["rep1"],
    )
    assert pack.status_code == 422
    assert [r["code"] for r in pack.json()["details"]["reasons"]] == ["not_pack_multiple"]

    prospect = await create_customer(
        client, s.headers["manager"], "Prospect Place", status="prospect", postal="98103"
    )
    refused = await client.post(
        "/api/orders", json=_order(s, customer_id=prospect["id"]), headers=s.headers["rep1"]
    )
    assert [r["code"] for r in refused.json()["details"]["reasons"]] == ["customer_inactive"]
    assert await count_orders(db) == before


async def test_idempotent_retry_returns_the_first_order(client, db):
    s = await _setup(client, db)
    key = {"Idempotency-Key": "phone-7-seq-42", **s.headers["rep1"]}
    first = await client.post("/api/orders", json=_order(s), headers=key)
    retry = await client.post("/api/orders", json=_order(s), headers=key)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry.json()["number"] == first.json()["number"]
    reused = await client.post("/api/orders", json=_order(s, quantity=4), headers=key)
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert await count_orders(db) == 1
    assert await _allocated(db, s.widget) == 3


async def test_client_order_id_is_unique(client, db):
    s = await _setup(client, db)
    order_id = str(uuid.uuid4())
    created = await client.post(
        "/api/orders", json=_order(s, id=order_id), headers=s.headers["rep1"]
    )
    assert created.status_code == 201 and created.json()["id"] == order_id
    again = await client.post("/api/orders", json=_order(s, id=order_id), headers=s.headers["rep1"])
    assert again.status_code == 409 and again.json()["code"] == "order_id_taken"
    assert await count_orders(db) == 1


async def test_failed_request_frees_its_idempotency_key(client, db):
    s = await _setup(client, db)
    key = {"Idempotency-Key": "k-1", **s.headers["rep1"]}
    bad = await client.post("/api/orders", json=_order(s, quantity=3, discount="60"), headers=key)
    assert bad.status_code == 422
    good = await client.post("/api/orders", json=_order(s), headers=key)
    assert good.status_code == 201


async def test_cancel_releases_stock_and_is_refused_after_shipment(client, db):
    s = await _setup(client, db)
    order = (await client.post("/api/orders", json=_order(s), headers=s.headers["rep1"])).json()
    assert await _allocated(db, s.widget) == 3
    cancelled = await client.post(
        f"/api/orders/{order['id']}/cancel",
        json={"reason": "Customer changed mind"},
        headers=s.headers["rep1"],
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["fulfilment_status"] == "unallocated"
    assert await _allocated(db, s.widget) == 0
    async with db.read() as unit:
        held = (await unit.session.execute(select(StockReservation))).scalars().all()
        assert held and all(r.released_at is not None for r in held)

    shipped = (await client.post("/api/orders", json=_order(s), headers=s.headers["rep1"])).json()
    async with db.write() as uow:
        await uow.session.execute(
            update(SalesOrder)
            .where(SalesOrder.id == shipped["id"])
            .values(fulfilment_status="shipped")
        )
    refused = await client.post(
        f"/api/orders/{shipped['id']}/cancel", json={"reason": "late"}, headers=s.headers["rep1"]
    )
    assert refused.status_code == 409 and refused.json()["code"] == "already_shipped"


async def test_short_stock_backorders_and_ship_complete_waits(client, db):
    s = await _setup(client, db, stock=2)
    partial = (
        await client.post("/api/orders", json=_order(s, quantity=3), headers=s.headers["rep1"])
    ).json()
    assert partial["fulfilment_status"] == "partially_allocated"
    assert partial["lines"][0]["quantity_allocated"] == 2
    assert partial["lines"][0]["quantity_backordered"] == 1
    await set_stock(db, s.catalog.warehouse_ids[0], s.widget, 3)
    whole = (
        await client.post(
            "/api/orders", json=_order(s, quantity=2, ship_complete=True), headers=s.headers["rep1"]
        )
    ).json()
    assert whole["fulfilment_status"] == "backordered"
    assert whole["lines"][0]["quantity_allocated"] == 0
    service = (
        await client.post(
            "/api/orders",
            json=_order(
                s, quantity=50, order_type="service", scheduled_date=date.today().isoformat()
            ),
            headers=s.headers["rep1"],
        )
    ).json()
    assert service["fulfilment_status"] == "allocated"
    assert await _allocated(db, s.widget) == 2

    receipt = {"warehouse_id": s.catalog.warehouse_ids[0], "product_id": s.widget, "quantity": 2}
    booked = (
        await client.post("/api/stock/receipts", json=receipt, headers=s.headers["admin"])
    ).json()
    assert booked["backorders_allocated"] == 3 and (booked["on_hand"], booked["allocated"]) == (
        5,
        5,
    )
    for order, expected in ((partial, 3), (whole, 2)):
        body = (await client.get(f"/api/orders/{order['id']}", headers=s.headers["rep1"])).json()
        assert body["fulfilment_status"] == "allocated"
        assert body["lines"][0]["quantity_allocated"] == expected


async def test_stock_receipt_serves_rush_backorders_first_then_the_oldest(client, db):
    s = await _setup(client, db, stock=0)
    oldest = (
        await client.post("/api/orders", json=_order(s, quantity=2), headers=s.headers["rep1"])
    ).json()
    newer = (
        await client.post("/api/orders", json=_order(s, quantity=2), headers=s.headers["rep1"])
    ).json()
    rush = (
        await client.post(
            "/api/orders", json=_order(s, quantity=2, order_type="rush"), headers=s.headers["rep1"]
        )
    ).json()
    assert {o["fulfilment_status"] for o in (oldest, newer, rush)} == {"backordered"}
    receipt = {"warehouse_id": s.catalog.warehouse_ids[0], "product_id": s.widget, "quantity": 3}
    assert (
        await client.post("/api/stock/receipts", json=receipt, headers=s.headers["rep1"])
    ).status_code == 403
    booked = await client.post("/api/stock/receipts", json=receipt, headers=s.headers["admin"])
    assert booked.status_code == 200, booked.text
    assert booked.json()["backorders_allocated"] == 3 and booked.json()["allocated"] == 3

    async def status(order: dict[str, Any]) -> tuple[str, int]:
        body = (await client.get(f"/api/orders/{order['id']}", headers=s.headers["rep1"])).json()
        return body["fulfilment_status"], body["lines"][0]["quantity_allocated"]

    assert await status(rush) == ("allocated", 2)
    assert await status(oldest) == ("partially_allocated", 1)
    assert await status(newer) == ("backordered", 0)


async def test_rep_cannot_see_or_decide_another_territorys_order(client, db):
    s = await _setup(client, db)
    placed = (
        await client.post("/api/orders", json=_order(s, discount="15"), headers=s.headers["rep1"])
    ).json()
    assert (
        await client.get(f"/api/orders/{placed['id']}", headers=s.headers["rep2"])
    ).status_code == 404
    assert (
        await client.post(f"/api/orders/{placed['id']}/approve", headers=s.headers["rep2"])
    ).status_code == 404
    assert (
        await client.post(
            f"/api/orders/{placed['id']}/cancel", json={"reason": "x"}, headers=s.headers["rep2"]
        )
    ).status_code == 404
    assert (await client.get("/api/orders", headers=s.headers["rep2"])).json()["total"] == 0
    mine = (
        await client.get("/api/orders?status=pending_approval", headers=s.headers["rep1"])
    ).json()
    assert [o["id"] for o in mine["items"]] == [placed["id"]]
    assert (
        await client.post(f"/api/orders/{placed['id']}/approve", headers=s.headers["rep1"])
    ).status_code == 403


async def test_approving_an_order_that_no_longer_fits_the_credit_limit_puts_it_on_credit_hold(
    client, db
):
    # An order waits for its discount to be approved; meanwhile another order of the
    # customer is confirmed. Both together are above the limit, so approving the first one
    # approves its discount and holds it for credit instead of confirming it.
    s = await _setup(client, db, stock=100, credit_limit_cents=10_000)
    rep, manager = s.headers["rep1"], s.headers["manager"]
    waiting = (
        await client.post("/api/orders", json=_order(s, quantity=5, discount="25"), headers=rep)
    ).json()
    assert waiting["status"] == "pending_approval"
    other = (
        await client.post("/api/orders", json=_order(s, quantity=5, discount="0"), headers=rep)
    ).json()
    assert other["status"] == "confirmed"
    assert waiting["totals"]["total_cents"] + other["totals"]["total_cents"] > 10_000
    approved = await client.post(f"/api/orders/{waiting['id']}/approve", headers=manager)
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "credit_hold"
    assert "credit_limit_exceeded" in [r["code"] for r in body["approval_reasons"]]
    assert body["timeline"][-1]["action"] == "hold_for_credit" and body["timeline"][-1]["reason"]
    assert await _allocated(db, s.widget) == 5  # only the confirmed order holds stock
    # The manager decides on the credit explicitly.
    released = (
        await client.post(f"/api/orders/{waiting['id']}/release-credit", headers=manager)
    ).json()
    assert released["status"] == "confirmed" and await _allocated(db, s.widget) == 10


async def test_place_order_at_the_discount_limit_is_confirmed_whatever_the_cents_round_to(
    client, db
):
    s = await _setup(client, db)
    nickel = await add_product(db, s.catalog, "NICKEL", price_cents=5)
    await set_stock(db, s.catalog.warehouse_ids[0], nickel, 10)
    # 10 % of 5 cents is half a cent, rounded up to 1 cent: 20 % of the subtotal.
    line = {"product_id": nickel, "quantity": 1, "discount_percent": "10"}
    placed = await client.post(
        "/api/orders",
        json={"customer_id": s.customer["id"], "lines": [line]},
        headers=s.headers["rep1"],
    )
    assert placed.status_code == 201, placed.text
    assert placed.json()["status"] == "confirmed", placed.json()["approval_reasons"]
    # An order discount at the limit alike.
    order = {
        "customer_id": s.customer["id"],
        "order_discount_percent": "10",
        "lines": [{"product_id": nickel, "quantity": 1}],
    }
    assert (await client.post("/api/orders", json=order, headers=s.headers["rep1"])).json()[
        "status"
    ] == "confirmed"


async def test_place_order_above_the_discount_limit_reports_the_discount_as_asked(client, db):
    s = await _setup(client, db)
    odd = await add_product(db, s.catalog, "ODD-1", price_cents=1003)
    await set_stock(db, s.catalog.warehouse_ids[0], odd, 10)
    # 15 % of 10.03 is 1.5045, rounded to 1.50: 14.96 % of the subtotal, but 15 % was asked.
    line = {"product_id": odd, "quantity": 1, "discount_percent": "15"}
    placed = (
        await client.post(
            "/api/orders",
            json={"customer_id": s.customer["id"], "lines": [line]},
            headers=s.headers["rep1"],
        )
    ).json()
    assert placed["status"] == "pending_approval"
    assert (
        placed["approval_reasons"][0]["message"] == "discount 15.00% is above the limit of 10.00%"
    )
    # 10.04 % of 10.00 is 1.004, rounded to 1.00: exactly 10 % of the subtotal, yet above the limit.
    sneaky = {"product_id": s.widget, "quantity": 1, "discount_percent": "10.04"}
    above = (
        await client.post(
            "/api/orders",
            json={"customer_id": s.customer["id"], "lines": [sneaky]},
            headers=s.headers["rep1"],
        )
    ).json()
    assert above["status"] == "pending_approval"
    assert above["approval_reasons"][0]["message"] == "discount 10.04% is above the limit of 10.00%"
