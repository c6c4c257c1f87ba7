"""What a phone pulls: the customers it may see and the catalog with availability."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, Product, StockLevel
from server.features.customers.queries import customer_detail
from server.features.shared.scope import Scope, customer_filter
from sync.feed import FeedSource, Visibility

__all__ = ["FEED_SOURCES"]


def _scope(visibility: Visibility) -> Scope:
    return Scope(visibility.user_id, visibility.role, visibility.sees_all, visibility.territory_ids)


async def _customer_ids(session: AsyncSession, visibility: Visibility, after: str, limit: int) -> list[str]:
    rows = await session.execute(
        select(Customer.id).where(customer_filter(_scope(visibility)), Customer.id > after).order_by(Customer.id).limit(limit)
    )
    return [r[0] for r in rows]


async def _customers(session: AsyncSession, visibility: Visibility, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    rows = (await session.execute(select(Customer).where(Customer.id.in_(ids), customer_filter(_scope(visibility))))).scalars().all()
    return {c.id: msgspec.to_builtins(await customer_detail(session, c)) for c in rows}


async def _product_ids(session: AsyncSession, visibility: Visibility, after: str, limit: int) -> list[str]:
    rows = await session.execute(select(Product.id).where(Product.id > after).order_by(Product.id).limit(limit))
    return [r[0] for r in rows]


async def _products(session: AsyncSession, visibility: Visibility, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    available = dict(
        (await session.execute(
            select(StockLevel.product_id, func.sum(StockLevel.on_hand - StockLevel.allocated))
            .where(StockLevel.product_id.in_(ids)).group_by(StockLevel.product_id)
        )).all()
    )
    products = (await session.execute(select(Product).where(Product.id.in_(ids)))).scalars().all()
    return {
        p.id: {
            "id": p.id, "sku": p.sku, "name": p.name, "category_id": p.category_id,
            "unit_of_measure": p.unit_of_measure, "pack_size": p.pack_size,
            "min_order_qty": p.min_order_qty, "active": p.active, "tax_category": p.tax_category,
            "available": max(0, int(available.get(p.id) or 0)),
        }
        for p in products
    }


FEED_SOURCES = [
    FeedSource("customer", _customer_ids, _customers),
    FeedSource("product", _product_ids, _products),
]
