"""Product import: products with their base price and stock, upserted by SKU.

Columns (header names, any order; only sku, name and category_code are required):
sku, name, description, category_code, unit_of_measure, pack_size, min_order_qty,
floor_price, active, tax_category, low_stock_threshold, base_price, warehouse_code, on_hand.

A row describes the whole product: a blank product cell takes the default (as if the
product were new), also when the SKU already exists. A blank base_price leaves prices
alone; blank warehouse_code and on_hand leave stock alone (give both or neither).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import PriceList, PriceListItem, Product, StockLevel, Warehouse
from server.db.types import new_id, utcnow
from server.domain.catalog import price_list_valid_on
from server.domain.catalog import PriceList as PriceListStruct
from server.features.catalog import events
from server.features.catalog.services import ensure_category, product_fields, set_on_hand
from server.features.imports.csv_input import ImportRejected, RowError, RowReader, read_csv

__all__ = ["COLUMNS", "REQUIRED", "ProductImportResult", "import_products"]

REQUIRED = ("sku", "name", "category_code")
COLUMNS = (
    "sku", "name", "description", "category_code", "unit_of_measure", "pack_size",
    "min_order_qty", "floor_price", "active", "tax_category", "low_stock_threshold",
    "base_price", "warehouse_code", "on_hand",
)
_SKU = r"[A-Za-z0-9][A-Za-z0-9._/-]*"
_CODE = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_BASE_CODE = "BASE"


class ProductImportResult(msgspec.Struct):
    rows: int
    created: int
    updated: int
    unchanged: int
    prices_set: int
    stock_set: int


@dataclass
class _Row:
    number: int
    fields: dict[str, object]  # Product columns
    category_code: str
    base_price_cents: int | None
    warehouse_id: str | None
    on_hand: int | None


async def _chunked_skus(session: AsyncSession, skus: list[str]) -> dict[str, Product]:
    found: dict[str, Product] = {}
    for start in range(0, len(skus), 1000):  # stay under every driver's parameter limit
        rows = await session.execute(select(Product).where(Product.sku.in_(skus[start:start + 1000])))
        found.update({p.sku: p for p in rows.scalars()})
    return found


def _check_row(r: RowReader, warehouses: dict[str, str]) -> _Row | None:
    sku = r.text("sku", required=True, max_length=40, pattern=_SKU)
    name = r.text("name", required=True, max_length=200)
    category = r.text("category_code", required=True, max_length=40, pattern=_CODE)
    fields = {
        "sku": sku, "name": name, "description": r.text("description", max_length=4000),
        "unit_of_measure": r.text("unit_of_measure", max_length=20, default="each"),
        "pack_size": r.integer("pack_size", default=1, minimum=1),
        "min_order_qty": r.integer("min_order_qty", default=1),
        "floor_price_cents": r.money("floor_price", default=0),
        "active": r.boolean("active", default=True),
        "tax_category": r.text("tax_category", max_length=40, pattern=r"[a-z0-9_]+", default="standard"),
        "low_stock_threshold": r.integer("low_stock_threshold", default=0),
    }
    base_price = r.money("base_price", default=None)
    floor = fields["floor_price_cents"]
    if base_price is not None and isinstance(floor, int) and base_price < floor:
        r.error("base_price", "below_floor_price", f"base_price is below the floor price of {floor / 100:.2f}")
    warehouse_code = r.text("warehouse_code", max_length=20)
    on_hand = r.integer("on_hand", default=0) if r.raw("on_hand") else None
    if bool(r.raw("warehouse_code")) != bool(r.raw("on_hand")):
        missing = "on_hand" if r.raw("warehouse_code") else "warehouse_code"
        r.error(missing, "stock_needs_both", "give both warehouse_code and on_hand, or neither")
    warehouse_id = warehouses.get(warehouse_code) if warehouse_code else None
    if warehouse_code and warehouse_id is None:
        r.error("warehouse_code", "unknown_warehouse", f"no warehouse has the code {warehouse_code!r}")
    if category is None or any(v is None for v in fields.values()):
        return None
    return _Row(r.row, fields, category, base_price, warehouse_id, on_hand if warehouse_id else None)


async def _validate(session: AsyncSession, raw: bytes) -> tuple[list[_Row], dict[str, Product]]:
    table = read_csv(raw, required=REQUIRED, optional=COLUMNS)
    errors = table.errors
    warehouses = {w.code: w.id for w in (await session.execute(select(Warehouse))).scalars()}
    first_row: dict[str, int] = {}
    checked: list[_Row] = []
    for number, cells in table.rows:
        reader = RowReader(number, cells, errors)
        sku = reader.raw("sku")
        if sku and sku in first_row:
            reader.error("sku", "duplicate_in_file", f"SKU {sku} already appears in row {first_row[sku]}")
        first_row.setdefault(sku, number)
        row = _check_row(reader, warehouses)
        if row is not None:
            checked.append(row)
    existing = await _chunked_skus(session, [str(r.fields["sku"]) for r in checked])
    await _check_allocations(session, checked, existing, errors)
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.row, e.column)))
    return checked, existing


async def _check_allocations(
    session: AsyncSession, rows: list[_Row], existing: dict[str, Product], errors: list[RowError]
) -> None:
    for row in rows:
        product = existing.get(str(row.fields["sku"]))
        if product is None or row.warehouse_id is None or row.on_hand is None:
            continue
        level = await session.get(StockLevel, (row.warehouse_id, product.id))
        if level is not None and row.on_hand < level.allocated:
            errors.append(RowError(row.number, "on_hand", "below_allocated",
                                   f"on_hand {row.on_hand} is below the {level.allocated} units allocated to orders"))


async def _current_base_list(session: AsyncSession, today: date) -> str:
    """The base list version in force today; a first base list is created when none is."""
    lists = (await session.execute(select(PriceList).where(PriceList.kind == "base"))).scalars().all()
    valid = [
        pl for pl in lists
        if price_list_valid_on(PriceListStruct(pl.id, pl.code, pl.kind, pl.version, pl.valid_from, pl.valid_to), today)
    ]
    if valid:
        return max(valid, key=lambda pl: (pl.version, pl.id)).id
    version = int(await session.scalar(
        select(func.coalesce(func.max(PriceList.version), 0)).where(PriceList.code == _BASE_CODE)
    ) or 0) + 1
    base = PriceList(id=new_id(), code=_BASE_CODE, name="Base prices", kind="base", currency="USD",
                     customer_id=None, version=version, valid_from=None, valid_to=None)
    session.add(base)
    await session.flush()
    return base.id


async def import_products(session: AsyncSession, actor_id: str, raw: bytes) -> ProductImportResult:
    """Check every row first; write everything, or nothing when any row has a problem."""
    rows, existing = await _validate(session, raw)
    categories = {code: await ensure_category(session, code) for code in sorted({r.category_code for r in rows})}
    base_list_id = await _current_base_list(session, date.today()) if any(
        r.base_price_cents is not None for r in rows) else None
    result = ProductImportResult(rows=len(rows), created=0, updated=0, unchanged=0, prices_set=0, stock_set=0)
    now = utcnow()
    for row in rows:
        fields = {**row.fields, "category_id": categories[row.category_code]}
        product = existing.get(str(fields["sku"]))
        if product is None:
            product = Product(id=new_id(), created_at=now, updated_at=now, **fields)
            session.add(product)
            await session.flush()
            session.add(events.product_created(product_id=product.id, actor_id=actor_id, channel="import",
                                               data={"sku": product.sku, "row": row.number}))
            result.created += 1
        else:
            before = product_fields(product)
            changes = {k: [before[k], v] for k, v in fields.items() if before[k] != v}
            for key, value in fields.items():
                setattr(product, key, value)
            if changes:
                product.updated_at = now
                session.add(events.product_updated(product_id=product.id, actor_id=actor_id,
                                                   channel="import", changes=changes))
                result.updated += 1
            else:
                result.unchanged += 1
        if base_list_id is not None and row.base_price_cents is not None:
            await _set_base_price(session, base_list_id, product.id, row.base_price_cents)
            result.prices_set += 1
        if row.warehouse_id is not None and row.on_hand is not None:
            await set_on_hand(session, actor_id=actor_id, warehouse_id=row.warehouse_id,
                              product_id=product.id, on_hand=row.on_hand, reason="CSV import",
                              channel="import")
            result.stock_set += 1
    return result


async def _set_base_price(session: AsyncSession, price_list_id: str, product_id: str, cents: int) -> None:
    # The unit price is replaced in the version in force; its volume breaks are kept.
    item = (
        await session.execute(
            select(PriceListItem).where(PriceListItem.price_list_id == price_list_id,
                                        PriceListItem.product_id == product_id)
        )
    ).scalar_one_or_none()
    if item is None:
        session.add(PriceListItem(id=new_id(), price_list_id=price_list_id, product_id=product_id,
                                  unit_price_cents=cents))
    else:
        item.unit_price_cents = cents
