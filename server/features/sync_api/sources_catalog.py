"""Pull sources of the catalog: products with availability, price lists, tax rates.

Shapes are documented in sources.py. Everything is loaded in a few queries per page,
whatever its size: a first pull carries thousands of products and price list items.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    Customer,
    PriceBreak,
    PriceList,
    PriceListItem,
    Product,
    StockLevel,
    TaxRate,
)
from server.features.shared.scope import customer_filter
from server.features.sync_api.sources_documents import scope_of
from sync.feed import FeedSource, Visibility

__all__ = ["CATALOG_SOURCES", "format_tax_rate"]

_RATE_PLACES = Decimal("0.00001")


def format_tax_rate(rate: object) -> str:
    """A stored fraction as a string with the column's five places: '0.08250'."""
    return f"{Decimal(str(rate)).quantize(_RATE_PLACES):f}"


async def _product_ids(
    session: AsyncSession, visibility: Visibility, after: str, limit: int
) -> list[str]:
    rows = await session.execute(
        select(Product.id).where(Product.id > after).order_by(Product.id).limit(limit)
    )
    return [r[0] for r in rows]


async def _products(
    session: AsyncSession, visibility: Visibility, ids: list[str]
) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    available = dict(
        (
            await session.execute(
                select(StockLevel.product_id, func.sum(StockLevel.on_hand - StockLevel.allocated))
                .where(StockLevel.product_id.in_(ids))
                .group_by(StockLevel.product_id)
            )
        ).all()
    )
    rows = (
        await session.execute(
            select(
                Product.id,
                Product.sku,
                Product.name,
                Product.category_id,
                Product.unit_of_measure,
                Product.pack_size,
                Product.min_order_qty,
                Product.active,
                Product.tax_category,
                Product.floor_price_cents,
            ).where(Product.id.in_(ids))
        )
    ).all()
    return {
        p.id: {
            "id": p.id,
            "sku": p.sku,
            "name": p.name,
            "category_id": p.category_id,
            "unit_of_measure": p.unit_of_measure,
            "pack_size": p.pack_size,
            "min_order_qty": p.min_order_qty,
            "active": p.active,
            "tax_category": p.tax_category,
            "floor_price_cents": p.floor_price_cents,
            "available": max(0, int(available.get(p.id) or 0)),
        }
        for p in rows
    }


def _price_list_filter(visibility: Visibility) -> Any:
    # Base and tier lists are everyone's; a customer's own list only for who sees the customer.
    visible_customers = select(Customer.id).where(customer_filter(scope_of(visibility)))
    return or_(
        PriceList.kind.in_(("base", "tier")),
        (PriceList.kind == "customer") & PriceList.customer_id.in_(visible_customers),
    )


async def _price_list_ids(
    session: AsyncSession, visibility: Visibility, after: str, limit: int
) -> list[str]:
    rows = await session.execute(
        select(PriceList.id)
        .where(_price_list_filter(visibility), PriceList.id > after)
        .order_by(PriceList.id)
        .limit(limit)
    )
    return [r[0] for r in rows]


async def _price_lists(
    session: AsyncSession, visibility: Visibility, ids: list[str]
) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    lists = (
        (
            await session.execute(
                select(PriceList).where(PriceList.id.in_(ids), _price_list_filter(visibility))
            )
        )
        .scalars()
        .all()
    )
    if not lists:
        return {}
    list_ids = [pl.id for pl in lists]
    items = (
        await session.execute(
            select(
                PriceListItem.id,
                PriceListItem.price_list_id,
                PriceListItem.product_id,
                PriceListItem.unit_price_cents,
            ).where(PriceListItem.price_list_id.in_(list_ids))
        )
    ).all()
    breaks: dict[str, list[list[int]]] = defaultdict(list)
    for b in (
        await session.execute(
            select(PriceBreak.item_id, PriceBreak.min_qty, PriceBreak.unit_price_cents)
            .join(PriceListItem, PriceListItem.id == PriceBreak.item_id)
            .where(PriceListItem.price_list_id.in_(list_ids))
            .order_by(PriceBreak.item_id, PriceBreak.min_qty)
        )
    ).all():
        breaks[b.item_id].append([b.min_qty, b.unit_price_cents])
    by_list: dict[str, dict[str, Any]] = defaultdict(dict)
    for item in items:
        by_list[item.price_list_id][item.product_id] = {
            "unit_price_cents": item.unit_price_cents,
            "breaks": breaks.get(item.id, []),
        }
    return {
        pl.id: {
            "id": pl.id,
            "code": pl.code,
            "name": pl.name,
            "kind": pl.kind,
            "customer_id": pl.customer_id,
            "currency": pl.currency,
            "version": pl.version,
            "valid_from": pl.valid_from.isoformat() if pl.valid_from else None,
            "valid_to": pl.valid_to.isoformat() if pl.valid_to else None,
            "items": by_list[pl.id],
        }
        for pl in lists
    }


async def _tax_rate_ids(
    session: AsyncSession, visibility: Visibility, after: str, limit: int
) -> list[str]:
    rows = await session.execute(
        select(TaxRate.id).where(TaxRate.id > after).order_by(TaxRate.id).limit(limit)
    )
    return [r[0] for r in rows]


async def _tax_rates(
    session: AsyncSession, visibility: Visibility, ids: list[str]
) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    rows = (await session.execute(select(TaxRate).where(TaxRate.id.in_(ids)))).scalars().all()
    return {
        r.id: {
            "id": r.id,
            "tax_category": r.tax_category,
            "country": r.country,
            "state": r.state,
            "rate": format_tax_rate(r.rate),
        }
        for r in rows
    }


CATALOG_SOURCES = [
    FeedSource("product", _product_ids, _products),
    FeedSource("price_list", _price_list_ids, _price_lists),
    FeedSource("tax_rate", _tax_rate_ids, _tax_rates),
]
