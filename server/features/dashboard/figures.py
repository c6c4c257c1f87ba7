"""The dashboard's headline figures: one aggregate statement per source table.

Flows (booked, invoiced, paid, quotes, commission, new and lapsed customers, cycle time)
are compared with the previous period. Open work (pipeline, expiring quotes, approvals,
credit holds, backorders, overdue receivables) is counted as it stands now, or as it stood
at the end of a period that has ended; approvals, holds, backorders and overdue
receivables also as they stood when the period began (`open_work`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from server.db.models import (
    CommissionEntry,
    CommissionQuota,
    Customer,
    Invoice,
    Payment,
    PaymentAllocation,
    Quote,
    SalesOrder,
    Shipment,
)
from server.domain.dashboard import (
    LAPSE_MIN_WEEKS,
    Lapse,
    Period,
    attainment_percent,
    average_cents,
    compare,
    conversion_percent,
    cycle_days,
    lapse_of,
    months_starting_in,
)
from server.domain.orders import FulfilmentStatus, OrderStatus, QuoteStatus
from server.features.dashboard import sums
from server.features.dashboard.filters import Filter
from server.features.dashboard.open_work import open_work_on
from server.features.dashboard.schemas import Figure, Headline, Ratio, Snapshot
from server.features.dashboard.sql import (
    BOOKED_STATUSES,
    as_day,
    day_of,
    days_number,
    in_days,
    in_period,
    moment,
    order_conditions,
    quote_conditions,
    sum_in,
)

__all__ = ["headline", "lapsed_customers", "quota_cents"]


def _both(f: Filter) -> tuple[Period, Period, Period]:
    """(current, previous, both together)."""
    previous = f.period.previous()
    return f.period, previous, Period(previous.start, f.period.end)


def _fig(current: Any, previous: Any) -> Figure:
    return Figure.of(compare(current, previous))


def _pair(row: Any, at: int) -> tuple[int, int]:
    """(count, cents) from a row's columns `at` and `at + 1`."""
    return int(row[at] or 0), int(row[at + 1] or 0)


def _ratio(current: Any, previous: Any) -> Ratio:
    return Ratio(
        None if current is None else str(current), None if previous is None else str(previous)
    )


async def _booked(session: AsyncSession, f: Filter) -> Any:
    if sums.answers(f):
        return await sums.booked(session, f)
    now, before, span = _both(f)
    return (
        await session.execute(
            select(
                sum_in(SalesOrder.net_cents, in_period(SalesOrder.placed_at, now)),
                sum_in(SalesOrder.net_cents, in_period(SalesOrder.placed_at, before)),
                sum_in(1, in_period(SalesOrder.placed_at, now)),
                sum_in(1, in_period(SalesOrder.placed_at, before)),
            ).where(
                *order_conditions(f),
                SalesOrder.status.in_(BOOKED_STATUSES),
                in_period(SalesOrder.placed_at, span),
            )
        )
    ).one()


async def _invoiced_and_paid(session: AsyncSession, f: Filter) -> tuple[Any, Any]:
    if sums.answers(f):
        return await sums.invoiced_and_paid(session, f)
    now, before, span = _both(f)
    invoiced = (
        await session.execute(
            select(
                sum_in(Invoice.total_cents, in_days(Invoice.issued_on, now)),
                sum_in(Invoice.total_cents, in_days(Invoice.issued_on, before)),
            )
            .join(SalesOrder, SalesOrder.id == Invoice.order_id)
            .where(*order_conditions(f), in_days(Invoice.issued_on, span))
        )
    ).one()
    paid = (
        await session.execute(
            select(
                sum_in(PaymentAllocation.amount_cents, in_days(Payment.received_on, now)),
                sum_in(PaymentAllocation.amount_cents, in_days(Payment.received_on, before)),
            )
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
            .join(SalesOrder, SalesOrder.id == Invoice.order_id)
            .where(*order_conditions(f), in_days(Payment.received_on, span))
        )
    ).one()
    return invoiced, paid


async def quota_cents(session: AsyncSession, rep_ids: list[str], period: Period) -> dict[str, int]:
    """Each rep's target for the period: their quotas of the months starting in it."""
    months = months_starting_in(period)
    if not rep_ids or not months:
        return {}
    rows = await session.execute(
        select(CommissionQuota.rep_id, func.sum(CommissionQuota.quota_cents))
        .where(CommissionQuota.rep_id.in_(rep_ids), CommissionQuota.period.in_(months))
        .group_by(CommissionQuota.rep_id)
    )
    return {rep: int(total or 0) for rep, total in rows.all()}


async def _quotes(session: AsyncSession, f: Filter) -> tuple[Any, Any]:
    now, before, span = _both(f)
    went_out = Quote.status != QuoteStatus.DRAFT.value
    converted = and_(went_out, Quote.converted_order_id.is_not(None))
    flows = (
        await session.execute(
            select(
                sum_in(1, and_(went_out, in_period(Quote.created_at, now))),
                sum_in(1, and_(went_out, in_period(Quote.created_at, before))),
                sum_in(1, and_(converted, in_period(Quote.created_at, now))),
                sum_in(1, and_(converted, in_period(Quote.created_at, before))),
            ).where(*quote_conditions(f), in_period(Quote.created_at, span))
        )
    ).one()
    week_end = f.today + timedelta(days=7)
    expiring = and_(Quote.valid_until >= f.today, Quote.valid_until < week_end)
    open_now = (
        await session.execute(
            select(
                func.count(),
                func.sum(Quote.net_cents),
                sum_in(1, expiring),
                sum_in(Quote.net_cents, expiring),
            ).where(
                *quote_conditions(f),
                Quote.status == QuoteStatus.SENT.value,
                Quote.valid_until >= f.today,
            )
        )
    ).one()
    return flows, open_now


# The statuses open work is counted in: only open orders are read, never a subtree's
# whole history (closed and cancelled orders are most of it).
_OPEN_STATUSES = (
    OrderStatus.PENDING_APPROVAL.value,
    OrderStatus.CREDIT_HOLD.value,
    OrderStatus.CONFIRMED.value,
    OrderStatus.IN_FULFILMENT.value,
)


class _seldom(FunctionElement[bool]):
    """A condition few rows meet. SQLite's statistics count six statuses, guess that four
    of them hold most orders and scan the subtree's history; told (`unlikely`), it reads
    the open orders through the status index. PostgreSQL's statistics know better."""

    # No Boolean type: SQLite would be given `unlikely(...) = 1`, which no index serves.
    inherit_cache = True


@compiles(_seldom, "sqlite")
def _seldom_sqlite(element: _seldom, compiler: SQLCompiler, **kw: Any) -> str:
    return f"unlikely({compiler.process(element.clauses, **kw)})"


@compiles(_seldom, "postgresql")
def _seldom_postgres(element: _seldom, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


async def _open_orders(session: AsyncSession, f: Filter) -> Any:
    waiting = SalesOrder.status == OrderStatus.PENDING_APPROVAL.value
    held = SalesOrder.status == OrderStatus.CREDIT_HOLD.value
    backordered = and_(
        SalesOrder.status.in_((OrderStatus.CONFIRMED.value, OrderStatus.IN_FULFILMENT.value)),
        SalesOrder.fulfilment_status.in_(
            (FulfilmentStatus.BACKORDERED.value, FulfilmentStatus.PARTIALLY_ALLOCATED.value)
        ),
    )
    return (
        await session.execute(
            select(
                sum_in(1, waiting),
                sum_in(SalesOrder.total_cents, waiting),
                sum_in(1, held),
                sum_in(SalesOrder.total_cents, held),
                sum_in(1, backordered),
                sum_in(SalesOrder.net_cents, backordered),
            ).where(*order_conditions(f), _seldom(SalesOrder.status.in_(_OPEN_STATUSES)))
        )
    ).one()


async def _overdue(session: AsyncSession, f: Filter) -> Any:
    balance = Invoice.total_cents - Invoice.paid_cents - Invoice.credited_cents
    return (
        await session.execute(
            select(func.count(), func.sum(balance))
            .join(SalesOrder, SalesOrder.id == Invoice.order_id)
            .where(*order_conditions(f), Invoice.status == "open", Invoice.due_on < f.today)
        )
    ).one()


async def _commission(session: AsyncSession, f: Filter) -> Any:
    now, before, span = _both(f)
    return (
        await session.execute(
            select(
                sum_in(CommissionEntry.amount_cents, in_period(CommissionEntry.created_at, now)),
                sum_in(CommissionEntry.amount_cents, in_period(CommissionEntry.created_at, before)),
            )
            .join(SalesOrder, SalesOrder.id == CommissionEntry.order_id)
            .where(*order_conditions(f), in_period(CommissionEntry.created_at, span))
        )
    ).one()


async def _new_customers(session: AsyncSession, f: Filter) -> Any:
    now, before, span = _both(f)
    conditions = [
        Customer.territory_id.in_(sorted(f.territory_ids)),
        Customer.status != "prospect",
        in_period(Customer.created_at, span),
    ]
    if f.rep_id:
        conditions.append(Customer.owner_id == f.rep_id)
    if f.customer_id:
        conditions.append(Customer.id == f.customer_id)
    return (
        await session.execute(
            select(
                sum_in(1, in_period(Customer.created_at, now)),
                sum_in(1, in_period(Customer.created_at, before)),
            ).where(*conditions)
        )
    ).one()


async def _cycle_days(session: AsyncSession, f: Filter) -> Any:
    """Average days from placing an order to its last shipment leaving, for the orders
    whose goods had all left by then, by the period that last shipment left in."""
    now, before, span = _both(f)
    shipped = (
        select(
            SalesOrder.placed_at.label("placed_at"),
            func.max(Shipment.shipped_at).label("shipped_at"),
        )
        .join(Shipment, Shipment.order_id == SalesOrder.id)
        .where(
            *order_conditions(f),
            SalesOrder.fulfilment_status.in_(
                (FulfilmentStatus.SHIPPED.value, FulfilmentStatus.DELIVERED.value)
            ),
            # An order whose last shipment left in the periods has a shipment that left
            # since they began, and its latest is among those: older ones are not read.
            Shipment.shipped_at >= moment(span.start),
        )
        .group_by(SalesOrder.id, SalesOrder.placed_at)
        .subquery()
    )
    days = days_number(shipped.c.shipped_at) - days_number(shipped.c.placed_at)
    return (
        await session.execute(
            select(
                func.avg(case((in_period(shipped.c.shipped_at, now), days))),
                func.avg(case((in_period(shipped.c.shipped_at, before), days))),
            ).where(in_period(shipped.c.shipped_at, span))
        )
    ).one()


async def lapsed_customers(session: AsyncSession, f: Filter, as_of: date) -> dict[str, Lapse]:
    """The customers (in the filter) whose ordering has lapsed by `as_of`, with why.

    The database narrows them to customers with two ordering days or more whose last
    order is older than the shortest lapse (`LAPSE_MIN_WEEKS`); only their ordering days
    are read, and the rhythm (a median) is worked out by the domain rule."""
    if sums.answers(f):
        found = await sums.ordering_days(session, f, as_of)
        lapses = {c: lapse_of(d, as_of) for c, d in found.items()}
        return {c: lapse for c, lapse in lapses.items() if lapse is not None}
    known = [*order_conditions(f), SalesOrder.status.in_(BOOKED_STATUSES)]
    known.append(SalesOrder.placed_at < moment(as_of + timedelta(days=1)))
    quiet_since = moment(as_of - timedelta(days=LAPSE_MIN_WEEKS * 7))
    candidates = (
        select(SalesOrder.customer_id)
        .where(*known)
        .group_by(SalesOrder.customer_id)
        .having(
            func.max(SalesOrder.placed_at) < quiet_since,
            func.count(func.distinct(day_of(SalesOrder.placed_at))) >= 2,
        )
    )
    rows = await session.execute(
        select(SalesOrder.customer_id, day_of(SalesOrder.placed_at))
        .where(*known, SalesOrder.customer_id.in_(candidates))
        .distinct()
    )
    days: dict[str, list[date]] = defaultdict(list)
    for customer_id, day in rows.all():
        days[customer_id].append(as_day(day))
    lapses = {c: lapse_of(d, as_of) for c, d in days.items()}
    return {c: lapse for c, lapse in lapses.items() if lapse is not None}


async def headline(session: AsyncSession, f: Filter, reps: list[str]) -> Headline:
    """Every headline figure of the filter; `reps`: whose quotas make the target."""
    now, before, _ = _both(f)
    booked = await _booked(session, f)
    invoiced, paid = await _invoiced_and_paid(session, f)
    target_now = sum((await quota_cents(session, reps, now)).values())
    target_before = sum((await quota_cents(session, reps, before)).values())
    quotes, open_quotes = await _quotes(session, f)
    before_work = await open_work_on(session, f, now.start)
    if now.end <= f.today:
        waiting, held, backordered, overdue = await open_work_on(session, f, now.end)
    else:
        orders, owed = await _open_orders(session, f), await _overdue(session, f)
        waiting, held, backordered = (_pair(orders, i) for i in (0, 2, 4))
        overdue = _pair(owed, 0)
    commission = await _commission(session, f)
    new = await _new_customers(session, f)
    cycle = await _cycle_days(session, f)
    lapsed_now = await lapsed_customers(session, f, min(f.today, now.last_day))
    lapsed_before = await lapsed_customers(session, f, before.last_day)
    booked_now, booked_before = int(booked[0] or 0), int(booked[1] or 0)
    count_now, count_before = int(booked[2] or 0), int(booked[3] or 0)
    return Headline(
        booked_cents=_fig(booked_now, booked_before),
        invoiced_cents=_fig(*invoiced),
        paid_cents=_fig(*paid),
        target_cents=_fig(target_now, target_before),
        attainment_percent=_ratio(
            attainment_percent(booked_now, target_now),
            attainment_percent(booked_before, target_before),
        ),
        orders=_fig(count_now, count_before),
        average_order_cents=_fig(
            average_cents(booked_now, count_now), average_cents(booked_before, count_before)
        ),
        quotes_sent=_fig(quotes[0], quotes[1]),
        quotes_converted=_fig(quotes[2], quotes[3]),
        conversion_percent=_ratio(
            conversion_percent(int(quotes[2] or 0), int(quotes[0] or 0)),
            conversion_percent(int(quotes[3] or 0), int(quotes[1] or 0)),
        ),
        commission_accrued_cents=_fig(*commission),
        new_customers=_fig(*new),
        lapsed_customers=_fig(len(lapsed_now), len(lapsed_before)),
        fulfilment_cycle_days=_ratio(cycle_days(cycle[0]), cycle_days(cycle[1])),
        pipeline=Snapshot(int(open_quotes[0] or 0), int(open_quotes[1] or 0)),
        quotes_expiring_this_week=Snapshot(int(open_quotes[2] or 0), int(open_quotes[3] or 0)),
        approvals_waiting=Snapshot.compared(waiting, before_work[0]),
        credit_holds=Snapshot.compared(held, before_work[1]),
        backorders=Snapshot.compared(backordered, before_work[2]),
        overdue_receivables=Snapshot.compared(overdue, before_work[3]),
    )
