"""Amending placed orders through the API: re-priced, re-checked, re-allocated, recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from server.db.models import OrderRevision, StockReservation
from sync.client import LostResponse, SyncClient
from tests.factories import World, bearer, login, seed_world
from tests.fulfilment_factories import ship
from tests.sales_factories import (
    Catalog,
    add_product,
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
    gadget: str


async def _setup(client, db, **customer: Any) -> Setup:
    world = await seed_world(db)
    catalog = await seed_catalog(db)
    headers = {
        who: bearer(await login(client, f"{who}@corp.test"))
        for who in ("admin", "manager", "rep1", "rep2")
    }
    widget = await add_product(db, catalog, "WID-1", price_cents=1000, floor_cents=500)
    gadget = await add_product(db, catalog, "GAD-1", price_cents=2500)
    await set_stock(db, catalog.warehouse_ids[0], widget, 10)
    await set_stock(db, catalog.warehouse_ids[0], gadget, 5)
    created = await create_customer(client, headers["manager"], "Harbor View Bistro", **customer)
    return Setup(world, catalog, headers, created, widget, gadget)


async def _place(client, s: Setup, quantity: int = 3) -> dict[str, Any]:
    body = {
        "customer_id": s.customer["id"],
        "lines": [{"product_id": s.widget, "quantity": quantity, "discount_percent": "5"}],
        "shipping_cents": 500,
        "po_number": "PO-77",
    }
    response = await client.post("/api/orders", json=body, headers=s.headers["rep1"])
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _amend(client, s: Setup, order: dict[str, Any], who: str = "rep1", **body: Any):
    body.setdefault("expected_revision", order["revision"])
    return await client.post(f"/api/orders/{order['id']}/amend", json=body, headers=s.headers[who])


async def _open_reserved(db, product_id: str) -> int:
    async with db.read() as unit:
        query = select(func.coalesce(func.sum(StockReservation.quantity), 0)).where(
            StockReservation.product_id == product_id, StockReservation.released_at.is_(None)
        )
        return int(await unit.session.scalar(query) or 0)


async def _revisions(db, order_id: str) -> int:
    async with db.read() as unit:
        query = select(func.count()).where(OrderRevision.order_id == order_id)
        return int(await unit.session.scalar(query) or 0)


async def _assert_stock_balances(db, s: Setup) -> None:
    """What is allocated is exactly what open reservations hold, nothing goes negative."""
    for product_id in (s.widget, s.gadget):
        rows = await stock_of(db, product_id)
        allocated = sum(a for _, _, a in rows)
        assert allocated == await _open_reserved(db, product_id)
        assert all(0 <= a <= on_hand for _, on_hand, a in rows)


async def test_amend_reprices_reallocates_and_records_the_difference(client, db):
    s = await _setup(client, db)
    order = await _place(client, s)
    widget_line = order["lines"][0]["id"]

    response = await _amend(
        client,
        s,
        order,
        lines=[
            {"line_id": widget_line, "quantity": 5, "discount_percent": "5"},
            {"product_id": s.gadget, "quantity": 2},
        ],
        notes="Deliver to the back door",
        reason="Customer called",
    )

    assert response.status_code == 200, response.text
    amended = response.json()
    assert amended["revision"] == 2 and amended["status"] == "confirmed"
    assert amended["fulfilment_status"] == "allocated" and amended["amendable"] is True
    # 5 x 10.00 - 5 % = 47.50, 2 x 25.00 = 50.00; 10 % tax on 97.50; shipping 5.00
    assert amended["totals"]["net_cents"] == 9750 and amended["totals"]["tax_cents"] == 975
    assert amended["totals"]["total_cents"] == 11225
    lines = {x["sku"]: x for x in amended["lines"]}
    assert lines["WID-1"]["id"] == widget_line
    assert lines["WID-1"]["quantity"] == 5 and lines["WID-1"]["quantity_allocated"] == 5
    assert lines["GAD-1"]["quantity"] == 2 and lines["GAD-1"]["quantity_allocated"] == 2
    assert amended["notes"] == "Deliver to the back door"
    assert await stock_of(db, s.widget) == [(s.catalog.warehouse_ids[0], 10, 5)]
    assert await stock_of(db, s.gadget) == [(s.catalog.warehouse_ids[0], 5, 2)]
    await _assert_stock_balances(db, s)

    [revision] = amended["revisions"]
    assert revision["revision"] == 2 and revision["reason"] == "Customer called"
    assert revision["actor_id"] == s.world.rep1.id
    assert (revision["total_before_cents"], revision["total_after_cents"]) == (3635, 11225)
    assert [
        (x["change"], x["sku"], x["old_quantity"], x["new_quantity"]) for x in revision["lines"]
    ] == [
        ("changed", "WID-1", 3, 5),
        ("added", "GAD-1", None, 2),
    ]
    assert revision["lines"][1]["new_unit_price_cents"] == 2500
    assert revision["header"] == [{"field": "notes", "old": "", "new": "Deliver to the back door"}]
    assert "amend" in [e["action"] for e in amended["timeline"]]

    # Removing the added line gives its stock back and leaves the widget line as it was.
    again = await _amend(
        client, s, amended, lines=[{"line_id": widget_line, "quantity": 5, "discount_percent": "5"}]
    )

    assert again.status_code == 200, again.text
    body = again.json()
    assert body["revision"] == 3 and [x["id"] for x in body["lines"]] == [widget_line]
    assert body["revisions"][0]["lines"][0]["change"] == "removed"
    assert await stock_of(db, s.gadget) == [(s.catalog.warehouse_ids[0], 5, 0)]
    assert await stock_of(db, s.widget) == [(s.catalog.warehouse_ids[0], 10, 5)]
    await _assert_stock_balances(db, s)
    fetched = await client.get(f"/api/orders/{order['id']}", headers=s.headers["manager"])
    assert [r["revision"] for r in fetched.json()["revisions"]] == [3, 2]


async def test_amend_above_the_credit_limit_goes_on_credit_hold_and_releases_stock(client, db):
    s = await _setup(client, db, credit_limit_cents=10_000)
    order = await _place(client, s)  # 36.35
    line = order["lines"][0]["id"]

    # 8 x 9.50 + tax + shipping = 88.60: within the limit, its own earlier 36.35 not counted.
    within = await _amend(
        client, s, order, lines=[{"line_id": line, "quantity": 8, "discount_percent": "5"}]
    )
    assert within.status_code == 200, within.text
    assert within.json()["status"] == "confirmed"

    # 10 x 9.50 + tax + shipping = 109.50: above 100.00.
    above = await _amend(
        client, s, within.json(), lines=[{"line_id": line, "quantity": 10, "discount_percent": "5"}]
    )

    assert above.status_code == 200, above.text
    held = above.json()
    assert held["status"] == "credit_hold" and held["fulfilment_status"] == "unallocated"
    assert [r["code"] for r in held["approval_reasons"]] == ["credit_limit_exceeded"]
    assert held["lines"][0]["quantity_allocated"] == 0
    assert await stock_of(db, s.widget) == [(s.catalog.warehouse_ids[0], 10, 0)]
    await _assert_stock_balances(db, s)
    released = await client.post(
        f"/api/orders/{order['id']}/release-credit", headers=s.headers["manager"]
    )
    assert released.status_code == 200 and released.json()["status"] == "confirmed"
    assert await stock_of(db, s.widget) == [(s.catalog.warehouse_ids[0], 10, 10)]


async def test_amend_with_a_discount_above_the_reps_limit_waits_for_approval(client, db):
    s = await _setup(client, db)
    order = await _place(client, s)
    line = order["lines"][0]["id"]

    response = await _amend(
        client, s, order, lines=[{"line_id": line, "quantity": 3, "discount_percent": "15"}]
    )

    assert response.status_code == 200, response.text
    waiting = response.json()
    assert waiting["status"] == "pending_approval"
    assert [r["code"] for r in waiting["approval_reasons"]] == ["discount_above_limit"]
    assert await stock_of(db, s.widget) == [(s.catalog.warehouse_ids[0], 10, 0)]
    revision = waiting["revisions"][0]
    assert (revision["status_before"], revision["status_after"]) == (
        "confirmed",
        "pending_approval",
    )
    assert revision["lines"][0]["new_discount_percent"] == "15.00"
    approved = await client.post(f"/api/orders/{order['id']}/approve", headers=s.headers["manager"])
    assert approved.status_code == 200 and approved.json()["status"] == "confirmed"
    await _assert_stock_balances(db, s)


async def _ship(client, s: Setup, order_id: str, line_id: str, quantity: int, **extra: Any):
    return await ship(
        client,
        s.headers["admin"],
        order_id,
        s.catalog.warehouse_ids[0],
        [(line_id, quantity)],
        **extra,
    )


async def test_amend_below_what_shipped_or_removing_a_shipped_line_is_refused(client, db):
    s = await _setup(client, db)
    order = await _place(client, s, quantity=6)
    line = order["lines"][0]["id"]
    await _ship(client, s, order["id"], line, 4)

    below = await _amend(
        client, s, order, lines=[{"line_id": line, "quantity": 3, "discount_percent": "5"}]
    )
    removed = await _amend(client, s, order, lines=[{"product_id": s.gadget, "quantity": 1}])

    assert below.status_code == 422 and below.json()["code"] == "below_shipped"
    assert removed.status_code == 422 and removed.json()["code"] == "line_shipped"
    after = (await client.get(f"/api/orders/{order['id']}", headers=s.headers["rep1"])).json()
    assert after["revision"] == 1 and after["lines"][0]["quantity"] == 6
    assert await _revisions(db, order["id"]) == 0
    assert await stock_of(db, s.widget) == [(s.catalog.warehouse_ids[0], 6, 2)]

    # Down to exactly what shipped: only the rest would need stock, and there is none.
    exact = await _amend(
        client, s, order, lines=[{"line_id": line, "quantity": 4, "discount_percent": "5"}]
    )
    assert exact.status_code == 200, exact.text
    assert exact.json()["lines"][0]["quantity"] == 4
    assert await stock_of(db, s.widget) == [(s.catalog.warehouse_ids[0], 6, 0)]
    assert (exact.json()["status"], exact.json()["fulfilment_status"]) == (
        "in_fulfilment",
        "shipped",
    )


async def test_a_line_added_after_a_partial_shipment_is_reserved_and_the_order_stays_partly_shipped(
    client, db
):
    s = await _setup(client, db)
    order = await _place(client, s, quantity=6)
    line = order["lines"][0]["id"]
    await _ship(client, s, order["id"], line, 6)
    added = await _amend(
        client,
        s,
        order,
        lines=[
            {"line_id": line, "quantity": 6, "discount_percent": "5"},
            {"product_id": s.gadget, "quantity": 2},
        ],
    )
    assert added.status_code == 200, added.text
    assert (added.json()["status"], added.json()["fulfilment_status"]) == (
        "in_fulfilment",
        "partially_shipped",
    )
    assert await stock_of(db, s.widget) == [(s.catalog.warehouse_ids[0], 4, 0)]
    assert await stock_of(db, s.gadget) == [(s.catalog.warehouse_ids[0], 5, 2)]


async def test_no_amendment_while_a_shipment_is_packed_and_waiting_to_leave(client, db):
    s = await _setup(client, db)
    order = await _place(client, s, quantity=6)
    line = order["lines"][0]["id"]
    await _ship(client, s, order["id"], line, 2, dispatch=False)
    refused = await _amend(
        client, s, order, lines=[{"line_id": line, "quantity": 8, "discount_percent": "5"}]
    )
    assert refused.status_code == 409 and refused.json()["code"] == "shipment_packed"
    assert await _revisions(db, order["id"]) == 0
    assert await stock_of(db, s.widget) == [(s.catalog.warehouse_ids[0], 8, 4)]


async def test_amend_at_a_stale_revision_is_a_conflict_and_changes_nothing(client, db):
    s = await _setup(client, db)
    order = await _place(client, s)
    line = order["lines"][0]["id"]
    first = await _amend(
        client, s, order, lines=[{"line_id": line, "quantity": 4, "discount_percent": "5"}]
    )
    assert first.status_code == 200, first.text

    stale = await _amend(
        client,
        s,
        order,
        expected_revision=1,
        lines=[{"line_id": line, "quantity": 9, "discount_percent": "5"}],
    )

    assert stale.status_code == 409
    assert stale.json()["code"] == "revision_conflict"
    assert stale.json()["details"]["revision"] == 2
    after = (await client.get(f"/api/orders/{order['id']}", headers=s.headers["rep1"])).json()
    assert after["revision"] == 2 and after["lines"][0]["quantity"] == 4
    assert await _revisions(db, order["id"]) == 1
    assert await stock_of(db, s.widget) == [(s.catalog.warehouse_ids[0], 10, 4)]


async def test_amend_refusals_nothing_changed_cancelled_out_of_scope(client, db):
    s = await _setup(client, db)
    order = await _place(client, s)
    line = order["lines"][0]["id"]
    same = [{"line_id": line, "quantity": 3, "discount_percent": "5"}]

    unchanged = await _amend(client, s, order, lines=same, po_number="PO-77")
    hidden = await _amend(client, s, order, who="rep2", lines=same, notes="x")
    await client.post(
        f"/api/orders/{order['id']}/cancel", json={"reason": "gone"}, headers=s.headers["rep1"]
    )
    cancelled = await _amend(client, s, order, notes="too late")

    assert unchanged.status_code == 422 and unchanged.json()["code"] == "no_change"
    assert hidden.status_code == 404 and hidden.json()["code"] == "order_not_found"
    assert cancelled.status_code == 409 and cancelled.json()["code"] == "not_amendable"
    assert await _revisions(db, order["id"]) == 0


async def test_order_amend_mutation_is_applied_once_even_if_pushed_twice(client, db):
    s = await _setup(client, db)
    order = await _place(client, s)
    line = order["lines"][0]["id"]
    phone = SyncClient(
        http=client, access_token=(await login(client, "rep1@corp.test"))["access_token"]
    )
    await phone.register()
    args = {
        "expected_revision": 1,
        "lines": [
            {"line_id": line, "quantity": 4, "discount_percent": "5"},
            {"product_id": s.gadget, "quantity": 1},
        ],
        "reason": "added on site",
        "client_total_cents": 7125,
    }
    item = phone.enqueue("order.amend", args, entity_id=order["id"])
    phone.lose_next_responses = 1
    try:
        await phone.push()
    except LostResponse:
        pass
    assert item.outcome is None

    outcome = (await phone.push()).json()["outcomes"][0]

    assert outcome["duplicate"] is True and outcome["status"] == "accepted"
    result = outcome["result"]
    # 4 x 9.50 + 25.00 = 63.00, 10 % tax, 5.00 shipping
    assert result["revision"] == 2 and result["status"] == "confirmed"
    assert result["total_cents"] == 7430 and result["repriced"] is True
    assert [(x["quantity"], x["allocated"]) for x in result["lines"]] == [(4, 4), (1, 1)]
    assert result["lines"][0]["line_id"] == line
    assert await _revisions(db, order["id"]) == 1
    assert await stock_of(db, s.widget) == [(s.catalog.warehouse_ids[0], 10, 4)]
    assert await stock_of(db, s.gadget) == [(s.catalog.warehouse_ids[0], 5, 1)]
    await _assert_stock_balances(db, s)
    await phone.pull_all()
    pulled = phone.store["order"][order["id"]]
    assert pulled["revision"] == 2 and pulled["amendable"] is True
    assert [x["quantity"] for x in pulled["lines"]] == [4, 1]


async def test_order_amend_mutation_verdicts_need_approval_and_rejected(client, db):
    s = await _setup(client, db)
    order = await _place(client, s)
    line = order["lines"][0]["id"]
    phone = SyncClient(
        http=client, access_token=(await login(client, "rep1@corp.test"))["access_token"]
    )
    await phone.register()
    too_generous = {"line_id": line, "quantity": 3, "discount_percent": "20"}
    phone.enqueue(
        "order.amend", {"expected_revision": 1, "lines": [too_generous]}, entity_id=order["id"]
    )
    # Written offline against the revision the phone had: the first amendment moved it on.
    phone.enqueue("order.amend", {"expected_revision": 1, "notes": "late"}, entity_id=order["id"])

    waiting, stale = (await phone.push()).json()["outcomes"]

    assert waiting["status"] == "needs_approval"
    assert waiting["result"]["status"] == "pending_approval" and waiting["result"]["revision"] == 2
    assert [r["code"] for r in waiting["result"]["approval_reasons"]] == ["discount_above_limit"]
    assert stale["status"] == "rejected" and stale["code"] == "revision_conflict"
    assert stale["result"]["revision"] == 2
    assert await _revisions(db, order["id"]) == 1
