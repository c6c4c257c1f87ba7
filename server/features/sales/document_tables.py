"""The order and quote tables of the desktop pages: filtered, sorted and paged in the
database, always inside the caller's scope, with the customer's name joined in one query.

The same query feeds the page (one page of rows) and the CSV export (every row the
filters leave, up to EXPORT_LIMIT).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from server.db.models import Customer, Quote, SalesOrder
from server.domain.search import LIKE_ESCAPE, like_contains
from server.features.shared.table_view import TableState, day_range, parse_day

__all__ = ["ORDER_SORTS", "QUOTE_SORTS", "TablePage", "order_rows", "quote_rows"]

ORDER_SORTS: dict[str, Any] = {
    "number": SalesOrder.number,
    "customer": Customer.legal_name,
    "placed": SalesOrder.placed_at,
    "status": SalesOrder.status,
    "total": SalesOrder.total_cents,
}
QUOTE_SORTS: dict[str, Any] = {
    "number": Quote.number,
    "customer": Customer.legal_name,
    "created": Quote.created_at,
    "valid_until": Quote.valid_until,
    "status": Quote.status,
    "total": Quote.total_cents,
}


@dataclass
class TablePage:
    rows: list[Any]
    total: int


def _text_filter(q: str, number: Any) -> ColumnElement[bool]:
    """A document number or its customer's legal or trading name containing `q`."""
    pattern = like_contains(q.lower())
    return or_(
        func.lower(number).like(pattern, escape=LIKE_ESCAPE),
        func.lower(Customer.legal_name).like(pattern, escape=LIKE_ESCAPE),
        func.lower(Customer.trading_name).like(pattern, escape=LIKE_ESCAPE),
    )


async def _run(
    session: Any, query: Any, order_key: Any, table: TableState, id_column: Any, limit: int
) -> TablePage:
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    ordered = order_key.desc() if table.descending else order_key.asc()
    rows = await session.execute(
        query.order_by(ordered, id_column).limit(limit).offset(table.offset)
    )
    return TablePage(list(rows.all()), total)


async def order_rows(
    session: Any, visible: ColumnElement[bool], table: TableState, zone: tzinfo, *, limit: int
) -> TablePage:
    """Orders in scope, filtered by status, channel, text (number or customer) and placed
    dates."""
    query = (
        select(
            SalesOrder.id,
            SalesOrder.number,
            SalesOrder.customer_id,
            Customer.legal_name.label("customer_name"),
            SalesOrder.status,
            SalesOrder.fulfilment_status,
            SalesOrder.billing_status,
            SalesOrder.order_type,
            SalesOrder.channel,
            SalesOrder.total_cents,
            SalesOrder.currency,
            SalesOrder.placed_at,
        )
        .join(Customer, Customer.id == SalesOrder.customer_id)
        .where(visible)
    )
    filters = table.filters
    if filters.get("status"):
        query = query.where(SalesOrder.status == filters["status"])
    if filters.get("channel"):
        query = query.where(SalesOrder.channel == filters["channel"])
    if q := filters.get("q", "").strip():
        query = query.where(_text_filter(q, SalesOrder.number))
    low, high = day_range(
        parse_day(filters.get("from", ""), "from"), parse_day(filters.get("to", ""), "to"), zone
    )
    if low is not None:
        query = query.where(SalesOrder.placed_at >= low)
    if high is not None:
        query = query.where(SalesOrder.placed_at < high)
    return await _run(session, query, ORDER_SORTS[table.sort], table, SalesOrder.id, limit)


async def quote_rows(
    session: Any, visible: ColumnElement[bool], table: TableState, zone: tzinfo, *, limit: int
) -> TablePage:
    """Quotes in scope, filtered by status, text (number or customer) and created dates."""
    query = (
        select(
            Quote.id,
            Quote.number,
            Quote.customer_id,
            Customer.legal_name.label("customer_name"),
            Quote.status,
            Quote.revision,
            Quote.valid_until,
            Quote.converted_order_id,
            Quote.total_cents,
            Quote.currency,
            Quote.created_at,
        )
        .join(Customer, Customer.id == Quote.customer_id)
        .where(visible)
    )
    filters = table.filters
    if filters.get("status"):
        query = query.where(Quote.status == filters["status"])
    if q := filters.get("q", "").strip():
        query = query.where(_text_filter(q, Quote.number))
    low, high = day_range(
        parse_day(filters.get("from", ""), "from"), parse_day(filters.get("to", ""), "to"), zone
    )
    if low is not None:
        query = query.where(Quote.created_at >= low)
    if high is not None:
        query = query.where(Quote.created_at < high)
    return await _run(session, query, QUOTE_SORTS[table.sort], table, Quote.id, limit)
