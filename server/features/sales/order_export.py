"""The order export for accounting tools: GET /api/orders/export, CSV or JSON.

Orders placed in a date range (UTC days, both ends included), oldest first, read a page at
a time in short read transactions (keyset on placed_at and id) and streamed, so a year of
orders never sits in memory. Amounts are decimal strings in the order's currency
("36.35"), times UTC ISO 8601. CSV cells go through server/features/shared/csv_export.py.
An admin, or an API token with `orders:read`, may export; it covers every territory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

import msgspec
from litestar import get
from litestar.params import QueryParameter
from litestar.response import Stream
from sqlalchemy import and_, or_, select

from server.db.engine import Database
from server.db.models import Customer, SalesOrder
from server.domain.errors import ValidationFailed
from server.domain.money import from_cents
from server.features.catalog.openapi import problems
from server.features.shared.csv_export import CSV_MEDIA_TYPE, csv_lines
from server.security.api_tokens import TOKEN_SCOPE
from server.security.auth import requires_role

__all__ = ["EXPORT_COLUMNS", "export_orders", "export_orders_json", "export_rows"]

_PAGE = 500
_MAX_DAYS = 366 * 5
_AMOUNTS = (
    "subtotal",
    "discount",
    "net",
    "tax",
    "shipping",
    "shipping_tax",
    "total",
)
EXPORT_COLUMNS: tuple[str, ...] = (
    "number",
    "id",
    "placed_at",
    "status",
    "billing_status",
    "channel",
    "customer_number",
    "customer_name",
    "po_number",
    "currency",
    *_AMOUNTS,
)

_SELECT = select(SalesOrder, Customer.number, Customer.legal_name).join(
    Customer, Customer.id == SalesOrder.customer_id
)


def _row(order: SalesOrder, customer_number: str, customer_name: str) -> dict[str, Any]:
    return {
        "number": order.number,
        "id": order.id,
        "placed_at": order.placed_at.astimezone(UTC).isoformat(),
        "status": order.status,
        "billing_status": order.billing_status,
        "channel": order.channel,
        "customer_number": customer_number,
        "customer_name": customer_name,
        "po_number": order.po_number,
        "currency": order.currency,
        # Decimal: the CSV writes it as a number, msgspec's JSON as a decimal string.
        **{name: from_cents(getattr(order, f"{name}_cents")) for name in _AMOUNTS},
    }


async def export_rows(
    db: Database, start: datetime, end: datetime
) -> AsyncIterator[list[dict[str, Any]]]:
    """Pages of export rows placed in [start, end), oldest first."""
    after: tuple[datetime, str] | None = None
    while True:
        where = [SalesOrder.placed_at >= start, SalesOrder.placed_at < end]
        if after is not None:
            where.append(
                or_(
                    SalesOrder.placed_at > after[0],
                    and_(SalesOrder.placed_at == after[0], SalesOrder.id > after[1]),
                )
            )
        async with db.read() as unit:
            found = (
                await unit.session.execute(
                    _SELECT.where(*where).order_by(SalesOrder.placed_at, SalesOrder.id).limit(_PAGE)
                )
            ).all()
        if not found:
            return
        yield [_row(o, number, name) for o, number, name in found]
        if len(found) < _PAGE:
            return
        last = found[-1][0]
        after = (last.placed_at, last.id)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    if end < start:
        raise ValidationFailed("`to` is before `from`.", code="invalid_range")
    if (end - start).days > _MAX_DAYS:
        raise ValidationFailed(f"Export at most {_MAX_DAYS} days at once.", code="range_too_long")
    lower = datetime.combine(start, time(), tzinfo=UTC)
    # The day after the last one; the calendar's last day has none.
    upper = (
        datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC)
        if end < date.max
        else datetime.max.replace(tzinfo=UTC)
    )
    return lower, upper


async def _csv(db: Database, start: datetime, end: datetime) -> AsyncIterator[bytes]:
    yield csv_lines([EXPORT_COLUMNS]).encode()
    async for page in export_rows(db, start, end):
        yield csv_lines([[r[c] for c in EXPORT_COLUMNS] for r in page]).encode()


async def _json(
    db: Database, start: datetime, end: datetime, bounds: Sequence[str]
) -> AsyncIterator[bytes]:
    head = msgspec.json.encode({"from": bounds[0], "to": bounds[1]})
    yield head[:-1] + b',"orders":['
    first = True
    async for page in export_rows(db, start, end):
        for row in page:
            yield (b"" if first else b",") + msgspec.json.encode(row)
            first = False
    yield b"]}"


@get(
    "/api/orders/export",
    guards=[requires_role("admin", "integration")],
    opt={TOKEN_SCOPE: "orders:read"},
    tags=["orders"],
    media_type="text/csv",
    responses=problems(400, 403, 422),
)
async def export_orders(
    db: Database,
    start: Annotated[date, QueryParameter(name="from")],
    end: Annotated[date, QueryParameter(name="to")],
) -> Stream:
    """Orders placed from `from` to `to` (UTC dates, both included), oldest first, as CSV
    for accounting tools (`/api/orders/export.json` gives the same as JSON). Amounts are
    decimal strings in `currency`, times UTC ISO 8601."""
    lower, upper = _bounds(start, end)
    name = f"orders-{start.isoformat()}-{end.isoformat()}"
    return Stream(
        _csv(db, lower, upper),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@get(
    "/api/orders/export.json",
    guards=[requires_role("admin", "integration")],
    opt={TOKEN_SCOPE: "orders:read"},
    tags=["orders"],
    responses=problems(400, 403, 422),
)
async def export_orders_json(
    db: Database,
    start: Annotated[date, QueryParameter(name="from")],
    end: Annotated[date, QueryParameter(name="to")],
) -> Stream:
    """The CSV export's orders as JSON: `{"from", "to", "orders": [...]}`."""
    lower, upper = _bounds(start, end)
    return Stream(
        _json(db, lower, upper, (start.isoformat(), end.isoformat())),
        media_type="application/json",
    )
