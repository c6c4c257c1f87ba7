"""Billing pages: the back office's invoicing queue, invoices, receivables and an invoice's
detail (admin, desktop), and the printable invoice for anyone who can see its order.

Every button here is also an API endpoint with the same rules (see routes.py): the page
handlers call the same services in their own transaction and show a refusal inline.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from litestar import get, post
from litestar.response import Redirect, Template

from server.config import Settings
from server.db.engine import Database
from server.domain.billing import Allocation
from server.domain.errors import DomainError, ValidationFailed
from server.features.billing import queries
from server.features.billing.invoicing import invoice_order
from server.features.billing.payments import apply_credit, record_payment
from server.features.billing.routes import run_invoicing
from server.features.billing.schemas import InvoiceDetail
from server.features.sales.order_queries import get_visible_order
from server.features.sales.views_data import Req, customer_names, is_htmx, page_context
from server.features.shared.scope import load_scope
from server.http.errors import status_for
from server.security.auth import requires_role

__all__ = ["BILLING_PAGES", "print_context"]

_admins = requires_role("admin")
_METHODS = ("bank_transfer", "card", "cheque", "cash", "other")


async def _queue(request: Req, db: Database, **extra: Any) -> Template:
    async with db.read() as unit:
        orders, count = await queries.invoicing_queue(unit.session)
        customers = await customer_names(unit.session, (o.customer_id for o in orders))
    context = page_context(request, orders=orders, count=count, customers=customers, **extra)
    return Template(
        "billing/queue.html", context=context, status_code=extra.pop("status_code", 200)
    )


@get("/billing/queue", guards=[_admins], include_in_schema=False)
async def queue_page(request: Req, db: Database) -> Template:
    return await _queue(request, db)


@post("/billing/orders/{order_id:str}/invoice", guards=[_admins], include_in_schema=False)
async def invoice_from_queue(request: Req, db: Database, order_id: str) -> Any:
    try:
        async with db.write() as uow:
            issued = await invoice_order(uow, request.user, order_id)
    except DomainError as exc:
        return await _queue(request, db, error=exc.message, status_code=status_for(exc))
    if is_htmx(request):
        context = page_context(request, issued=issued.invoice, order_id=order_id)
        return Template("billing/_invoiced_row.html", context=context)
    return Redirect(path=f"/billing/invoices/{issued.invoice.id}", status_code=303)


@post("/billing/invoicing/run", guards=[_admins], include_in_schema=False)
async def run_from_queue(request: Req, db: Database) -> Template:
    result = await run_invoicing(db, request.user)
    return await _queue(request, db, run=result)


def _filters(status: str | None, overdue: str | None) -> tuple[str | None, bool | None]:
    return (status or None), (True if overdue in ("1", "true", "on") else None)


@get("/billing/invoices", guards=[_admins], include_in_schema=False)
async def invoices_page(
    request: Req,
    db: Database,
    status: str | None = None,
    overdue: str | None = None,
    customer_id: str | None = None,
    offset: int = 0,
) -> Template:
    wanted_status, wanted_overdue = _filters(status, overdue)
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        page = await queries.list_invoices(
            unit.session,
            scope,
            customer_id=customer_id,
            status=wanted_status,
            overdue=wanted_overdue,
            limit=50,
            offset=max(offset, 0),
        )
        customers = await customer_names(unit.session, (i.customer_id for i in page.items))
    context = page_context(
        request,
        page=page,
        customers=customers,
        status=wanted_status or "",
        overdue=bool(wanted_overdue),
        statuses=queries.INVOICE_STATUSES,
    )
    return Template("billing/invoices.html", context=context)


async def _receivables(request: Req, db: Database, **extra: Any) -> Template:
    status_code = extra.pop("status_code", 200)
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        found = await queries.receivables(unit.session, scope)
        customers = await customer_names(unit.session, (i.customer_id for i in found.invoices))
    context = page_context(
        request,
        r=found,
        customers=customers,
        methods=_METHODS,
        today=date.today().isoformat(),
        **extra,
    )
    return Template("billing/receivables.html", context=context, status_code=status_code)


@get("/billing/receivables", guards=[_admins], include_in_schema=False)
async def receivables_page(request: Req, db: Database) -> Template:
    return await _receivables(request, db)


def _cents(text: str) -> int:
    """An amount typed as people write it (1234.5 or 1,234.50) in cents."""
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        raise ValidationFailed(
            "Type the amount as a number, e.g. 125.50.", code="bad_amount"
        ) from None
    if (
        not value.is_finite()
        or value <= 0
        or value != value.quantize(Decimal("0.01"))
        or value > 10**11
    ):
        raise ValidationFailed("The amount must be positive, in whole cents.", code="bad_amount")
    return int(value * 100)


async def _payment_from_form(request: Req, db: Database) -> str:
    """Book the payment the form describes; returns the invoice it was for."""
    form = await request.form()
    invoice_id = str(form.get("invoice_id", ""))
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        invoice = await queries.invoice_detail(unit.session, scope, invoice_id)
    amount = _cents(str(form.get("amount", "")))
    method = str(form.get("method", "bank_transfer"))
    if method not in _METHODS:
        raise ValidationFailed("Choose how the money was paid.", code="bad_method")
    try:
        received_on = date.fromisoformat(
            str(form.get("received_on", "")) or date.today().isoformat()
        )
    except ValueError:
        raise ValidationFailed("Give the date the money arrived.", code="bad_date") from None
    # What this invoice cannot take stays with the customer as credit.
    to_invoice = min(amount, invoice.invoice.balance_cents)
    async with db.write() as uow:
        await record_payment(
            uow,
            request.user.id,
            customer_id=invoice.invoice.customer_id,
            amount_cents=amount,
            method=method,
            reference=str(form.get("reference", ""))[:100],
            received_on=received_on,
            allocations=[Allocation(invoice_id, to_invoice)] if to_invoice > 0 else [],
        )
    return invoice_id


@post("/billing/payments", guards=[_admins], include_in_schema=False)
async def payment_from_receivables(request: Req, db: Database) -> Any:
    try:
        await _payment_from_form(request, db)
    except DomainError as exc:
        return await _receivables(request, db, error=exc.message, status_code=status_for(exc))
    return Redirect(path="/billing/receivables", status_code=303)


async def _invoice_page(request: Req, db: Database, invoice_id: str, **extra: Any) -> Template:
    status_code = extra.pop("status_code", 200)
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        detail = await queries.invoice_detail(unit.session, scope, invoice_id)
        customers = await customer_names(unit.session, [detail.invoice.customer_id])
        credit = await queries.customer_credit_cents(unit.session, detail.invoice.customer_id)
    context = page_context(
        request,
        d=detail,
        i=detail.invoice,
        customer_name=customers.get(detail.invoice.customer_id, ""),
        credit_cents=credit,
        methods=_METHODS,
        today=date.today().isoformat(),
        **extra,
    )
    return Template("billing/invoice.html", context=context, status_code=status_code)


@get("/billing/invoices/{invoice_id:str}", guards=[_admins], include_in_schema=False)
async def invoice_page(request: Req, db: Database, invoice_id: str) -> Template:
    return await _invoice_page(request, db, invoice_id)


@post("/billing/invoices/{invoice_id:str}/payment", guards=[_admins], include_in_schema=False)
async def payment_from_invoice(request: Req, db: Database, invoice_id: str) -> Any:
    try:
        await _payment_from_form(request, db)
    except DomainError as exc:
        return await _invoice_page(
            request, db, invoice_id, error=exc.message, status_code=status_for(exc)
        )
    return Redirect(path=f"/billing/invoices/{invoice_id}", status_code=303)


@post("/billing/invoices/{invoice_id:str}/apply-credit", guards=[_admins], include_in_schema=False)
async def apply_credit_from_invoice(request: Req, db: Database, invoice_id: str) -> Any:
    try:
        async with db.read() as unit:
            scope = await load_scope(unit.session, request.user)
            detail = await queries.invoice_detail(unit.session, scope, invoice_id)
        async with db.write() as uow:
            await apply_credit(uow, request.user.id, detail.invoice.customer_id)
    except DomainError as exc:
        return await _invoice_page(
            request, db, invoice_id, error=exc.message, status_code=status_for(exc)
        )
    return Redirect(path=f"/billing/invoices/{invoice_id}", status_code=303)


def print_context(
    detail: InvoiceDetail, order: Any, customer_name: str, settings: Settings, *, back_url: str
) -> dict[str, Any]:
    """What the printable invoice shows; `back_url`: the page its Back link returns to."""
    return {
        "back_url": back_url,
        "d": detail,
        "i": detail.invoice,
        "order": order,
        "customer_name": customer_name,
        "seller": {
            "name": settings.seller_name,
            "address": [x.strip() for x in settings.seller_address.split("|") if x.strip()],
            "tax_id": settings.seller_tax_id,
        },
    }


@get("/invoices/{invoice_id:str}/print", include_in_schema=False)
async def print_invoice(
    request: Req, db: Database, settings: Settings, invoice_id: str
) -> Template:
    """The invoice as a page that prints to A4 or Letter (the browser's Save as PDF)."""
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        detail = await queries.invoice_detail(unit.session, scope, invoice_id)
        order = await get_visible_order(unit.session, scope, detail.invoice.order_id)
        customers = await customer_names(unit.session, [detail.invoice.customer_id])
    context = page_context(
        request,
        **print_context(
            detail,
            order,
            customers.get(order.customer_id, ""),
            settings,
            back_url=f"/orders/{order.id}",
        ),
    )
    return Template("billing/print.html", context=context)


BILLING_PAGES: list[Any] = [
    queue_page,
    invoice_from_queue,
    run_from_queue,
    invoices_page,
    receivables_page,
    payment_from_receivables,
    invoice_page,
    payment_from_invoice,
    apply_credit_from_invoice,
    print_invoice,
]
