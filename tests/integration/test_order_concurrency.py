"""Many phones ordering the same scarce product at once never oversell it."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from server.db.models import SalesOrderLine
from tests.factories import bearer, login, seed_world
from tests.sales_factories import (
    add_product,
    count_orders,
    create_customer,
    seed_catalog,
    set_stock,
    stock_of,
)


async def test_fifty_concurrent_orders_against_ten_units_never_oversell(client, db):
    await seed_world(db)
    catalog = await seed_catalog(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    manager = bearer(await login(client, "manager@corp.test"))
    widget = await add_product(db, catalog, "HOT-1", price_cents=1000)
    await set_stock(db, catalog.warehouse_ids[0], widget, 10)
    customer = await create_customer(client, manager, "Harbor View Bistro")
    body = {"customer_id": customer["id"], "lines": [{"product_id": widget, "quantity": 1}]}

    responses = await asyncio.gather(
        *(client.post("/api/orders", json=body, headers=rep) for _ in range(50))
    )

    assert [r.status_code for r in responses] == [201] * 50, [
        r.text for r in responses if r.status_code != 201
    ][:3]
    orders = [r.json() for r in responses]
    assert len({o["number"] for o in orders}) == 50
    allocated = sum(o["lines"][0]["quantity_allocated"] for o in orders)
    backordered = sum(o["lines"][0]["quantity_backordered"] for o in orders)
    assert (allocated, backordered) == (10, 40)
    assert [(on_hand, held) for _, on_hand, held in await stock_of(db, widget)] == [(10, 10)]
    async with db.read() as unit:
        total = await unit.session.scalar(select(func.sum(SalesOrderLine.quantity_allocated)))
    assert total == 10


async def test_concurrent_retries_with_one_key_create_one_order(client, db):
    await seed_world(db)
    catalog = await seed_catalog(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    manager = bearer(await login(client, "manager@corp.test"))
    widget = await add_product(db, catalog, "HOT-2", price_cents=1000)
    await set_stock(db, catalog.warehouse_ids[0], widget, 10)
    customer = await create_customer(client, manager, "Harbor View Bistro")
    body = {"customer_id": customer["id"], "lines": [{"product_id": widget, "quantity": 1}]}
    headers = {"Idempotency-Key": "same-key", **rep}

    responses = await asyncio.gather(
        *(client.post("/api/orders", json=body, headers=headers) for _ in range(8))
    )

    codes = sorted({r.status_code for r in responses})
    assert set(codes) <= {201, 409}, [r.text for r in responses]
    created = [r.json() for r in responses if r.status_code == 201]
    assert created and len({o["number"] for o in created}) == 1
    assert all(
        r.json()["code"] == "idempotency_in_progress" for r in responses if r.status_code == 409
    )
    assert await count_orders(db) == 1
