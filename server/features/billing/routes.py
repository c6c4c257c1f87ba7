"""HTTP API of billing: invoices, the invoicing run, payments, credit notes, credit."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import Parameter

from server.db.engine import Database
from server.db.unit_of_work import WriteUnit
from server.domain.billing import Allocation
from server.features.billing import queries
from server.features.billing.credit_notes import CreditRequest, issue_credit_note
from server.features.billing.invoicing import (
    RUN_BATCH,
    IssuedInvoice,
    invoice_order,
    invoice_shipment,
    invoicing_batch,
)
from server.features.billing.payments import apply_credit, record_payment
from server.features.billing.schemas import (
    AllocationOut,
    AppliedCreditOut,
    CreditNoteIn,
    CreditNoteOut,
    InvoiceDetail,
    InvoicePage,
    InvoicingRunOut,
    PaymentIn,
    PaymentOut,
)
from server.features.catalog.openapi import problems
from server.features.shared.paging import Offset
from server.features.shared.scope import load_scope
from server.security.api_tokens import TOKEN_SCOPE
from server.security.auth import CurrentUser, requires_role

__all__ = ["BILLING_API", "run_invoicing"]

_Req = Request[CurrentUser, Any, Any]
_admins = requires_role("admin")


async def _detail(uow: WriteUnit, user: CurrentUser, issued: IssuedInvoice) -> InvoiceDetail:
    scope = await load_scope(uow.session, user)
    return await queries.invoice_detail(uow.session, scope, issued.invoice.id)


@post(
    "/api/shipments/{shipment_id:str}/invoice",
    guards=[_admins],
    tags=["billing"],
    responses=problems(403, 404, 409, 422),
)
async def invoice_one_shipment(request: _Req, db: Database, shipment_id: str) -> InvoiceDetail:
    """Invoice one shipped shipment at the order's own prices (the order's first invoice
    also carries its shipping charge). 409 when it is already invoiced or has not left."""
    async with db.write() as uow:
        issued = await invoice_shipment(uow, request.user, shipment_id)
        return await _detail(uow, request.user, issued)


@post(
    "/api/orders/{order_id:str}/invoice",
    guards=[_admins],
    tags=["billing"],
    responses=problems(403, 404, 422),
)
async def invoice_whole_order(request: _Req, db: Database, order_id: str) -> InvoiceDetail:
    """One invoice for every shipped, not yet invoiced shipment of the order; 422
    `nothing_to_invoice` when there is none."""
    async with db.write() as uow:
        issued = await invoice_order(uow, request.user, order_id)
        return await _detail(uow, request.user, issued)


async def run_invoicing(
    db: Database, user: CurrentUser, *, batch: int = RUN_BATCH
) -> InvoicingRunOut:
    """Invoice every order with unbilled shipments, one invoice per order, `batch` orders
    per transaction until none is left."""
    orders = invoices = total = 0
    first: str | None = None
    last: str | None = None
    while True:
        async with db.write() as uow:
            issued = await invoicing_batch(uow, user, limit=batch)
        if issued:
            first = first or issued[0].invoice.number
            last = issued[-1].invoice.number
        invoices += len(issued)
        orders += len({i.invoice.order_id for i in issued})
        total += sum(i.invoice.total_cents for i in issued)
        if len(issued) < batch:
            return InvoicingRunOut(orders, invoices, total, first, last)


@post(
    "/api/invoicing/run",
    guards=[_admins],
    tags=["billing"],
    status_code=200,
    responses=problems(403),
)
async def invoicing_run(request: _Req, db: Database) -> InvoicingRunOut:
    """Invoice every order that has shipped goods not yet invoiced: one invoice per order."""
    return await run_invoicing(db, request.user)


@get(
    "/api/invoices",
    tags=["billing"],
    responses=problems(400, 422),
    opt={TOKEN_SCOPE: "invoices:read"},
)
async def list_invoices(
    request: _Req,
    db: Database,
    customer_id: str | None = None,
    order_id: Annotated[str | None, Parameter(max_length=36)] = None,
    status: str | None = None,
    overdue: bool | None = None,
    limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> InvoicePage:
    """Invoices of the orders the caller can see, oldest due first; `order_id`: one order's
    invoices; `overdue=true`: open invoices past their due date."""
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        return await queries.list_invoices(
            unit.session,
            scope,
            customer_id=customer_id,
            order_id=order_id,
            status=status,
            overdue=overdue,
            limit=limit,
            offset=offset,
        )


@get(
    "/api/invoices/{invoice_id:str}",
    tags=["billing"],
    responses=problems(404),
    opt={TOKEN_SCOPE: "invoices:read"},
)
async def get_invoice(request: _Req, db: Database, invoice_id: str) -> InvoiceDetail:
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        return await queries.invoice_detail(unit.session, scope, invoice_id)


@post(
    "/api/invoices/{invoice_id:str}/credit-notes",
    guards=[_admins],
    tags=["billing"],
    responses=problems(403, 404, 422),
)
async def credit_invoice(
    request: _Req, db: Database, invoice_id: str, data: CreditNoteIn
) -> CreditNoteOut:
    """A price correction: per billed line an amount (net, tax in the line's proportion)
    or a quantity (at the amounts it was invoiced at). It reduces the invoice's balance;
    the rest becomes the customer's credit (`unapplied_cents`)."""
    async with db.write() as uow:
        issued = await issue_credit_note(
            uow,
            request.user.id,
            invoice_id=invoice_id,
            kind="price_correction",
            reason=data.reason,
            lines=[CreditRequest(x.order_line_id, x.quantity, x.amount_cents) for x in data.lines],
        )
        return queries.credit_note_out(issued.note, issued.lines)


def _allocations(items: Any) -> list[AllocationOut]:
    return [AllocationOut(a.invoice_id, a.amount_cents) for a in items]


@post("/api/payments", guards=[_admins], tags=["billing"], responses=problems(403, 404, 422))
async def create_payment(request: _Req, db: Database, data: PaymentIn) -> PaymentOut:
    """Book a payment: allocated to the invoices given (each within its balance), or to the
    oldest due first; what is left is the customer's credit (`unallocated_cents`)."""
    async with db.write() as uow:
        recorded = await record_payment(
            uow,
            request.user.id,
            customer_id=data.customer_id,
            amount_cents=data.amount_cents,
            method=data.method,
            reference=data.reference,
            received_on=data.received_on,
            allocations=(
                None
                if data.allocations is None
                else [Allocation(a.invoice_id, a.amount_cents) for a in data.allocations]
            ),
        )
    p = recorded.payment
    return PaymentOut(
        id=p.id,
        number=p.number,
        customer_id=p.customer_id,
        amount_cents=p.amount_cents,
        unallocated_cents=p.unallocated_cents,
        method=p.method,
        reference=p.reference,
        received_on=p.received_on,
        allocations=_allocations(recorded.allocations),
    )


@post(
    "/api/customers/{customer_id:str}/apply-credit",
    guards=[_admins],
    tags=["billing"],
    status_code=200,
    responses=problems(403, 404),
)
async def apply_customer_credit(request: _Req, db: Database, customer_id: str) -> AppliedCreditOut:
    """Spend the customer's credit (unallocated payments, unapplied credit notes) on open
    invoices, oldest due first."""
    async with db.write() as uow:
        applied = await apply_credit(uow, request.user.id, customer_id)
    return AppliedCreditOut(
        applied.applied_cents, applied.credit_left_cents, _allocations(applied.allocations)
    )


BILLING_API: list[Any] = [
    invoice_one_shipment,
    invoice_whole_order,
    invoicing_run,
    list_invoices,
    get_invoice,
    credit_invoice,
    create_payment,
    apply_customer_credit,
]
