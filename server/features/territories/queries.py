"""Reading territories: the tree, one territory, owners on a date, rules, assignments and
the unassigned customers. Everything is filtered through the caller's Access."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    Customer,
    CustomerAddress,
    Territory,
    TerritoryAssignment,
    TerritoryRule,
    User,
)
from server.domain.actor import CurrentUser
from server.domain.territories import (
    Assignment,
    active_on,
    ancestor_chain,
    managers_on,
    owner_on,
    reps_on,
)
from server.features.shared.territory_data import TerritoryData, load_territory_data
from server.features.territories.access import Access, access_for, today
from server.features.territories.schemas import (
    AssignmentOut,
    OwnerOut,
    RuleOut,
    TerritoryDetail,
    TerritoryOut,
    TerritoryRef,
    TerritoryTree,
    UnassignedCustomer,
    UnassignedPage,
    UserRef,
)

__all__ = [
    "assignment_out",
    "list_assignments",
    "list_rules",
    "owner_of",
    "rule_out",
    "territory_detail",
    "territory_tree",
    "unassigned_customers",
    "user_refs",
]


async def user_refs(session: AsyncSession, ids: Iterable[str | None]) -> dict[str, UserRef]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = await session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {uid: UserRef(id=uid, full_name=name) for uid, name in rows}


async def _territories(session: AsyncSession) -> dict[str, Territory]:
    return {t.id: t for t in (await session.execute(select(Territory))).scalars()}


async def _customer_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(Customer.territory_id, func.count()).group_by(Customer.territory_id)
    )
    return {tid: int(n) for tid, n in rows}


def rule_out(rule: TerritoryRule) -> RuleOut:
    return RuleOut(
        id=rule.id,
        territory_id=rule.territory_id,
        country=rule.country,
        state=rule.state,
        postal_exact=rule.postal_exact,
        postal_prefix=rule.postal_prefix,
        postal_from=rule.postal_from,
        postal_to=rule.postal_to,
        active=rule.active,
        created_at=rule.created_at,
    )


def assignment_out(row: TerritoryAssignment, users: dict[str, UserRef], on: date) -> AssignmentOut:
    plain = Assignment(
        id=row.id,
        territory_id=row.territory_id,
        user_id=row.user_id,
        role=row.role,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
    )
    return AssignmentOut(
        id=row.id,
        territory_id=row.territory_id,
        user=users.get(row.user_id) or UserRef(id=row.user_id, full_name=""),
        role=row.role,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        active=active_on(plain, on),
    )


class _View:
    """The territory data a caller may read, with names and counts, loaded once per request."""

    def __init__(
        self,
        data: TerritoryData,
        access: Access,
        rows: dict[str, Territory],
        users: dict[str, UserRef],
        counts: dict[str, int],
        on: date,
    ) -> None:
        self.data, self.access, self.rows, self.users, self.counts, self.on = (
            data,
            access,
            rows,
            users,
            counts,
            on,
        )

    def node(self, territory_id: str, depth: int = 0) -> TerritoryOut:
        row = self.rows[territory_id]
        owner = owner_on(self.data.assignments, territory_id, self.on)
        managers = managers_on(self.data.nodes, self.data.assignments, territory_id, self.on)
        return TerritoryOut(
            id=row.id,
            parent_id=row.parent_id,
            code=row.code,
            name=row.name,
            kind=row.kind,
            is_default=row.is_default,
            depth=depth,
            owner=self.users.get(owner) if owner else None,
            managers=[self.users[m] for m in managers if m in self.users],
            customer_count=self.counts.get(territory_id, 0),
        )

    def ref(self, territory_id: str) -> TerritoryRef:
        row = self.rows[territory_id]
        return TerritoryRef(id=row.id, code=row.code, name=row.name)


async def _view(session: AsyncSession, user: CurrentUser, on: date) -> _View:
    data = await load_territory_data(session)
    # Scope is decided on today's assignments even when the question is about another day:
    # who may look is a question about now.
    access = access_for(user, data)
    users = await user_refs(session, (a.user_id for a in data.assignments))
    return _View(
        data, access, await _territories(session), users, await _customer_counts(session), on
    )


async def territory_tree(session: AsyncSession, user: CurrentUser, on: date) -> TerritoryTree:
    view = await _view(session, user, on)
    readable = {tid for tid in view.rows if view.access.can_read(tid)}
    children: dict[str | None, list[str]] = {}
    for tid in readable:
        parent = view.rows[tid].parent_id
        # A visible territory under an invisible parent is a root of this caller's view.
        children.setdefault(parent if parent in readable else None, []).append(tid)
    ordered: list[TerritoryOut] = []

    def walk(parent: str | None, depth: int) -> None:
        for tid in sorted(children.get(parent, []), key=lambda t: view.rows[t].code):
            ordered.append(view.node(tid, depth))
            walk(tid, depth + 1)

    walk(None, 0)
    default_id = view.data.default_territory_id
    unassigned = (
        None if user.role == "rep" else (view.counts.get(default_id, 0) if default_id else 0)
    )
    return TerritoryTree(
        on=on, default_territory_id=default_id, unassigned_count=unassigned, territories=ordered
    )


async def territory_detail(
    session: AsyncSession, user: CurrentUser, territory_id: str, on: date
) -> TerritoryDetail:
    view = await _view(session, user, on)
    view.access.require_visible(view.data, territory_id)
    chain = ancestor_chain(view.data.nodes, territory_id)
    path = [view.ref(tid) for tid in reversed(chain) if view.access.can_read(tid)]
    depth = len(path) - 1
    kids = sorted(
        (
            t
            for t in view.rows.values()
            if t.parent_id == territory_id and view.access.can_read(t.id)
        ),
        key=lambda t: t.code,
    )
    rules = (
        await session.execute(
            select(TerritoryRule)
            .where(TerritoryRule.territory_id == territory_id, TerritoryRule.active.is_(True))
            .order_by(TerritoryRule.created_at, TerritoryRule.id)
        )
    ).scalars()
    assignments = (
        await session.execute(
            select(TerritoryAssignment)
            .where(TerritoryAssignment.territory_id == territory_id)
            .order_by(TerritoryAssignment.valid_from.desc(), TerritoryAssignment.id)
        )
    ).scalars()
    reps = reps_on(view.data.assignments, territory_id, on)
    return TerritoryDetail(
        territory=view.node(territory_id, depth),
        path=path,
        children=[view.ref(t.id) for t in kids],
        reps=[view.users[r] for r in reps if r in view.users],
        rules=[rule_out(r) for r in rules],
        assignments=[assignment_out(a, view.users, on) for a in assignments],
    )


async def owner_of(
    session: AsyncSession, user: CurrentUser, territory_id: str, on: date
) -> OwnerOut:
    data = await load_territory_data(session)
    access_for(user, data).require_visible(data, territory_id)
    owner = owner_on(data.assignments, territory_id, on)
    refs = await user_refs(session, [owner])
    return OwnerOut(territory_id=territory_id, on=on, owner=refs.get(owner) if owner else None)


async def list_rules(
    session: AsyncSession, user: CurrentUser, *, territory_id: str | None, include_inactive: bool
) -> list[RuleOut]:
    data = await load_territory_data(session)
    access = access_for(user, data)
    stmt = select(TerritoryRule).order_by(TerritoryRule.created_at, TerritoryRule.id)
    if territory_id:
        access.require_visible(data, territory_id)
        stmt = stmt.where(TerritoryRule.territory_id == territory_id)
    if not include_inactive:
        stmt = stmt.where(TerritoryRule.active.is_(True))
    return [
        rule_out(r)
        for r in (await session.execute(stmt)).scalars()
        if access.can_read(r.territory_id)
    ]


async def list_assignments(
    session: AsyncSession,
    user: CurrentUser,
    *,
    territory_id: str | None,
    user_id: str | None,
    on: date | None,
) -> list[AssignmentOut]:
    data = await load_territory_data(session)
    access = access_for(user, data)
    stmt = select(TerritoryAssignment).order_by(
        TerritoryAssignment.territory_id,
        TerritoryAssignment.valid_from.desc(),
        TerritoryAssignment.id,
    )
    if territory_id:
        access.require_visible(data, territory_id)
        stmt = stmt.where(TerritoryAssignment.territory_id == territory_id)
    if user_id:
        stmt = stmt.where(TerritoryAssignment.user_id == user_id)
    rows = [r for r in (await session.execute(stmt)).scalars() if access.can_read(r.territory_id)]
    users = await user_refs(session, (r.user_id for r in rows))
    outs = [assignment_out(r, users, on or today()) for r in rows]
    # Without a date the whole history is listed, ended rows included.
    return [o for o in outs if on is None or o.active]


async def unassigned_customers(session: AsyncSession, *, limit: int, offset: int) -> UnassignedPage:
    """Customers that no rule placed. Every manager sees them: an address that matches no
    rule belongs to nobody's subtree, so scoping by subtree would hide them from everyone
    who could fix the rules."""
    default_id = await session.scalar(select(Territory.id).where(Territory.is_default.is_(True)))
    if default_id is None:
        return UnassignedPage(default_territory_id=None, total=0, items=[])
    total = await session.scalar(
        select(func.count()).select_from(Customer).where(Customer.territory_id == default_id)
    )
    billing = and_(
        CustomerAddress.customer_id == Customer.id,
        CustomerAddress.kind == "billing",
        CustomerAddress.is_default.is_(True),
    )
    rows = await session.execute(
        select(
            Customer.id,
            Customer.number,
            Customer.legal_name,
            Customer.created_at,
            CustomerAddress.country,
            CustomerAddress.state,
            CustomerAddress.postal_code,
            CustomerAddress.city,
        )
        .outerjoin(CustomerAddress, billing)
        .where(Customer.territory_id == default_id)
        .order_by(Customer.number)
        .limit(limit)
        .offset(offset)
    )
    items = [
        UnassignedCustomer(
            id=r.id,
            number=r.number,
            legal_name=r.legal_name,
            country=r.country or "",
            state=r.state or "",
            postal_code=r.postal_code or "",
            city=r.city or "",
            created_at=r.created_at,
        )
        for r in rows
    ]
    return UnassignedPage(default_territory_id=default_id, total=int(total or 0), items=items)
