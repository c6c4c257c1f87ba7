"""HTTP API of the back office's stock (admin): levels, adjustments, a product's stock
history, expected receipts. Receipts are booked by POST /api/stock/receipts (sales slice:
received stock serves backorders)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import Parameter

from server.db.engine import Database
from server.db.models import Product, Warehouse
from server.features.inventory import queries, services
from server.features.inventory.schemas import (
    ExpectedReceiptIn,
    ExpectedReceiptOut,
    ExpectedReceiptPage,
    StockAdjustmentIn,
    StockAdjustmentOut,
    StockHistoryPage,
    StockLevelPage,
)
from server.features.shared.paging import Offset
from server.security.auth import CurrentUser, requires_role

__all__ = [
    "add_expected_receipt",
    "adjust_stock",
    "list_expected_receipts",
    "list_stock_levels",
    "product_stock_history",
]

_Req = Request[CurrentUser, Any, Any]
_admins = [requires_role("admin")]
Limit = Annotated[int, Parameter(ge=1, le=200)]
SearchText = Annotated[str, Parameter(max_length=200)]


@get("/api/stock/levels", guards=_admins, tags=["stock"])
async def list_stock_levels(
    db: Database,
    warehouse_id: str | None = None,
    q: SearchText = "",
    limit: Limit = 50,
    offset: Offset = 0,
) -> StockLevelPage:
    """Stock per warehouse and product: on hand, allocated, available (on hand -
    allocated) and backordered (the product's order lines waiting for stock), filtered by
    warehouse and by SKU or name."""
    async with db.read() as unit:
        return await queries.stock_levels(
            unit.session, warehouse_id=warehouse_id, q=q, limit=limit, offset=offset
        )


@post("/api/stock/adjustments", status_code=201, guards=_admins, tags=["stock"])
async def adjust_stock(request: _Req, db: Database, data: StockAdjustmentIn) -> StockAdjustmentOut:
    """Change on hand by a signed `quantity`, or set it to `counted_on_hand`, with a
    reason. Written to the product's stock history. Below what is allocated to orders:
    409 `below_allocated` naming the allocated quantity; nothing changes."""
    async with db.write() as uow:
        adjusted = await services.adjust_stock_level(uow, request.user.id, data)
        level = await queries.stock_level(uow.session, adjusted.warehouse_id, adjusted.product_id)
        if adjusted.movement_id is None:
            return StockAdjustmentOut(level=level, movement=None)
        moved = await queries.movement(uow.session, adjusted.movement_id)
    return StockAdjustmentOut(level=level, movement=moved)


@get("/api/products/{product_id:str}/stock-history", guards=_admins, tags=["stock"])
async def product_stock_history(
    db: Database, product_id: str, limit: Limit = 50, offset: Offset = 0
) -> StockHistoryPage:
    """Every change of the product's on hand (receipts, adjustments, shipments), newest
    first, with who made it and why."""
    async with db.read() as unit:
        return await queries.stock_history(unit.session, product_id, limit=limit, offset=offset)


@post("/api/stock/expected-receipts", status_code=201, guards=_admins, tags=["stock"])
async def add_expected_receipt(
    request: _Req, db: Database, data: ExpectedReceiptIn
) -> ExpectedReceiptOut:
    """Goods expected from a purchase on a date. The product's backordered order lines
    are dated from the receipts expected, rush orders first, then the oldest; lines the
    expected quantities do not cover get no date."""
    async with db.write() as uow:
        receipt, dated = await services.add_expected_receipt(uow, request.user.id, data)
        warehouse = await uow.session.get(Warehouse, receipt.warehouse_id)
        product = await uow.session.get(Product, receipt.product_id)
        assert warehouse is not None and product is not None
        return queries.expected_receipt_out(
            receipt, warehouse.code, product.sku, product.name, lines_dated=dated
        )


@get("/api/stock/expected-receipts", guards=_admins, tags=["stock"])
async def list_expected_receipts(
    db: Database,
    product_id: str | None = None,
    include_received: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ExpectedReceiptPage:
    """Expected receipts, the soonest first; received ones only when asked for."""
    async with db.read() as unit:
        return await queries.expected_receipts(
            unit.session,
            product_id=product_id,
            include_received=include_received,
            limit=limit,
            offset=offset,
        )
