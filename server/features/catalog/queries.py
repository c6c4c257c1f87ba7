"""Reading the catalog: product search and detail with price and stock, categories, stock."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, Product, ProductCategory, Warehouse
from server.db.models import StockLevel as StockRow
from server.db.unit_of_work import unit_of
from server.domain.catalog import StockLevel, is_low, is_low_stock, round_to_pack
from server.domain.errors import NotFound
from server.domain.search import checked_search_text, fold
from server.features.catalog.prices import PriceContext, load_price_context
from server.features.catalog.schemas import (
    CategoryOut,
    ProductDetail,
    ProductPage,
    ProductSummary,
    StockAlertOut,
    StockRowOut,
    StockStatus,
    WarehouseStockOut,
)
from server.features.shared.text_search import (
    DocumentShape,
    bound_document_matches,
    document_shape,
    document_values,
)

__all__ = [
    "SORTS",
    "get_product",
    "list_categories",
    "product_detail",
    "search_products",
    "stock_alerts",
    "stock_rows",
    "stock_status",
]

SORTS: dict[str, Any] = {
    "name": Product.name.asc(),
    "-name": Product.name.desc(),
    "sku": Product.sku.asc(),
    "-sku": Product.sku.desc(),
}


def stock_status(levels: Collection[StockLevel], threshold: int) -> StockStatus:
    return _status(sum(level.available for level in levels), threshold)


def _status(available: int, threshold: int) -> StockStatus:
    """`stock_status` of a product's available stock summed over all warehouses."""
    if available == 0:
        return "out"
    return "low" if is_low(available, threshold) else "in_stock"


# What a listing shows of a product (`_summary`).
_LISTED_COLUMNS = (
    Product.id,
    Product.sku,
    Product.name,
    Product.description,
    Product.unit_of_measure,
    Product.pack_size,
    Product.min_order_qty,
    Product.active,
    Product.tax_category,
    Product.image_url,
    Product.low_stock_threshold,
)


class _Listed(NamedTuple):
    """A listed product's row (`_LISTED_COLUMNS`, then its category's code and name).

    A plain tuple's fields are read several times faster than a result row's by name."""

    id: str
    sku: str
    name: str
    description: str
    unit_of_measure: str
    pack_size: int
    min_order_qty: int
    active: bool
    tax_category: str
    image_url: str | None
    low_stock_threshold: int
    code: str
    c_name: str
    available: int


class _Category(NamedTuple):
    code: str
    name: str


def _summary(
    product: Any,
    category: Any,
    available: int,
    prices: PriceContext,
    on: date,
) -> ProductSummary:
    # Listings quote the smallest orderable quantity, the price a rep would see first.
    quantity = round_to_pack(1, max(product.pack_size, 1), max(product.min_order_qty, 0))
    price = prices.listed_price(product.id, quantity, on)
    return ProductSummary(
        id=product.id,
        sku=product.sku,
        name=product.name,
        description=product.description,
        category_code=category.code,
        category_name=category.name,
        unit_of_measure=product.unit_of_measure,
        pack_size=product.pack_size,
        min_order_qty=product.min_order_qty,
        active=product.active,
        tax_category=product.tax_category,
        image_url=product.image_url,
        available=available,
        stock_status=_status(available, product.low_stock_threshold),
        price=price,
    )


async def search_products(
    session: AsyncSession,
    *,
    customer: Customer | None,
    on: date,
    q: str = "",
    category: str | None = None,
    active: bool | None = None,
    sort: str = "name",
    limit: int = 25,
    offset: int = 0,
) -> ProductPage:
    """One page of products with stock and the customer's price (base price without one)."""
    sort = sort if sort in SORTS else "name"
    if checked_search_text(q).strip():
        total, found = await _searched(session, q, category, active, sort, limit, offset)
    else:
        count, page = _list_statements(None, bool(category), active is not None, sort)
        params = {"category": category, "active": active, "limit": limit, "offset": offset}
        sql = unit_of(session).sql
        total = int(await sql.scalar(count, params) or 0)
        found = await sql.rows(page, params)
    rows = [_Listed._make(row) for row in found]
    prices = await load_price_context(session, customer, [p.id for p in rows])
    items = [_summary(p, _Category(p.code, p.c_name), p.available, prices, on) for p in rows]
    return ProductPage(
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        customer_id=customer.id if customer else None,
    )


def _page_of(where: list[Any], sort: str) -> Select[*tuple[Any, ...]]:
    return (
        select(*_LISTED_COLUMNS, ProductCategory.code, ProductCategory.name.label("c_name"))
        .join(ProductCategory, Product.category_id == ProductCategory.id)
        .where(*where)
        .order_by(SORTS[sort], Product.id)
    )


def _count_of(where: list[Any]) -> Select[Any]:
    base = select(Product.id).join(ProductCategory, Product.category_id == ProductCategory.id)
    return select(func.count()).select_from(base.where(*where).subquery())


@lru_cache(maxsize=64)
def _list_statements(
    words: DocumentShape | None, by_category: bool, by_active: bool, sort: str
) -> tuple[Any, Any]:
    """The count and the page of a listing, built once for each search shape (`words`;
    None without search text), filter and sort, their values as parameters (building and
    compiling a statement costs more than running it)."""
    where: list[Any] = []
    if words is not None:
        where.append(
            bound_document_matches(Product.search_document, Product.id, "product_search", words)
        )
    if by_category:
        where.append(ProductCategory.code == bindparam("category"))
    if by_active:
        where.append(Product.active == bindparam("active"))
    listed = _page_of(where, sort).limit(bindparam("limit")).offset(bindparam("offset"))
    # Stock is summed for the page's rows only, in the same statement: one round trip and
    # no per-warehouse rows to build.
    inner = listed.subquery("listed")
    key = inner.c[sort.lstrip("-")]
    page = select(*inner.c, _available_of(inner.c.id).label("available")).order_by(
        key.desc() if sort.startswith("-") else key.asc(), inner.c.id
    )
    return _count_of(where), page


def _available_of(product_id: Any) -> Any:
    """A product's available stock over all warehouses, each warehouse's never below zero
    (as `StockLevel.available`)."""
    per_warehouse = case(
        (StockRow.on_hand > StockRow.allocated, StockRow.on_hand - StockRow.allocated), else_=0
    )
    summed = select(func.sum(per_warehouse)).where(StockRow.product_id == product_id)
    return func.coalesce(summed.scalar_subquery(), 0)


async def _searched(
    session: AsyncSession,
    q: str,
    category: str | None,
    active: bool | None,
    sort: str,
    limit: int,
    offset: int,
) -> tuple[int, list[Any]]:
    # The whole text as one piece of a name, SKU or description, accents ignored.
    sql = unit_of(session).sql
    words = [[fold(q.strip())]]
    shape = document_shape(words, unit_of(session).dialect_name)
    count, page = _list_statements(shape, bool(category), active is not None, sort)
    params = {
        **document_values(words, shape),
        "category": category,
        "active": active,
        "limit": limit,
        "offset": offset,
    }
    total = int(await sql.scalar(count, params) or 0)
    return total, list(await sql.rows(page, params))


async def get_product(session: AsyncSession, product_id: str) -> tuple[Product, ProductCategory]:
    row = (
        await session.execute(
            select(Product, ProductCategory)
            .join(ProductCategory, Product.category_id == ProductCategory.id)
            .where(Product.id == product_id)
        )
    ).first()
    if row is None:
        raise NotFound("No such product.", code="product_not_found")
    return row[0], row[1]


async def product_detail(
    session: AsyncSession,
    product: Product,
    category: ProductCategory,
    prices: PriceContext,
    on: date,
    *,
    show_cost: bool = False,
) -> ProductDetail:
    rows = (
        await session.execute(
            select(StockRow, Warehouse)
            .join(Warehouse, StockRow.warehouse_id == Warehouse.id)
            .where(StockRow.product_id == product.id)
            .order_by(Warehouse.code)
        )
    ).all()
    levels = [StockLevel(s.warehouse_id, s.product_id, s.on_hand, s.allocated) for s, _ in rows]
    return ProductDetail(
        product=_summary(product, category, sum(level.available for level in levels), prices, on),
        floor_price_cents=product.floor_price_cents,
        low_stock_threshold=product.low_stock_threshold,
        cost_cents=product.cost_cents if show_cost else None,
        created_at=product.created_at.isoformat(),
        updated_at=product.updated_at.isoformat(),
        stock=[
            WarehouseStockOut(
                warehouse_id=w.id,
                warehouse_code=w.code,
                warehouse_name=w.name,
                on_hand=level.on_hand,
                allocated=level.allocated,
                available=level.available,
            )
            for level, (_, w) in zip(levels, rows, strict=True)
        ],
    )


async def list_categories(session: AsyncSession) -> list[CategoryOut]:
    rows = (
        await session.execute(
            select(ProductCategory, func.count(Product.id))
            .outerjoin(Product, Product.category_id == ProductCategory.id)
            .group_by(ProductCategory.id, ProductCategory.code, ProductCategory.name)
            .order_by(ProductCategory.name, ProductCategory.code)
        )
    ).all()
    return [CategoryOut(id=c.id, code=c.code, name=c.name, product_count=int(n)) for c, n in rows]


async def stock_rows(
    session: AsyncSession,
    *,
    product_id: str | None,
    warehouse_id: str | None,
    limit: int,
    offset: int,
) -> list[StockRowOut]:
    query = (
        select(StockRow, Warehouse.code, Product.sku)
        .join(Warehouse, StockRow.warehouse_id == Warehouse.id)
        .join(Product, StockRow.product_id == Product.id)
    )
    if product_id:
        query = query.where(StockRow.product_id == product_id)
    if warehouse_id:
        query = query.where(StockRow.warehouse_id == warehouse_id)
    rows = (
        await session.execute(
            query.order_by(Product.sku, Warehouse.code).limit(limit).offset(offset)
        )
    ).all()
    out = []
    for s, code, sku in rows:
        level = StockLevel(s.warehouse_id, s.product_id, s.on_hand, s.allocated)
        out.append(
            StockRowOut(
                warehouse_id=s.warehouse_id,
                warehouse_code=code,
                product_id=s.product_id,
                sku=sku,
                on_hand=s.on_hand,
                allocated=s.allocated,
                available=level.available,
            )
        )
    return out


async def stock_alerts(session: AsyncSession) -> list[StockAlertOut]:
    """Active products whose stock over all warehouses is at or below their threshold.

    A product without any stock row has nothing available, so it alerts as out of stock.
    """
    products = (
        (
            await session.execute(
                select(Product).where(Product.active.is_(True)).order_by(Product.sku)
            )
        )
        .scalars()
        .all()
    )
    # One join instead of an IN list: a large catalog would exceed the bind parameter limit.
    levels: dict[str, list[StockLevel]] = defaultdict(list)
    stock = (
        (
            await session.execute(
                select(StockRow)
                .join(Product, StockRow.product_id == Product.id)
                .where(Product.active.is_(True))
            )
        )
        .scalars()
        .all()
    )
    for r in stock:
        levels[r.product_id].append(
            StockLevel(r.warehouse_id, r.product_id, r.on_hand, r.allocated)
        )
    alerts = []
    for p in products:
        mine = levels.get(p.id, [])
        if is_low_stock(mine, p.low_stock_threshold):
            available = sum(level.available for level in mine)
            alerts.append(
                StockAlertOut(
                    product_id=p.id,
                    sku=p.sku,
                    name=p.name,
                    available=available,
                    low_stock_threshold=p.low_stock_threshold,
                    status="out" if available == 0 else "low",
                )
            )
    return alerts
