"""The dashboard's tables, one GROUP BY each: by territory, by rep, by customer, a
customer's orders, the lapsed customers, and revenue over time.

Territories roll up in Python over the few territory rows the database grouped (never
over orders): each order counts in the table row whose subtree holds its territory.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, SalesDaySum, SalesOrder, User
from server.domain.dashboard import Period, attainment_percent, compare
from server.domain.territories import ancestor_chain
from server.features.dashboard import sums
from server.features.dashboard.figures import lapsed_customers, quota_cents
from server.features.dashboard.filters import Filter
from server.features.dashboard.schemas import (
    BreakdownRow,
    CustomerRow,
    Figure,
    LapsedRow,
    OrderRow,
    Point,
)
from server.features.dashboard.sql import (
    BOOKED_STATUSES,
    as_day,
    day_of,
    in_period,
    order_conditions,
    sum_in,
)
from server.features.sales.views_data import customer_names, user_names

__all__ = [
    "SERIES_DAILY_UP_TO",
    "customer_rows",
    "lapsed_rows",
    "order_rows",
    "rep_rows",
    "revenue_over_time",
    "territory_rows",
]

CUSTOMER_ROWS = 50
ORDER_ROWS = 100
LAPSED_ROWS = 100  # the longest quiet first by default; the headline figure counts all
# Up to this many days revenue is drawn per day, beyond it per week.
SERIES_DAILY_UP_TO = 62


def _grouped(f: Filter, key: Any) -> Any:
    previous = f.period.previous()
    span = Period(previous.start, f.period.end)
    return (
        select(
            key,
            sum_in(SalesOrder.net_cents, in_period(SalesOrder.placed_at, f.period)),
            sum_in(SalesOrder.net_cents, in_period(SalesOrder.placed_at, previous)),
            sum_in(1, in_period(SalesOrder.placed_at, f.period)),
            func.max(SalesOrder.placed_at),
        )
        .where(
            *order_conditions(f),
            SalesOrder.status.in_(BOOKED_STATUSES),
            in_period(SalesOrder.placed_at, span),
        )
        .group_by(key)
    )


def _ordered(column: Any, descending: bool) -> Any:
    return column.desc() if descending else column.asc()


def _by_customer(f: Filter) -> Any:
    """The customer table's statement: the first CUSTOMER_ROWS in the asked order (by
    booked revenue, the biggest first, unless told otherwise)."""
    key, descending = f.sort.of("customers")
    previous = f.period.previous()
    customer = select(Customer).where(Customer.id == SalesOrder.customer_id)
    columns: dict[str, Any] = {
        "booked": func.coalesce(
            sum_in(SalesOrder.net_cents, in_period(SalesOrder.placed_at, f.period)), 0
        ),
        "previous": func.coalesce(
            sum_in(SalesOrder.net_cents, in_period(SalesOrder.placed_at, previous)), 0
        ),
        "orders": func.coalesce(sum_in(1, in_period(SalesOrder.placed_at, f.period)), 0),
        "last_order": func.max(SalesOrder.placed_at),
        "name": customer.with_only_columns(Customer.legal_name).scalar_subquery(),
        "number": customer.with_only_columns(Customer.number).scalar_subquery(),
    }
    return (
        _grouped(f, SalesOrder.customer_id)
        .order_by(_ordered(columns[key], descending), SalesOrder.customer_id)
        .limit(CUSTOMER_ROWS)
    )


def _sorted_breakdown(rows: list[BreakdownRow], f: Filter, table: str) -> list[BreakdownRow]:
    key, descending = f.sort.of(table)
    values: dict[str, Any] = {
        "name": lambda r: r.name.casefold(),
        "booked": lambda r: r.booked_cents.current,
        "previous": lambda r: r.booked_cents.previous,
        "orders": lambda r: r.orders,
        # Rows without a target sort after every row with one, whichever way.
        "target": lambda r: (r.target_cents is not None, r.target_cents or 0),
        "attainment": lambda r: (
            r.attainment_percent is not None,
            Decimal(r.attainment_percent or 0),
        ),
    }
    by_name = sorted(rows, key=lambda r: (r.name.casefold(), r.id))
    return sorted(by_name, key=values[key], reverse=descending)


def _figure(now: Any, before: Any) -> Figure:
    return Figure.of(compare(now, before))


async def territory_rows(session: AsyncSession, f: Filter) -> list[BreakdownRow]:
    query = (
        sums.grouped(f, SalesDaySum.territory_id)
        if sums.answers(f)
        else _grouped(f, SalesOrder.territory_id)
    )
    grouped = (await session.execute(query)).all()
    totals = {t: [0, 0, 0] for t in f.child_ids}
    for territory_id, now, before, count, _ in grouped:
        row = next((t for t in ancestor_chain(f.nodes, territory_id) if t in totals), None)
        if row is not None:
            totals[row][0] += int(now or 0)
            totals[row][1] += int(before or 0)
            totals[row][2] += int(count or 0)
    rows = [
        BreakdownRow(t, f.names.get(t, t), _figure(now, before), count)
        for t, (now, before, count) in totals.items()
    ]
    return _sorted_breakdown(rows, f, "territories")


async def rep_rows(session: AsyncSession, f: Filter, reps: list[str]) -> list[BreakdownRow]:
    """Every rep of the filter (also one with nothing booked yet: their target counts)."""
    query = (
        sums.grouped(f, SalesDaySum.rep_id) if sums.answers(f) else _grouped(f, SalesOrder.rep_id)
    )
    rows = {r[0]: r for r in (await session.execute(query)).all()}
    wanted = sorted({*reps, *(r for r in rows if r)})
    names = await user_names(session, wanted)
    quotas = await quota_cents(session, wanted, f.period)
    result = []
    for rep in wanted:
        _, now, before, count, _ = rows.get(rep, (rep, 0, 0, 0, None))
        target = quotas.get(rep)
        attained = attainment_percent(int(now or 0), target or 0)
        result.append(
            BreakdownRow(
                rep,
                names.get(rep, rep),
                _figure(now, before),
                int(count or 0),
                target_cents=target,
                attainment_percent=None if attained is None else str(attained),
            )
        )
    return _sorted_breakdown(result, f, "reps")


async def customer_rows(session: AsyncSession, f: Filter) -> list[CustomerRow]:
    """The filter's customers with booked revenue in the period or the one before."""
    rows = (await session.execute(_by_customer(f))).all()
    numbers = await _customer_numbers(session, [r[0] for r in rows])
    names = await customer_names(session, numbers)
    return [
        CustomerRow(
            customer_id,
            numbers.get(customer_id, ""),
            names.get(customer_id, ""),
            _figure(now, before),
            int(count or 0),
            last.date() if last is not None else None,
        )
        for customer_id, now, before, count, last in rows
    ]


async def _customer_numbers(session: AsyncSession, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Customer.id, Customer.number).where(Customer.id.in_(ids)))
    return {row.id: row.number for row in rows}


async def order_rows(session: AsyncSession, f: Filter) -> list[OrderRow]:
    """The filter's orders of the period, newest first unless told otherwise (every
    status: the drill-down shows what happened, booked or not)."""
    key, descending = f.sort.of("orders")
    columns: dict[str, Any] = {
        "number": SalesOrder.number,
        "placed": SalesOrder.placed_at,
        "status": SalesOrder.status,
        "total": SalesOrder.total_cents,
        "rep": select(User.full_name).where(User.id == SalesOrder.rep_id).scalar_subquery(),
    }
    rows = (
        (
            await session.execute(
                select(SalesOrder)
                .where(*order_conditions(f), in_period(SalesOrder.placed_at, f.period))
                .order_by(_ordered(columns[key], descending), SalesOrder.id)
                .limit(ORDER_ROWS)
            )
        )
        .scalars()
        .all()
    )
    reps = await user_names(session, (o.rep_id for o in rows))
    return [
        OrderRow(
            o.id,
            o.number,
            o.placed_at.date(),
            o.status,
            reps.get(o.rep_id or "", ""),
            o.net_cents,
            o.total_cents,
        )
        for o in rows
    ]


async def lapsed_rows(session: AsyncSession, f: Filter) -> list[LapsedRow]:
    as_of = min(f.today, f.period.last_day)
    lapses = await lapsed_customers(session, f, as_of)
    key, descending = f.sort.of("lapsed")
    # Names are read for every lapsed customer only when they order the table.
    names = await customer_names(session, lapses) if key == "name" else {}
    values: dict[str, Any] = {
        "name": lambda c: names.get(c, "").casefold(),
        "last_order": lambda c: lapses[c].last_order,
        "interval": lambda c: lapses[c].usual_interval_days,
        "days_since": lambda c: lapses[c].days_since,
    }
    ordered = sorted(sorted(lapses), key=values[key], reverse=descending)[:LAPSED_ROWS]
    shown = [(c, lapses[c]) for c in ordered]
    numbers = await _customer_numbers(session, ordered)
    names = names or await customer_names(session, ordered)
    return [
        LapsedRow(
            c,
            numbers.get(c, ""),
            names.get(c, ""),
            lapse.last_order,
            str(lapse.usual_interval_days),
            lapse.days_since,
        )
        for c, lapse in shown
    ]


async def revenue_over_time(session: AsyncSession, f: Filter) -> list[Point]:
    """Booked revenue per day of the period (per week, from Mondays, for long periods);
    days without orders are there with zero, so a chart's axis is even."""
    day = day_of(SalesOrder.placed_at)
    rows = (
        await sums.revenue_by_day(session, f)
        if sums.answers(f)
        else await session.execute(
            select(day, func.sum(SalesOrder.net_cents))
            .where(
                *order_conditions(f),
                SalesOrder.status.in_(BOOKED_STATUSES),
                in_period(SalesOrder.placed_at, f.period),
            )
            .group_by(day)
        )
    )
    by_day = {as_day(d): int(total or 0) for d, total in rows}
    weekly = f.period.days > SERIES_DAILY_UP_TO
    buckets: dict[date, int] = {}
    current = f.period.start
    while current < f.period.end:
        start = current - timedelta(days=current.weekday()) if weekly else current
        start = max(start, f.period.start)
        buckets[start] = buckets.get(start, 0) + by_day.get(current, 0)
        current += timedelta(days=1)
    return [Point(start, cents) for start, cents in buckets.items()]
