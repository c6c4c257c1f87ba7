"""The order and quote tables (`/orders`, `/quotes`) and their CSV exports.

Clicking a column header sorts, the filter inputs filter, both on the server through htmx
(only the results swap; the URL keeps the state, so a reload or a shared link shows the
same table). The export link carries the same filters and sort and answers every row they
leave, in the caller's scope, through `csv_export`.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Annotated, Any

from litestar import Response, get
from litestar.params import Parameter, QueryParameter
from litestar.response import Template

from server.db.engine import Database
from server.domain.channels import ORDER_CHANNELS
from server.domain.errors import ValidationFailed
from server.domain.money import from_cents
from server.domain.orders import OrderStatus, QuoteStatus
from server.features.sales import order_queries, quote_queries
from server.features.sales.document_tables import (
    ORDER_SORTS,
    QUOTE_SORTS,
    TablePage,
    order_rows,
    quote_rows,
)
from server.features.sales.views_data import PAGE_SIZE, Req, is_htmx, page_context
from server.features.sales.views_quotes import expire_due_quotes
from server.features.shared.csv_export import CSV_MEDIA_TYPE, csv_text
from server.features.shared.paging import Offset
from server.features.shared.scope import load_scope
from server.features.shared.table_view import EXPORT_LIMIT, TableState, table_state
from server.features.shared.viewer import local_time, viewer_zone

__all__ = ["TABLE_PAGES"]

ORDER_STATUSES = [s.value for s in OrderStatus]
QUOTE_STATUSES = [s.value for s in QuoteStatus]

Text = Annotated[str, Parameter(max_length=200)]
Word = Annotated[str, Parameter(max_length=40)]


def _state(
    kind: str,
    sort: str,
    direction: str,
    status: str,
    q: str,
    start: str,
    end: str,
    offset: int,
    channel: str = "",
) -> TableState:
    statuses = ORDER_STATUSES if kind == "order" else QUOTE_STATUSES
    if status and status not in statuses:
        raise ValidationFailed(
            f"Unknown {kind} status '{status}'.",
            code="unknown_status",
            details={"allowed": statuses},
        )
    if channel and channel not in ORDER_CHANNELS:
        raise ValidationFailed(
            f"Unknown channel '{channel}'.",
            code="unknown_channel",
            details={"allowed": list(ORDER_CHANNELS)},
        )
    filters = {"status": status, "q": q, "from": start, "to": end}
    if kind == "order":
        filters["channel"] = channel
    return table_state(
        f"/{kind}s",
        sort=sort,
        direction=direction,
        sorts=list(ORDER_SORTS if kind == "order" else QUOTE_SORTS),
        default_sort="placed" if kind == "order" else "created",
        default_descending=True,
        filters=filters,
        offset=offset,
    )


async def _rows(
    request: Req, db: Database, kind: str, table: TableState, zone: tzinfo, limit: int
) -> TablePage:
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        if kind == "order":
            visible = order_queries.order_filter(scope)
            return await order_rows(unit.session, visible, table, zone, limit=limit)
        visible = quote_queries.quote_filter(scope)
        return await quote_rows(unit.session, visible, table, zone, limit=limit)


async def _page(request: Req, db: Database, kind: str, table: TableState) -> Template:
    page = await _rows(request, db, kind, table, viewer_zone(request.cookies), PAGE_SIZE)
    context = page_context(
        request,
        rows=page.rows,
        total=page.total,
        table=table,
        page_size=PAGE_SIZE,
        statuses=ORDER_STATUSES if kind == "order" else QUOTE_STATUSES,
        channels=ORDER_CHANNELS if kind == "order" else None,
        fragment=is_htmx(request),
    )
    # Sorting and filtering through htmx swap only the results.
    folder = f"{kind}s"
    name = f"{folder}/_results.html" if is_htmx(request) else f"{folder}/list.html"
    return Template(name, context=context)


def _csv(kind: str, page: TablePage, zone: tzinfo) -> Response[str]:
    if kind == "order":
        header = ["number", "customer", "placed_at", "channel", "status", "fulfilment"]
        header += ["billing", "total", "currency"]
        rows = [
            [
                r.number,
                r.customer_name,
                local_time(r.placed_at, zone),
                r.channel,
                r.status,
                r.fulfilment_status,
                r.billing_status,
                from_cents(r.total_cents),
                r.currency,
            ]
            for r in page.rows
        ]
    else:
        header = ["number", "customer", "created_at", "valid_until", "status", "revision"]
        header += ["total", "currency"]
        rows = [
            [
                r.number,
                r.customer_name,
                local_time(r.created_at, zone),
                r.valid_until,
                r.status,
                r.revision,
                from_cents(r.total_cents),
                r.currency,
            ]
            for r in page.rows
        ]
    return Response(
        csv_text(header, rows),
        media_type=CSV_MEDIA_TYPE,
        headers={"content-disposition": f'attachment; filename="{kind}s.csv"'},
    )


@get("/orders", include_in_schema=False)
async def order_list_page(
    request: Req,
    db: Database,
    status: Word = "",
    q: Text = "",
    start: Annotated[str, QueryParameter(name="from", max_length=10)] = "",
    end: Annotated[str, QueryParameter(name="to", max_length=10)] = "",
    sort: Word = "",
    direction: Annotated[str, QueryParameter(name="dir", max_length=4)] = "",
    offset: Offset = 0,
    channel: Word = "",
) -> Template:
    table = _state("order", sort, direction, status, q, start, end, offset, channel)
    return await _page(request, db, "order", table)


@get("/orders/export.csv", include_in_schema=False, media_type=CSV_MEDIA_TYPE)
async def order_export(
    request: Req,
    db: Database,
    status: Word = "",
    q: Text = "",
    start: Annotated[str, QueryParameter(name="from", max_length=10)] = "",
    end: Annotated[str, QueryParameter(name="to", max_length=10)] = "",
    sort: Word = "",
    direction: Annotated[str, QueryParameter(name="dir", max_length=4)] = "",
    channel: Word = "",
) -> Response[str]:
    table = _state("order", sort, direction, status, q, start, end, 0, channel)
    zone = viewer_zone(request.cookies)
    return _csv("order", await _rows(request, db, "order", table, zone, EXPORT_LIMIT), zone)


@get("/quotes", include_in_schema=False)
async def quote_list_page(
    request: Req,
    db: Database,
    status: Word = "",
    q: Text = "",
    start: Annotated[str, QueryParameter(name="from", max_length=10)] = "",
    end: Annotated[str, QueryParameter(name="to", max_length=10)] = "",
    sort: Word = "",
    direction: Annotated[str, QueryParameter(name="dir", max_length=4)] = "",
    offset: Offset = 0,
) -> Template:
    table = _state("quote", sort, direction, status, q, start, end, offset)
    await expire_due_quotes(db, request.user)
    return await _page(request, db, "quote", table)


@get("/quotes/export.csv", include_in_schema=False, media_type=CSV_MEDIA_TYPE)
async def quote_export(
    request: Req,
    db: Database,
    status: Word = "",
    q: Text = "",
    start: Annotated[str, QueryParameter(name="from", max_length=10)] = "",
    end: Annotated[str, QueryParameter(name="to", max_length=10)] = "",
    sort: Word = "",
    direction: Annotated[str, QueryParameter(name="dir", max_length=4)] = "",
) -> Response[str]:
    table = _state("quote", sort, direction, status, q, start, end, 0)
    await expire_due_quotes(db, request.user)
    zone = viewer_zone(request.cookies)
    return _csv("quote", await _rows(request, db, "quote", table, zone, EXPORT_LIMIT), zone)


TABLE_PAGES: list[Any] = [order_list_page, order_export, quote_list_page, quote_export]
