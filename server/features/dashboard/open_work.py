"""Open work as it stood at a past moment: approvals waiting, credit holds, backorders and
overdue receivables, for the comparison with the previous period.

Open work is a point in time, so "the previous period" of it is a moment: the end of the
previous period, which is when this period began. Nothing stores the open work of a past
moment; it is read back from what the database does keep:

- an order's status at a moment from its timeline (`audit_events`): every status change
  is an event with `from_state` and `to_state`, so an order was in a set of statuses when
  it had entered the set more often than it had left it before that moment. Counting
  entries and exits (not "the last event") is exact even for events written in the same
  transaction with the same timestamp, and for an order that went back (an amendment
  that needs approval again);
- backordered: its allocation events (`stock_allocated`, `backorder_allocated`, ...) say
  the same of the fulfilment status while the order was confirmed or in fulfilment;
- overdue receivables from the invoices' days: issued and due before that day, with
  what was still open after the payments received and the credit notes issued before it.

Amounts are the orders' totals as they are now (an amendment after that moment is not
undone).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    AuditEvent,
    CreditNote,
    Invoice,
    Payment,
    PaymentAllocation,
    SalesOrder,
)
from server.domain.orders import FulfilmentStatus, OrderStatus
from server.features.dashboard.filters import Filter
from server.features.dashboard.sql import moment, order_conditions

__all__ = ["OpenWork", "open_work_on"]

_WAITING = (OrderStatus.PENDING_APPROVAL.value,)
_HELD = (OrderStatus.CREDIT_HOLD.value,)
_ACTIVE = (OrderStatus.CONFIRMED.value, OrderStatus.IN_FULFILMENT.value)
_SHORT = (FulfilmentStatus.BACKORDERED.value, FulfilmentStatus.PARTIALLY_ALLOCATED.value)

# (count, value in cents) of approvals waiting, credit holds, backorders, overdue.
OpenWork = tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]


def _inside(f: Filter, states: tuple[str, ...], before: Any) -> Any:
    """The ids of the filter's orders that were in one of `states` just before `before`
    (only the events of the filter's orders placed before then are read)."""
    event = AuditEvent
    entered = and_(
        event.to_state.in_(states),
        or_(event.from_state.is_(None), event.from_state.not_in(states)),
    )
    left = and_(
        event.from_state.in_(states),
        or_(event.to_state.is_(None), event.to_state.not_in(states)),
    )
    balance = func.sum(case((entered, 1), else_=0)) - func.sum(case((left, 1), else_=0))
    return (
        select(event.entity_id)
        .join(SalesOrder, SalesOrder.id == event.entity_id)
        .where(
            *order_conditions(f),
            SalesOrder.placed_at < before,
            event.entity_type == "sales_order",
            event.at < before,
            or_(event.to_state.in_(states), event.from_state.in_(states)),
        )
        .group_by(event.entity_id)
        .having(balance > 0)
    )


async def _orders_in(
    session: AsyncSession, f: Filter, ids: Any, before: Any, value: Any
) -> tuple[int, int]:
    row = (
        await session.execute(
            select(func.count(), func.sum(value)).where(
                *order_conditions(f), SalesOrder.placed_at < before, SalesOrder.id.in_(ids)
            )
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


async def _overdue_on(session: AsyncSession, f: Filter, day: date) -> tuple[int, int]:
    paid = (
        select(func.coalesce(func.sum(PaymentAllocation.amount_cents), 0))
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(PaymentAllocation.invoice_id == Invoice.id, Payment.received_on < day)
        .scalar_subquery()
    )
    credited = (
        select(func.coalesce(func.sum(CreditNote.total_cents - CreditNote.unapplied_cents), 0))
        .where(CreditNote.invoice_id == Invoice.id, CreditNote.issued_on < day)
        .scalar_subquery()
    )
    # An invoice still owed at that day is open now, or was settled by a payment or a
    # credit note of that day or later: only those are read, not every invoice ever issued.
    settled_since = (
        select(PaymentAllocation.invoice_id)
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(Payment.received_on >= day)
        .union(select(CreditNote.invoice_id).where(CreditNote.issued_on >= day))
    )
    balance = Invoice.total_cents - paid - credited
    owed = (
        select(balance.label("balance"))
        .join(SalesOrder, SalesOrder.id == Invoice.order_id)
        .where(
            *order_conditions(f),
            Invoice.issued_on < day,
            Invoice.due_on < day,
            or_(Invoice.status == "open", Invoice.id.in_(settled_since)),
        )
        .subquery()
    )
    row = (
        await session.execute(
            select(func.count(), func.sum(owed.c.balance)).where(owed.c.balance > 0)
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


async def open_work_on(session: AsyncSession, f: Filter, day: date) -> OpenWork:
    """The open work of the filter as it stood when `day` began (midnight UTC)."""
    before = moment(day)
    active = _inside(f, _ACTIVE, before)
    short = _inside(f, _SHORT, before)
    backordered = select(SalesOrder.id).where(SalesOrder.id.in_(active), SalesOrder.id.in_(short))
    return (
        await _orders_in(session, f, _inside(f, _WAITING, before), before, SalesOrder.total_cents),
        await _orders_in(session, f, _inside(f, _HELD, before), before, SalesOrder.total_cents),
        await _orders_in(session, f, backordered, before, SalesOrder.net_cents),
        await _overdue_on(session, f, day),
    )
