"""The order and quote tables (`/orders`, `/quotes`) and their CSV and XLSX exports.

Clicking a column header sorts, the filter inputs filter, both on the server through htmx
(only the results swap; the URL keeps the state, so a reload or a shared link shows the
same table). The export links carry the same filters and sort and answer every row they
leave, in the caller's scope, through `table_export`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Annotated, Any

from litestar import Response, get
from litestar.di import Provide
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
from server.features.shared.csv_export import CSV_MEDIA_TYPE, Cell
from server.features.shared.paging import Offset
from server.features.shared.scope import load_scope
from server.features.shared.table_export import XLSX_MEDIA_TYPE, ExportFormat, export_response
from server.features.shared.table_view import EXPORT_LIMIT, TableState, table_state
from server.features.shared.viewer import local_time, viewer_zone

__all__ = ["TABLE_PAGES"]

ORDER_STATUSES = [s.value for s in OrderStatus]
QUOTE_STATUSES = [s.value for s in QuoteStatus]

Text = Annotated[str, Parameter(max_length=200)]
Word = Annotated[str, Parameter(max_length=40)]


@dataclass(frozen=True)
class DocumentQuery:
    """The query string of an order or quote table, its page and its exports."""

    status: str
    q: str
    start: str
    end: str
    sort: str
    direction: str
    offset: int
    channel: str


async def _document_query(
    status: Word = "",
    q: Text = "",
    start: Annotated[str, QueryParameter(name="from", max_length=10)] = "",
    end: Annotated[str, QueryParameter(name="to", max_length=10)] = "",
    sort: Word = "",
    direction: Annotated[str, QueryParameter(name="dir", max_length=4)] = "",
    offset: Offset = 0,
    channel: Word = "",
) -> DocumentQuery:
    return DocumentQuery(status, q, start, end, sort, direction, offset, channel)


_WITH_QUERY = {"table_query": Provide(_document_query)}


def _state(kind: str, query: DocumentQuery, *, paged: bool) -> TableState:
    """The table's state; an export answers every row, so it has no page offset."""
    statuses = ORDER_STATUSES if kind == "order" else QUOTE_STATUSES
    if query.status and query.status not in statuses:
        raise ValidationFailed(
            f"Unknown {kind} status '{query.status}'.",
            code="unknown_status",
            details={"allowed": statuses},
        )
    filters = {"status": query.status, "q": query.q, "from": query.start, "to": query.end}
    if kind == "order":
        if query.channel and query.channel not in ORDER_CHANNELS:
            raise ValidationFailed(
                f"Unknown channel '{query.channel}'.",
                code="unknown_channel",
                details={"allowed": list(ORDER_CHANNELS)},
            )
        filters["channel"] = query.channel
    return table_state(
        f"/{kind}s",
        sort=query.sort,
        direction=query.direction,
        sorts=list(ORDER_SORTS if kind == "order" else QUOTE_SORTS),
        default_sort="placed" if kind == "order" else "created",
        default_descending=True,
        filters=filters,
        offset=query.offset if paged else 0,
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


def _file_rows(kind: str, page: TablePage, zone: tzinfo) -> tuple[list[str], list[list[Cell]]]:
    if kind == "order":
        header = ["number", "customer", "placed_at", "channel", "status", "fulfilment"]
        header += ["billing", "total", "currency"]
        rows: list[list[Cell]] = [
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
        return header, rows
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
    return header, rows


async def _export(
    request: Req, db: Database, kind: str, query: DocumentQuery, fmt: ExportFormat
) -> Response[Any]:
    table = _state(kind, query, paged=False)
    if kind == "quote":
        await expire_due_quotes(db, request.user)
    zone = viewer_zone(request.cookies)
    page = await _rows(request, db, kind, table, zone, EXPORT_LIMIT)
    header, rows = _file_rows(kind, page, zone)
    return export_response(fmt, f"{kind}s", header, rows)


@get("/orders", include_in_schema=False, dependencies=_WITH_QUERY)
async def order_list_page(request: Req, db: Database, table_query: DocumentQuery) -> Template:
    return await _page(request, db, "order", _state("order", table_query, paged=True))


@get(
    "/orders/export.csv",
    include_in_schema=False,
    media_type=CSV_MEDIA_TYPE,
    dependencies=_WITH_QUERY,
)
async def order_export(request: Req, db: Database, table_query: DocumentQuery) -> Response[Any]:
    return await _export(request, db, "order", table_query, "csv")


@get(
    "/orders/export.xlsx",
    include_in_schema=False,
    media_type=XLSX_MEDIA_TYPE,
    dependencies=_WITH_QUERY,
)
async def order_export_xlsx(
    request: Req, db: Database, table_query: DocumentQuery
) -> Response[Any]:
    return await _export(request, db, "order", table_query, "xlsx")


@get("/quotes", include_in_schema=False, dependencies=_WITH_QUERY)
async def quote_list_page(request: Req, db: Database, table_query: DocumentQuery) -> Template:
    table = _state("quote", table_query, paged=True)
    await expire_due_quotes(db, request.user)
    return await _page(request, db, "quote", table)


@get(
    "/quotes/export.csv",
    include_in_schema=False,
    media_type=CSV_MEDIA_TYPE,
    dependencies=_WITH_QUERY,
)
async def quote_export(request: Req, db: Database, table_query: DocumentQuery) -> Response[Any]:
    return await _export(request, db, "quote", table_query, "csv")


@get(
    "/quotes/export.xlsx",
    include_in_schema=False,
    media_type=XLSX_MEDIA_TYPE,
    dependencies=_WITH_QUERY,
)
async def quote_export_xlsx(
    request: Req, db: Database, table_query: DocumentQuery
) -> Response[Any]:
    return await _export(request, db, "quote", table_query, "xlsx")


TABLE_PAGES: list[Any] = [
    order_list_page,
    order_export,
    order_export_xlsx,
    quote_list_page,
    quote_export,
    quote_export_xlsx,
]
