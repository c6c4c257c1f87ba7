"""What a dashboard request asks for, checked against what the caller may see.

The query string names a territory, a rep, a customer and a period; every one of them is
optional. A territory, rep or customer outside the caller's subtree answers 404, exactly
like one that does not exist, so a manager learns nothing of another subtree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, SalesOrder
from server.domain.actor import CurrentUser
from server.domain.dashboard import Period, PeriodKind, period_for
from server.domain.errors import NotFound, ValidationFailed
from server.domain.territories import Assignment, TerritoryNode, subtree_ids
from server.features.dashboard.sorting import TableSort, parse_sort
from server.features.shared.reference_data import reference_data
from server.features.shared.scope import load_scope

__all__ = ["DashboardQuery", "Filter", "resolve_filter"]

_REP_ROLES = ("owner", "member")


@dataclass(frozen=True)
class DashboardQuery:
    """The query string as sent (empty strings from a form's blank choice are None)."""

    territory: str | None = None
    rep: str | None = None
    customer: str | None = None
    period: str = "month"
    start: str | None = None
    to: str | None = None
    sort: str | None = None  # `table.column`: one table sorted at a time
    direction: str | None = None

    def params(self, **changes: str | None) -> str:
        """This filter as a query string, with `changes` applied (None drops a key)."""
        values = {
            "territory": self.territory,
            "rep": self.rep,
            "customer": self.customer,
            "period": self.period,
            "from": self.start if self.period == PeriodKind.CUSTOM else None,
            "to": self.to if self.period == PeriodKind.CUSTOM else None,
            "sort": self.sort,
            "dir": self.direction if self.sort else None,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v})


@dataclass(frozen=True)
class Filter:
    """A checked filter: the territories whose orders count, the rep, the customer."""

    query: DashboardQuery
    territory_ids: frozenset[str]
    territory_id: str | None
    rep_id: str | None
    customer_id: str | None
    period: Period
    today: date
    nodes: tuple[TerritoryNode, ...]
    names: dict[str, str]  # territory id -> name
    # Reps assigned (owner or member) in these territories at some time in the period.
    rep_ids: frozenset[str]
    # The rows of the territory table: the chosen territory's children, else the top
    # territories the caller sees.
    child_ids: tuple[str, ...]
    sort: TableSort = field(default_factory=TableSort)


def _day(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"'{name}' is not a day (YYYY-MM-DD).", code="bad_day") from None


def _kind(text: str) -> PeriodKind:
    try:
        return PeriodKind(text or "month")
    except ValueError:
        allowed = [k.value for k in PeriodKind]
        raise ValidationFailed(
            "Choose the period month, quarter or custom.",
            code="unknown_period",
            details={"allowed": allowed},
        ) from None


async def resolve_filter(
    session: AsyncSession, user: CurrentUser, query: DashboardQuery, today: date
) -> Filter:
    period = period_for(_kind(query.period), today, _day(query.start, "from"), _day(query.to, "to"))
    sort = parse_sort(query.sort, query.direction)
    scope = await load_scope(session, user, today)
    reference = await reference_data(session)
    data = reference.territory
    nodes = tuple(data.nodes)
    allowed = frozenset(n.id for n in nodes) if scope.sees_all else scope.territory_ids
    selected = allowed
    if query.territory:
        if query.territory not in allowed:
            raise NotFound("There is no such territory.", code="territory_not_found")
        selected = frozenset(subtree_ids(nodes, query.territory)) & allowed
        child_ids = tuple(n.id for n in nodes if n.parent_id == query.territory and n.id in allowed)
    else:
        child_ids = tuple(n.id for n in nodes if n.id in allowed and n.parent_id not in allowed)
    child_ids = tuple(sorted(child_ids, key=lambda t: data.names.get(t, "")))
    reps = frozenset(
        a.user_id
        for a in data.assignments
        if a.territory_id in selected and a.role in _REP_ROLES and _overlaps(a, period)
    )
    if (
        query.rep
        and query.rep not in reps
        and not await _has_orders(session, selected, SalesOrder.rep_id == query.rep)
    ):
        raise NotFound("There is no such rep in these territories.", code="rep_not_found")
    if query.customer:
        territory = await session.scalar(
            select(Customer.territory_id).where(Customer.id == query.customer)
        )
        if territory is None or (
            not scope.can_see_territory(territory)
            and not await _has_orders(session, selected, SalesOrder.customer_id == query.customer)
        ):
            raise NotFound("There is no such customer.", code="customer_not_found")
    return Filter(
        query=query,
        territory_ids=selected,
        territory_id=query.territory,
        rep_id=query.rep,
        customer_id=query.customer,
        period=period,
        today=today,
        nodes=nodes,
        names=dict(data.names),
        rep_ids=reps,
        child_ids=child_ids,
        sort=sort,
    )


async def _has_orders(
    session: AsyncSession, territories: frozenset[str], condition: ColumnElement[bool]
) -> bool:
    """Whether orders placed in these territories meet the condition: a rep who has moved
    on, or a customer realigned away, is still reached through their orders here."""
    found = await session.scalar(
        select(SalesOrder.id)
        .where(SalesOrder.territory_id.in_(sorted(territories)), condition)
        .limit(1)
    )
    return found is not None


def _overlaps(assignment: Assignment, period: Period) -> bool:
    """Assigned at some time in the period or the one before it (the comparison)."""
    starts = period.previous().start
    return assignment.valid_from < period.end and (
        assignment.valid_to is None or assignment.valid_to > starts
    )
