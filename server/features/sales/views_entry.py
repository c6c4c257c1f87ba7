"""Order and quote entry on the desktop, for managers and the back office.

`/orders/new` and `/quotes/new` are server-rendered forms (the rep's offline builder at
`/app/orders/new` needs a device signed in for sync). Picking a customer, adding a line and
placing all post the same form; htmx only swaps in customer choices and live totals. The
order is placed through `place_order` and the quote created through `create_quote`, so
validation, pricing, discount limits, credit and allocation are the API's; a refusal
shows the form again with what was typed and the reasons.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import MediaType, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from server.db.engine import Database
from server.domain.errors import DomainError
from server.features.customers import queries as customer_queries
from server.features.sales.entry_form import (
    BLANK_LINES,
    DraftLine,
    EntryDraft,
    entry_products,
    parse_entry,
    picked_customer,
    preview,
)
from server.features.sales.order_service import place_order
from server.features.sales.quote_service import create_quote
from server.features.sales.schemas import OrderCreateIn, QuoteCreateIn
from server.features.sales.views_data import Req, page_context
from server.features.shared.scope import load_scope
from server.http.errors import status_for
from server.security.auth import requires_role

__all__ = ["ENTRY_PAGES"]

MANAGERS = requires_role("manager", "admin")
_KINDS = {"orders": "order", "quotes": "quote"}


async def _render(
    request: Req,
    db: Database,
    kind: str,
    draft: EntryDraft,
    *,
    q: str = "",
    error: str = "",
    reasons: list[dict[str, Any]] | None = None,
    status_code: int = 200,
) -> Template:
    async with db.read() as unit:
        customer = await picked_customer(unit.session, request.user, draft.customer_id)
        products = await entry_products(unit.session)
        outcome = await preview(unit.session, customer, draft)
    context = page_context(
        request,
        kind=kind,
        draft=draft,
        customer=customer,
        products=products,
        outcome=outcome,
        q=q,
        error=error,
        reasons=reasons or [],
        row_errors=draft.errors_by_row(reasons or []),
    )
    return Template("entry/form.html", context=context, status_code=status_code)


@get("/orders/new", guards=[MANAGERS], include_in_schema=False)
async def new_order_page(request: Req, db: Database) -> Template:
    return await _render(request, db, "order", EntryDraft(lines=[DraftLine()] * BLANK_LINES))


@get("/quotes/new", guards=[MANAGERS], include_in_schema=False)
async def new_quote_page(request: Req, db: Database) -> Template:
    return await _render(request, db, "quote", EntryDraft(lines=[DraftLine()] * BLANK_LINES))


@get("/entry/customers", guards=[MANAGERS], include_in_schema=False)
async def entry_customer_choices(
    request: Req, db: Database, q: Annotated[str, Parameter(max_length=200)] = ""
) -> Template:
    """Customers in the caller's scope matching `q`, as buttons that pick one."""
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        page = await customer_queries.search_customers(unit.session, scope, q=q, limit=10)
    return Template("entry/_customers.html", context=page_context(request, page=page, q=q))


@post("/entry/totals", guards=[MANAGERS], include_in_schema=False)
async def entry_totals(request: Req, db: Database) -> Template:
    """The totals of the form as typed, priced by the server (nothing is written)."""
    draft = parse_entry(await request.form())
    async with db.read() as unit:
        customer = await picked_customer(unit.session, request.user, draft.customer_id)
        outcome = await preview(unit.session, customer, draft)
    context = page_context(request, outcome=outcome, customer=customer)
    return Template("entry/_totals.html", context=context)


async def _submit(request: Req, db: Database, kind: str) -> Any:
    form = await request.form()
    intent = str(form.get("intent") or "")
    draft = parse_entry(form, extra_line=intent == "add_line")
    q = str(form.get("q") or "")
    if form.get("pick_customer"):
        draft.customer_id = str(form.get("pick_customer"))
        return await _render(request, db, kind, draft)
    if intent != "place":
        return await _render(request, db, kind, draft, q=q)
    if not draft.customer_id:
        return await _render(
            request, db, kind, draft, q=q, error="Pick a customer first.", status_code=422
        )
    body: dict[str, Any] = {
        "customer_id": draft.customer_id,
        "lines": draft.payload_lines(),
        "notes": draft.notes,
        "order_discount_percent": draft.order_discount_percent or "0",
    }
    try:
        if kind == "order":
            data = msgspec.convert(
                {**body, "po_number": draft.po_number, "channel": "web"},
                OrderCreateIn,
                strict=False,
            )
            async with db.write() as uow:
                placed = await place_order(uow, request.user, data)
            return Redirect(path=f"/orders/{placed.order.id}", status_code=303)
        quote_in = msgspec.convert(body, QuoteCreateIn, strict=False)
        async with db.write() as uow:
            quote = await create_quote(uow, request.user, quote_in)
        return Redirect(path=f"/quotes/{quote.id}", status_code=303)
    except msgspec.ValidationError as exc:
        message = f"Check the {kind}: {exc}"
        if not body["lines"]:
            message = "Add at least one line with a product and a quantity."
        return await _render(request, db, kind, draft, q=q, error=message, status_code=422)
    except DomainError as exc:
        reasons = list((exc.details or {}).get("reasons") or [])
        return await _render(
            request,
            db,
            kind,
            draft,
            q=q,
            error=exc.message,
            reasons=reasons,
            status_code=status_for(exc),
        )


@post("/orders/new", guards=[MANAGERS], include_in_schema=False, media_type=MediaType.HTML)
async def new_order_submit(request: Req, db: Database) -> Any:
    return await _submit(request, db, "order")


@post("/quotes/new", guards=[MANAGERS], include_in_schema=False, media_type=MediaType.HTML)
async def new_quote_submit(request: Req, db: Database) -> Any:
    return await _submit(request, db, "quote")


ENTRY_PAGES = [
    new_order_page,
    new_quote_page,
    entry_customer_choices,
    entry_totals,
    new_order_submit,
    new_quote_submit,
]
