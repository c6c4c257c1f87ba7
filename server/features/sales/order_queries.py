"""Reading orders: row scope, detail with timeline, paged lists, the approval queue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import AuditEvent, Customer, OrderRevision, SalesOrder, SalesOrderLine
from server.db.models.base import table_of
from server.domain.amendments import can_amend
from server.domain.blanket_orders import BlanketLine, remaining
from server.domain.errors import NotFound
from server.domain.orders import FulfilmentStatus, OrderStatus, OrderType, allowed_actions
from server.features.sales.order_store import PlacedOrder
from server.features.sales.schemas import (
    ApprovalItem,
    BlanketLineOut,
    BlanketOut,
    CallOffSummary,
    LineOut,
    OrderDetail,
    OrderPage,
    OrderRevisionOut,
    OrderSummary,
    ReasonOut,
    RevisionHeaderOut,
    RevisionLineOut,
    TimelineEntry,
    Totals,
    TotalsMismatchOut,
)
from server.features.shared.paging import PageStatements, paged, read_page
from server.features.shared.scope import Scope, bound_customer_filter, customer_filter

__all__ = [
    "approval_queue",
    "blanket_out",
    "call_offs_of",
    "get_visible_order",
    "line_out",
    "list_orders",
    "order_detail",
    "order_filter",
    "order_lines",
    "order_numbers",
    "order_revisions",
    "percent",
    "placed_order_detail",
    "revision_out",
    "totals_of",
]

_QUEUE = (OrderStatus.PENDING_APPROVAL.value, OrderStatus.CREDIT_HOLD.value)


def percent(value: Any) -> str:
    return f"{Decimal(str(value or 0)).quantize(Decimal('0.01'))}"


def order_filter(scope: Scope) -> ColumnElement[bool]:
    """Orders of customers in scope, orders placed in a visible territory, and a rep's own."""
    if scope.sees_all:
        return true()
    return _order_filter(customer_filter(scope), scope.user_id, list(scope.territory_ids))


def bound_order_filter(shape: tuple[str, int]) -> ColumnElement[bool]:
    """`order_filter` for every scope of one shape, its values as the parameters of
    `Scope.bound_values` (see `bound_customer_filter`)."""
    kind, territories = shape
    if kind == "all":
        return true()
    territory_ids: list[Any] = [bindparam(f"scope_t{i}") for i in range(territories)]
    return _order_filter(bound_customer_filter(shape), bindparam("scope_user"), territory_ids)


def _order_filter(
    customers_in_scope: ColumnElement[bool], user_id: Any, territory_ids: list[Any]
) -> ColumnElement[bool]:
    visible_customers = select(Customer.id).where(customers_in_scope)
    conditions = [SalesOrder.customer_id.in_(visible_customers), SalesOrder.rep_id == user_id]
    if territory_ids:
        conditions.append(SalesOrder.territory_id.in_(territory_ids))
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
        quantity_released=getattr(line, "quantity_released", 0) or 0,
        blanket_line_id=getattr(line, "blanket_line_id", None),
        expected_on=_iso_date(getattr(line, "expected_on", None)),
        quantity_shipped=getattr(line, "quantity_shipped", 0),
        quantity_delivered=getattr(line, "quantity_delivered", 0),
    )


def blanket_out(order: Any, lines: Sequence[Any], call_offs: Sequence[Any]) -> BlanketOut | None:
    """A blanket order's agreement: its period, agreed/released/remaining per line, and its
    call-offs (rows with id, number, status, placed_at, total_cents), oldest first."""
    if order.order_type != OrderType.BLANKET:
        return None
    return BlanketOut(
        valid_from=order.valid_from.isoformat() if order.valid_from else None,
        valid_to=order.valid_to.isoformat() if order.valid_to else None,
        lines=[
            BlanketLineOut(
                id=x.id,
                line_no=x.line_no,
                sku=x.sku,
                name=x.name,
                unit_price_cents=x.unit_price_cents,
                discount_percent=percent(x.discount_percent),
                agreed=x.quantity,
                released=x.quantity_released or 0,
                remaining=remaining(
                    BlanketLine(x.id, x.line_no, x.quantity, x.quantity_released or 0)
                ),
            )
            for x in lines
        ],
        call_offs=[
            CallOffSummary(
                id=c.id,
                number=c.number,
                status=c.status,
                placed_at=c.placed_at.isoformat(),
                total_cents=c.total_cents,
            )
            for c in call_offs
        ],
    )


async def call_offs_of(session: AsyncSession, blanket_ids: Sequence[str]) -> dict[str, list[Any]]:
    """The call-offs of these blanket orders, oldest first, by blanket id."""
    found: dict[str, list[Any]] = {i: [] for i in blanket_ids}
    if not blanket_ids:
        return found
    rows = await session.execute(
        select(
            SalesOrder.id,
            SalesOrder.number,
            SalesOrder.status,
            SalesOrder.placed_at,
            SalesOrder.total_cents,
            SalesOrder.blanket_order_id,
        )
        .where(SalesOrder.blanket_order_id.in_(list(blanket_ids)))
        .order_by(SalesOrder.placed_at, SalesOrder.id)
    )
    for row in rows:
        found[row.blanket_order_id].append(row)
    return found


async def order_numbers(session: AsyncSession, ids: Sequence[str | None]) -> dict[str, str]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = await session.execute(
        select(SalesOrder.id, SalesOrder.number).where(SalesOrder.id.in_(wanted))
    )
    return {r.id: r.number for r in rows}


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


def revision_out(
    revision: int, at: Any, actor_id: str | None, reason: str, changes: Any
) -> OrderRevisionOut:
    """One recorded amendment as the order's detail shows it."""
    return OrderRevisionOut(
        revision=revision,
        at=at.isoformat(),
        actor_id=actor_id,
        reason=reason,
        status_before=changes.get("status_before", ""),
        status_after=changes.get("status_after", ""),
        total_before_cents=changes.get("totals_before", {}).get("total_cents", 0),
        total_after_cents=changes.get("totals_after", {}).get("total_cents", 0),
        lines=[
            RevisionLineOut(
                change=x["change"],
                line_id=x.get("line_id"),
                product_id=x["product_id"],
                sku=x.get("sku", ""),
                old_quantity=x.get("old_quantity"),
                new_quantity=x.get("new_quantity"),
                old_discount_percent=x.get("old_discount_percent"),
                new_discount_percent=x.get("new_discount_percent"),
                old_unit_price_cents=x.get("old_unit_price_cents"),
                new_unit_price_cents=x.get("new_unit_price_cents"),
            )
            for x in changes.get("lines", [])
        ],
        header=[
            RevisionHeaderOut(field=h["field"], old=h.get("old"), new=h.get("new"))
            for h in changes.get("header", [])
        ],
    )


async def order_revisions(session: AsyncSession, order_id: str) -> list[OrderRevisionOut]:
    """The order's amendments, the latest first."""
    rows = (
        await session.execute(
            select(
                OrderRevision.revision,
                OrderRevision.created_at,
                OrderRevision.actor_id,
                OrderRevision.reason,
                OrderRevision.changes,
            )
            .where(OrderRevision.order_id == order_id)
            .order_by(OrderRevision.revision.desc())
        )
    ).all()
    return [revision_out(r.revision, r.created_at, r.actor_id, r.reason, r.changes) for r in rows]


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
    """The answer to placing an order (not a call-off), from what placing it wrote."""
    return _detail(
        placed.order,
        placed.lines,
        _timeline_of_rows(placed.events),
        blanket=blanket_out(placed.order, placed.lines, []),
    )


async def order_detail(session: AsyncSession, order: Any) -> OrderDetail:
    """`order`: a SalesOrder or an OrderRow."""
    lines = await order_lines(session, order.id)
    call_offs = (
        (await call_offs_of(session, [order.id]))[order.id]
        if order.order_type == OrderType.BLANKET
        else []
    )
    numbers = await order_numbers(session, [order.blanket_order_id])
    return _detail(
        order,
        lines,
        await _order_events(session, order.id),
        await order_revisions(session, order.id),
        blanket=blanket_out(order, lines, call_offs),
        blanket_order_number=numbers.get(order.blanket_order_id or ""),
    )


def _detail(
    order: Any,
    lines: Sequence[Any],
    timeline: list[TimelineEntry],
    revisions: list[OrderRevisionOut] | None = None,
    *,
    blanket: BlanketOut | None = None,
    blanket_order_number: str | None = None,
) -> OrderDetail:
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
        revision=order.revision,
        amendable=can_amend(order.status, order.order_type),
        revisions=revisions or [],
        blanket=blanket,
        blanket_order_id=order.blanket_order_id,
        blanket_order_number=blanket_order_number,
        scheduled_date=_iso_date(getattr(order, "scheduled_date", None)),
        supplier_reference=getattr(order, "supplier_reference", "") or "",
    )


def _summary(order: Any) -> OrderSummary:
    """A SalesOrder, or a row of `_SUMMARY_COLUMNS`."""
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
        channel=order.channel,
    )


# A list's columns: plain columns, not SalesOrder objects (an order row is wide, and a
# tracked ORM object costs more than the query).
_SUMMARY_COLUMNS = (
    SalesOrder.id,
    SalesOrder.number,
    SalesOrder.status,
    SalesOrder.fulfilment_status,
    SalesOrder.customer_id,
    SalesOrder.territory_id,
    SalesOrder.rep_id,
    SalesOrder.order_type,
    SalesOrder.total_cents,
    SalesOrder.placed_at,
    SalesOrder.channel,
)


@cache
def _list_statements(
    shape: tuple[str, int], by_status: bool, by_channel: bool, by_customer: bool
) -> PageStatements:
    """The count and the page of an order list, built once for every scope of one shape
    and set of filters, their values as parameters (building and compiling a statement
    costs more than running it)."""
    # The scope filter first, ANDed with everything the caller asks.
    where = [bound_order_filter(shape)]
    if by_status:
        where.append(SalesOrder.status == bindparam("status"))
    if by_channel:
        where.append(SalesOrder.channel == bindparam("channel"))
    if by_customer:
        where.append(SalesOrder.customer_id == bindparam("customer_id"))
    order_by = [SalesOrder.placed_at.desc(), SalesOrder.id]
    return paged(select(*_SUMMARY_COLUMNS), SalesOrder, where, order_by)


async def list_orders(
    session: AsyncSession,
    scope: Scope,
    *,
    status: str | None,
    customer_id: str | None,
    limit: int,
    offset: int,
    channel: str | None = None,
) -> OrderPage:
    statements = _list_statements(scope.shape, bool(status), bool(channel), bool(customer_id))
    total, rows = await read_page(
        session,
        statements,
        scope,
        limit=limit,
        offset=offset,
        status=status,
        channel=channel,
        customer_id=customer_id,
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
