"""The portal's pages under /p: no account, a link's session only.

`GET /p/{token}` swaps the token for the session cookie and redirects to a URL without
it, so the token leaves no trace in the history, in logs of later requests or in a
Referer. Every other page reads the session and shows only what its link opens; anything
else is answered as not found.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.enums import MediaType, RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import func, select

from server.config import Settings
from server.db.engine import Database
from server.db.models import Customer, Invoice, Payment, PaymentAllocation, Quote, SalesOrder
from server.domain.errors import DomainError, NotFound
from server.domain.portal import Shipped, order_steps, status_sentence
from server.features.billing.queries import invoice_detail_where
from server.features.billing.views import print_context
from server.features.fulfilment.shipment_queries import shipments_of_order
from server.features.portal.access import (
    PORTAL_COOKIE,
    PORTAL_PATH,
    PortalAccess,
    exchange_token,
    portal_access,
    session_claim,
)
from server.features.sales import quote_service
from server.features.sales.order_queries import order_detail
from server.features.sales.quote_queries import quote_detail
from server.features.sales.views_data import label, money, when
from server.http.client import client_address, secure_cookies
from server.http.errors import status_for
from server.security.csrf import CHECK_WITHOUT_SESSION
from server.security.login_limits import LoginThrottled, admit_portal_attempt

__all__ = ["PORTAL_PAGES"]

_Req = Request[Any, Any, Any]
_OPEN: dict[str, Any] = {"exclude_from_auth": True}
_FORM: dict[str, Any] = {"exclude_from_auth": True, CHECK_WITHOUT_SESSION: True}
_Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _context(**extra: Any) -> dict[str, Any]:
    return {"money": money, "when": when, "label": label, **extra}


def _gone(status_code: int = 404, message: str = "") -> Template:
    return Template(
        "portal/gone.html",
        context=_context(
            message=message
            or "This link does not work: it may have expired or been withdrawn. "
            "Ask your sales representative for a new one."
        ),
        status_code=status_code,
    )


async def _session(request: _Req, db: Database, settings: Settings) -> PortalAccess | None:
    async with db.read() as unit:
        return await portal_access(unit.session, settings.secret_key, dict(request.cookies))


@get(f"{PORTAL_PATH}/{{token:str}}", opt=_OPEN, media_type=MediaType.HTML, include_in_schema=False)
async def open_link(request: _Req, db: Database, settings: Settings, token: str) -> Any:
    try:
        await admit_portal_attempt(
            db, address=client_address(request), per_minute=settings.portal_rate_limit
        )
    except LoginThrottled as exc:
        answer = _gone(429, exc.message)
        answer.headers["Retry-After"] = str(exc.retry_after)
        return answer
    async with db.write() as uow:
        opened = await exchange_token(uow, token)
    if opened is None:
        return _gone()
    access, link_expires = opened
    value, max_age = session_claim(settings.secret_key, access.link_id, link_expires)
    cookie = Cookie(
        key=PORTAL_COOKIE,
        value=value,
        path=PORTAL_PATH,
        max_age=max_age,
        httponly=True,
        secure=secure_cookies(request, settings),
        samesite="lax",
    )
    return Redirect(path=access.home, status_code=303, cookies=[cookie])


@get(PORTAL_PATH, opt=_OPEN, media_type=MediaType.HTML, include_in_schema=False)
async def portal_home(request: _Req, db: Database, settings: Settings) -> Any:
    access = await _session(request, db, settings)
    if access is None:
        return _gone()
    if not access.whole_customer:
        return Redirect(path=access.home, status_code=303)
    async with db.read() as unit:
        customer = await unit.session.get(Customer, access.customer_id)
        orders = (
            await unit.session.execute(
                select(SalesOrder).where(access.orders()).order_by(SalesOrder.placed_at.desc())
            )
        ).scalars()
        quotes = (
            await unit.session.execute(
                select(Quote).where(access.quotes()).order_by(Quote.created_at.desc())
            )
        ).scalars()
        context = _context(
            customer=customer, orders=list(orders), quotes=list(quotes), home=access.home
        )
    return Template("portal/home.html", context=context)


def _confirmed_at(timeline: list[Any]) -> str | None:
    for entry in timeline:
        if entry.to_state == "confirmed":
            return str(entry.at)
    return None


@get(
    f"{PORTAL_PATH}/orders/{{order_id:str}}",
    opt=_OPEN,
    media_type=MediaType.HTML,
    include_in_schema=False,
)
async def portal_order(request: _Req, db: Database, settings: Settings, order_id: str) -> Any:
    access = await _session(request, db, settings)
    if access is None:
        return _gone()
    async with db.read() as unit:
        order = (
            await unit.session.execute(
                select(SalesOrder).where(SalesOrder.id == order_id, access.orders())
            )
        ).scalar_one_or_none()
        if order is None:
            return _gone(404, "There is no such order behind this link.")
        detail = await order_detail(unit.session, order)
        shipments = await shipments_of_order(unit, order.id)
        invoices = list(
            (
                await unit.session.execute(
                    select(Invoice).where(Invoice.order_id == order.id).order_by(Invoice.number)
                )
            ).scalars()
        )
        customer = await unit.session.get(Customer, order.customer_id)
        last_payment = await unit.session.scalar(
            select(func.max(Payment.received_on))
            .join(PaymentAllocation, PaymentAllocation.payment_id == Payment.id)
            .where(PaymentAllocation.invoice_id.in_([i.id for i in invoices]))
        )
    steps = order_steps(
        status=detail.status,
        placed_at=when(detail.placed_at),
        confirmed_at=when(_confirmed_at(detail.timeline)) or None,
        backorders=[
            (line.name, line.quantity_backordered, line.expected_on)
            for line in detail.lines
            if line.quantity_backordered > 0
        ],
        shipments=[
            Shipped(
                s.number,
                s.carrier,
                s.tracking_number,
                s.tracking_url,
                when(s.shipped_at) or None,
                s.delivered_on,
            )
            for s in shipments
        ],
        invoiced_on=str(invoices[0].issued_on) if invoices else None,
        billing_status=detail.billing_status,
        paid_on=str(last_payment) if last_payment else None,
    )
    context = _context(
        o=detail,
        customer=customer,
        sentence=status_sentence(
            detail.status, backordered=any(x.quantity_backordered for x in detail.lines)
        ),
        steps=steps,
        shipments=shipments,
        invoices=invoices,
        home=access.home,
        whole_customer=access.whole_customer,
    )
    return Template("portal/order.html", context=context)


async def _render_quote(
    request: _Req,
    db: Database,
    access: PortalAccess,
    quote_id: str,
    *,
    error: str = "",
    status_code: int = 200,
) -> Template:
    async with db.read() as unit:
        quote = (
            await unit.session.execute(select(Quote).where(Quote.id == quote_id, access.quotes()))
        ).scalar_one_or_none()
        if quote is None:
            return _gone(404, "There is no such quote behind this link.")
        detail = await quote_detail(unit.session, quote)
        customer = await unit.session.get(Customer, quote.customer_id)
    open_to_decide = detail.status == "sent" and date.fromisoformat(str(detail.valid_until)) >= (
        date.today()
    )
    context = _context(
        q=detail,
        customer=customer,
        may_decide=open_to_decide,
        error=error,
        home=access.home,
        whole_customer=access.whole_customer,
    )
    return Template("portal/quote.html", context=context, status_code=status_code)


@get(
    f"{PORTAL_PATH}/quotes/{{quote_id:str}}",
    opt=_OPEN,
    media_type=MediaType.HTML,
    include_in_schema=False,
)
async def portal_quote(request: _Req, db: Database, settings: Settings, quote_id: str) -> Any:
    access = await _session(request, db, settings)
    if access is None:
        return _gone()
    return await _render_quote(request, db, access, quote_id)


async def _decide(
    request: _Req,
    db: Database,
    settings: Settings,
    quote_id: str,
    action: str,
    form: dict[str, str],
) -> Any:
    access = await _session(request, db, settings)
    if access is None:
        return _gone()
    name = " ".join(form.get("name", "").split())[:120]
    reason = " ".join(form.get("reason", "").split())[:500]
    if action == "accept" and len(name) < 2:
        return await _render_quote(
            request, db, access, quote_id, error="Type your full name to sign.", status_code=422
        )
    if action == "decline" and not reason:
        return await _render_quote(
            request, db, access, quote_id, error="Tell us why you decline.", status_code=422
        )
    try:
        async with db.write() as uow:
            quote = (
                await uow.session.execute(
                    select(Quote)
                    .where(Quote.id == quote_id, access.quotes())
                    .with_for_update(of=Quote)
                )
            ).scalar_one_or_none()
            if quote is None:
                raise NotFound("There is no such quote behind this link.", code="quote_not_found")
            if await quote_service.expire_if_due(uow, quote, date.today(), actor_id=None):
                await quote_service.touch_quote(uow, quote)
            else:
                await quote_service.apply_transition(
                    uow,
                    quote,
                    action,
                    actor_id=None,
                    reason=reason or None,
                    data={
                        "by": "customer portal",
                        "portal_link_id": access.link_id,
                        "signed_by": name if action == "accept" else None,
                        "client_address": client_address(request),
                    },
                )
    except NotFound:
        return _gone(404, "There is no such quote behind this link.")
    except DomainError as exc:
        return await _render_quote(
            request, db, access, quote_id, error=exc.message, status_code=status_for(exc)
        )
    return Redirect(path=f"{PORTAL_PATH}/quotes/{quote_id}", status_code=303)


@post(
    f"{PORTAL_PATH}/quotes/{{quote_id:str}}/accept",
    opt=_FORM,
    media_type=MediaType.HTML,
    include_in_schema=False,
)
async def portal_accept(
    request: _Req, db: Database, settings: Settings, quote_id: str, data: _Form
) -> Any:
    return await _decide(request, db, settings, quote_id, "accept", data)


@post(
    f"{PORTAL_PATH}/quotes/{{quote_id:str}}/decline",
    opt=_FORM,
    media_type=MediaType.HTML,
    include_in_schema=False,
)
async def portal_decline(
    request: _Req, db: Database, settings: Settings, quote_id: str, data: _Form
) -> Any:
    return await _decide(request, db, settings, quote_id, "decline", data)


@get(
    f"{PORTAL_PATH}/invoices/{{invoice_id:str}}/print",
    opt=_OPEN,
    media_type=MediaType.HTML,
    include_in_schema=False,
)
async def portal_invoice(request: _Req, db: Database, settings: Settings, invoice_id: str) -> Any:
    access = await _session(request, db, settings)
    if access is None:
        return _gone()
    async with db.read() as unit:
        try:
            detail = await invoice_detail_where(unit.session, access.orders(), invoice_id)
        except NotFound:
            return _gone(404, "There is no such invoice behind this link.")
        order = await unit.session.get(SalesOrder, detail.invoice.order_id)
        customer = await unit.session.get(Customer, detail.invoice.customer_id)
    assert order is not None and customer is not None
    context = _context(
        **print_context(
            detail,
            order,
            customer.legal_name,
            settings,
            back_url=f"{PORTAL_PATH}/orders/{order.id}",
        )
    )
    return Template("billing/print.html", context=context)


PORTAL_PAGES = [
    open_link,
    portal_home,
    portal_order,
    portal_quote,
    portal_accept,
    portal_decline,
    portal_invoice,
]
