"""Pull sources of the sales documents a user may see: quotes and orders with statuses.

Who sees what is the online API's rule (order_filter, quote_filter); shapes are documented
in sources.py. Lines, events and customer names are loaded for a whole page at once.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    AuditEvent,
    CommissionSplit,
    Customer,
    Quote,
    QuoteLine,
    SalesOrder,
    SalesOrderLine,
)
from server.domain.amendments import can_amend
from server.domain.orders import (
    FulfilmentStatus,
    OrderStatus,
    QuoteStatus,
    allowed_actions,
    allowed_quote_actions,
)
from server.features.billing.compact import invoices_by_order
from server.features.fulfilment.compact import returns_by_order, shipments_by_order
from server.features.sales.order_queries import (
    call_offs_of,
    line_out,
    order_filter,
    order_numbers,
    percent,
    totals_of,
)
from server.features.sales.quote_queries import quote_filter
from server.features.shared.scope import Scope
from sync.feed import FeedSource, Visibility

__all__ = ["DOCUMENT_SOURCES", "scope_of"]


_ORDER_ONLY = (
    "quantity_allocated",
    "quantity_backordered",
    "expected_on",
    "quantity_shipped",
    "quantity_delivered",
)


def scope_of(visibility: Visibility) -> Scope:
    return Scope(visibility.user_id, visibility.role, visibility.sees_all, visibility.territory_ids)


async def _ids(
    session: AsyncSession,
    model: type[Quote] | type[SalesOrder],
    where: ColumnElement[bool],
    after: str,
    limit: int,
) -> list[str]:
    rows = await session.execute(
        select(model.id).where(where, model.id > after).order_by(model.id).limit(limit)
    )
    return [r[0] for r in rows]


async def _customer_names(session: AsyncSession, customer_ids: set[str]) -> dict[str, str]:
    rows = await session.execute(
        select(Customer.id, Customer.legal_name).where(Customer.id.in_(customer_ids))
    )
    return {r.id: r.legal_name for r in rows}


async def _events(
    session: AsyncSession, entity_type: str, ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rows = await session.execute(
        select(
            AuditEvent.entity_id,
            AuditEvent.action,
            AuditEvent.from_state,
            AuditEvent.to_state,
            AuditEvent.at,
            AuditEvent.reason,
        )
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id.in_(ids))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    for e in rows:
        out[e.entity_id].append(
            {
                "action": e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "at": e.at.isoformat(),
                "reason": e.reason,
            }
        )
    return out


async def _splits_of(
    session: AsyncSession, order_ids: list[str]
) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = defaultdict(list)
    for order_id, rep_id, share in await session.execute(
        select(CommissionSplit.order_id, CommissionSplit.rep_id, CommissionSplit.percent)
        .where(CommissionSplit.order_id.in_(order_ids))
        .order_by(CommissionSplit.order_id, CommissionSplit.rep_id)
    ):
        found[order_id].append(
            {"rep_id": rep_id, "percent": f"{Decimal(str(share)).normalize():f}"}
        )
    return found


def _lines(rows: Any, owner: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in rows:
        out[getattr(line, owner)].append(msgspec.to_builtins(line_out(line)))
    return out


async def _order_ids(
    session: AsyncSession, visibility: Visibility, after: str, limit: int
) -> list[str]:
    return await _ids(session, SalesOrder, order_filter(scope_of(visibility)), after, limit)


async def _orders(
    session: AsyncSession, visibility: Visibility, ids: list[str]
) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    orders = (
        (
            await session.execute(
                select(SalesOrder).where(SalesOrder.id.in_(ids), order_filter(scope_of(visibility)))
            )
        )
        .scalars()
        .all()
    )
    if not orders:
        return {}
    found = [o.id for o in orders]
    lines = _lines(
        (
            await session.execute(
                select(SalesOrderLine)
                .where(SalesOrderLine.order_id.in_(found))
                .order_by(SalesOrderLine.order_id, SalesOrderLine.line_no)
            )
        ).scalars(),
        "order_id",
    )
    events = await _events(session, "sales_order", found)
    shipments = await shipments_by_order(session, found)
    invoices = await invoices_by_order(session, found)
    returns = await returns_by_order(session, found)
    names = await _customer_names(session, {o.customer_id for o in orders})
    call_offs = await call_offs_of(session, [o.id for o in orders if o.order_type == "blanket"])
    blanket_numbers = await order_numbers(session, [o.blanket_order_id for o in orders])
    splits = await _splits_of(session, found)
    return {
        o.id: {
            "id": o.id,
            "number": o.number,
            "customer_id": o.customer_id,
            "customer_name": names.get(o.customer_id, ""),
            "quote_id": o.quote_id,
            "status": o.status,
            "fulfilment_status": o.fulfilment_status,
            "billing_status": o.billing_status,
            "order_type": o.order_type,
            "channel": o.channel,
            "po_number": o.po_number,
            "notes": o.notes,
            "ship_complete": o.ship_complete,
            "requested_delivery_date": o.requested_delivery_date.isoformat()
            if o.requested_delivery_date
            else None,
            "shipping_method": o.shipping_method,
            "payment_terms": o.payment_terms,
            "bill_to": o.bill_to,
            "ship_to": o.ship_to,
            "territory_id": o.territory_id,
            "territory_name": o.territory_name,
            "rep_id": o.rep_id,
            "discount_percent": percent(o.discount_percent),
            "total_cents": o.total_cents,
            "client_total_cents": o.client_total_cents,
            "totals": msgspec.to_builtins(totals_of(o)),
            "approval_reasons": list(o.approval_reasons or []),
            "allowed_actions": allowed_actions(
                OrderStatus(o.status), fulfilment=FulfilmentStatus(o.fulfilment_status)
            ),
            "revision": o.revision,
            "amendable": can_amend(o.status, o.order_type),
            "placed_at": o.placed_at.isoformat(),
            "decided_at": o.decided_at.isoformat() if o.decided_at else None,
            "cancelled_at": o.cancelled_at.isoformat() if o.cancelled_at else None,
            "valid_from": o.valid_from.isoformat() if o.valid_from else None,
            "valid_to": o.valid_to.isoformat() if o.valid_to else None,
            "blanket_order_id": o.blanket_order_id,
            "blanket_order_number": blanket_numbers.get(o.blanket_order_id or ""),
            "call_offs": [
                {
                    "id": c.id,
                    "number": c.number,
                    "status": c.status,
                    "placed_at": c.placed_at.isoformat(),
                    "total_cents": c.total_cents,
                }
                for c in call_offs.get(o.id, [])
            ],
            "scheduled_date": o.scheduled_date.isoformat() if o.scheduled_date else None,
            "supplier_reference": o.supplier_reference,
            "lines": lines[o.id],
            # The order's credit split (empty: credited whole): the amend builder's what-if
            # shows the rep's share.
            "commission_splits": splits.get(o.id, []),
            "shipments": shipments[o.id],
            "invoices": invoices[o.id],
            "returns": returns[o.id],
            "events": events[o.id],
        }
        for o in orders
    }


async def _quote_ids(
    session: AsyncSession, visibility: Visibility, after: str, limit: int
) -> list[str]:
    return await _ids(session, Quote, quote_filter(scope_of(visibility)), after, limit)


async def _quotes(
    session: AsyncSession, visibility: Visibility, ids: list[str]
) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    quotes = (
        (
            await session.execute(
                select(Quote).where(Quote.id.in_(ids), quote_filter(scope_of(visibility)))
            )
        )
        .scalars()
        .all()
    )
    if not quotes:
        return {}
    found = [q.id for q in quotes]
    lines = _lines(
        (
            await session.execute(
                select(QuoteLine)
                .where(QuoteLine.quote_id.in_(found))
                .order_by(QuoteLine.quote_id, QuoteLine.line_no)
            )
        ).scalars(),
        "quote_id",
    )
    for quote_lines in lines.values():
        for line in quote_lines:
            # Quotes reserve nothing: allocation counts belong to orders only.
            line.pop("quantity_allocated", None)
            line.pop("quantity_backordered", None)
            line.pop("quantity_released", None)
            line.pop("blanket_line_id", None)
            # Quotes reserve or ship nothing: those counts belong to orders only.
            for name in _ORDER_ONLY:
                line.pop(name, None)
    events = await _events(session, "quote", found)
    names = await _customer_names(session, {q.customer_id for q in quotes})
    return {
        q.id: {
            "id": q.id,
            "number": q.number,
            "customer_id": q.customer_id,
            "customer_name": names.get(q.customer_id, ""),
            "status": q.status,
            "revision": q.revision,
            "valid_until": q.valid_until.isoformat(),
            "territory_id": q.territory_id,
            "rep_id": q.rep_id,
            "notes": q.notes,
            "converted_order_id": q.converted_order_id,
            "total_cents": q.total_cents,
            "totals": msgspec.to_builtins(totals_of(q)),
            "allowed_actions": allowed_quote_actions(QuoteStatus(q.status)),
            "lines": lines[q.id],
            "events": events[q.id],
        }
        for q in quotes
    }


DOCUMENT_SOURCES = [
    FeedSource("quote", _quote_ids, _quotes),
    FeedSource("order", _order_ids, _orders),
]
