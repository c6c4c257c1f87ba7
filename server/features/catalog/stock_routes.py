"""HTTP API of stock and warehouses: /api/stock, /api/stock/alerts, /api/warehouses."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from sqlalchemy import select

from server.db.engine import Database
from server.db.models import Product, Warehouse
from server.domain.catalog import StockLevel
from server.features.catalog import queries, services
from server.features.catalog.openapi import problems
from server.features.catalog.schemas import (
    StockAdjustIn,
    StockAlertOut,
    StockRowOut,
    WarehouseIn,
    WarehouseOut,
)
from server.features.shared.paging import Offset
from server.security.api_tokens import TOKEN_SCOPE
from server.security.auth import CurrentUser, requires_role

__all__ = ["StockController", "WarehouseController"]


def _warehouse_out(w: Warehouse) -> WarehouseOut:
    return WarehouseOut(id=w.id, code=w.code, name=w.name, country=w.country, state=w.state)


class StockController(Controller):
    path = "/api/stock"
    tags = ["stock"]

    @get("/", opt={TOKEN_SCOPE: "stock:read"})
    async def list_stock(
        self,
        db: Database,
        product_id: str | None = None,
        warehouse_id: str | None = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
        offset: Offset = 0,
    ) -> list[StockRowOut]:
        """Stock per warehouse and product: on hand, allocated to orders, available."""
        async with db.read() as unit:
            return await queries.stock_rows(
                unit.session,
                product_id=product_id,
                warehouse_id=warehouse_id,
                limit=limit,
                offset=offset,
            )

    @get("/alerts", guards=[requires_role("admin", "manager")], responses=problems(403))
    async def alerts(self, db: Database) -> list[StockAlertOut]:
        """Active products whose available stock over all warehouses is at or below their
        low-stock threshold (out of stock always counts), for the back office."""
        async with db.read() as unit:
            return await queries.stock_alerts(unit.session)

    @post(
        "/adjust",
        status_code=200,
        guards=[requires_role("admin")],
        responses=problems(400, 403, 422),
    )
    async def adjust(
        self, request: Request[CurrentUser, Any, Any], db: Database, data: StockAdjustIn
    ) -> StockRowOut:
        """Move stock by `delta` or set the counted `on_hand` (admin). On hand never goes
        negative nor below what is allocated: such a request answers 422 and changes nothing."""
        async with db.write() as uow:
            level = await services.adjust_stock(uow, request.user.id, data)
            warehouse = await uow.session.get(Warehouse, level.warehouse_id)
            sku = await uow.session.scalar(
                select(Product.sku).where(Product.id == level.product_id)
            )
        available = StockLevel(
            level.warehouse_id, level.product_id, level.on_hand, level.allocated
        ).available
        return StockRowOut(
            warehouse_id=level.warehouse_id,
            warehouse_code=warehouse.code if warehouse else "",
            product_id=level.product_id,
            sku=sku or "",
            on_hand=level.on_hand,
            allocated=level.allocated,
            available=available,
        )


class WarehouseController(Controller):
    path = "/api/warehouses"
    tags = ["stock"]

    @get("/", opt={TOKEN_SCOPE: "stock:read"})
    async def list_warehouses(self, db: Database) -> list[WarehouseOut]:
        async with db.read() as unit:
            rows = (
                (await unit.session.execute(select(Warehouse).order_by(Warehouse.code)))
                .scalars()
                .all()
            )
        return [_warehouse_out(w) for w in rows]

    @post("/", guards=[requires_role("admin")], responses=problems(400, 403, 409))
    async def create_warehouse(
        self, request: Request[CurrentUser, Any, Any], db: Database, data: WarehouseIn
    ) -> WarehouseOut:
        """Add a warehouse (admin); stock and CSV imports refer to it by id or code."""
        async with db.write() as uow:
            warehouse = await services.create_warehouse(uow, request.user.id, data)
        return _warehouse_out(warehouse)
