"""Reading stock for the back office: levels with backorders, a product's history,
expected receipts. Every list is paged in the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    ExpectedReceipt,
    Product,
    SalesOrderLine,
    StockLevel,
    StockMovement,
    User,
    Warehouse,
)
from server.domain.errors import NotFound
from server.domain.search import LIKE_ESCAPE, checked_search_text, like_contains
from server.features.inventory.schemas import (
    ExpectedReceiptOut,
    ExpectedReceiptPage,
    StockHistoryPage,
    StockLevelOut,
    StockLevelPage,
    StockMovementOut,
)

__all__ = [
    "expected_receipt_out",
    "expected_receipts",
    "movement",
    "product_id_by_sku",
    "stock_history",
    "stock_level",
    "stock_levels",
]


def _backordered() -> Any:
    return (
        select(
            SalesOrderLine.product_id,
            func.sum(SalesOrderLine.quantity_backordered).label("backordered"),
        )
        .where(SalesOrderLine.quantity_backordered > 0)
        .group_by(SalesOrderLine.product_id)
        .subquery()
    )


def _levels_query() -> tuple[Any, Any]:
    waiting = _backordered()
    query = (
        select(
            StockLevel.warehouse_id,
            Warehouse.code.label("warehouse_code"),
            StockLevel.product_id,
            Product.sku,
            Product.name,
            StockLevel.on_hand,
            StockLevel.allocated,
            func.coalesce(waiting.c.backordered, 0).label("backordered"),
        )
        .join(Warehouse, StockLevel.warehouse_id == Warehouse.id)
        .join(Product, StockLevel.product_id == Product.id)
        .outerjoin(waiting, waiting.c.product_id == StockLevel.product_id)
    )
    return query, waiting


def _level_out(row: Any) -> StockLevelOut:
    return StockLevelOut(
        warehouse_id=row.warehouse_id,
        warehouse_code=row.warehouse_code,
        product_id=row.product_id,
        sku=row.sku,
        name=row.name,
        on_hand=row.on_hand,
        allocated=row.allocated,
        available=max(row.on_hand - row.allocated, 0),
        backordered=int(row.backordered or 0),
    )


def _search(q: str) -> Any | None:
    text = checked_search_text(q).strip().lower()
    if not text:
        return None
    pattern = like_contains(text)
    return or_(
        func.lower(Product.sku).like(pattern, escape=LIKE_ESCAPE),
        func.lower(Product.name).like(pattern, escape=LIKE_ESCAPE),
    )


async def stock_levels(
    session: AsyncSession, *, warehouse_id: str | None, q: str, limit: int, offset: int
) -> StockLevelPage:
    """Stock per warehouse and product, by SKU then warehouse code."""
    where: list[Any] = []
    if warehouse_id:
        where.append(StockLevel.warehouse_id == warehouse_id)
    matching = _search(q)
    if matching is not None:
        where.append(matching)
    total = await session.scalar(
        select(func.count())
        .select_from(StockLevel)
        .join(Product, StockLevel.product_id == Product.id)
        .where(*where)
    )
    query, _ = _levels_query()
    rows = (
        await session.execute(
            query.where(*where).order_by(Product.sku, Warehouse.code).limit(limit).offset(offset)
        )
    ).all()
    return StockLevelPage(
        items=[_level_out(r) for r in rows], total=int(total or 0), limit=limit, offset=offset
    )


async def stock_level(session: AsyncSession, warehouse_id: str, product_id: str) -> StockLevelOut:
    query, _ = _levels_query()
    row = (
        await session.execute(
            query.where(
                StockLevel.warehouse_id == warehouse_id, StockLevel.product_id == product_id
            )
        )
    ).first()
    if row is None:
        raise NotFound("No stock of this product at this warehouse.", code="stock_not_found")
    return _level_out(row)


def _movements_query() -> Any:
    return (
        select(
            StockMovement,
            Warehouse.code.label("warehouse_code"),
            User.full_name.label("actor_name"),
        )
        .join(Warehouse, StockMovement.warehouse_id == Warehouse.id)
        .outerjoin(User, StockMovement.actor_id == User.id)
    )


def _movement_out(row: Any) -> StockMovementOut:
    m: StockMovement = row[0]
    return StockMovementOut(
        id=m.id,
        at=m.created_at.isoformat(),
        warehouse_id=m.warehouse_id,
        warehouse_code=row.warehouse_code,
        quantity=m.quantity,
        on_hand_after=m.on_hand_after,
        kind=m.kind,
        reason=m.reason,
        actor_id=m.actor_id,
        actor_name=row.actor_name,
        order_id=m.order_id,
        document_number=m.document_number,
    )


async def movement(session: AsyncSession, movement_id: str) -> StockMovementOut:
    row = (await session.execute(_movements_query().where(StockMovement.id == movement_id))).one()
    return _movement_out(row)


async def stock_history(
    session: AsyncSession, product_id: str, *, limit: int, offset: int
) -> StockHistoryPage:
    """Every change of the product's on hand, newest first (ids are time-ordered, so
    they break ties between movements of the same instant)."""
    product = await session.get(Product, product_id)
    if product is None:
        raise NotFound("No such product.", code="product_not_found")
    total = await session.scalar(
        select(func.count())
        .select_from(StockMovement)
        .where(StockMovement.product_id == product_id)
    )
    rows = (
        await session.execute(
            _movements_query()
            .where(StockMovement.product_id == product_id)
            .order_by(StockMovement.created_at.desc(), StockMovement.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return StockHistoryPage(
        product_id=product.id,
        sku=product.sku,
        name=product.name,
        items=[_movement_out(r) for r in rows],
        total=int(total or 0),
        limit=limit,
        offset=offset,
    )


def expected_receipt_out(
    receipt: ExpectedReceipt, warehouse_code: str, sku: str, name: str, lines_dated: int = 0
) -> ExpectedReceiptOut:
    return ExpectedReceiptOut(
        id=receipt.id,
        warehouse_id=receipt.warehouse_id,
        warehouse_code=warehouse_code,
        product_id=receipt.product_id,
        sku=sku,
        name=name,
        quantity=receipt.quantity,
        expected_on=receipt.expected_on.isoformat(),
        reference=receipt.reference,
        received=receipt.received,
        created_at=receipt.created_at.isoformat(),
        lines_dated=lines_dated,
    )


async def expected_receipts(
    session: AsyncSession,
    *,
    product_id: str | None,
    include_received: bool,
    limit: int,
    offset: int,
) -> ExpectedReceiptPage:
    """Expected receipts by date (the soonest first)."""
    where: list[Any] = []
    if product_id:
        where.append(ExpectedReceipt.product_id == product_id)
    if not include_received:
        where.append(ExpectedReceipt.received.is_(False))
    total = await session.scalar(select(func.count()).select_from(ExpectedReceipt).where(*where))
    rows = (
        await session.execute(
            select(ExpectedReceipt, Warehouse.code, Product.sku, Product.name)
            .join(Warehouse, ExpectedReceipt.warehouse_id == Warehouse.id)
            .join(Product, ExpectedReceipt.product_id == Product.id)
            .where(*where)
            .order_by(ExpectedReceipt.expected_on, ExpectedReceipt.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return ExpectedReceiptPage(
        items=[expected_receipt_out(r[0], r[1], r[2], r[3]) for r in rows],
        total=int(total or 0),
        limit=limit,
        offset=offset,
    )


async def product_id_by_sku(session: AsyncSession, sku: str) -> str:
    """The product a person typed the SKU of (as stored, or in another case)."""
    text = sku.strip()
    product_id = await session.scalar(select(Product.id).where(Product.sku == text))
    if product_id is None:
        product_id = await session.scalar(
            select(Product.id).where(func.lower(Product.sku) == text.lower()).limit(1)
        )
    if product_id is None:
        raise NotFound(f"No product has the SKU '{text}'.", code="product_not_found")
    return str(product_id)
