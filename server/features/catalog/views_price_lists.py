"""The back office's price list pages (admins, desktop): lists, versions, items, CSV.

Every button does what an API endpoint does, through the same services: creating a list
or a version (`create_price_list`, the planned-version rule included), setting or removing
one item (`set_item`, `remove_item`, swapped in place with htmx), importing a CSV file
(`parse_items` then `replace_items`). A refused action shows the page again with the
reason and nothing changed.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date
from typing import Any

import msgspec
from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template
from sqlalchemy import select

from server.db.engine import Database
from server.db.models import Customer, Product
from server.domain.actor import CurrentUser
from server.domain.errors import DomainError, NotFound, ValidationFailed
from server.features.catalog import price_list_csv, price_lists
from server.features.catalog.price_list_csv import PriceImportRejected
from server.features.catalog.schemas import BreakIn, PriceItemIn, PriceListIn, PriceListOut
from server.features.imports.csv_input import MAX_FILE_BYTES
from server.features.shared.scope import load_scope
from server.http.errors import status_for
from server.http.htmx import is_htmx
from server.security.auth import requires_role

__all__ = ["PRICE_LIST_PAGES"]

_admins = requires_role("admin")
Req = Request[CurrentUser, Any, Any]
_BASE = "/admin/price-lists"


def _context(request: Req, **extra: Any) -> dict[str, Any]:
    return {
        "user": request.user,
        "amount": price_list_csv.amount,
        "breaks_text": price_list_csv.breaks_text,
        **extra,
    }


async def _form(request: Req) -> dict[str, str]:
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str)}


def _date(form: dict[str, str], name: str) -> date | None:
    text = form.get(name, "")
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"{name} must be a date like 2030-01-31", code="invalid_date"
        ) from None


async def _customer_names(request: Req, db: Database, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    async with db.read() as unit:
        rows = await unit.session.execute(
            select(Customer.id, Customer.legal_name).where(Customer.id.in_(sorted(ids)))
        )
        return {r.id: r.legal_name for r in rows}


async def _versions(
    request: Req, db: Database, *, code: str | None = None, customer_id: str | None = None
) -> list[PriceListOut]:
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        return await price_lists.list_price_lists(
            unit.session, scope, code=code, kind=None, customer_id=customer_id
        )


@get(_BASE, include_in_schema=False, guards=[_admins])
async def price_lists_page(request: Req, db: Database, customer_id: str = "") -> Template:
    versions = await _versions(request, db, customer_id=customer_id or None)
    codes: OrderedDict[str, list[PriceListOut]] = OrderedDict()
    for v in versions:  # newest version first within a code
        codes.setdefault(v.code, []).append(v)
    names = await _customer_names(request, db, {v.customer_id for v in versions if v.customer_id})
    customer_name = ""
    if customer_id:
        customer_name = (await _customer_names(request, db, {customer_id})).get(customer_id, "")
    context = _context(
        request,
        codes=codes,
        names=names,
        customer_id=customer_id,
        customer_name=customer_name,
        today=date.today(),
    )
    return Template("price_lists/index.html", context=context)


def _new_context(request: Req, form: dict[str, str], **extra: Any) -> dict[str, Any]:
    return _context(request, form=form, **extra)


@get(f"{_BASE}/new", include_in_schema=False, guards=[_admins])
async def new_price_list_page(request: Req, customer_id: str = "") -> Template:
    form = {"kind": "customer" if customer_id else "tier", "customer_id": customer_id}
    return Template("price_lists/new.html", context=_new_context(request, form))


@post(f"{_BASE}/new", include_in_schema=False, guards=[_admins])
async def create_price_list_submit(request: Req, db: Database) -> Any:
    form = await _form(request)
    try:
        data = msgspec.convert(
            {
                "code": form.get("code", ""),
                "name": form.get("name", ""),
                "kind": form.get("kind", ""),
                "currency": form.get("currency") or "USD",
                "customer_id": form.get("customer_id") or None,
                "valid_from": form.get("valid_from") or None,
                "valid_to": form.get("valid_to") or None,
            },
            PriceListIn,
        )
    except msgspec.ValidationError as exc:
        context = _new_context(request, form, error=f"Check the form: {exc}")
        return Template("price_lists/new.html", context=context, status_code=422)
    try:
        async with db.write() as uow:
            created = await price_lists.create_price_list(uow, request.user.id, data)
    except DomainError as exc:
        context = _new_context(request, form, error=exc.message)
        return Template("price_lists/new.html", context=context, status_code=status_for(exc))
    return Redirect(path=f"{_BASE}/versions/{created.id}", status_code=303)


async def _render_code(
    request: Req,
    db: Database,
    code: str,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    hidden: list[dict[str, Any]] | None = None,
    status_code: int = 200,
) -> Template:
    versions = await _versions(request, db, code=code)
    if not versions:
        raise NotFound("No such price list.", code="price_list_not_found")
    latest = versions[0]
    names = await _customer_names(
        request, db, {latest.customer_id} if latest.customer_id else set()
    )
    context = _context(
        request,
        code=code,
        latest=latest,
        versions=versions,
        customer_name=names.get(latest.customer_id or "", ""),
        form=form or {"name": latest.name, "copy_items": "on"},
        error=error,
        hidden=hidden or [],
        today=date.today(),
    )
    return Template("price_lists/code.html", context=context, status_code=status_code)


@get(f"{_BASE}/codes/{{code:str}}", include_in_schema=False, guards=[_admins])
async def price_list_code_page(request: Req, db: Database, code: str) -> Template:
    return await _render_code(request, db, code)


@post(f"{_BASE}/codes/{{code:str}}/versions", include_in_schema=False, guards=[_admins])
async def new_version_submit(request: Req, db: Database, code: str) -> Any:
    form = await _form(request)
    versions = await _versions(request, db, code=code)
    if not versions:
        raise NotFound("No such price list.", code="price_list_not_found")
    latest = versions[0]
    try:
        data = PriceListIn(
            code=code,
            name=form.get("name") or latest.name,
            kind=latest.kind,  # type: ignore[arg-type]
            currency=latest.currency,
            customer_id=latest.customer_id,
            valid_from=_date(form, "valid_from"),
            valid_to=_date(form, "valid_to"),
            copy_items=form.get("copy_items") == "on",
            supersede=form.get("supersede") == "on",
        )
        async with db.write() as uow:
            created = await price_lists.create_price_list(uow, request.user.id, data)
    except DomainError as exc:
        return await _render_code(
            request,
            db,
            code,
            form=form,
            error=exc.message,
            hidden=exc.details.get("hidden", []),
            status_code=status_for(exc),
        )
    return Redirect(path=f"{_BASE}/versions/{created.id}", status_code=303)


async def _render_version(
    request: Req,
    db: Database,
    price_list_id: str,
    *,
    error: str | None = None,
    import_errors: list[Any] | None = None,
    status_code: int = 200,
) -> Template:
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        detail = await price_lists.price_list_detail(unit.session, scope, price_list_id)
    pl = detail.price_list
    names = await _customer_names(request, db, {pl.customer_id} if pl.customer_id else set())
    context = _context(
        request,
        d=detail,
        pl=pl,
        customer_name=names.get(pl.customer_id or "", ""),
        error=error,
        import_errors=import_errors or [],
        max_bytes=MAX_FILE_BYTES,
    )
    return Template("price_lists/version.html", context=context, status_code=status_code)


@get(f"{_BASE}/versions/{{price_list_id:str}}", include_in_schema=False, guards=[_admins])
async def price_list_version_page(request: Req, db: Database, price_list_id: str) -> Template:
    return await _render_version(request, db, price_list_id)


def _row_context(request: Req, pl_id: str, form: dict[str, str], **extra: Any) -> dict[str, Any]:
    return _context(request, pl_id=pl_id, row=form, **extra)


async def _product_of(db: Database, sku: str) -> str:
    async with db.read() as unit:
        product_id = await unit.session.scalar(select(Product.id).where(Product.sku == sku))
    if product_id is None:
        raise ValidationFailed(f"no product has the SKU {sku!r}", code="unknown_sku")
    return str(product_id)


@post(f"{_BASE}/versions/{{price_list_id:str}}/items", include_in_schema=False, guards=[_admins])
async def set_item_submit(request: Req, db: Database, price_list_id: str) -> Any:
    """One product's price and breaks, added or changed: with htmx its row is swapped."""
    form = await _form(request)
    try:
        product_id = await _product_of(db, form.get("sku", ""))
        item = PriceItemIn(
            product_id,
            price_list_csv.parse_amount(form.get("unit_price", "")),
            [BreakIn(q, c) for q, c in price_list_csv.parse_breaks(form.get("breaks", ""))],
        )
        async with db.write() as uow:
            await price_lists.set_item(uow, request.user.id, price_list_id, item)
    except NotFound:
        raise
    except DomainError as exc:
        if is_htmx(request):
            # htmx swaps only 2xx answers by default, and the reason must reach the row.
            context = _row_context(request, price_list_id, form, row_error=exc.message)
            return Template("price_lists/_item_row.html", context=context)
        return await _render_version(
            request, db, price_list_id, error=exc.message, status_code=status_for(exc)
        )
    if is_htmx(request) and form.get("row") == "existing":
        context = _row_context(request, price_list_id, form, saved=True)
        return Template("price_lists/_item_row.html", context=context)
    return Redirect(path=f"{_BASE}/versions/{price_list_id}", status_code=303)


@post(
    f"{_BASE}/versions/{{price_list_id:str}}/items/{{product_id:str}}/remove",
    include_in_schema=False,
    guards=[_admins],
)
async def remove_item_submit(
    request: Req, db: Database, price_list_id: str, product_id: str
) -> Any:
    async with db.write() as uow:
        await price_lists.remove_item(uow, request.user.id, price_list_id, product_id)
    if is_htmx(request):
        return Response("", media_type=MediaType.HTML)  # the row is swapped for nothing
    return Redirect(path=f"{_BASE}/versions/{price_list_id}", status_code=303)


@post(
    f"{_BASE}/versions/{{price_list_id:str}}/import",
    include_in_schema=False,
    guards=[_admins],
    request_max_body_size=MAX_FILE_BYTES,
)
async def import_submit(request: Req, db: Database, price_list_id: str) -> Any:
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile):
        return await _render_version(
            request, db, price_list_id, error="Choose a CSV file to import.", status_code=400
        )
    raw = await upload.read()
    try:
        async with db.read() as unit:
            scope = await load_scope(unit.session, request.user)
            await price_lists.price_list_detail(unit.session, scope, price_list_id)
            items = await price_list_csv.parse_items(unit.session, raw)
        async with db.write() as uow:
            await price_lists.replace_items(uow, request.user.id, price_list_id, items)
    except PriceImportRejected as exc:
        return await _render_version(
            request,
            db,
            price_list_id,
            error=exc.message,
            import_errors=exc.errors,
            status_code=422,
        )
    except NotFound:
        raise
    except DomainError as exc:
        return await _render_version(
            request, db, price_list_id, error=exc.message, status_code=status_for(exc)
        )
    return Redirect(path=f"{_BASE}/versions/{price_list_id}", status_code=303)


PRICE_LIST_PAGES: list[Any] = [
    price_lists_page,
    new_price_list_page,
    create_price_list_submit,
    price_list_code_page,
    new_version_submit,
    price_list_version_page,
    set_item_submit,
    remove_item_submit,
    import_submit,
]
