"""Return authorisations (RMA): raise one against invoiced, shipped lines; receive the
goods back into stock (or record them scrapped); a credit note follows for what came back.

Lock order (PostgreSQL): the RMA or credit-note counter, then the order row, then stock
rows, as every other writer of orders and stock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from server.db.models import (
    CreditNote,
    CreditNoteLine,
    Customer,
    Invoice,
    InvoiceLine,
    Product,
    ReturnAuthorization,
    ReturnLine,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
    Warehouse,
)
from server.db.types import new_id, utcnow
from server.db.unit_of_work import ReadUnit, WriteUnit
from server.domain.actor import CurrentUser
from server.domain.errors import Conflict, NotFound, ValidationFailed
from server.domain.returns import Billed, ReturnableLine, check_return, credit_targets
from server.domain.stock import MovementKind
from server.features.billing.credit_notes import CreditRequest, issue_credit_note
from server.features.fulfilment.schemas import (
    ReceiveReturnIn,
    ReturnIn,
    ReturnLineOut,
    ReturnOut,
)
from server.features.fulfilment.shipments import locked_order
from server.features.notifications.events import return_received
from server.features.sales.allocation_service import receive_stock
from server.features.sales.changes import order_changes
from server.features.sales.events import order_event
from server.features.sales.order_store import OrderRow, OrderStore
from server.features.shared.numbers import lock_numbering, next_number

__all__ = ["authorise_return", "cancel_return", "receive_return", "returns_of_order"]

_OPEN = "authorized"


async def _authorised_open(uow: WriteUnit, order_id: str) -> dict[str, int]:
    rows = await uow.session.execute(
        select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
        .join(ReturnAuthorization, ReturnAuthorization.id == ReturnLine.return_id)
        .where(ReturnAuthorization.order_id == order_id, ReturnAuthorization.status == _OPEN)
        .group_by(ReturnLine.order_line_id)
    )
    return {line_id: int(total) for line_id, total in rows.all()}


async def authorise_return(uow: WriteUnit, user: CurrentUser, order_id: str, data: ReturnIn) -> str:
    """Authorise a return of invoiced, shipped units with a reason; returns the RMA's id."""
    reason = data.reason.strip()
    if not reason:
        raise ValidationFailed("say why the goods come back", code="reason_required")
    number = await next_number(uow, "RMA")
    order = await locked_order(uow, user, order_id)
    lines = await uow.scoped(OrderStore).lines(order.id)
    open_units = await _authorised_open(uow, order.id)
    requested: dict[str, int] = {}
    for item in data.lines:
        requested[item.line_id] = requested.get(item.line_id, 0) + item.quantity
    check_return(
        [
            ReturnableLine(
                line_id=x.id,
                shipped=x.quantity_shipped,
                invoiced=x.quantity_invoiced,
                returned=x.quantity_returned,
                authorised=open_units.get(x.id, 0),
            )
            for x in lines
        ],
        requested,
    )
    by_id = {x.id: x for x in lines}
    now = utcnow()
    rma_id = new_id()
    uow.session.add(
        ReturnAuthorization(
            id=rma_id,
            number=number,
            order_id=order.id,
            customer_id=order.customer_id,
            status=_OPEN,
            reason=reason,
            created_by=user.id,
            created_at=now,
        )
    )
    await uow.session.flush()
    uow.session.add_all(
        ReturnLine(
            id=new_id(),
            return_id=rma_id,
            order_line_id=line_id,
            product_id=by_id[line_id].product_id,
            quantity=units,
            quantity_received=0,
            disposition="restock",
        )
        for line_id, units in requested.items()
    )
    await uow.session.flush()
    await uow.audit.record(
        order_event(
            order=order,
            actor_id=user.id,
            action="return_authorised",
            from_state=None,
            to_state=None,
            reason=reason,
            data={"return": number, "units": sum(requested.values())},
        )
    )
    customer = await uow.session.get(Customer, order.customer_id)
    uow.feed.touch_all(order_changes(order, customer))
    return rma_id


async def _locked_return(uow: WriteUnit, user: CurrentUser, return_id: str) -> tuple[OrderRow, Any]:
    order_id = await uow.session.scalar(
        select(ReturnAuthorization.order_id).where(ReturnAuthorization.id == return_id)
    )
    if order_id is None:
        raise NotFound("No such return.", code="return_not_found")
    order = await locked_order(uow, user, order_id)
    rma = await uow.session.get(ReturnAuthorization, return_id, populate_existing=True)
    return order, rma


async def cancel_return(uow: WriteUnit, user: CurrentUser, return_id: str) -> None:
    order, rma = await _locked_return(uow, user, return_id)
    if rma.status != _OPEN:
        raise Conflict(f"return {rma.number} is {rma.status}", code="return_not_open")
    rma.status = "cancelled"
    await uow.session.flush()
    await uow.audit.record(
        order_event(
            order=order,
            actor_id=user.id,
            action="return_cancelled",
            from_state=None,
            to_state=None,
            data={"return": rma.number},
        )
    )
    customer = await uow.session.get(Customer, order.customer_id)
    uow.feed.touch_all(order_changes(order, customer))


async def _shipped_from(uow: WriteUnit, line_id: str) -> str | None:
    return await uow.session.scalar(
        select(Shipment.warehouse_id)
        .join(ShipmentLine, ShipmentLine.shipment_id == Shipment.id)
        .where(ShipmentLine.order_line_id == line_id, Shipment.warehouse_id.is_not(None))
        .order_by(Shipment.packed_at.desc())
        .limit(1)
    )


async def _billed(uow: WriteUnit, line_ids: list[str]) -> list[Billed]:
    invoiced = (
        await uow.session.execute(
            select(InvoiceLine.invoice_id, InvoiceLine.order_line_id, InvoiceLine.quantity)
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .where(InvoiceLine.order_line_id.in_(line_ids))
            .order_by(Invoice.issued_on.desc(), Invoice.number.desc())
        )
    ).all()
    credited_rows = (
        await uow.session.execute(
            select(CreditNote.invoice_id, CreditNoteLine.order_line_id, CreditNoteLine.quantity)
            .join(CreditNote, CreditNote.id == CreditNoteLine.credit_note_id)
            .where(CreditNote.kind == "return", CreditNoteLine.order_line_id.in_(line_ids))
        )
    ).all()
    credited: dict[tuple[str, str], int] = {}
    for invoice_id, line_id, quantity in credited_rows:
        if line_id is not None:
            credited[(invoice_id, line_id)] = credited.get((invoice_id, line_id), 0) + quantity
    return [
        Billed(invoice_id, line_id, quantity, credited.get((invoice_id, line_id), 0))
        for invoice_id, line_id, quantity in invoiced
        if line_id is not None
    ]


async def receive_return(
    uow: WriteUnit, user: CurrentUser, return_id: str, data: ReceiveReturnIn
) -> None:
    """The goods are back: restocked into a warehouse (where they serve backorders like
    any receipt) or recorded as scrapped; the order's lines count them returned; one credit
    note per invoice that billed them follows at once."""
    await lock_numbering(uow, "CN")
    order, rma = await _locked_return(uow, user, return_id)
    if rma.status != _OPEN:
        raise Conflict(f"return {rma.number} is {rma.status}", code="return_not_open")
    if data.disposition not in ("restock", "scrap"):
        raise ValidationFailed("disposition is restock or scrap", code="unknown_disposition")
    if (
        data.warehouse_id is not None
        and await uow.session.get(Warehouse, data.warehouse_id) is None
    ):
        raise NotFound("No such warehouse.", code="warehouse_not_found")
    rma_lines = (
        (await uow.session.execute(select(ReturnLine).where(ReturnLine.return_id == rma.id)))
        .scalars()
        .all()
    )
    received: dict[str, int] = {}
    for line in rma_lines:
        warehouse_id = None
        if data.disposition == "restock":
            warehouse_id = data.warehouse_id or await _shipped_from(uow, line.order_line_id)
            if warehouse_id is None:
                raise ValidationFailed(
                    "say which warehouse takes the goods back", code="warehouse_required"
                )
            await receive_stock(
                uow,
                warehouse_id=warehouse_id,
                product_id=line.product_id,
                quantity=line.quantity,
                actor_id=user.id,
                kind=MovementKind.RETURN,
                order_id=order.id,
                document_number=rma.number,
            )
        line.quantity_received = line.quantity
        line.disposition = data.disposition
        line.warehouse_id = warehouse_id
        received[line.order_line_id] = received.get(line.order_line_id, 0) + line.quantity
    now: datetime = utcnow()
    rma.status = "received"
    rma.received_at = now
    for line_id, units in received.items():
        await uow.session.execute(
            update(SalesOrderLine)
            .where(SalesOrderLine.id == line_id)
            .values(quantity_returned=SalesOrderLine.quantity_returned + units)
        )
    await uow.session.flush()
    await uow.audit.record(
        order_event(
            order=order,
            actor_id=user.id,
            action="return_received",
            from_state=None,
            to_state=None,
            data={
                "return": rma.number,
                "units": sum(received.values()),
                "disposition": data.disposition,
            },
        )
    )
    await uow.outbox.emit(return_received(order=order, return_id=rma.id, number=rma.number))
    credit_note_ids: list[str] = []
    targets = credit_targets(await _billed(uow, list(received)), received)
    for invoice_id, per_line in targets.items():
        issued = await issue_credit_note(
            uow,
            user.id,
            invoice_id=invoice_id,
            kind="return",
            reason=f"Return {rma.number}: {rma.reason}",
            lines=[CreditRequest(line_id, quantity=q) for line_id, q in per_line.items()],
            return_id=rma.id,
        )
        credit_note_ids.append(issued.note.id)
    rma.credit_note_id = credit_note_ids[0] if credit_note_ids else None
    await uow.session.flush()
    customer = await uow.session.get(Customer, order.customer_id)
    uow.feed.touch_all(order_changes(order, customer))


async def returns_of_order(unit: ReadUnit | WriteUnit, order_id: str) -> list[ReturnOut]:
    session = unit.session
    rmas = (
        (
            await session.execute(
                select(ReturnAuthorization)
                .where(ReturnAuthorization.order_id == order_id)
                .order_by(ReturnAuthorization.created_at, ReturnAuthorization.number)
            )
        )
        .scalars()
        .all()
    )
    if not rmas:
        return []
    rows = (
        await session.execute(
            select(ReturnLine, Product.sku, Product.name)
            .join(Product, Product.id == ReturnLine.product_id)
            .where(ReturnLine.return_id.in_([r.id for r in rmas]))
        )
    ).all()
    notes = dict(
        (
            await session.execute(
                select(CreditNote.return_id, CreditNote.number).where(
                    CreditNote.return_id.in_([r.id for r in rmas])
                )
            )
        ).all()
    )
    lines_of: dict[str, list[ReturnLineOut]] = {}
    for line, sku, name in rows:
        lines_of.setdefault(line.return_id, []).append(
            ReturnLineOut(
                order_line_id=line.order_line_id,
                sku=sku,
                name=name,
                quantity=line.quantity,
                quantity_received=line.quantity_received,
                disposition=line.disposition,
                warehouse_id=line.warehouse_id,
            )
        )
    return [
        ReturnOut(
            id=r.id,
            number=r.number,
            order_id=r.order_id,
            status=r.status,
            reason=r.reason,
            created_at=r.created_at.isoformat(),
            received_at=r.received_at.isoformat() if r.received_at else None,
            credit_note_number=notes.get(r.id),
            lines=lines_of.get(r.id, []),
        )
        for r in rmas
    ]
