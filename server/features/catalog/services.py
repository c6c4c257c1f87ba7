"""Catalog actions: create and edit products, set stock, add warehouses.

Each action runs inside the caller's write transaction, checks its rule, writes the change
and its audit event; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Product, ProductCategory, StockLevel, Warehouse
from server.db.types import new_id, utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.errors import Conflict, NotFound, ValidationFailed
from server.domain.stock import MovementKind
from server.features.catalog import events
from server.features.catalog.changes import product_changes
from server.features.catalog.schemas import ProductIn, ProductUpdateIn, StockAdjustIn, WarehouseIn
from server.features.shared.stock_ledger import record_movement

__all__ = [
    "adjust_stock",
    "check_on_hand",
    "create_product",
    "create_warehouse",
    "ensure_category",
    "locked_levels",
    "product_fields",
    "set_counts",
    "update_product",
]


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def ensure_category(session: AsyncSession, code: str, name: str | None = None) -> str:
    """The id of the category with `code`, created on first use.

    INSERT .. ON CONFLICT DO NOTHING, so two admins adding products of a new category at
    the same time both succeed instead of one failing on the unique code.
    """
    await session.execute(
        _insert(session)(ProductCategory)
        .values(id=new_id(), code=code, name=name or code)
        .on_conflict_do_nothing(index_elements=["code"])
    )
    category_id = await session.scalar(
        select(ProductCategory.id).where(ProductCategory.code == code)
    )
    assert category_id is not None
    return category_id


def product_fields(product: Product) -> dict[str, Any]:
    """The editable fields as stored, for change records."""
    return {
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "category_id": product.category_id,
        "unit_of_measure": product.unit_of_measure,
        "pack_size": product.pack_size,
        "min_order_qty": product.min_order_qty,
        "floor_price_cents": product.floor_price_cents,
        "cost_cents": product.cost_cents,
        "active": product.active,
        "tax_category": product.tax_category,
        "image_url": product.image_url,
        "low_stock_threshold": product.low_stock_threshold,
    }


async def _flush_unique(session: AsyncSession, message: str, code: str) -> None:
    # The explicit check before covers the common case; this covers two concurrent writers.
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(message, code=code) from None


async def create_product(uow: WriteUnit, actor_id: str, data: ProductIn) -> Product:
    session = uow.session
    if await session.scalar(select(Product.id).where(Product.sku == data.sku)) is not None:
        raise Conflict(f"A product with SKU {data.sku} already exists.", code="sku_taken")
    now = utcnow()
    fields = msgspec.structs.asdict(data)
    fields.pop("category_code")
    fields.pop("category_name")
    product = Product(
        id=new_id(),
        category_id=await ensure_category(session, data.category_code, data.category_name),
        created_at=now,
        updated_at=now,
        **fields,
    )
    session.add(product)
    await _flush_unique(session, f"A product with SKU {data.sku} already exists.", "sku_taken")
    await uow.audit.record(
        events.product_created(
            product_id=product.id,
            actor_id=actor_id,
            channel="api",
            data={"sku": product.sku},
        )
    )
    uow.feed.touch_all(product_changes([product.id]))
    return product


async def update_product(
    uow: WriteUnit, actor_id: str, product_id: str, data: ProductUpdateIn
) -> Product:
    session = uow.session
    product = await session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise NotFound("No such product.", code="product_not_found")
    patch = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    sku = patch.get("sku")
    taken = (
        sku is not None
        and sku != product.sku
        and await session.scalar(select(Product.id).where(Product.sku == sku)) is not None
    )
    if taken:
        raise Conflict(f"A product with SKU {sku} already exists.", code="sku_taken")
    if "category_code" in patch:
        patch["category_id"] = await ensure_category(session, patch.pop("category_code"))
    before = product_fields(product)
    for field, value in patch.items():
        setattr(product, field, value)
    after = product_fields(product)
    changes = {k: [v, after[k]] for k, v in before.items() if after[k] != v}
    if changes:
        product.updated_at = utcnow()
        await _flush_unique(
            session, f"A product with SKU {product.sku} already exists.", "sku_taken"
        )
        await uow.audit.record(
            events.product_updated(
                product_id=product.id,
                actor_id=actor_id,
                channel="api",
                changes=changes,
            )
        )
        uow.feed.touch_all(product_changes([product.id]))
    return product


def check_on_hand(on_hand: int, allocated: int) -> None:
    """Stock on hand may never go negative, nor below what is already promised to orders."""
    if on_hand < 0:
        raise ValidationFailed(
            f"stock on hand cannot go below zero (would be {on_hand})",
            code="negative_stock",
            details={"on_hand": on_hand},
        )
    if on_hand < allocated:
        raise ValidationFailed(
            f"stock on hand cannot go below the {allocated} units allocated to orders "
            f"(would be {on_hand})",
            code="below_allocated",
            details={"on_hand": on_hand, "allocated": allocated},
        )


async def locked_levels(
    session: AsyncSession, pairs: list[tuple[str, str]]
) -> dict[tuple[str, str], StockLevel]:
    """The stock rows of (warehouse_id, product_id) pairs, created if missing, locked.

    INSERT .. ON CONFLICT DO NOTHING creates missing rows without racing a concurrent
    adjuster; the rows are then locked in primary-key order, so two adjustments of the same
    stock apply one after the other instead of one being lost, and never deadlock.
    """
    ordered = sorted(set(pairs))
    await session.execute(
        _insert(session)(StockLevel).on_conflict_do_nothing(
            index_elements=["warehouse_id", "product_id"]
        ),
        [{"warehouse_id": w, "product_id": p, "on_hand": 0, "allocated": 0} for w, p in ordered],
    )
    levels: dict[tuple[str, str], StockLevel] = {}
    for start in range(0, len(ordered), 500):  # stay under every driver's parameter limit
        rows = await session.execute(
            select(StockLevel)
            .where(
                tuple_(StockLevel.warehouse_id, StockLevel.product_id).in_(
                    ordered[start : start + 500]
                )
            )
            .order_by(StockLevel.warehouse_id, StockLevel.product_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        levels.update({(level.warehouse_id, level.product_id): level for level in rows.scalars()})
    return levels


async def set_counts(
    uow: WriteUnit,
    *,
    actor_id: str,
    counts: Sequence[tuple[str, str, int | None, int | None]],
    reason: str = "",
    channel: str = "api",
) -> list[StockLevel]:
    """Apply (warehouse_id, product_id, on_hand, delta) changes, each with one of on_hand
    (a count) or delta (a movement); any change that breaks the stock rule refuses all."""
    session = uow.session
    levels = await locked_levels(session, [(w, p) for w, p, _, _ in counts])
    changed: list[StockLevel] = []
    for warehouse_id, product_id, on_hand, delta in counts:
        level = levels[(warehouse_id, product_id)]
        before = level.on_hand
        target = on_hand if on_hand is not None else before + (delta or 0)
        check_on_hand(target, level.allocated)
        if target != before:
            level.on_hand = target
            await record_movement(
                uow,
                warehouse_id=warehouse_id,
                product_id=product_id,
                quantity=target - before,
                on_hand_after=target,
                kind=MovementKind.ADJUSTMENT,
                actor_id=actor_id,
                reason=reason,
            )
            await uow.audit.record(
                events.stock_set(
                    product_id=product_id,
                    warehouse_id=warehouse_id,
                    actor_id=actor_id,
                    from_on_hand=before,
                    to_on_hand=target,
                    reason=reason,
                    channel=channel,
                )
            )
        changed.append(level)
    uow.feed.touch_all(product_changes(p for _, p, _, _ in counts))
    await session.flush()
    return changed


async def adjust_stock(uow: WriteUnit, actor_id: str, data: StockAdjustIn) -> StockLevel:
    session = uow.session
    if (data.delta is None) == (data.on_hand is None):
        raise ValidationFailed(
            "give exactly one of delta (a movement) or on_hand (a count)", code="delta_or_on_hand"
        )
    if await session.get(Warehouse, data.warehouse_id) is None:
        raise ValidationFailed("No such warehouse.", code="unknown_warehouse")
    if await session.get(Product, data.product_id) is None:
        raise ValidationFailed("No such product.", code="unknown_product")
    changes = [(data.warehouse_id, data.product_id, data.on_hand, data.delta)]
    return (await set_counts(uow, actor_id=actor_id, counts=changes, reason=data.reason))[0]


async def create_warehouse(uow: WriteUnit, actor_id: str, data: WarehouseIn) -> Warehouse:
    session = uow.session
    if await session.scalar(select(Warehouse.id).where(Warehouse.code == data.code)) is not None:
        raise Conflict(
            f"A warehouse with code {data.code} already exists.", code="warehouse_code_taken"
        )
    warehouse = Warehouse(
        id=new_id(),
        code=data.code,
        name=data.name.strip(),
        country=data.country.upper(),
        state=data.state.strip().upper(),
    )
    session.add(warehouse)
    await _flush_unique(
        session, f"A warehouse with code {data.code} already exists.", "warehouse_code_taken"
    )
    await uow.audit.record(
        events.warehouse_created(warehouse_id=warehouse.id, actor_id=actor_id, code=warehouse.code)
    )
    return warehouse
