"""Stock is conserved while orders are placed, cancelled, shipped in part and stock is
received, all at once through the HTTP API (truly in parallel on PostgreSQL).

A seeded random schedule runs rounds of concurrent requests; every answer must be a
success or a refusal (never a 5xx: no deadlock, no lost lock), and afterwards, for every
product and warehouse and every open order line, the books must balance.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import func, select

from server.db.engine import Database
from server.db.models import (
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
    StockLevel,
    StockReservation,
)
from tests.factories import bearer, login, seed_world
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock

ROUNDS = 5
OPERATIONS_PER_ROUND = 10


class Shop:
    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


async def _shop(client: Any, db: Database) -> Any:
    await seed_world(db)
    catalog = await seed_catalog(db)
    w1, w2 = catalog.warehouse_ids
    products = [await add_product(db, catalog, f"SKU-{i}", price_cents=1000 + i) for i in range(3)]
    start = {(w1, products[0]): 6, (w2, products[0]): 3, (w1, products[1]): 4}
    start.update({(w2, products[2]): 5, (w1, products[2]): 0})
    for (warehouse, product), units in start.items():
        await set_stock(db, warehouse, product, units)
    manager = bearer(await login(client, "manager@corp.test"))
    admin = bearer(await login(client, "admin@corp.test"))
    customers = [
        (await create_customer(client, manager, name))["id"]
        for name in ("Harbor View Bistro", "Pier Nine Grill")
    ]
    return Shop(
        warehouses=[w1, w2],
        products=products,
        start=start,
        manager=manager,
        admin=admin,
        customers=customers,
        orders=[],
        received=defaultdict(int),
    )


def _operation(rng: random.Random, shop: Any) -> tuple[str, dict[str, Any]]:
    kinds = ["place", "place", "receive"]
    if shop.orders:
        kinds += ["ship", "ship", "cancel"]
    kind = rng.choice(kinds)
    if kind == "place":
        chosen = rng.sample(shop.products, rng.randint(1, 2))
        return kind, {
            "customer_id": rng.choice(shop.customers),
            "lines": [{"product_id": p, "quantity": rng.randint(1, 4)} for p in chosen],
            "order_type": rng.choice(["standard", "standard", "rush"]),
            "ship_complete": rng.random() < 0.2,
        }
    if kind == "receive":
        return kind, {
            "warehouse_id": rng.choice(shop.warehouses),
            "product_id": rng.choice(shop.products),
            "quantity": rng.randint(1, 4),
        }
    order = rng.choice(shop.orders)
    if kind == "cancel":
        return kind, {"order_id": order["id"]}
    body: dict[str, Any] = {
        "warehouse_id": rng.choice(shop.warehouses),
        "dispatch": rng.random() < 0.7,
    }
    if rng.random() < 0.6:
        line = rng.choice(order["lines"])
        body["lines"] = [{"line_id": line["id"], "quantity": rng.randint(1, 2)}]
    return kind, {"order_id": order["id"], "body": body}


async def _run(client: Any, shop: Any, kind: str, args: dict[str, Any]) -> tuple[str, Any]:
    if kind == "place":
        answer = await client.post("/api/orders", json=args, headers=shop.manager)
    elif kind == "receive":
        answer = await client.post("/api/stock/receipts", json=args, headers=shop.admin)
    elif kind == "cancel":
        answer = await client.post(
            f"/api/orders/{args['order_id']}/cancel",
            json={"reason": "changed plans"},
            headers=shop.manager,
        )
    else:
        answer = await client.post(
            f"/api/orders/{args['order_id']}/shipments", json=args["body"], headers=shop.admin
        )
    return kind, answer


async def _check_books(db: Database, shop: Any) -> None:
    async with db.read() as unit:
        s = unit.session
        levels = {
            (r.warehouse_id, r.product_id): (r.on_hand, r.allocated)
            for r in (await s.execute(select(StockLevel))).scalars()
        }
        reserved: dict[tuple[str, str], int] = defaultdict(int)
        reserved_per_line: dict[str, int] = defaultdict(int)
        for r in (
            await s.execute(select(StockReservation).where(StockReservation.released_at.is_(None)))
        ).scalars():
            reserved[(r.warehouse_id, r.product_id)] += r.quantity
            reserved_per_line[r.line_id] += r.quantity
        taken: dict[tuple[str, str], int] = defaultdict(int)
        packed: dict[str, int] = defaultdict(int)
        rows = await s.execute(
            select(
                Shipment.warehouse_id,
                Shipment.status,
                ShipmentLine.product_id,
                ShipmentLine.order_line_id,
                ShipmentLine.quantity,
            ).join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        )
        for r in rows:
            taken[(r.warehouse_id, r.product_id)] += r.quantity
            if r.status == "packed":
                packed[r.order_line_id] += r.quantity
        lines = (
            await s.execute(
                select(SalesOrderLine, SalesOrder.status).join(
                    SalesOrder, SalesOrder.id == SalesOrderLine.order_id
                )
            )
        ).all()
        shipment_count = await s.scalar(select(func.count()).select_from(Shipment))

    for key, (on_hand, allocated) in levels.items():
        assert on_hand >= allocated >= 0, (key, on_hand, allocated)
        assert allocated == reserved.get(key, 0), (key, allocated, reserved.get(key, 0))
        received = shop.received.get(key, 0)
        assert on_hand == shop.start.get(key, 0) + received - taken.get(key, 0), key
    for line, status in lines:
        if status in ("confirmed", "in_fulfilment"):
            books = (
                line.quantity_allocated
                + line.quantity_backordered
                + packed.get(line.id, 0)
                + line.quantity_shipped
            )
            assert books == line.quantity, (status, line.id, books, line.quantity)
            assert line.quantity_allocated == reserved_per_line.get(line.id, 0), line.id
        if status == "cancelled":
            assert reserved_per_line.get(line.id, 0) == 0
    assert shipment_count is not None


@pytest.mark.parametrize("seed", [7, 1913, 424242])
async def test_concurrent_orders_cancels_shipments_and_receipts_conserve_stock(client, db, seed):
    shop = await _shop(client, db)
    rng = random.Random(seed)
    answered: dict[str, set[int]] = defaultdict(set)
    for _ in range(ROUNDS):
        plan = [_operation(rng, shop) for _ in range(OPERATIONS_PER_ROUND)]
        results = await asyncio.gather(*(_run(client, shop, kind, args) for kind, args in plan))
        for (kind, answer), (_, args) in zip(results, plan, strict=True):
            answered[kind].add(answer.status_code)
            assert answer.status_code < 500, (kind, answer.status_code, answer.text)
            if kind == "place":
                assert answer.status_code == 201, answer.text
                placed = answer.json()
                if placed["status"] == "confirmed":
                    shop.orders.append(placed)
            elif kind == "receive":
                assert answer.status_code == 200, answer.text
                shop.received[(args["warehouse_id"], args["product_id"])] += args["quantity"]
            elif kind == "cancel":
                assert answer.status_code in (200, 409), answer.text
            else:
                assert answer.status_code in (201, 409, 422), answer.text
        await _check_books(db, shop)
    # The schedule did exercise the paths it is about.
    assert 201 in answered["place"] and 200 in answered["receive"]
    assert 201 in answered["ship"]
