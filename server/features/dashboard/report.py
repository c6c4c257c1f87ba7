"""The whole dashboard of one filter, as the page, the exports and the API show it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import SalesOrder
from server.domain.actor import CurrentUser
from server.features.dashboard import figures, sums, tables
from server.features.dashboard.filters import DashboardQuery, Filter, resolve_filter
from server.features.dashboard.schemas import DashboardOut, PeriodOut
from server.features.dashboard.sql import order_conditions

__all__ = ["DEFAULT_CURRENCY", "build_dashboard"]

DEFAULT_CURRENCY = "USD"


async def _currency(session: AsyncSession, f: Filter) -> str:
    """The currency the filter's orders are in (the most used one). Amounts are added up
    as they are: the product sells in one currency per database today."""
    if sums.answers(f) and (found := await sums.currency(session, f)) is not None:
        return found
    row = await session.scalar(
        select(SalesOrder.currency)
        .where(*order_conditions(f))
        .group_by(SalesOrder.currency)
        .order_by(func.count().desc(), SalesOrder.currency)
        .limit(1)
    )
    return str(row or DEFAULT_CURRENCY)


async def build_dashboard(
    session: AsyncSession, user: CurrentUser, query: DashboardQuery, today: date
) -> tuple[Filter, DashboardOut]:
    f = await resolve_filter(session, user, query, today)
    reps = sorted([f.rep_id] if f.rep_id else f.rep_ids)
    previous = f.period.previous()
    out = DashboardOut(
        currency=await _currency(session, f),
        period=PeriodOut(
            kind=query.period or "month",
            start=f.period.start,
            end=f.period.last_day,
            previous_start=previous.start,
            previous_end=previous.last_day,
        ),
        territory_id=f.territory_id,
        rep_id=f.rep_id,
        customer_id=f.customer_id,
        figures=await figures.headline(session, f, reps),
        territories=await tables.territory_rows(session, f),
        reps=await tables.rep_rows(session, f, reps),
        customers=await tables.customer_rows(session, f),
        orders=await tables.order_rows(session, f) if f.customer_id else [],
        lapsed=await tables.lapsed_rows(session, f),
        revenue_over_time=await tables.revenue_over_time(session, f),
    )
    return f, out
