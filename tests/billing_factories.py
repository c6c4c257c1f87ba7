"""Orders with shipped goods for the billing tests: a shop, an order, its shipments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from server.db.engine import Database
from tests.factories import World, bearer, login, seed_world
from tests.fulfilment_factories import ship as ship_through_api
from tests.sales_factories import Catalog, add_product, create_customer, seed_catalog, set_stock

__all__ = ["Shop", "open_shop", "place", "ship"]


@dataclass
class Shop:
    world: World
    catalog: Catalog
    rep: dict[str, str]
    admin: dict[str, str]
    customer: dict[str, Any]
    odd: str  # 3.33 a unit: thirds that do not divide evenly
    even: str  # 20.00 a unit


async def open_shop(client: httpx.AsyncClient, db: Database, **customer: Any) -> Shop:
    world = await seed_world(db)
    catalog = await seed_catalog(db)
    odd = await add_product(db, catalog, "ODD-1", price_cents=333)
    even = await add_product(db, catalog, "EVEN-1", price_cents=2000)
    for product in (odd, even):
        await set_stock(db, catalog.warehouse_ids[0], product, 10_000)
    rep = bearer(await login(client, "rep1@corp.test"))
    admin = bearer(await login(client, "admin@corp.test"))
    # The back office onboards it: only a manager or an admin may set a credit limit.
    buyer = await create_customer(client, admin, "Harbor Hardware", **customer)
    return Shop(world, catalog, rep, admin, buyer, odd, even)


async def place(
    client: httpx.AsyncClient,
    shop: Shop,
    lines: dict[str, int],
    *,
    shipping_cents: int = 0,
    customer_id: str | None = None,
) -> dict[str, Any]:
    """An order placed by the rep; `lines`: product id -> quantity."""
    body = {
        "customer_id": customer_id or shop.customer["id"],
        "lines": [{"product_id": p, "quantity": q} for p, q in lines.items()],
        "shipping_cents": shipping_cents,
    }
    response = await client.post("/api/orders", json=body, headers=shop.rep)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def ship(
    client: httpx.AsyncClient, shop: Shop, order: dict[str, Any], units: dict[str, int]
) -> str:
    """A shipment of `units` (order line id -> quantity) packed and dispatched through the
    fulfilment API; its id."""
    shipped = await ship_through_api(
        client, shop.admin, order["id"], shop.catalog.warehouse_ids[0], list(units.items())
    )
    return str(shipped["id"])
