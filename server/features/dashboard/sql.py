"""The statements' shared parts: which orders a filter covers, and period columns.

Every figure is one aggregate over both periods at once: `SUM(CASE WHEN <in period>
THEN x END)` reads the rows of the current and the previous period in one pass, so a
comparison costs no second query. The expressions are plain SQL that SQLite and
PostgreSQL both run; the one difference (day arithmetic) is compiled per dialect.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from server.db.models import Quote, SalesOrder
from server.domain.dashboard import Period
from server.domain.orders import OrderStatus, OrderType
from server.features.dashboard.filters import Filter

__all__ = [
    "BOOKED_STATUSES",
    "as_day",
    "day_of",
    "days_number",
    "in_days",
    "in_period",
    "moment",
    "order_conditions",
    "quote_conditions",
    "sum_in",
]

# Orders whose revenue is booked: confirmed and everything a confirmed order becomes.
BOOKED_STATUSES = (
    OrderStatus.CONFIRMED.value,
    OrderStatus.IN_FULFILMENT.value,
    OrderStatus.COMPLETED.value,
    OrderStatus.CLOSED.value,
)


def moment(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def in_period(column: Any, period: Period) -> ColumnElement[bool]:
    """A timestamp column within the period's days."""
    return and_(column >= moment(period.start), column < moment(period.end))


def in_days(column: Any, period: Period) -> ColumnElement[bool]:
    """A date column within the period's days."""
    return and_(column >= period.start, column < period.end)


def sum_in(value: Any, condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """SUM of `value` over the rows that meet `condition` (NULL when none do)."""
    return func.sum(case((condition, value)))


def order_conditions(f: Filter, *, customer: bool = True) -> list[ColumnElement[bool]]:
    """The orders the filter covers: placed in its territories (the order's own snapshot,
    so a realignment never moves past revenue), by its rep, for its customer. A blanket
    order is an agreement, not revenue: its call-offs are."""
    conditions: list[ColumnElement[bool]] = [
        SalesOrder.territory_id.in_(sorted(f.territory_ids)),
        SalesOrder.order_type != OrderType.BLANKET.value,
    ]
    if f.rep_id:
        conditions.append(SalesOrder.rep_id == f.rep_id)
    if customer and f.customer_id:
        conditions.append(SalesOrder.customer_id == f.customer_id)
    return conditions


def quote_conditions(f: Filter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Quote.territory_id.in_(sorted(f.territory_ids))]
    if f.rep_id:
        conditions.append(Quote.rep_id == f.rep_id)
    if f.customer_id:
        conditions.append(Quote.customer_id == f.customer_id)
    return conditions


class days_number(FunctionElement[float]):
    """A timestamp as a number of days (with fractions), for differences in days."""

    type = Float()
    inherit_cache = True


@compiles(days_number, "sqlite")
def _days_sqlite(element: days_number, compiler: SQLCompiler, **kw: Any) -> str:
    return f"julianday({compiler.process(element.clauses, **kw)})"


@compiles(days_number, "postgresql")
def _days_postgres(element: days_number, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) / 86400.0)"


class day_of(FunctionElement[Any]):
    """The UTC day of a timestamp (text on SQLite, a date on PostgreSQL: see `as_day`).
    PostgreSQL would take the day in the session's time zone, so it is told UTC."""

    inherit_cache = True


@compiles(day_of, "sqlite")
def _day_sqlite(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(day_of, "postgresql")
def _day_postgres(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC')"


def as_day(value: Any) -> date:
    """A value of `day_of` as a date on either database."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
