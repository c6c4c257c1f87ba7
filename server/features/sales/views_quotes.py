"""HTML pages of quotes: the list, the detail with every revision and what changed between
them, and the actions send / revise / accept / decline / convert to an order.

Quotes past their validity are expired before they are shown, exactly as the API does.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import get, post
from litestar.response import Redirect, Template

from server.db.engine import Database
from server.domain.actor import CurrentUser
from server.domain.errors import DomainError, NotFound, ValidationFailed
from server.domain.orders import QuoteStatus
from server.features.sales import quote_queries, quote_service
from server.features.sales.order_service import convert_quote
from server.features.sales.schemas import ConvertIn
from server.features.sales.views_data import (
    Req,
    customer_names,
    page_context,
    user_names,
)
from server.features.shared.scope import load_scope
from server.http.errors import status_for

__all__ = ["QUOTE_PAGES", "expire_due_quotes"]

STATUSES = [s.value for s in QuoteStatus]
# The transitions a person starts from the page, in the order the buttons appear.
_BUTTONS = ("send", "accept", "decline", "revise")
PO_MAX = 60


async def expire_due_quotes(db: Database, user: CurrentUser) -> None:
    async with db.read() as unit:
        scope = await load_scope(unit.session, user)
        due = await quote_queries.any_due(unit.session, scope, date.today())
    if due:
        await quote_service.expire_quotes(db, date.today())


async def render_quote(
    request: Req,
    db: Database,
    quote_id: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    await expire_due_quotes(db, request.user)
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        quote = await quote_queries.get_visible_quote(unit.session, scope, quote_id)
        detail = await quote_queries.quote_detail(unit.session, quote)
        revisions = await quote_queries.revisions(unit.session, quote)
        # What changed from each revision to the next, newest change first.
        diffs = [
            await quote_queries.quote_diff(unit.session, quote, r["revision"] - 1, r["revision"])
            for r in reversed(revisions)
            if r["revision"] > 1
        ]
        customers = await customer_names(unit.session, [quote.customer_id])
        timeline = await quote_queries.quote_timeline(unit.session, quote.id)
        people = await user_names(unit.session, [quote.rep_id, *(e["actor_id"] for e in timeline)])
    actions = detail.allowed_actions
    context = page_context(
        request,
        q=detail,
        customer_name=customers.get(quote.customer_id, ""),
        people=people,
        revisions=list(reversed(revisions)),
        diffs=diffs,
        timeline=timeline,
        error=error,
        buttons=[a for a in _BUTTONS if a in actions],
        may_convert="convert" in actions
        and detail.converted_order_id is None
        and date.fromisoformat(detail.valid_until) >= date.today(),
    )
    return Template("quotes/detail.html", context=context, status_code=status_code)


@get("/quotes/{quote_id:str}", include_in_schema=False)
async def quote_detail_page(request: Req, db: Database, quote_id: str) -> Template:
    return await render_quote(request, db, quote_id)


async def _transition(request: Req, db: Database, quote_id: str, action: str) -> Any:
    try:
        async with db.write() as uow:
            await quote_service.transition(uow, request.user, quote_id, action)
    except NotFound:
        raise
    except DomainError as exc:
        return await render_quote(
            request, db, quote_id, error=exc.message, status_code=status_for(exc)
        )
    return Redirect(path=f"/quotes/{quote_id}", status_code=303)


@post("/quotes/{quote_id:str}/{action:str}", include_in_schema=False)
async def quote_action_submit(request: Req, db: Database, quote_id: str, action: str) -> Any:
    if action not in _BUTTONS:
        raise NotFound("There is no such action on a quote.", code="unknown_action")
    return await _transition(request, db, quote_id, action)


@post("/quotes/{quote_id:str}/convert", include_in_schema=False)
async def convert_submit(request: Req, db: Database, quote_id: str) -> Any:
    """Place an order from the accepted quote at its prices; the new order opens."""
    form = await request.form()
    po_number = str(form.get("po_number", "")).strip()
    try:
        if len(po_number) > PO_MAX:
            raise ValidationFailed(
                f"Keep the PO number under {PO_MAX} characters.", code="po_too_long"
            )
        async with db.write() as uow:
            placed = await convert_quote(
                uow, request.user, quote_id, ConvertIn(po_number=po_number, channel="web")
            )
            order_id = placed.order.id
    except NotFound:
        raise
    except DomainError as exc:
        return await render_quote(
            request, db, quote_id, error=exc.message, status_code=status_for(exc)
        )
    return Redirect(path=f"/orders/{order_id}", status_code=303)


QUOTE_PAGES = [quote_detail_page, quote_action_submit, convert_submit]
