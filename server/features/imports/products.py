"""Product import: products with their base price and stock, upserted by SKU.

Columns (header names, any order; only sku, name and category_code are required):
sku, name, description, category_code, unit_of_measure, pack_size, min_order_qty,
floor_price, active, tax_category, low_stock_threshold, base_price, warehouse_code, on_hand.

A row describes the whole product: a blank product cell takes the default (as if the
product were new), also when the SKU already exists. A blank base_price leaves prices
alone; blank warehouse_code and on_hand leave stock alone (give both or neither).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import PriceList, PriceListItem, Product, StockLevel, Warehouse
from server.db.types import new_id, utcnow
from server.db.unit_of_work import AuditRecord, WriteUnit
from server.domain.catalog import PriceList as PriceListStruct
from server.domain.catalog import price_list_valid_on
from server.domain.money import from_cents
from server.features.catalog import events
from server.features.catalog.changes import product_changes
from server.features.catalog.price_lists import touch_price_list
from server.features.catalog.services import ensure_category, product_fields, set_counts
from server.features.imports.csv_input import ImportRejected, RowError, RowReader, read_csv

__all__ = ["COLUMNS", "REQUIRED", "ProductImportResult", "checked_rows", "combined", "write_rows"]

REQUIRED = ("sku", "name", "category_code")
COLUMNS = (
    "sku",
    "name",
    "description",
    "category_code",
    "unit_of_measure",
    "pack_size",
    "min_order_qty",
    "floor_price",
    "active",
    "tax_category",
    "low_stock_threshold",
    "base_price",
    "warehouse_code",
    "on_hand",
)
_SKU = r"[A-Za-z0-9][A-Za-z0-9._/-]*"
_CODE = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_TAX = r"[a-z0-9_]+"
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
    fields: dict[str, Any]  # Product columns, as they will be stored
    category_code: str
    base_price_cents: int | None
    warehouse_id: str | None
    on_hand: int | None

    @property
    def sku(self) -> str:
        return str(self.fields["sku"])


async def _by_chunks(
    session: AsyncSession, query: Any, column: Any, values: list[str]
) -> list[Any]:
    found: list[Any] = []
    for start in range(0, len(values), 1000):  # stay under every driver's parameter limit
        found.extend(
            (await session.execute(query.where(column.in_(values[start : start + 1000])))).scalars()
        )
    return found


def _check_stock(r: RowReader, warehouses: dict[str, str]) -> tuple[str | None, int | None]:
    code, count = r.raw("warehouse_code"), r.raw("on_hand")
    if bool(code) != bool(count):
        missing = "on_hand" if code else "warehouse_code"
        r.error(missing, "stock_needs_both", "give both warehouse_code and on_hand, or neither")
        return None, None
    if not code:
        return None, None
    on_hand = r.integer("on_hand", default=0)
    if code not in warehouses:
        r.error("warehouse_code", "unknown_warehouse", f"no warehouse has the code {code!r}")
        return None, None
    return warehouses[code], on_hand


def _check_row(r: RowReader, warehouses: dict[str, str]) -> _Row | None:
    category = r.text("category_code", required=True, max_length=40, pattern=_CODE)
    fields = {
        "sku": r.text("sku", required=True, max_length=40, pattern=_SKU),
        "name": r.text("name", required=True, max_length=200),
        "description": r.text("description", max_length=4000, line_breaks_allowed=True),
        "unit_of_measure": r.text("unit_of_measure", max_length=20, default="each"),
        "pack_size": r.integer("pack_size", default=1, minimum=1),
        "min_order_qty": r.integer("min_order_qty", default=1),
        "floor_price_cents": r.money("floor_price", default=0),
        "active": r.boolean("active", default=True),
        "tax_category": r.text("tax_category", max_length=40, pattern=_TAX, default="standard"),
        "low_stock_threshold": r.integer("low_stock_threshold", default=0),
    }
    base_price = r.money("base_price", default=None)
    floor = fields["floor_price_cents"]
    if base_price is not None and isinstance(floor, int) and base_price < floor:
        r.error(
            "base_price",
            "below_floor_price",
            f"base_price is below the floor price of {from_cents(floor)}",
        )
    warehouse_id, on_hand = _check_stock(r, warehouses)
    if category is None or any(v is None for v in fields.values()):
        return None
    return _Row(r.row, fields, category, base_price, warehouse_id, on_hand)


def _checked_file(raw: bytes, warehouses: dict[str, str]) -> tuple[list[_Row], list[RowError]]:
    """Every row checked on its own and against the others (no database needed)."""
    table = read_csv(raw, required=REQUIRED, optional=COLUMNS)
    errors = table.errors
    first_row: dict[str, int] = {}
    checked: list[_Row] = []
    for number, cells in table.rows:
        reader = RowReader(number, cells, errors)
        sku = reader.raw("sku")
        if sku and sku in first_row:
            reader.error(
                "sku", "duplicate_in_file", f"SKU {sku} already appears in row {first_row[sku]}"
            )
        first_row.setdefault(sku, number)
        row = _check_row(reader, warehouses)
        if row is not None:
            checked.append(row)
    return checked, errors


async def checked_rows(
    session: AsyncSession, raw: bytes, *, against_database: bool = True
) -> list[_Row]:
    """The file's rows, or ImportRejected listing every problem. Checking a large file
    takes a while: it runs on a worker thread so that other requests go on meanwhile.
    `against_database=False` (resuming a job) checks only what the job's rows cannot change."""
    warehouses = {w.code: w.id for w in (await session.execute(select(Warehouse))).scalars()}
    checked, errors = await asyncio.to_thread(_checked_file, raw, warehouses)
    if against_database:
        found = await _by_chunks(session, select(Product), Product.sku, [r.sku for r in checked])
        await _check_allocations(session, checked, {p.sku: p for p in found}, errors)
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.row, e.column)))
    return checked


async def _check_allocations(
    session: AsyncSession, rows: list[_Row], existing: dict[str, Product], errors: list[RowError]
) -> None:
    """A count may not go below what is already allocated to orders (new products have none)."""
    ids = [existing[r.sku].id for r in rows if r.sku in existing and r.warehouse_id]
    levels = {
        (level.warehouse_id, level.product_id): level.allocated
        for level in await _by_chunks(session, select(StockLevel), StockLevel.product_id, ids)
    }
    for row in rows:
        product = existing.get(row.sku)
        if product is None or row.warehouse_id is None or row.on_hand is None:
            continue
        allocated = levels.get((row.warehouse_id, product.id), 0)
        if row.on_hand < allocated:
            errors.append(
                RowError(
                    row.number,
                    "on_hand",
                    "below_allocated",
                    f"on_hand {row.on_hand} is below the {allocated} units allocated to orders",
                )
            )


async def _current_base_list(session: AsyncSession, today: date) -> str:
    """The base list version in force today; a first base list is created when none is."""
    lists = (await session.execute(select(PriceList).where(PriceList.kind == "base"))).scalars()
    valid = [
        pl
        for pl in lists
        if price_list_valid_on(
            PriceListStruct(pl.id, pl.code, pl.kind, pl.version, pl.valid_from, pl.valid_to), today
        )
    ]
    if valid:
        return max(valid, key=lambda pl: (pl.version, pl.id)).id
    version = (
        int(
            await session.scalar(
                select(func.coalesce(func.max(PriceList.version), 0)).where(
                    PriceList.code == _BASE_CODE
                )
            )
            or 0
        )
        + 1
    )
    base = PriceList(
        id=new_id(),
        code=_BASE_CODE,
        name="Base prices",
        kind="base",
        currency="USD",
        customer_id=None,
        version=version,
        valid_from=None,
        valid_to=None,
    )
    session.add(base)
    await session.flush()
    return base.id


def _upsert_product(
    session: AsyncSession,
    actor_id: str,
    row: _Row,
    fields: dict[str, Any],
    product: Product | None,
    result: ProductImportResult,
    audit: list[AuditRecord],
) -> Product:
    now = utcnow()
    if product is None:
        product = Product(id=new_id(), created_at=now, updated_at=now, **fields)
        session.add(product)
        audit.append(
            events.product_created(
                product_id=product.id,
                actor_id=actor_id,
                channel="import",
                data={"sku": product.sku, "row": row.number},
            )
        )
        result.created += 1
        return product
    before = product_fields(product)
    changes = {k: [before[k], v] for k, v in fields.items() if before[k] != v}
    if not changes:
        result.unchanged += 1
        return product
    for key, value in fields.items():
        setattr(product, key, value)
    product.updated_at = now
    audit.append(
        events.product_updated(
            product_id=product.id, actor_id=actor_id, channel="import", changes=changes
        )
    )
    result.updated += 1
    return product


async def write_rows(uow: WriteUnit, actor_id: str, rows: list[_Row]) -> ProductImportResult:
    """Create or update the products of one batch of checked rows."""
    session = uow.session
    # Read in the batch's own transaction: earlier batches and other writers change them.
    found = await _by_chunks(session, select(Product), Product.sku, [r.sku for r in rows])
    existing = {p.sku: p for p in found}
    codes = sorted({r.category_code for r in rows})
    categories = {code: await ensure_category(session, code) for code in codes}
    priced = [r for r in rows if r.base_price_cents is not None]
    base_list_id = await _current_base_list(session, date.today()) if priced else None
    base_items = (
        {
            item.product_id: item
            for item in await _by_chunks(
                session,
                select(PriceListItem).where(PriceListItem.price_list_id == base_list_id),
                PriceListItem.product_id,
                [p.id for p in existing.values()],
            )
        }
        if base_list_id
        else {}
    )
    result = ProductImportResult(
        rows=len(rows), created=0, updated=0, unchanged=0, prices_set=0, stock_set=0
    )
    audit: list[AuditRecord] = []
    products = [
        _upsert_product(
            session,
            actor_id,
            row,
            {**row.fields, "category_id": categories[row.category_code]},
            existing.get(row.sku),
            result,
            audit,
        )
        for row in rows
    ]
    # One flush for all products before anything refers to them: the unit of work does not
    # order inserts of unrelated mappers by foreign key, and a flush per row is slow.
    await session.flush()
    await uow.audit.record(*audit)
    for row, product in zip(rows, products, strict=True):
        if base_list_id is not None and row.base_price_cents is not None:
            # The unit price is replaced in the version in force; its volume breaks stay.
            item = base_items.get(product.id)
            if item is None:
                session.add(
                    PriceListItem(
                        id=new_id(),
                        price_list_id=base_list_id,
                        product_id=product.id,
                        unit_price_cents=row.base_price_cents,
                    )
                )
            else:
                item.unit_price_cents = row.base_price_cents
            result.prices_set += 1
    counts = [
        (row.warehouse_id, product.id, row.on_hand, None)
        for row, product in zip(rows, products, strict=True)
        if row.warehouse_id is not None and row.on_hand is not None
    ]
    if counts:
        await set_counts(
            uow, actor_id=actor_id, counts=counts, reason="CSV import", channel="import"
        )
    result.stock_set = len(counts)
    uow.feed.touch_all(product_changes(product.id for product in products))
    if base_list_id is not None:
        base = await session.get(PriceList, base_list_id)
        assert base is not None
        await touch_price_list(uow, base)
    return result


def combined(before: ProductImportResult | None, batch: ProductImportResult) -> ProductImportResult:
    if before is None:
        return batch
    return ProductImportResult(
        rows=before.rows + batch.rows,
        created=before.created + batch.created,
        updated=before.updated + batch.updated,
        unchanged=before.unchanged + batch.unchanged,
        prices_set=before.prices_set + batch.prices_set,
        stock_set=before.stock_set + batch.stock_set,
    )
