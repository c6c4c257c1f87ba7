"""HTML pages of sales orders: the list, the detail with its timeline, and its actions.

The actions (cancel; approve, reject, release credit for the order's manager; a call-off
of a blanket order) are plain form posts that redirect back to the order (a call-off: to
the new order); a refused one shows the order again with the reason and nothing changed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from litestar import get, post
from litestar.response import Redirect, Template
from sqlalchemy import select

from server.db.engine import Database
from server.db.models import Customer, Warehouse
from server.domain.actor import CurrentUser
from server.domain.errors import DomainError, NotFound, ValidationFailed
from server.domain.orders import FulfilmentStatus, OrderStatus, can_cancel
from server.features.commission.split_form import save_split_form, split_panel
from server.features.fulfilment.shipment_queries import shipments_of_order
from server.features.portal.links import link_out, list_links
from server.features.portal.schemas import PortalLinkIn
from server.features.sales import order_queries
from server.features.sales.call_offs import place_call_off
from server.features.sales.schemas import BlanketOut, CallOffIn, OrderDetail
from server.features.sales.views_approvals import reason_from, take_action
from server.features.sales.views_data import (
    Req,
    customer_names,
    page_context,
    user_names,
)
from server.features.shared.scope import customer_filter, load_scope
from server.http.errors import status_for

__all__ = ["ORDER_PAGES", "may_decide", "render_order"]


def may_decide(user: CurrentUser, order: OrderDetail) -> bool:
    """Whether to offer approve / reject: the same rule approvals.py enforces."""
    if order.status not in (OrderStatus.PENDING_APPROVAL, OrderStatus.CREDIT_HOLD):
        return False
    return user.is_admin or (user.role == "manager" and user.id in order.manager_ids)


async def render_order(
    request: Req,
    db: Database,
    order_id: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    reason: str = "",
    failed: str = "",
    form: dict[str, str] | None = None,
    new_portal_url: str = "",
) -> Template:
    """The order page, also shown again with the message when one of its actions is
    refused (`failed`: the form that was, "amend" or the action's). `new_portal_url`: a
    portal link just created, shown this once to be copied."""
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        order = await order_queries.get_visible_order(unit.session, scope, order_id)
        detail = await order_queries.order_detail(unit.session, order)
        customers = await customer_names(unit.session, [detail.customer_id])
        shipments = await shipments_of_order(unit, order.id)
        portal_links = [
            link_out(x)
            for x in await list_links(unit.session, request.user, PortalLinkIn(order_id=order.id))
        ]
        warehouses = {
            row.id: f"{row.code} · {row.name}"
            for row in await unit.session.execute(
                select(Warehouse.id, Warehouse.code, Warehouse.name).where(
                    Warehouse.id.in_({s.warehouse_id for s in shipments if s.warehouse_id})
                )
            )
        }
        people = await user_names(
            unit.session,
            [
                detail.rep_id,
                detail.decided_by,
                *detail.manager_ids,
                *(e.actor_id for e in detail.timeline),
                *(r.actor_id for r in detail.revisions),
                *(x.created_by for x in portal_links),
            ],
        )
        # Whoever may place orders for the customer may call off its blanket orders.
        may_call_off = (
            detail.blanket is not None
            and detail.status == OrderStatus.CONFIRMED
            and _within(detail.blanket, date.today())
            and await unit.session.scalar(
                select(Customer.id).where(Customer.id == detail.customer_id, customer_filter(scope))
            )
            is not None
        )
        split = await split_panel(unit, request.user, order.id)
    cancellable = can_cancel(
        OrderStatus(detail.status), fulfilment=FulfilmentStatus(detail.fulfilment_status)
    )
    context = page_context(
        request,
        o=detail,
        may_call_off=may_call_off,
        form=form or {},
        customer_name=customers.get(detail.customer_id, ""),
        people=people,
        may_cancel=cancellable,
        may_decide=may_decide(request.user, detail),
        may_amend=detail.amendable,
        shipments=shipments,
        portal_links=portal_links,
        new_portal_url=new_portal_url,
        split=split,
        warehouses=warehouses,
        error=error,
        reason=reason,
        failed=failed,
    )
    return Template("orders/detail.html", context=context, status_code=status_code)


@get("/orders/{order_id:str}", include_in_schema=False)
async def order_detail_page(request: Req, db: Database, order_id: str) -> Template:
    return await render_order(request, db, order_id)


async def _act(request: Req, db: Database, order_id: str, action: str) -> Any:
    reason = await reason_from(request) if action in ("cancel", "reject") else ""
    try:
        await take_action(db, request.user, order_id, action, reason)
    except NotFound:
        raise
    except DomainError as exc:
        return await render_order(
            request, db, order_id, error=exc.message, status_code=status_for(exc), reason=reason
        )
    return Redirect(path=f"/orders/{order_id}", status_code=303)


# The buttons of the order page, by the last segment of the URL they post to.
_ACTIONS = {
    "cancel": "cancel",
    "approve": "approve",
    "reject": "reject",
    "release-credit": "release_credit",
}


def _within(blanket: BlanketOut, on: date) -> bool:
    starts = date.fromisoformat(blanket.valid_from) if blanket.valid_from else None
    ends = date.fromisoformat(blanket.valid_to) if blanket.valid_to else None
    return (starts is None or starts <= on) and (ends is None or on <= ends)


async def _call_off(request: Req, db: Database, blanket_id: str) -> Any:
    """The call-off form: a quantity per blanket line (empty or 0: not called off)."""
    form = {k: str(v).strip() for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        lines = []
        for key, value in form.items():
            if key.startswith("qty-") and value not in ("", "0"):
                if not value.isdigit():
                    raise ValidationFailed(
                        f"quantities are whole numbers, got {value!r}", code="invalid_quantity"
                    )
                lines.append({"blanket_line_id": key[4:], "quantity": int(value)})
        if not lines:
            raise ValidationFailed("Enter a quantity for at least one line.", code="no_lines")
        data = msgspec.convert(
            {
                "lines": lines,
                "po_number": form.get("po_number", ""),
                "notes": form.get("notes", ""),
                "requested_delivery_date": form.get("requested_delivery_date") or None,
                "channel": "web",
            },
            CallOffIn,
        )
        async with db.write() as uow:
            placed = await place_call_off(uow, request.user, blanket_id, data)
    except NotFound:
        raise
    except msgspec.ValidationError as exc:
        return await render_order(
            request, db, blanket_id, error=f"Check the call-off: {exc}", status_code=422, form=form
        )
    except DomainError as exc:
        return await render_order(
            request, db, blanket_id, error=exc.message, status_code=status_for(exc), form=form
        )
    return Redirect(path=f"/orders/{placed.order.id}", status_code=303)


async def _split(request: Req, db: Database, order_id: str) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        await save_split_form(db, request.user, order_id, form)
    except NotFound:
        raise
    except DomainError as exc:
        return await render_order(
            request, db, order_id, error=exc.message, status_code=status_for(exc), failed="split"
        )
    return Redirect(path=f"/orders/{order_id}", status_code=303)


@post("/orders/{order_id:str}/{action:str}", include_in_schema=False)
async def order_action_submit(request: Req, db: Database, order_id: str, action: str) -> Any:
    if action == "call-off":
        return await _call_off(request, db, order_id)
    if action == "commission-split":
        return await _split(request, db, order_id)
    if action not in _ACTIONS:
        raise NotFound("There is no such action on an order.", code="unknown_action")
    return await _act(request, db, order_id, _ACTIONS[action])


ORDER_PAGES = [order_detail_page, order_action_submit]
