"""A price list version's items as CSV, out and back in.

The format, one row per product, sorted by SKU:

    sku,unit_price,breaks
    HAM-1,12.50,
    SAW-1,9.80,10:9.50 50:9.00

`unit_price` is an amount like 12.50 (no currency sign, at most two decimals); `breaks`
holds the product's volume breaks as `min_qty:price` pairs separated by spaces, in
increasing quantity (empty: no breaks). A file exported from a version imports into it
unchanged. An import replaces every item of the version: the whole file is checked first
and a file with any bad row imports nothing; the answer lists every bad row by its line in
the file (the header is line 1).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Product
from server.domain.errors import ValidationFailed
from server.domain.money import from_cents, to_cents
from server.domain.price_list_versions import price_item_problems
from server.features.catalog.schemas import BreakIn, PriceItemIn, PriceListDetail
from server.features.imports.csv_input import ImportRejected, RowReader, read_csv
from server.features.shared.csv_export import csv_text

__all__ = [
    "COLUMNS",
    "CsvLineError",
    "PriceImportRejected",
    "amount",
    "breaks_text",
    "parse_amount",
    "parse_breaks",
    "parse_items",
    "to_csv",
]

COLUMNS = ("sku", "unit_price", "breaks")
_MONEY = r"\d{1,10}(?:\.\d{1,2})?"
_AMOUNT = re.compile(rf"^{_MONEY}$")
_PAIR = re.compile(rf"^(\d{{1,9}}):({_MONEY})$")


def amount(cents: int) -> str:
    return f"{from_cents(cents):.2f}"


def breaks_text(breaks: Sequence[Any]) -> str:
    """Breaks (with min_qty and unit_price_cents) as `min_qty:price` pairs."""
    return " ".join(f"{b.min_qty}:{amount(b.unit_price_cents)}" for b in breaks)


def parse_amount(text: str) -> int:
    """An amount like 12.50 as cents, or ValidationFailed."""
    if not _AMOUNT.fullmatch(text.strip()):
        raise ValidationFailed(
            f"a price is an amount like 12.50, got {text.strip()!r}", code="invalid_amount"
        )
    return to_cents(Decimal(text.strip()))


def parse_breaks(text: str) -> list[tuple[int, int]]:
    """`min_qty:price` pairs separated by spaces, as (min_qty, cents), or ValidationFailed."""
    pairs: list[tuple[int, int]] = []
    for token in text.split():
        match = _PAIR.fullmatch(token)
        if match is None:
            raise ValidationFailed(
                f"a break is min_qty:price like 10:9.50, got {token!r}", code="invalid_break"
            )
        pairs.append((int(match.group(1)), to_cents(Decimal(match.group(2)))))
    return pairs


def to_csv(detail: PriceListDetail) -> str:
    """The version's items as a file for a spreadsheet: every cell through `csv_text`, so a
    SKU a product import let in can never run as a formula on the desktop that opens it."""
    return csv_text(
        COLUMNS,
        (
            (item.sku, amount(item.unit_price_cents), breaks_text(item.breaks))
            for item in sorted(detail.items, key=lambda i: i.sku)
        ),
    )


class CsvLineError(msgspec.Struct):
    line: int  # the line in the file: the header is line 1
    column: str  # "" when the problem is not one cell's
    code: str
    message: str


class PriceImportRejected(ValidationFailed):
    """The file has problems: nothing was imported, and every problem is listed."""

    code = "import_rejected"

    def __init__(self, errors: list[CsvLineError]) -> None:
        self.errors = errors
        lines = len({e.line for e in errors})
        super().__init__(
            f"{len(errors)} problem(s) on {lines} line(s); nothing was imported. Fix them and "
            "send the whole file again.",
            details={
                "error_count": len(errors),
                "errors": [msgspec.to_builtins(e) for e in errors],
            },
        )


def _breaks(reader: RowReader) -> list[tuple[int, int]] | None:
    try:
        return parse_breaks(reader.raw("breaks"))
    except ValidationFailed as exc:
        reader.error("breaks", exc.code, exc.message)
        return None


async def parse_items(session: AsyncSession, raw: bytes) -> list[PriceItemIn]:
    """The file's items, or PriceImportRejected listing every bad line."""
    try:
        table = read_csv(raw, required=("sku", "unit_price"), optional=("breaks",))
    except ImportRejected as exc:
        raise PriceImportRejected(
            [
                CsvLineError(e["row"] + 1, e["column"], e["code"], e["message"])
                for e in exc.details["errors"]
            ]
        ) from None
    errors = list(table.errors)
    skus = sorted({cells.get("sku", "").strip() for _, cells in table.rows} - {""})
    products: dict[str, tuple[str, int]] = {}
    for start in range(0, len(skus), 1000):  # chunks stay under every driver's parameter limit
        rows = await session.execute(
            select(Product.sku, Product.id, Product.floor_price_cents).where(
                Product.sku.in_(skus[start : start + 1000])
            )
        )
        products.update({r.sku: (r.id, r.floor_price_cents) for r in rows})
    items: list[PriceItemIn] = []
    first_line: dict[str, int] = {}
    for row, cells in table.rows:
        reader = RowReader(row, cells, errors)
        sku = reader.text("sku", required=True, max_length=40)
        price = reader.money("unit_price", default=None)
        if reader.raw("unit_price") == "":
            reader.error("unit_price", "required", "unit_price is required")
        breaks = _breaks(reader)
        if sku is None:
            continue
        if sku in first_line:
            reader.error(
                "sku", "duplicate_sku", f"{sku} already appears on line {first_line[sku] + 1}"
            )
            continue
        first_line[sku] = row
        product = products.get(sku)
        if product is None:
            reader.error("sku", "unknown_sku", f"no product has the SKU {sku}")
            continue
        if price is None or breaks is None:
            continue
        product_id, floor = product
        problems = price_item_problems(
            unit_price_cents=price, breaks=breaks, floor_price_cents=floor
        )
        for problem in problems:
            reader.error("", problem.code, problem.message)
        if not problems:
            items.append(PriceItemIn(product_id, price, [BreakIn(q, c) for q, c in breaks]))
    if errors:
        raise PriceImportRejected(
            [
                CsvLineError(e.row + 1, e.column, e.code, e.message)
                for e in sorted(errors, key=lambda e: (e.row, e.column))
            ]
        )
    return items
