"""The back office's stock API: levels, adjustments, the stock ledger, expected receipts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from server.db.models import AuditEvent, ExpectedReceipt, StockMovement, Warehouse
from tests.factories import World, bearer, login, seed_world
from tests.sales_factories import Catalog, add_product, create_customer, seed_catalog, set_stock


@dataclass
class Setup:
    world: World
    catalog: Catalog
    admin: dict[str, str]
    rep: dict[str, str]
    customer: dict[str, Any]
    widget: str
    w1: str


async def _warehouse_id(db, code: str) -> str:
    async with db.read() as unit:
        found = await unit.session.scalar(select(Warehouse.id).where(Warehouse.code == code))
    assert found is not None
    return str(found)


async def _setup(client, db, *, stock: int = 10) -> Setup:
    world = await seed_world(db)
    catalog = await seed_catalog(db)
    admin = bearer(await login(client, "admin@corp.test"))
    rep = bearer(await login(client, "rep1@corp.test"))
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    w1 = await _warehouse_id(db, "W1")
    await set_stock(db, w1, widget, stock)
    customer = await create_customer(client, admin, "Harbor View Bistro")
    return Setup(world, catalog, admin, rep, customer, widget, w1)


async def _order(client, s: Setup, quantity: int, **extra: Any) -> dict[str, Any]:
    body = {
        "customer_id": s.customer["id"],
        "lines": [{"product_id": s.widget, "quantity": quantity}],
        **extra,
    }
    response = await client.post("/api/orders", json=body, headers=s.rep)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _movements(db, product_id: str) -> list[tuple[str, int, int, str]]:
    async with db.read() as unit:
        rows = await unit.session.execute(
            select(
                StockMovement.kind,
                StockMovement.quantity,
                StockMovement.on_hand_after,
                StockMovement.reason,
            )
            .where(StockMovement.product_id == product_id)
            .order_by(StockMovement.created_at, StockMovement.id)
        )
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def _level(client, s: Setup) -> dict[str, Any]:
    page = (
        await client.get(
            "/api/stock/levels", params={"warehouse_id": s.w1, "q": "wid-1"}, headers=s.admin
        )
    ).json()
    assert page["total"] == 1
    return dict(page["items"][0])


async def test_an_adjustment_writes_its_movement_and_the_history_shows_it(client, db):
    s = await _setup(client, db)
    response = await client.post(
        "/api/stock/adjustments",
        json={
            "warehouse_id": s.w1,
            "product_id": s.widget,
            "quantity": -3,
            "reason": "Damaged in the aisle",
        },
        headers=s.admin,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["level"]["on_hand"], body["level"]["available"]) == (7, 7)
    assert body["movement"]["quantity"] == -3 and body["movement"]["kind"] == "adjustment"
    counted = await client.post(
        "/api/stock/adjustments",
        json={
            "warehouse_id": s.w1,
            "product_id": s.widget,
            "counted_on_hand": 9,
            "reason": "Cycle count",
        },
        headers=s.admin,
    )
    assert counted.json()["movement"]["quantity"] == 2
    assert await _movements(db, s.widget) == [
        ("adjustment", -3, 7, "Damaged in the aisle"),
        ("adjustment", 2, 9, "Cycle count"),
    ]
    history = (await client.get(f"/api/products/{s.widget}/stock-history", headers=s.admin)).json()
    assert history["total"] == 2 and history["sku"] == "WID-1"
    assert [(m["quantity"], m["reason"], m["actor_name"]) for m in history["items"]] == [
        (2, "Cycle count", "Ada Admin"),
        (-3, "Damaged in the aisle", "Ada Admin"),
    ]
    paged = (
        await client.get(
            f"/api/products/{s.widget}/stock-history",
            params={"limit": 1, "offset": 1},
            headers=s.admin,
        )
    ).json()
    assert [m["reason"] for m in paged["items"]] == ["Damaged in the aisle"]
    async with db.read() as unit:
        audited = await unit.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity_id == s.widget, AuditEvent.action == "stock_adjusted")
        )
    assert audited == 2


async def test_an_adjustment_below_allocated_is_refused_and_changes_nothing(client, db):
    s = await _setup(client, db, stock=10)
    await _order(client, s, 6)
    before = await _level(client, s)
    assert (before["on_hand"], before["allocated"], before["available"]) == (10, 6, 4)
    for change in ({"quantity": -5}, {"counted_on_hand": 5}):
        response = await client.post(
            "/api/stock/adjustments",
            json={"warehouse_id": s.w1, "product_id": s.widget, "reason": "Shrink", **change},
            headers=s.admin,
        )
        assert response.status_code == 409, response.text
        problem = response.json()
        assert problem["code"] == "below_allocated" and "6 units allocated" in problem["detail"]
        assert problem["details"]["allocated"] == 6
    assert await _level(client, s) == before
    assert await _movements(db, s.widget) == []


async def test_adjustment_refusals_of_input(client, db):
    s = await _setup(client, db)
    base = {"warehouse_id": s.w1, "product_id": s.widget}
    cases = [
        ({**base, "quantity": 1, "reason": "   "}, 422, "reason_required"),
        ({**base, "reason": "x"}, 422, "quantity_or_count"),
        ({**base, "quantity": 1, "counted_on_hand": 1, "reason": "x"}, 422, "quantity_or_count"),
        (
            {
                **base,
                "warehouse_id": "00000000-0000-4000-8000-000000000000",
                "quantity": 1,
                "reason": "x",
            },
            404,
            "warehouse_not_found",
        ),
    ]
    for body, status, code in cases:
        response = await client.post("/api/stock/adjustments", json=body, headers=s.admin)
        assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert await _movements(db, s.widget) == []


async def test_receipts_write_movements_and_levels_show_backorders(client, db):
    s = await _setup(client, db, stock=2)
    await _order(client, s, 5)
    level = await _level(client, s)
    assert (level["on_hand"], level["allocated"], level["available"], level["backordered"]) == (
        2,
        2,
        0,
        3,
    )
    receipt = {"warehouse_id": s.w1, "product_id": s.widget, "quantity": 4}
    booked = await client.post("/api/stock/receipts", json=receipt, headers=s.admin)
    assert booked.status_code == 200, booked.text
    assert await _movements(db, s.widget) == [("receipt", 4, 6, "")]
    level = await _level(client, s)
    assert (level["on_hand"], level["allocated"], level["backordered"]) == (6, 5, 0)
    history = (await client.get(f"/api/products/{s.widget}/stock-history", headers=s.admin)).json()
    assert [(m["kind"], m["quantity"], m["on_hand_after"]) for m in history["items"]] == [
        ("receipt", 4, 6)
    ]


async def test_stock_levels_are_filtered_searched_and_paged(client, db):
    s = await _setup(client, db)
    gadget = await add_product(db, s.catalog, "GAD-9", price_cents=500)
    w2 = await _warehouse_id(db, "W2")
    await set_stock(db, w2, gadget, 3)
    await set_stock(db, w2, s.widget, 1)
    every = (await client.get("/api/stock/levels", headers=s.admin)).json()
    assert [(i["sku"], i["warehouse_code"]) for i in every["items"]] == [
        ("GAD-9", "W2"),
        ("WID-1", "W1"),
        ("WID-1", "W2"),
    ]
    in_w2 = (
        await client.get("/api/stock/levels", params={"warehouse_id": w2}, headers=s.admin)
    ).json()
    assert in_w2["total"] == 2
    by_name = (
        await client.get("/api/stock/levels", params={"q": "product gad"}, headers=s.admin)
    ).json()
    assert [i["sku"] for i in by_name["items"]] == ["GAD-9"]
    page = (
        await client.get("/api/stock/levels", params={"limit": 2, "offset": 2}, headers=s.admin)
    ).json()
    assert page["total"] == 3 and len(page["items"]) == 1


async def _expected_on(client, s: Setup, order: dict[str, Any]) -> str | None:
    body = (await client.get(f"/api/orders/{order['id']}", headers=s.admin)).json()
    return body["lines"][0]["expected_on"]


async def test_expected_receipts_date_backordered_lines_in_rank_order(client, db):
    s = await _setup(client, db, stock=0)
    oldest = await _order(client, s, 3)
    newer = await _order(client, s, 2)
    rush = await _order(client, s, 2, order_type="rush")
    later = await _order(client, s, 4)
    soon, next_week = date.today() + timedelta(days=3), date.today() + timedelta(days=7)

    first = await client.post(
        "/api/stock/expected-receipts",
        json={
            "warehouse_id": s.w1,
            "product_id": s.widget,
            "quantity": 4,
            "expected_on": next_week.isoformat(),
            "reference": "PO-2",
        },
        headers=s.admin,
    )
    assert first.status_code == 201, first.text
    # 4 units: the rush order (2) first, then the oldest (3) is not fully covered.
    assert first.json()["lines_dated"] == 1
    assert await _expected_on(client, s, rush) == next_week.isoformat()
    assert await _expected_on(client, s, oldest) is None

    second = await client.post(
        "/api/stock/expected-receipts",
        json={
            "warehouse_id": s.w1,
            "product_id": s.widget,
            "quantity": 3,
            "expected_on": soon.isoformat(),
        },
        headers=s.admin,
    )
    assert second.json()["lines_dated"] == 3
    # Soonest first: rush takes 2 of the 3 due soon; the oldest needs 1 more from next week.
    assert await _expected_on(client, s, rush) == soon.isoformat()
    assert await _expected_on(client, s, oldest) == next_week.isoformat()
    assert await _expected_on(client, s, newer) == next_week.isoformat()
    assert await _expected_on(client, s, later) is None
    listed = (await client.get("/api/stock/expected-receipts", headers=s.admin)).json()
    assert [r["expected_on"] for r in listed["items"]] == [soon.isoformat(), next_week.isoformat()]

    # The 3 due soon arrive: they serve rush (2) and the oldest (1); dates are redone
    # from what is still expected (4 next week: the oldest's 2, the newer's 2).
    booked = await client.post(
        "/api/stock/receipts",
        json={"warehouse_id": s.w1, "product_id": s.widget, "quantity": 3},
        headers=s.admin,
    )
    assert booked.json()["backorders_allocated"] == 3
    async with db.read() as unit:
        received = (
            await unit.session.execute(
                select(ExpectedReceipt.expected_on, ExpectedReceipt.received).order_by(
                    ExpectedReceipt.expected_on
                )
            )
        ).all()
    assert [tuple(r) for r in received] == [(soon, True), (next_week, False)]
    assert await _expected_on(client, s, rush) is None  # nothing waits any more
    assert await _expected_on(client, s, oldest) == next_week.isoformat()
    assert await _expected_on(client, s, newer) == next_week.isoformat()
    assert await _expected_on(client, s, later) is None


async def test_an_expected_date_touches_the_orders_change_feed(client, db):
    s = await _setup(client, db, stock=0)
    order = await _order(client, s, 2)
    page = (await client.get("/api/sync/v1/pull", headers=s.rep)).json()
    while page["has_more"]:
        page = (
            await client.get("/api/sync/v1/pull", params={"cursor": page["cursor"]}, headers=s.rep)
        ).json()
    cursor = page["cursor"]
    await client.post(
        "/api/stock/expected-receipts",
        json={
            "warehouse_id": s.w1,
            "product_id": s.widget,
            "quantity": 2,
            "expected_on": (date.today() + timedelta(days=2)).isoformat(),
        },
        headers=s.admin,
    )
    pulled = (
        await client.get("/api/sync/v1/pull", params={"cursor": cursor}, headers=s.rep)
    ).json()
    orders = [c for c in pulled["changes"] if c["entity_type"] == "order"]
    assert [c["entity_id"] for c in orders] == [order["id"]]
    assert orders[0]["data"]["lines"][0]["expected_on"] is not None
