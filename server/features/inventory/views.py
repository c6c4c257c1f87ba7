"""Back-office pages of stock (admin): levels with adjustments and receipts, warehouses,
a product's stock history, expected receipts.

Each form runs the same service as its API endpoint; a refused one shows the page again
with the reason and the status the API would answer, and nothing is changed.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template
from sqlalchemy import select

from server.db.engine import Database
from server.db.models import Warehouse
from server.domain.errors import DomainError, ValidationFailed
from server.features.backoffice.views import ADMINS, admin_context
from server.features.catalog import services as catalog_services
from server.features.catalog.schemas import WarehouseIn
from server.features.inventory import queries, services
from server.features.inventory.schemas import ExpectedReceiptIn, StockAdjustmentIn
from server.features.sales.allocation_service import receive_stock
from server.features.sales.views_data import Req
from server.features.shared.paging import Offset
from server.http.errors import status_for

__all__ = ["STOCK_PAGES"]

PAGE_SIZE = 50
SearchText = Annotated[str, Parameter(max_length=200)]
Id = Annotated[str, Parameter(max_length=36)]


async def _form(request: Req) -> dict[str, str]:
    form = await request.form()
    return {key: str(value).strip() for key, value in form.items() if key != "_csrf_token"}


def _whole(value: str, field: str) -> int | None:
    if not value:
        return None
    try:
        return int(value.replace(" ", "").lstrip("+"))
    except ValueError:
        raise ValidationFailed(
            f"{field} is a whole number.", code="invalid_number", details={"field": field}
        ) from None


def _checked(shape: type[Any], fields: dict[str, Any]) -> Any:
    try:
        return msgspec.convert(fields, shape)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(f"Check the form: {exc}.", code="invalid_form") from None


async def _warehouses(db: Database) -> list[Warehouse]:
    async with db.read() as unit:
        return list(
            (await unit.session.execute(select(Warehouse).order_by(Warehouse.code))).scalars()
        )


async def _stock_page(
    request: Req,
    db: Database,
    *,
    warehouse_id: str = "",
    q: str = "",
    offset: int = 0,
    status_code: int = 200,
    **extra: Any,
) -> Template:
    async with db.read() as unit:
        page = await queries.stock_levels(
            unit.session, warehouse_id=warehouse_id or None, q=q, limit=PAGE_SIZE, offset=offset
        )
    filters = {"warehouse_id": warehouse_id, "q": q}
    more = (
        urlencode({**filters, "offset": offset + PAGE_SIZE})
        if page.total > offset + len(page.items)
        else ""
    )
    back = urlencode({**filters, "offset": max(offset - PAGE_SIZE, 0)}) if offset else ""
    context = admin_context(
        request,
        "stock",
        page=page,
        warehouses=await _warehouses(db),
        warehouse_id=warehouse_id,
        q=q,
        more_query=more,
        back_query=back,
        **extra,
    )
    return Template("admin/stock/index.html", context=context, status_code=status_code)


@get("/admin/stock", guards=[ADMINS], include_in_schema=False)
async def stock_page(
    request: Req, db: Database, warehouse_id: Id = "", q: SearchText = "", offset: Offset = 0
) -> Template:
    return await _stock_page(request, db, warehouse_id=warehouse_id, q=q, offset=offset)


@post("/admin/stock/adjustments", guards=[ADMINS], include_in_schema=False)
async def adjustment_submit(request: Req, db: Database) -> Any:
    form = await _form(request)
    try:
        data = _checked(
            StockAdjustmentIn,
            {
                "warehouse_id": form.get("warehouse_id", ""),
                "product_id": form.get("product_id", ""),
                "reason": form.get("reason", ""),
                "quantity": _whole(form.get("quantity", ""), "Change"),
                "counted_on_hand": _whole(form.get("counted_on_hand", ""), "Counted on hand"),
            },
        )
        async with db.write() as uow:
            adjusted = await services.adjust_stock_level(uow, request.user.id, data)
    except DomainError as exc:
        return await _stock_page(
            request, db, q=form.get("q", ""), status_code=status_for(exc), error=exc.message
        )
    return Redirect(path=f"/admin/stock/products/{adjusted.product_id}/history", status_code=303)


@post("/admin/stock/receipts", guards=[ADMINS], include_in_schema=False)
async def receipt_submit(request: Req, db: Database) -> Any:
    form = await _form(request)
    try:
        quantity = _whole(form.get("quantity", ""), "Quantity")
        if quantity is None or quantity < 1:
            raise ValidationFailed("Receive at least one unit.", code="invalid_quantity")
        async with db.write() as uow:
            product_id = await queries.product_id_by_sku(uow.session, form.get("sku", ""))
            await receive_stock(
                uow,
                warehouse_id=form.get("warehouse_id", ""),
                product_id=product_id,
                quantity=quantity,
                actor_id=request.user.id,
            )
    except DomainError as exc:
        return await _stock_page(request, db, status_code=status_for(exc), error=exc.message)
    return Redirect(path=f"/admin/stock/products/{product_id}/history", status_code=303)


@post("/admin/warehouses", guards=[ADMINS], include_in_schema=False)
async def warehouse_submit(request: Req, db: Database) -> Any:
    form = await _form(request)
    try:
        data = _checked(
            WarehouseIn,
            {
                "code": form.get("code", ""),
                "name": form.get("name", ""),
                "country": form.get("country", ""),
                "state": form.get("state", ""),
            },
        )
        async with db.write() as uow:
            await catalog_services.create_warehouse(uow, request.user.id, data)
    except DomainError as exc:
        return await _stock_page(request, db, status_code=status_for(exc), error=exc.message)
    return Redirect(path="/admin/stock", status_code=303)


@get("/admin/stock/products/{product_id:str}/history", guards=[ADMINS], include_in_schema=False)
async def history_page(request: Req, db: Database, product_id: str, offset: Offset = 0) -> Template:
    async with db.read() as unit:
        history = await queries.stock_history(
            unit.session, product_id, limit=PAGE_SIZE, offset=offset
        )
        levels = await queries.stock_levels(
            unit.session, warehouse_id=None, q=history.sku, limit=200, offset=0
        )
    context = admin_context(
        request,
        "stock",
        history=history,
        levels=[level for level in levels.items if level.product_id == product_id],
        more_offset=offset + PAGE_SIZE if history.total > offset + len(history.items) else None,
        back_offset=max(offset - PAGE_SIZE, 0) if offset else None,
    )
    return Template("admin/stock/history.html", context=context)


async def _expected_page(
    request: Req, db: Database, *, show_received: bool = False, status_code: int = 200, **extra: Any
) -> Template:
    async with db.read() as unit:
        page = await queries.expected_receipts(
            unit.session,
            product_id=None,
            include_received=show_received,
            limit=200,
            offset=0,
        )
    context = admin_context(
        request,
        "expected",
        page=page,
        warehouses=await _warehouses(db),
        show_received=show_received,
        today=date.today().isoformat(),
        form=extra.pop("form", {}),
        **extra,
    )
    return Template("admin/stock/expected.html", context=context, status_code=status_code)


@get("/admin/stock/expected", guards=[ADMINS], include_in_schema=False)
async def expected_page(request: Req, db: Database, received: bool = False) -> Template:
    return await _expected_page(request, db, show_received=received)


@post("/admin/stock/expected", guards=[ADMINS], include_in_schema=False)
async def expected_submit(request: Req, db: Database) -> Template:
    form = await _form(request)
    try:
        async with db.write() as uow:
            product_id = await queries.product_id_by_sku(uow.session, form.get("sku", ""))
            data = _checked(
                ExpectedReceiptIn,
                {
                    "warehouse_id": form.get("warehouse_id", ""),
                    "product_id": product_id,
                    "quantity": _whole(form.get("quantity", ""), "Quantity"),
                    "expected_on": form.get("expected_on", ""),
                    "reference": form.get("reference", ""),
                },
            )
            receipt, dated = await services.add_expected_receipt(uow, request.user.id, data)
    except DomainError as exc:
        return await _expected_page(
            request, db, status_code=status_for(exc), error=exc.message, form=form
        )
    notice = (
        f"{receipt.quantity} expected on {receipt.expected_on.isoformat()}; "
        f"{dated} backordered line(s) of this product now show an expected date."
    )
    return await _expected_page(request, db, status_code=201, notice=notice)


STOCK_PAGES: list[Any] = [
    stock_page,
    adjustment_submit,
    receipt_submit,
    warehouse_submit,
    history_page,
    expected_page,
    expected_submit,
]
