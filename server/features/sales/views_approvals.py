"""The manager's approval queue, and the decisions taken on an order from any page.

Approve and reject work right from the queue: with htmx only the order's row is swapped
for its new state; without JavaScript the form posts and the queue is shown again.
"""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.response import Redirect, Template

from server.db.engine import Database
from server.domain.errors import DomainError, NotFound, ValidationFailed
from server.features.sales import approvals, order_queries
from server.features.sales.order_store import OrderRow
from server.features.sales.views_data import (
    Req,
    customer_names,
    is_htmx,
    page_context,
    user_names,
)
from server.features.shared.scope import load_scope
from server.http.errors import status_for
from server.security.auth import CurrentUser, requires_role

__all__ = ["APPROVAL_PAGES", "take_action"]

_managers = requires_role("manager", "admin")
REASON_MAX = 2000
# Actions that end or refuse something must say why; the rep reads it on the order.
_NEEDS_REASON = {
    "reject": "Give a reason for rejecting: the rep sees it on the order.",
    "cancel": "Give a reason for cancelling: it is kept on the order's timeline.",
}


async def reason_from(request: Req) -> str:
    form = await request.form()
    return str(form.get("reason", "")).strip()


async def take_action(
    db: Database, user: CurrentUser, order_id: str, action: str, reason: str
) -> OrderRow:
    """Run approve, release_credit, reject or cancel in its own transaction; a refusal
    raises DomainError and leaves the order as it was."""
    if action in _NEEDS_REASON and not reason:
        raise ValidationFailed(_NEEDS_REASON[action], code="reason_required")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            f"Keep the reason under {REASON_MAX} characters.", code="reason_too_long"
        )
    async with db.write() as uow:
        if action == "approve":
            return await approvals.approve(uow, user, order_id)
        if action == "release_credit":
            return await approvals.release_credit(uow, user, order_id)
        if action == "reject":
            return await approvals.reject(uow, user, order_id, reason)
        if action == "cancel":
            return await approvals.cancel(uow, user, order_id, reason)
    raise NotFound("There is no such action on an order.", code="unknown_action")


async def _queue_context(request: Req, db: Database) -> dict[str, Any]:
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        items = await order_queries.approval_queue(unit.session, scope, request.user.id)
        customers = await customer_names(unit.session, (i.order.customer_id for i in items))
        reps = await user_names(unit.session, (i.order.rep_id for i in items))
    return page_context(request, items=items, customers=customers, reps=reps)


@get("/approvals", guards=[_managers], include_in_schema=False)
async def approval_queue_page(request: Req, db: Database) -> Template:
    return Template("approvals/queue.html", context=await _queue_context(request, db))


async def _row(
    request: Req, db: Database, order_id: str, *, error: str | None = None, reason: str = ""
) -> Template:
    """The order's row as it stands now: still waiting (with the error) or decided."""
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        order = await order_queries.get_visible_order(unit.session, scope, order_id)
        customers = await customer_names(unit.session, [order.customer_id])
        reps = await user_names(unit.session, [order.rep_id])
    context = page_context(
        request,
        o=order,
        reasons=order.approval_reasons or [],
        customers=customers,
        reps=reps,
        row_error=error,
        reason=reason,
    )
    return Template("approvals/_row.html", context=context)


async def _decide(request: Req, db: Database, order_id: str, action: str) -> Any:
    reason = await reason_from(request) if action == "reject" else ""
    try:
        await take_action(db, request.user, order_id, action, reason)
    except NotFound:
        raise
    except DomainError as exc:
        if is_htmx(request):
            # htmx swaps only 2xx answers by default, and the message must reach the row.
            return await _row(request, db, order_id, error=exc.message, reason=reason)
        context = await _queue_context(request, db)
        context.update(error=exc.message, error_order_id=order_id)
        return Template("approvals/queue.html", context=context, status_code=status_for(exc))
    if is_htmx(request):
        return await _row(request, db, order_id)
    return Redirect(path="/approvals", status_code=303)


@post("/approvals/{order_id:str}/approve", guards=[_managers], include_in_schema=False)
async def approve_from_queue(request: Req, db: Database, order_id: str) -> Any:
    return await _decide(request, db, order_id, "approve")


@post("/approvals/{order_id:str}/reject", guards=[_managers], include_in_schema=False)
async def reject_from_queue(request: Req, db: Database, order_id: str) -> Any:
    return await _decide(request, db, order_id, "reject")


@post("/approvals/{order_id:str}/release-credit", guards=[_managers], include_in_schema=False)
async def release_from_queue(request: Req, db: Database, order_id: str) -> Any:
    return await _decide(request, db, order_id, "release_credit")


APPROVAL_PAGES = [approval_queue_page, approve_from_queue, reject_from_queue, release_from_queue]
