"""The amend form of the order page: quantities, a line removed or added by SKU, notes,
delivery date, PO number. It posts to the same action as `POST /api/orders/{id}/amend`; a
refusal shows the order again with the reason and nothing changed."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import post
from litestar.response import Redirect
from sqlalchemy import func, select

from server.db.engine import Database
from server.db.models import Product
from server.domain.errors import DomainError, NotFound, ValidationFailed
from server.features.sales.amend_service import amend_order
from server.features.sales.schemas import OrderAmendIn
from server.features.sales.views_data import Req
from server.features.sales.views_orders import render_order
from server.http.errors import status_for

__all__ = ["AMEND_PAGES"]


def _amendment(form: Any, add_product_id: str | None) -> dict[str, Any]:
    """The API's amendment body from the form's fields (one set per line by its id)."""
    lines: list[dict[str, Any]] = []
    for line_id in form.getall("line_id", []):
        if form.get(f"remove_{line_id}"):
            continue
        lines.append(
            {
                "line_id": line_id,
                "quantity": form.get(f"quantity_{line_id}", "").strip(),
                "discount_percent": form.get(f"discount_{line_id}", "0").strip() or "0",
            }
        )
    if add_product_id is not None:
        lines.append(
            {"product_id": add_product_id, "quantity": form.get("add_quantity", "").strip()}
        )
    body: dict[str, Any] = {
        "expected_revision": form.get("expected_revision", ""),
        "lines": lines,
        "notes": form.get("notes", ""),
        "po_number": form.get("po_number", ""),
        "requested_delivery_date": form.get("requested_delivery_date", "").strip() or None,
        "reason": form.get("amend_reason", "").strip(),
    }
    return body


async def _product_by_sku(db: Database, sku: str) -> str:
    async with db.read() as unit:
        product_id = await unit.session.scalar(
            select(Product.id).where(func.lower(Product.sku) == sku.lower())
        )
    if product_id is None:
        raise ValidationFailed(f"There is no product with SKU {sku}.", code="product_not_found")
    return str(product_id)


@post("/orders/{order_id:str}/amend", include_in_schema=False)
async def order_amend_submit(request: Req, db: Database, order_id: str) -> Any:
    form = await request.form()
    try:
        sku = str(form.get("add_sku", "")).strip()
        add_product_id = await _product_by_sku(db, sku) if sku else None
        body = _amendment(form, add_product_id)
        if not body["lines"]:
            raise ValidationFailed(
                "An order keeps at least one line: cancel it instead.", code="no_lines"
            )
        try:
            data = msgspec.convert(_amendment(form, add_product_id), OrderAmendIn, strict=False)
        except msgspec.ValidationError as exc:
            raise ValidationFailed(f"The amendment is not valid: {exc}", code="invalid") from None
        async with db.write() as uow:
            await amend_order(uow, request.user, order_id, data)
    except NotFound as exc:
        if exc.code == "order_not_found":
            raise
        return await render_order(
            request, db, order_id, error=exc.message, status_code=status_for(exc), failed="amend"
        )
    except DomainError as exc:
        return await render_order(
            request, db, order_id, error=exc.message, status_code=status_for(exc), failed="amend"
        )
    return Redirect(path=f"/orders/{order_id}", status_code=303)


AMEND_PAGES = [order_amend_submit]
