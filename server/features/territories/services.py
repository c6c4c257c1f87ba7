"""Territory actions: create and move territories, choose the default, add and deactivate
rules, add and end assignments. Each action is one write transaction with its audit event.

Direct rule and assignment changes decide where *new* customers land and who sees what from
now on; moving existing customers is what a realignment does (preview, then apply).
"""

from __future__ import annotations

from datetime import date

from msgspec import UNSET
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Territory, TerritoryAssignment, TerritoryRule
from server.db.types import new_id
from server.db.unit_of_work import WriteUnit
from server.domain.actor import CurrentUser
from server.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from server.domain.territories import Assignment, check_no_overlap, validate_parent
from server.features.shared.reference_data import lock_reference_data
from server.features.shared.territory_data import load_territory_data
from server.features.territories import events
from server.features.territories.access import access_for, missing_territory, today
from server.features.territories.checks import build_rule, check_assignees, check_rule_unique
from server.features.territories.queries import assignment_out, rule_out, user_refs
from server.features.territories.realignment_plan import check_rules_in_reach
from server.features.territories.schemas import (
    AssignmentIn,
    AssignmentOut,
    RuleIn,
    RuleOut,
    TerritoryIn,
    TerritoryUpdateIn,
)

__all__ = [
    "create_assignment",
    "create_rule",
    "create_territory",
    "deactivate_rule",
    "end_assignment",
    "make_default",
    "update_territory",
]


async def lock_territory(session: AsyncSession, territory_id: str) -> None:
    """Row lock on PostgreSQL so two owner assignments for one territory cannot both pass the
    overlap check; SQLite's write transaction already holds the database lock."""
    await session.execute(
        select(Territory.id).where(Territory.id == territory_id).with_for_update()
    )


def _needs_admin_for_top_level() -> PermissionDenied:
    return PermissionDenied(
        "Only an admin can add or move a top-level territory.", code="top_level_needs_admin"
    )


async def create_territory(uow: WriteUnit, user: CurrentUser, data: TerritoryIn) -> str:
    await lock_reference_data(uow.session)
    tree = await load_territory_data(uow.session)
    access = access_for(user, tree)
    if data.parent_id is None:
        if not access.is_admin:
            raise _needs_admin_for_top_level()
    else:
        access.require_manageable(tree, data.parent_id)
    territory_id = new_id()
    validate_parent(tree.nodes, territory_id, data.parent_id)
    code = data.code.strip().upper()
    if await uow.session.scalar(select(Territory.id).where(Territory.code == code)):
        raise Conflict(f"A territory with code {code} already exists.", code="territory_code_taken")
    uow.session.add(
        Territory(
            id=territory_id,
            parent_id=data.parent_id,
            code=code,
            name=data.name.strip(),
            kind=data.kind,
            is_default=False,
        )
    )
    await uow.audit.record(
        events.territory_created(
            territory_id=territory_id,
            actor_id=user.id,
            fields={
                "code": code,
                "name": data.name.strip(),
                "kind": data.kind,
                "parent_id": data.parent_id,
            },
        )
    )
    return territory_id


async def update_territory(
    uow: WriteUnit, user: CurrentUser, territory_id: str, data: TerritoryUpdateIn
) -> None:
    await lock_reference_data(uow.session)
    tree = await load_territory_data(uow.session)
    access = access_for(user, tree)
    access.require_manageable(tree, territory_id)
    row = await uow.session.get(Territory, territory_id)
    if row is None:
        raise missing_territory(territory_id)
    changes: dict[str, list[str | None]] = {}
    if data.parent_id is not UNSET and data.parent_id != row.parent_id:
        if (data.parent_id is None or row.parent_id is None) and not access.is_admin:
            raise _needs_admin_for_top_level()
        if data.parent_id is not None:
            access.require_manageable(tree, data.parent_id)
        validate_parent(tree.nodes, territory_id, data.parent_id)
        changes["parent_id"] = [row.parent_id, data.parent_id]
        row.parent_id = data.parent_id
    if data.name is not UNSET and data.name.strip() != row.name:
        changes["name"] = [row.name, data.name.strip()]
        row.name = data.name.strip()
    if data.kind is not UNSET and data.kind != row.kind:
        changes["kind"] = [row.kind, data.kind]
        row.kind = data.kind
    if changes:
        await uow.audit.record(
            events.territory_updated(territory_id=territory_id, actor_id=user.id, changes=changes)
        )


async def make_default(uow: WriteUnit, user: CurrentUser, territory_id: str) -> None:
    """Choose where addresses that match no rule go. Customers already in the old default
    stay there until a realignment re-places them."""
    await lock_reference_data(uow.session)
    row = await uow.session.get(Territory, territory_id)
    if row is None:
        raise missing_territory(territory_id)
    if row.is_default:
        return
    previous = await uow.session.scalar(select(Territory.id).where(Territory.is_default.is_(True)))
    await uow.session.execute(
        update(Territory).where(Territory.is_default.is_(True)).values(is_default=False)
    )
    row.is_default = True
    await uow.audit.record(
        events.default_territory_changed(
            territory_id=territory_id, actor_id=user.id, previous_id=previous
        )
    )


async def create_rule(uow: WriteUnit, user: CurrentUser, data: RuleIn) -> RuleOut:
    await lock_reference_data(uow.session)
    tree = await load_territory_data(uow.session)
    access = access_for(user, tree)
    access.require_manageable(tree, data.territory_id)
    rule = build_rule(data)
    check_rule_unique(tree.rules, rule)
    await check_rules_in_reach(uow.session, access, tree, [*tree.rules, rule], today())
    row = TerritoryRule(
        id=rule.id,
        territory_id=rule.territory_id,
        country=rule.country,
        state=rule.state,
        postal_exact=rule.postal_exact,
        postal_prefix=rule.postal_prefix,
        postal_from=rule.postal_from,
        postal_to=rule.postal_to,
        active=True,
    )
    uow.session.add(row)
    await uow.audit.record(
        events.rule_created(
            rule_id=rule.id,
            actor_id=user.id,
            fields={
                "territory_id": rule.territory_id,
                "country": rule.country,
                "state": rule.state,
                "postal_exact": rule.postal_exact,
                "postal_prefix": rule.postal_prefix,
                "postal_from": rule.postal_from,
                "postal_to": rule.postal_to,
            },
        )
    )
    await uow.session.flush()
    return rule_out(row)


async def deactivate_rule(uow: WriteUnit, user: CurrentUser, rule_id: str) -> RuleOut:
    """Rules are never deleted: a deactivated rule stays readable as history."""
    session = uow.session
    await lock_reference_data(uow.session)
    row = (
        await uow.session.execute(
            select(TerritoryRule).where(TerritoryRule.id == rule_id).with_for_update()
        )
    ).scalar_one_or_none()
    tree = await load_territory_data(session)
    access = access_for(user, tree)
    if row is None or not access.can_manage(row.territory_id):
        raise NotFound(f"rule {rule_id} does not exist", details={"id": rule_id})
    if not row.active:
        raise Conflict("This rule is already inactive.", code="rule_already_inactive")
    await check_rules_in_reach(
        session, access, tree, [r for r in tree.rules if r.id != rule_id], today()
    )
    row.active = False
    await uow.audit.record(events.rule_deactivated(rule_id=rule_id, actor_id=user.id))
    await uow.session.flush()
    return rule_out(row)


async def create_assignment(uow: WriteUnit, user: CurrentUser, data: AssignmentIn) -> AssignmentOut:
    await lock_reference_data(uow.session)
    await lock_territory(uow.session, data.territory_id)
    tree = await load_territory_data(uow.session)
    access_for(user, tree).require_manageable(tree, data.territory_id)
    plain = Assignment(
        id=new_id(),
        territory_id=data.territory_id,
        user_id=data.user_id,
        role=data.role,
        valid_from=data.valid_from or today(),
        valid_to=data.valid_to,
    )
    check_no_overlap(tree.assignments, plain)
    await check_assignees(uow.session, [plain])
    row = TerritoryAssignment(
        id=plain.id,
        territory_id=plain.territory_id,
        user_id=plain.user_id,
        role=plain.role,
        valid_from=plain.valid_from,
        valid_to=plain.valid_to,
    )
    uow.session.add(row)
    await uow.audit.record(
        events.assignment_created(
            assignment_id=plain.id,
            actor_id=user.id,
            fields={
                "territory_id": plain.territory_id,
                "user_id": plain.user_id,
                "role": plain.role,
                "valid_from": plain.valid_from.isoformat(),
                "valid_to": plain.valid_to.isoformat() if plain.valid_to else None,
            },
        )
    )
    await uow.session.flush()
    return assignment_out(row, await user_refs(uow.session, [row.user_id]), today())


async def end_assignment(
    uow: WriteUnit, user: CurrentUser, assignment_id: str, on: date
) -> AssignmentOut:
    """End an assignment on `on` (exclusive). The row stays, so its dates remain history."""
    await lock_reference_data(uow.session)
    row = (
        await uow.session.execute(
            select(TerritoryAssignment)
            .where(TerritoryAssignment.id == assignment_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    tree = await load_territory_data(uow.session)
    if row is None or not access_for(user, tree).can_manage(row.territory_id):
        raise NotFound(f"assignment {assignment_id} does not exist", details={"id": assignment_id})
    if on <= row.valid_from:
        raise ValidationFailed(
            f"assignment would end ({on}) on or before it starts ({row.valid_from})",
            code="invalid_date_range",
        )
    if row.valid_to is not None and row.valid_to <= on:
        raise Conflict(
            f"This assignment already ends on {row.valid_to}.", code="assignment_already_ended"
        )
    previous = row.valid_to.isoformat() if row.valid_to else None
    row.valid_to = on
    await uow.audit.record(
        events.assignment_ended(
            assignment_id=row.id, actor_id=user.id, previous_to=previous, valid_to=on.isoformat()
        )
    )
    await uow.session.flush()
    return assignment_out(row, await user_refs(uow.session, [row.user_id]), today())
