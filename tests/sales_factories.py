"""Catalog, price and stock rows for the sales tests, plus small HTTP helpers.

Rows are inserted directly (the catalog API belongs to another slice and is not what these
tests are about); customers and orders go through the real API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
from sqlalchemy import func, select

from server.db.engine import Database
from server.db.models import (
    PriceBreak,
    PriceList,
    PriceListItem,
    Product,
    ProductCategory,
    SalesOrder,
    StockLevel,
    TaxRate,
    Warehouse,
)
from server.db.types import new_id
from tests.factories import customer_body

__all__ = [
    "Catalog",
    "add_price_list",
    "add_product",
    "count_orders",
    "create_customer",
    "seed_catalog",
    "set_stock",
    "stock_of",
]


@dataclass
class Catalog:
    category_id: str
    base_list_id: str
    warehouse_ids: list[str]
    products: dict[str, str] = field(default_factory=dict)  # sku -> product id


async def add_product(
    db: Database,
    catalog: Catalog,
    sku: str,
    *,
    price_cents: int | None,
    floor_cents: int = 0,
    pack_size: int = 1,
    min_qty: int = 1,
    active: bool = True,
    breaks: tuple[tuple[int, int], ...] = (),
) -> str:
    """A product, priced on the base list unless `price_cents` is None."""
    product_id = new_id()
    async with db.write() as uow:
        uow.session.add(
            Product(
                id=product_id,
                sku=sku,
                name=f"Product {sku}",
                category_id=catalog.category_id,
                pack_size=pack_size,
                min_order_qty=min_qty,
                floor_price_cents=floor_cents,
                active=active,
                tax_category="standard",
            )
        )
        await uow.session.flush()
        if price_cents is not None:
            item_id = new_id()
            uow.session.add(
                PriceListItem(
                    id=item_id,
                    price_list_id=catalog.base_list_id,
                    product_id=product_id,
                    unit_price_cents=price_cents,
                )
            )
            await uow.session.flush()
            for min_qty_break, cents in breaks:
                uow.session.add(
                    PriceBreak(
                        id=new_id(), item_id=item_id, min_qty=min_qty_break, unit_price_cents=cents
                    )
                )
    catalog.products[sku] = product_id
    return product_id


async def add_price_list(
    db: Database,
    *,
    code: str,
    version: int,
    prices: dict[str, int],
    kind: str = "base",
    valid_from: date | None = None,
) -> str:
    """A (new version of a) price list with `prices` by product id."""
    list_id = new_id()
    async with db.write() as uow:
        uow.session.add(
            PriceList(
                id=list_id,
                code=code,
                name=f"{code} v{version}",
                kind=kind,
                version=version,
                valid_from=valid_from,
            )
        )
        await uow.session.flush()
        for product_id, cents in prices.items():
            uow.session.add(
                PriceListItem(
                    id=new_id(),
                    price_list_id=list_id,
                    product_id=product_id,
                    unit_price_cents=cents,
                )
            )
    return list_id


async def seed_catalog(db: Database, *, tax_rate: str = "0.10") -> Catalog:
    """One category, a base list (v1, valid since last year), WA tax, two warehouses."""
    category_id, list_id, w1, w2 = new_id(), new_id(), new_id(), new_id()
    async with db.write() as uow:
        uow.session.add(ProductCategory(id=category_id, code="TOOLS", name="Tools"))
        uow.session.add(
            PriceList(
                id=list_id,
                code="BASE",
                name="Base",
                kind="base",
                version=1,
                valid_from=date.today() - timedelta(days=365),
            )
        )
        uow.session.add(
            TaxRate(
                id=new_id(),
                tax_category="standard",
                country="US",
                state="WA",
                rate=Decimal(tax_rate),
            )
        )
        uow.session.add(Warehouse(id=w1, code="W1", name="Seattle DC", country="US", state="WA"))
        uow.session.add(Warehouse(id=w2, code="W2", name="Reno DC", country="US", state="NV"))
    return Catalog(category_id=category_id, base_list_id=list_id, warehouse_ids=sorted([w1, w2]))


async def set_stock(db: Database, warehouse_id: str, product_id: str, on_hand: int) -> None:
    async with db.write() as uow:
        row = await uow.session.get(StockLevel, (warehouse_id, product_id))
        if row is None:
            uow.session.add(
                StockLevel(
                    warehouse_id=warehouse_id, product_id=product_id, on_hand=on_hand, allocated=0
                )
            )
        else:
            row.on_hand = on_hand


async def stock_of(db: Database, product_id: str) -> list[tuple[str, int, int]]:
    """(warehouse_id, on_hand, allocated) per warehouse, by warehouse id."""
    async with db.read() as unit:
        rows = (
            (
                await unit.session.execute(
                    select(StockLevel)
                    .where(StockLevel.product_id == product_id)
                    .order_by(StockLevel.warehouse_id)
                )
            )
            .scalars()
            .all()
        )
        return [(r.warehouse_id, r.on_hand, r.allocated) for r in rows]


async def count_orders(db: Database) -> int:
    async with db.read() as unit:
        return int(await unit.session.scalar(select(func.count()).select_from(SalesOrder)) or 0)


async def create_customer(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, **extra: Any
) -> dict[str, Any]:
    """An active customer in North (WA) unless told otherwise, created through the API."""
    body = customer_body(name, **extra)
    body.setdefault("status", "active")
    body["confirm_new"] = True
    response = await client.post("/api/customers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


@asynccontextmanager
async def stock_row_held(database_url: str, product_id: str) -> AsyncIterator[None]:
    """Another transaction (a receipt, a shipment) holding the product's stock rows
    `FOR UPDATE` on PostgreSQL until the block ends, then rolled back."""
    holder = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        holding = holder.transaction()
        await holding.start()
        await holder.execute(
            "SELECT 1 FROM stock_levels WHERE product_id = $1 FOR UPDATE", product_id
        )
        try:
            yield
        finally:
            await holding.rollback()
    finally:
        await holder.close()
