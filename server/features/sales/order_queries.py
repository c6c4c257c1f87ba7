"""Reading orders: row scope, detail with timeline, paged lists, the approval queue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import AuditEvent, Customer, SalesOrder, SalesOrderLine
from server.db.models.base import table_of
from server.domain.errors import NotFound
from server.domain.orders import FulfilmentStatus, OrderStatus, allowed_actions
from server.features.sales.order_store import PlacedOrder
from server.features.sales.schemas import (
    ApprovalItem,
    LineOut,
    OrderDetail,
    OrderPage,
    OrderSummary,
    ReasonOut,
    TimelineEntry,
    Totals,
    TotalsMismatchOut,
)
from server.features.shared.scope import Scope, customer_filter

__all__ = [
    "approval_queue",
    "get_visible_order",
    "line_out",
    "list_orders",
    "order_detail",
    "order_filter",
    "order_lines",
    "percent",
    "placed_order_detail",
    "totals_of",
]

_QUEUE = (OrderStatus.PENDING_APPROVAL.value, OrderStatus.CREDIT_HOLD.value)


def percent(value: Any) -> str:
    return f"{Decimal(str(value or 0)).quantize(Decimal('0.01'))}"


def order_filter(scope: Scope) -> ColumnElement[bool]:
    """Orders of customers in scope, orders placed in a visible territory, and a rep's own."""
    if scope.sees_all:
        return true()
    visible_customers = select(Customer.id).where(customer_filter(scope))
    conditions = [SalesOrder.customer_id.in_(visible_customers), SalesOrder.rep_id == scope.user_id]
    if scope.territory_ids:
        conditions.append(SalesOrder.territory_id.in_(scope.territory_ids))
    return or_(*conditions)


async def get_visible_order(
    session: AsyncSession, scope: Scope, order_id: str, *, lock: bool = False
) -> SalesOrder:
    """The order, or NotFound, also when it exists outside the caller's scope."""
    query = select(SalesOrder).where(SalesOrder.id == order_id, order_filter(scope))
    if lock:
        query = query.with_for_update(of=SalesOrder).execution_options(populate_existing=True)
    order = (await session.execute(query)).scalar_one_or_none()
    if order is None:
        raise NotFound("No such order.", code="order_not_found")
    return order


def totals_of(doc: Any) -> Totals:
    return Totals(
        subtotal_cents=doc.subtotal_cents,
        discount_cents=doc.discount_cents,
        net_cents=doc.net_cents,
        tax_cents=doc.tax_cents,
        shipping_cents=doc.shipping_cents,
        shipping_tax_cents=doc.shipping_tax_cents,
        total_cents=doc.total_cents,
        order_discount_percent=percent(doc.order_discount_percent),
        currency=doc.currency,
    )


def line_out(line: Any) -> LineOut:
    return LineOut(
        id=line.id,
        line_no=line.line_no,
        product_id=line.product_id,
        sku=line.sku,
        name=line.name,
        quantity=line.quantity,
        unit_price_cents=line.unit_price_cents,
        discount_percent=percent(line.discount_percent),
        gross_cents=line.gross_cents,
        discount_cents=line.discount_cents,
        net_cents=line.net_cents,
        tax_rate=f"{Decimal(str(line.tax_rate))}",
        tax_cents=line.tax_cents,
        total_cents=line.total_cents,
        price_list_id=line.price_list_id,
        price_list_version=line.price_list_version,
        quantity_allocated=getattr(line, "quantity_allocated", 0),
        quantity_backordered=getattr(line, "quantity_backordered", 0),
        expected_on=_iso_date(getattr(line, "expected_on", None)),
        quantity_shipped=getattr(line, "quantity_shipped", 0),
        quantity_delivered=getattr(line, "quantity_delivered", 0),
    )


def _iso_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


async def order_lines(session: AsyncSession, order_id: str) -> list[Any]:
    """The order's lines as rows (never ORM objects a session may hold stale)."""
    table = table_of(SalesOrderLine)
    return list(
        (
            await session.execute(
                select(*table.c).where(table.c.order_id == order_id).order_by(table.c.line_no)
            )
        ).all()
    )


async def _order_events(session: AsyncSession, order_id: str) -> list[TimelineEntry]:
    rows = (
        await session.execute(
            select(
                AuditEvent.action,
                AuditEvent.at,
                AuditEvent.actor_id,
                AuditEvent.from_state,
                AuditEvent.to_state,
                AuditEvent.reason,
            )
            .where(AuditEvent.entity_type == "sales_order", AuditEvent.entity_id == order_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    ).all()
    return [
        TimelineEntry(
            action=e.action,
            at=e.at.isoformat(),
            actor_id=e.actor_id,
            from_state=e.from_state,
            to_state=e.to_state,
            reason=e.reason,
        )
        for e in rows
    ]


def _timeline_of_rows(events: list[dict[str, Any]]) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            action=e["action"],
            at=e["at"].isoformat(),
            actor_id=e["actor_id"],
            from_state=e["from_state"],
            to_state=e["to_state"],
            reason=e["reason"],
        )
        for e in sorted(events, key=lambda e: (e["at"], e["id"]))
    ]


def placed_order_detail(placed: PlacedOrder) -> OrderDetail:
    """The answer to placing an order, from what placing it wrote."""
    return _detail(placed.order, placed.lines, _timeline_of_rows(placed.events))


async def order_detail(session: AsyncSession, order: Any) -> OrderDetail:
    """`order`: a SalesOrder or an OrderRow."""
    return _detail(
        order, await order_lines(session, order.id), await _order_events(session, order.id)
    )


def _detail(order: Any, lines: Sequence[Any], timeline: list[TimelineEntry]) -> OrderDetail:
    mismatch = None
    if order.client_total_cents is not None and order.client_total_cents != order.total_cents:
        mismatch = TotalsMismatchOut(
            order.client_total_cents,
            order.total_cents,
            order.total_cents - order.client_total_cents,
        )
    return OrderDetail(
        id=order.id,
        number=order.number,
        status=order.status,
        fulfilment_status=order.fulfilment_status,
        billing_status=order.billing_status,
        customer_id=order.customer_id,
        quote_id=order.quote_id,
        order_type=order.order_type,
        channel=order.channel,
        priority=order.priority,
        ship_complete=order.ship_complete,
        po_number=order.po_number,
        requested_delivery_date=(
            order.requested_delivery_date.isoformat() if order.requested_delivery_date else None
        ),
        shipping_method=order.shipping_method,
        payment_terms=order.payment_terms,
        notes=order.notes,
        bill_to=order.bill_to,
        ship_to=order.ship_to,
        territory_id=order.territory_id,
        territory_name=order.territory_name,
        rep_id=order.rep_id,
        manager_ids=list(order.manager_ids or []),
        discount_percent=percent(order.discount_percent),
        approval_reasons=[ReasonOut(**r) for r in order.approval_reasons or []],
        totals=totals_of(order),
        totals_mismatch=mismatch,
        lines=[line_out(x) for x in lines],
        placed_at=order.placed_at.isoformat(),
        decided_by=order.decided_by,
        decided_at=order.decided_at.isoformat() if order.decided_at else None,
        cancelled_at=order.cancelled_at.isoformat() if order.cancelled_at else None,
        allowed_actions=allowed_actions(
            OrderStatus(order.status), fulfilment=FulfilmentStatus(order.fulfilment_status)
        ),
        timeline=timeline,
        scheduled_date=_iso_date(getattr(order, "scheduled_date", None)),
        supplier_reference=getattr(order, "supplier_reference", "") or "",
    )


def _summary(order: SalesOrder) -> OrderSummary:
    return OrderSummary(
        id=order.id,
        number=order.number,
        status=order.status,
        fulfilment_status=order.fulfilment_status,
        customer_id=order.customer_id,
        territory_id=order.territory_id,
        rep_id=order.rep_id,
        order_type=order.order_type,
        total_cents=order.total_cents,
        placed_at=order.placed_at.isoformat(),
    )


async def list_orders(
    session: AsyncSession,
    scope: Scope,
    *,
    status: str | None,
    customer_id: str | None,
    limit: int,
    offset: int,
) -> OrderPage:
    where = [order_filter(scope)]
    if status:
        where.append(SalesOrder.status == status)
    if customer_id:
        where.append(SalesOrder.customer_id == customer_id)
    counted = select(func.count()).select_from(SalesOrder).where(*where)
    total = int(await session.scalar(counted) or 0)
    rows = (
        (
            await session.execute(
                select(SalesOrder)
                .where(*where)
                .order_by(SalesOrder.placed_at.desc(), SalesOrder.id)
                .limit(limit)
                .offset(offset)
            )
        )
        .scalars()
        .all()
    )
    return OrderPage(items=[_summary(o) for o in rows], total=total, limit=limit, offset=offset)


async def approval_queue(session: AsyncSession, scope: Scope, user_id: str) -> list[ApprovalItem]:
    """Orders waiting for a decision that this manager (or any admin) may take, oldest first."""
    query = select(SalesOrder).where(SalesOrder.status.in_(_QUEUE), order_filter(scope))
    query = query.order_by(SalesOrder.placed_at, SalesOrder.id)
    rows = (await session.execute(query)).scalars().all()
    return [
        ApprovalItem(order=_summary(o), reasons=[ReasonOut(**r) for r in o.approval_reasons or []])
        for o in rows
        if scope.sees_all or user_id in (o.manager_ids or [])
    ]
