"""The answer to placing an order is what was stored.

Placing an order writes it once with its verdict and answers from what it just wrote
instead of reading it back; these tests read it back and compare, for every verdict and
allocation outcome, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from server.db.models import AuditEvent, SalesOrder, StockReservation
from tests.factories import bearer, login, seed_world
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock


async def _place(
    client,
    db,
    *,
    discount: str,
    stock: int,
    ship_complete: bool = False,
    credit_limit_cents: int | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    await seed_world(db)
    catalog = await seed_catalog(db)
    manager = bearer(await login(client, "manager@corp.test"))
    rep = bearer(await login(client, "rep1@corp.test"))
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    gadget = await add_product(db, catalog, "GAD-1", price_cents=2499)
    await set_stock(db, catalog.warehouse_ids[0], widget, stock)
    await set_stock(db, catalog.warehouse_ids[0], gadget, 50)
    customer = await create_customer(
        client, manager, "Harbor View Bistro", credit_limit_cents=credit_limit_cents
    )
    body = {
        "customer_id": customer["id"],
        "ship_complete": ship_complete,
        "shipping_cents": 500,
        "lines": [
            {"product_id": widget, "quantity": 4, "discount_percent": discount},
            {"product_id": gadget, "quantity": 3, "discount_percent": discount},
        ],
        "client_total_cents": 100,
    }
    response = await client.post("/api/orders", json=body, headers=rep)
    assert response.status_code == 201, response.text
    return response.json(), rep


@pytest.mark.parametrize(
    ("discount", "stock", "ship_complete", "credit", "status", "fulfilment", "timeline"),
    [
        ("5", 10, False, None, "confirmed", "allocated", ["submit", "confirm", "stock_allocated"]),
        (
            "0",
            1,
            False,
            None,
            "confirmed",
            "partially_allocated",
            ["submit", "confirm", "stock_allocated"],
        ),
        ("0", 1, True, None, "confirmed", "backordered", ["submit", "confirm", "stock_allocated"]),
        ("15", 10, False, None, "pending_approval", "unallocated", ["submit", "require_approval"]),
        ("0", 10, False, 1000, "credit_hold", "unallocated", ["submit", "hold_for_credit"]),
    ],
)
async def test_the_answer_equals_the_stored_order(
    client, db, discount, stock, ship_complete, credit, status, fulfilment, timeline
):
    placed, rep = await _place(
        client,
        db,
        discount=discount,
        stock=stock,
        ship_complete=ship_complete,
        credit_limit_cents=credit,
    )
    assert (placed["status"], placed["fulfilment_status"]) == (status, fulfilment)
    assert [e["action"] for e in placed["timeline"]] == timeline

    stored = await client.get(f"/api/orders/{placed['id']}", headers=rep)
    assert stored.status_code == 200
    assert stored.json() == placed


async def test_the_stored_rows_carry_the_verdict_and_allocation(client, db):
    placed, _ = await _place(client, db, discount="0", stock=1)
    async with db.read() as unit:
        order = await unit.session.get(SalesOrder, placed["id"])
        events = (
            await unit.session.execute(
                select(AuditEvent.action, AuditEvent.from_state, AuditEvent.to_state)
                .where(AuditEvent.entity_id == placed["id"])
                .order_by(AuditEvent.at, AuditEvent.id)
            )
        ).all()
        reserved = (
            (
                await unit.session.execute(
                    select(StockReservation.quantity)
                    .where(StockReservation.order_id == placed["id"])
                    .order_by(StockReservation.quantity)
                )
            )
            .scalars()
            .all()
        )
    assert (order.status, order.fulfilment_status) == ("confirmed", "partially_allocated")
    assert [tuple(e) for e in events] == [
        ("submit", "draft", "submitted"),
        ("confirm", "submitted", "confirmed"),
        ("stock_allocated", "unallocated", "partially_allocated"),
    ]
    assert reserved == [1, 3]
