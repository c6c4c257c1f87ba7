"""The figures the maintained sums answer: booked revenue and orders, invoiced, paid,
by territory, by rep, per day, and the currency (`sales_day_sums`); the ordering days of
the customers who may have lapsed (`sales_customers`, `sales_customer_days`).

They answer every filter but a customer's (the sums have no customer): a customer's
figures come from that customer's own orders, through the customer index. A period's
rows are a few per day and territory, however many orders there are.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import SalesCustomer, SalesCustomerDay, SalesDaySum
from server.domain.dashboard import LAPSE_MIN_WEEKS, Period
from server.features.dashboard.filters import Filter
from server.features.dashboard.sql import in_days, sum_in

__all__ = [
    "answers",
    "booked",
    "currency",
    "grouped",
    "invoiced_and_paid",
    "ordering_days",
    "revenue_by_day",
]

S = SalesDaySum


def answers(f: Filter) -> bool:
    """Whether the sums answer this filter's figures."""
    return f.customer_id is None


def _conditions(f: Filter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [S.territory_id.in_(sorted(f.territory_ids))]
    if f.rep_id:
        conditions.append(S.rep_id == f.rep_id)
    return conditions


def _periods(f: Filter) -> tuple[Period, Period, Period]:
    previous = f.period.previous()
    return f.period, previous, Period(previous.start, f.period.end)


async def booked(session: AsyncSession, f: Filter) -> Any:
    """(booked now, before, orders now, before), as `figures._booked` answers it."""
    now, before, span = _periods(f)
    return (
        await session.execute(
            select(
                sum_in(S.booked_cents, in_days(S.day, now)),
                sum_in(S.booked_cents, in_days(S.day, before)),
                sum_in(S.booked_orders, in_days(S.day, now)),
                sum_in(S.booked_orders, in_days(S.day, before)),
            ).where(*_conditions(f), in_days(S.day, span))
        )
    ).one()


async def invoiced_and_paid(session: AsyncSession, f: Filter) -> tuple[Any, Any]:
    now, before, span = _periods(f)
    row = (
        await session.execute(
            select(
                sum_in(S.invoiced_cents, in_days(S.day, now)),
                sum_in(S.invoiced_cents, in_days(S.day, before)),
                sum_in(S.paid_cents, in_days(S.day, now)),
                sum_in(S.paid_cents, in_days(S.day, before)),
            ).where(*_conditions(f), in_days(S.day, span))
        )
    ).one()
    return (row[0], row[1]), (row[2], row[3])


def grouped(f: Filter, key: Any) -> Select[Any]:
    """Booked now, before and orders now per `key` (a column of the sums), for the keys
    with booked orders in either period; the fifth column (the last order) is not kept."""
    now, before, span = _periods(f)
    return (
        select(
            key,
            sum_in(S.booked_cents, in_days(S.day, now)),
            sum_in(S.booked_cents, in_days(S.day, before)),
            sum_in(S.booked_orders, in_days(S.day, now)),
            literal(None),
        )
        .where(*_conditions(f), in_days(S.day, span))
        .group_by(key)
        .having(func.sum(S.booked_orders) > 0)
    )


async def revenue_by_day(session: AsyncSession, f: Filter) -> list[Any]:
    rows = await session.execute(
        select(S.day, func.sum(S.booked_cents))
        .where(*_conditions(f), in_days(S.day, f.period))
        .group_by(S.day)
    )
    return list(rows.all())


async def currency(session: AsyncSession, f: Filter) -> str | None:
    """The currency most of the filter's booked orders of both periods are in (None
    without any)."""
    _, _, span = _periods(f)
    found = await session.scalar(
        select(S.currency)
        .where(*_conditions(f), in_days(S.day, span))
        .group_by(S.currency)
        .having(func.sum(S.booked_orders) > 0)
        .order_by(func.sum(S.booked_orders).desc(), S.currency)
        .limit(1)
    )
    return None if found is None else str(found)


async def ordering_days(session: AsyncSession, f: Filter, as_of: date) -> dict[str, list[date]]:
    """The ordering days up to `as_of` of the filter's customers who may have lapsed by
    then: those with booked orders here and none in the last `LAPSE_MIN_WEEKS` (the
    domain rule's shortest lapse). Only the few quiet customers' days are read."""
    days, customers = SalesCustomerDay, SalesCustomer
    territories = sorted(f.territory_ids)
    mine = [days.territory_id.in_(territories), days.booked_orders > 0]
    theirs = [customers.territory_id.in_(territories), customers.booked_orders > 0]
    if f.rep_id:
        mine.append(days.rep_id == f.rep_id)
        theirs.append(customers.rep_id == f.rep_id)
    recent = select(days.customer_id).where(
        *mine, days.day >= as_of - timedelta(days=LAPSE_MIN_WEEKS * 7), days.day <= as_of
    )
    quiet = select(customers.customer_id).where(*theirs, customers.customer_id.not_in(recent))
    conditions = [*mine, days.customer_id.in_(quiet), days.day <= as_of]
    rows = await session.execute(select(days.customer_id, days.day).where(*conditions).distinct())
    found: dict[str, list[date]] = defaultdict(list)
    for customer_id, day in rows.all():
        found[customer_id].append(day)
    return found
