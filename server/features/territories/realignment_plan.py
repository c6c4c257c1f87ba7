"""Working out a realignment: check the drafted changes, build the rules and assignments as
they would be on the effective date, and ask the pure planner which customers move.

Preview and apply both call `compute`, inside their own transactions, so what the preview
shows is exactly what apply does as long as nothing changed in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import msgspec
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, CustomerAddress, Territory
from server.db.models import TerritoryRule as RuleRow
from server.db.types import new_id
from server.domain.actor import CurrentUser
from server.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from server.domain.territories import (
    Address,
    Assignment,
    CustomerMove,
    CustomerPlacement,
    TerritoryRule,
    check_no_overlap,
    plan_realignment,
)
from server.domain.territory_scope import split_by_reach
from server.features.shared.territory_data import TerritoryData, load_territory_data
from server.features.territories.access import Access, access_for
from server.features.territories.checks import build_rule, check_assignees, check_rule_unique
from server.features.territories.queries import user_refs
from server.features.territories.schemas import (
    CustomerMoveOut,
    PlannedChanges,
    RealignmentChanges,
    TerritoryRef,
)

__all__ = ["Plan", "check_rules_in_reach", "compute", "moves_out", "plan_changes"]


def plan_changes(changes: RealignmentChanges, effective_on: date) -> PlannedChanges:
    """The draft as it will be stored, with ids and start dates fixed now."""
    return PlannedChanges(
        add_rules=[build_rule(r) for r in changes.add_rules],
        remove_rule_ids=list(changes.remove_rule_ids),
        add_assignments=[
            Assignment(
                id=new_id(),
                territory_id=a.territory_id,
                user_id=a.user_id,
                role=a.role,
                valid_from=a.valid_from or effective_on,
                valid_to=a.valid_to,
            )
            for a in changes.add_assignments
        ],
        end_assignment_ids=list(changes.end_assignment_ids),
    )


@dataclass(frozen=True)
class Plan:
    tree: TerritoryData
    access: Access
    rules_after: list[TerritoryRule]
    assignments_after: list[Assignment]
    moves: list[CustomerMove]


def _refuse_repeats(ids: list[str], what: str) -> None:
    if len(set(ids)) != len(ids):
        raise ValidationFailed(f"The same {what} is listed twice.", code="duplicate_ids")


async def _rules_after(
    session: AsyncSession, access: Access, tree: TerritoryData, planned: PlannedChanges
) -> list[TerritoryRule]:
    _refuse_repeats(planned.remove_rule_ids, "rule to remove")
    active = {r.id: r for r in tree.rules}
    for rule_id in planned.remove_rule_ids:
        rule = active.get(rule_id)
        if rule is None:
            row = await session.get(RuleRow, rule_id)
            if row is not None and access.can_manage(row.territory_id):
                raise Conflict(
                    f"rule {rule_id} is already inactive",
                    code="rule_already_inactive",
                    details={"rule_id": rule_id},
                )
            raise NotFound(f"rule {rule_id} does not exist", details={"id": rule_id})
        if not access.can_manage(rule.territory_id):
            raise NotFound(f"rule {rule_id} does not exist", details={"id": rule_id})
    after = [r for r in tree.rules if r.id not in set(planned.remove_rule_ids)]
    for rule in planned.add_rules:
        access.require_manageable(tree, rule.territory_id)
        check_rule_unique(after, rule)
        after.append(rule)
    return after


async def _assignments_after(
    session: AsyncSession, access: Access, tree: TerritoryData, planned: PlannedChanges, on: date
) -> list[Assignment]:
    _refuse_repeats(planned.end_assignment_ids, "assignment to end")
    current = {a.id: a for a in tree.assignments}
    for assignment_id in planned.end_assignment_ids:
        row = current.get(assignment_id)
        if row is None or not access.can_manage(row.territory_id):
            raise NotFound(
                f"assignment {assignment_id} does not exist", details={"id": assignment_id}
            )
        # Ending on the effective date only makes sense for a row that runs across that date.
        if not (row.valid_from < on and (row.valid_to is None or on < row.valid_to)):
            raise Conflict(
                f"assignment {assignment_id} does not run across {on}, so it cannot end then",
                code="assignment_not_active",
                details={"id": assignment_id},
            )
    ended = set(planned.end_assignment_ids)
    after = [
        msgspec.structs.replace(a, valid_to=on) if a.id in ended else a for a in tree.assignments
    ]
    for new in planned.add_assignments:
        access.require_manageable(tree, new.territory_id)
        check_no_overlap(after, new)
        after.append(new)
    await check_assignees(session, planned.add_assignments)
    return after


async def _placements(session: AsyncSession) -> list[CustomerPlacement]:
    billing = and_(
        CustomerAddress.customer_id == Customer.id,
        CustomerAddress.kind == "billing",
        CustomerAddress.is_default.is_(True),
    )
    rows = await session.execute(
        select(
            Customer.id,
            Customer.territory_id,
            Customer.owner_id,
            Customer.explicit_territory_id,
            CustomerAddress.country,
            CustomerAddress.state,
            CustomerAddress.postal_code,
            CustomerAddress.city,
        )
        .outerjoin(CustomerAddress, billing)
        .order_by(Customer.id, CustomerAddress.id)
    )
    placements: dict[str, CustomerPlacement] = {}
    for r in rows:
        if r.id in placements:  # two default billing addresses: the first one decides, as before
            continue
        # A customer without a billing address matches no rule and goes to the default.
        address = Address(
            country=r.country or "",
            state=r.state or "",
            postal_code=r.postal_code or "",
            city=r.city or "",
        )
        placements[r.id] = CustomerPlacement(
            customer_id=r.id,
            address=address,
            explicit_territory_id=r.explicit_territory_id,
            territory_id=r.territory_id,
            owner_id=r.owner_id,
        )
    return list(placements.values())


def _moves_in_reach(
    access: Access,
    tree: TerritoryData,
    placements: list[CustomerPlacement],
    moves: list[CustomerMove],
    on: date,
) -> tuple[list[CustomerMove], list[CustomerMove]]:
    """The moves a manager's change may make, and the ones out of their reach it causes
    (server/domain/territory_scope.py)."""
    if access.is_admin:
        return moves, []
    reach = set(access.manageable) | {tree.default_territory_id or ""}
    return split_by_reach(
        moves,
        plan_realignment(
            placements,
            tree.rules,
            tree.assignments,
            tree.nodes,
            tree.default_territory_id or "",
            on,
        ),
        reach,
    )


def _scoped_moves(
    access: Access,
    tree: TerritoryData,
    placements: list[CustomerPlacement],
    moves: list[CustomerMove],
    on: date,
) -> list[CustomerMove]:
    """What a manager's realignment may move; refused when it would take customers out of
    their reach."""
    kept, caused = _moves_in_reach(access, tree, placements, moves, on)
    if caused:
        raise PermissionDenied(
            f"This realignment would move {len(caused)} customer(s) of territories you do not "
            "manage. Ask an admin to apply it.",
            code="realignment_outside_scope",
            details={"customer_count": len(caused)},
        )
    return kept


async def check_rules_in_reach(
    session: AsyncSession,
    access: Access,
    tree: TerritoryData,
    rules_after: list[TerritoryRule],
    on: date,
) -> None:
    """A direct rule change answers to the realignment's scope rule: refused when, applied
    to the customers there are, it would move any out of or into a territory the manager
    does not manage (it decides where the next customers at those addresses land)."""
    if access.is_admin:
        return
    placements = await _placements(session)
    moves = plan_realignment(
        placements, rules_after, tree.assignments, tree.nodes, tree.default_territory_id or "", on
    )
    _, caused = _moves_in_reach(access, tree, placements, moves, on)
    if caused:
        raise PermissionDenied(
            f"This rule change would place {len(caused)} customer(s) in or out of territories you "
            "do not manage. Ask an admin to make it.",
            code="rule_outside_scope",
            details={"customer_count": len(caused)},
        )


async def compute(
    session: AsyncSession, user: CurrentUser, planned: PlannedChanges, on: date
) -> Plan:
    tree = await load_territory_data(session)
    access = access_for(user, tree)
    rules_after = await _rules_after(session, access, tree, planned)
    assignments_after = await _assignments_after(session, access, tree, planned, on)
    placements = await _placements(session)
    if tree.default_territory_id is None and placements:
        raise Conflict(
            "No default territory is configured for addresses that match no rule.",
            code="no_default_territory",
        )
    moves = plan_realignment(
        placements, rules_after, assignments_after, tree.nodes, tree.default_territory_id or "", on
    )
    return Plan(
        tree,
        access,
        rules_after,
        assignments_after,
        _scoped_moves(access, tree, placements, moves, on),
    )


async def moves_out(session: AsyncSession, moves: list[CustomerMove]) -> list[CustomerMoveOut]:
    if not moves:
        return []
    ids = [m.customer_id for m in moves]
    customers = {
        r.id: r
        for r in await session.execute(
            select(Customer.id, Customer.number, Customer.legal_name).where(Customer.id.in_(ids))
        )
    }
    territory_ids = {m.from_territory_id for m in moves} | {m.to_territory_id for m in moves}
    territories = {
        t.id: TerritoryRef(id=t.id, code=t.code, name=t.name)
        for t in (
            await session.execute(select(Territory).where(Territory.id.in_(territory_ids)))
        ).scalars()
    }
    users = await user_refs(session, [u for m in moves for u in (m.from_owner_id, m.to_owner_id)])
    return [
        CustomerMoveOut(
            customer_id=m.customer_id,
            number=customers[m.customer_id].number,
            legal_name=customers[m.customer_id].legal_name,
            from_territory=territories[m.from_territory_id],
            to_territory=territories[m.to_territory_id],
            from_owner=users.get(m.from_owner_id) if m.from_owner_id else None,
            to_owner=users.get(m.to_owner_id) if m.to_owner_id else None,
        )
        for m in moves
    ]
