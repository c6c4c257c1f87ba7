"""Realignment actions: draft, preview, apply. History is kept: rules are deactivated,
assignments ended, every moved customer gets an audit event, and documents already placed
keep their own snapshot of territory and reps."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import AuditEvent, Customer, Realignment, TerritoryAssignment, TerritoryRule
from server.db.types import new_id, utcnow
from server.db.unit_of_work import ReadUnit, WriteUnit
from server.domain.actor import CurrentUser
from server.domain.errors import Conflict, NotFound
from server.domain.territories import CustomerMove
from server.features.customers.services import publish_customer_change
from server.features.shared.reference_data import lock_reference_data
from server.features.territories import events
from server.features.territories.access import today
from server.features.territories.realignment_documents import affected_documents, hand_over_quotes
from server.features.territories.realignment_plan import Plan, compute, moves_out, plan_changes
from server.features.territories.schemas import (
    CustomerMoveOut,
    OpenDocumentOut,
    PlannedChanges,
    RealignmentIn,
    RealignmentOut,
    RealignmentPreview,
)

__all__ = [
    "apply_realignment",
    "draft_realignment",
    "get_realignment",
    "list_realignments",
    "preview_realignment",
]


def realignment_out(row: Realignment) -> RealignmentOut:
    return RealignmentOut(
        id=row.id,
        status=row.status,
        description=row.description,
        effective_on=row.effective_on,
        changes=msgspec.json.decode(row.changes, type=PlannedChanges),
        created_by=row.created_by,
        created_at=row.created_at,
        applied_at=row.applied_at,
    )


async def _load(
    session: AsyncSession, user: CurrentUser, realignment_id: str, *, lock: bool = False
) -> Realignment:
    stmt = select(Realignment).where(Realignment.id == realignment_id)
    row = (await session.execute(stmt.with_for_update() if lock else stmt)).scalar_one_or_none()
    # A manager works on their own drafts; anyone else's answer like ones that do not exist.
    if row is None or not (user.is_admin or row.created_by == user.id):
        raise NotFound(
            f"realignment {realignment_id} does not exist", details={"id": realignment_id}
        )
    return row


async def draft_realignment(
    uow: WriteUnit, user: CurrentUser, data: RealignmentIn
) -> RealignmentOut:
    planned = plan_changes(data.changes, data.effective_on)
    # Checked now so a draft that could never apply is refused while its author is here.
    await compute(uow.session, user, planned, data.effective_on)
    row = Realignment(
        id=new_id(),
        status="draft",
        description=data.description.strip(),
        changes=msgspec.json.encode(planned).decode(),
        effective_on=data.effective_on,
        created_by=user.id,
        created_at=utcnow(),
    )
    uow.session.add(row)
    await uow.audit.record(
        events.realignment_drafted(
            realignment_id=row.id, actor_id=user.id, effective_on=data.effective_on.isoformat()
        )
    )
    await uow.session.flush()
    return realignment_out(row)


async def get_realignment(unit: ReadUnit, user: CurrentUser, realignment_id: str) -> RealignmentOut:
    return realignment_out(await _load(unit.session, user, realignment_id))


async def list_realignments(unit: ReadUnit, user: CurrentUser) -> list[RealignmentOut]:
    stmt = select(Realignment).order_by(Realignment.created_at.desc(), Realignment.id)
    if not user.is_admin:
        stmt = stmt.where(Realignment.created_by == user.id)
    return [realignment_out(r) for r in (await unit.session.execute(stmt)).scalars()]


async def _applied(
    session: AsyncSession, realignment_id: str
) -> tuple[list[CustomerMoveOut], list[OpenDocumentOut]]:
    data = await session.scalar(
        select(AuditEvent.data).where(
            AuditEvent.entity_type == "realignment",
            AuditEvent.entity_id == realignment_id,
            AuditEvent.action == "realignment_applied",
        )
    )
    return (
        msgspec.convert((data or {}).get("moves", []), type=list[CustomerMoveOut]),
        msgspec.convert((data or {}).get("open_documents", []), type=list[OpenDocumentOut]),
    )


def _preview(
    row: Realignment, moves: list[CustomerMoveOut], documents: list[OpenDocumentOut]
) -> RealignmentPreview:
    return RealignmentPreview(
        realignment=realignment_out(row),
        moves=moves,
        moved_count=len(moves),
        open_documents=documents,
        open_document_count=len(documents),
    )


async def preview_realignment(
    unit: ReadUnit, user: CurrentUser, realignment_id: str
) -> RealignmentPreview:
    """Draft: who would move if applied now. Applied: who did move, as recorded then."""
    session = unit.session
    row = await _load(unit.session, user, realignment_id)
    if row.status == "applied":
        return _preview(row, *await _applied(session, row.id))
    planned = msgspec.json.decode(row.changes, type=PlannedChanges)
    plan = await compute(session, user, planned, row.effective_on)
    _, documents = await affected_documents(session, plan.moves)
    return _preview(row, await moves_out(session, plan.moves), documents)


async def _write_changes(
    uow: WriteUnit, user: CurrentUser, row: Realignment, planned: PlannedChanges
) -> None:
    session = uow.session
    for rule_id in planned.remove_rule_ids:
        await session.execute(
            update(TerritoryRule).where(TerritoryRule.id == rule_id).values(active=False)
        )
        await uow.audit.record(
            events.rule_deactivated(rule_id=rule_id, actor_id=user.id, realignment_id=row.id)
        )
    for rule in planned.add_rules:
        fields = msgspec.structs.asdict(rule)
        session.add(TerritoryRule(**fields, active=True))
        await uow.audit.record(
            events.rule_created(
                rule_id=rule.id, actor_id=user.id, fields=fields, realignment_id=row.id
            )
        )
    for assignment_id in planned.end_assignment_ids:
        previous = await session.scalar(
            select(TerritoryAssignment.valid_to).where(TerritoryAssignment.id == assignment_id)
        )
        await session.execute(
            update(TerritoryAssignment)
            .where(TerritoryAssignment.id == assignment_id)
            .values(valid_to=row.effective_on)
        )
        await uow.audit.record(
            events.assignment_ended(
                assignment_id=assignment_id,
                actor_id=user.id,
                previous_to=previous.isoformat() if previous else None,
                valid_to=row.effective_on.isoformat(),
                realignment_id=row.id,
            )
        )
    for new in planned.add_assignments:
        session.add(
            TerritoryAssignment(
                id=new.id,
                territory_id=new.territory_id,
                user_id=new.user_id,
                role=new.role,
                valid_from=new.valid_from,
                valid_to=new.valid_to,
            )
        )
        await uow.audit.record(
            events.assignment_created(
                assignment_id=new.id,
                actor_id=user.id,
                realignment_id=row.id,
                fields={
                    "territory_id": new.territory_id,
                    "user_id": new.user_id,
                    "role": new.role,
                    "valid_from": new.valid_from.isoformat(),
                    "valid_to": new.valid_to.isoformat() if new.valid_to else None,
                },
            )
        )


async def _move_customers(
    uow: WriteUnit, user: CurrentUser, row: Realignment, moves: list[CustomerMove]
) -> None:
    session = uow.session
    by_id = {m.customer_id: m for m in moves}
    # Row locks in primary-key order, the order every writer takes them in.
    customers = (
        (
            await session.execute(
                select(Customer)
                .where(Customer.id.in_(by_id))
                .order_by(Customer.id)
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    now = utcnow()
    for customer in customers:
        move = by_id[customer.id]
        if (customer.territory_id, customer.owner_id) != (
            move.from_territory_id,
            move.from_owner_id,
        ):
            raise Conflict(
                "A customer changed while the realignment was being applied. Preview it again.",
                code="realignment_stale",
                details={"customer_id": customer.id},
            )
        changes: dict[str, list[str | None]] = {}
        if move.to_territory_id != customer.territory_id:
            changes["territory_id"] = [customer.territory_id, move.to_territory_id]
        if move.to_owner_id != customer.owner_id:
            changes["owner_id"] = [customer.owner_id, move.to_owner_id]
        customer.territory_id, customer.owner_id = move.to_territory_id, move.to_owner_id
        customer.version += 1
        customer.updated_at = now
        # Phones of the new territory learn of it, phones of the old one learn to drop it.
        await publish_customer_change(uow, customer, previous_territory_id=move.from_territory_id)
        await uow.audit.record(
            events.customer_realigned(
                customer_id=customer.id,
                actor_id=user.id,
                version=customer.version,
                changes=changes,
                realignment_id=row.id,
            )
        )


async def apply_realignment(
    uow: WriteUnit, user: CurrentUser, realignment_id: str
) -> RealignmentPreview:
    """Apply a draft in one transaction; a second apply is refused."""
    session = uow.session
    await lock_reference_data(uow.session)
    row = await _load(uow.session, user, realignment_id, lock=True)
    if row.status != "draft":
        raise Conflict("This realignment was already applied.", code="realignment_already_applied")
    if row.effective_on > today():
        # customers.owner_id is today's owner; setting it to someone whose assignment has
        # not started would contradict the assignments until the effective date.
        raise Conflict(
            f"This realignment takes effect on {row.effective_on}; apply it from then.",
            code="realignment_not_yet_effective",
        )
    planned = msgspec.json.decode(row.changes, type=PlannedChanges)
    plan: Plan = await compute(session, user, planned, row.effective_on)
    moved = await moves_out(session, plan.moves)
    document_changes, documents = await affected_documents(session, plan.moves)
    await _write_changes(uow, user, row, planned)
    await _move_customers(uow, user, row, plan.moves)
    await hand_over_quotes(uow, document_changes)
    row.status, row.applied_at = "applied", utcnow()
    moves_data: list[dict[str, Any]] = msgspec.to_builtins(moved)
    await uow.audit.record(
        events.realignment_applied(
            realignment_id=row.id,
            actor_id=user.id,
            moves=moves_data,
            open_documents=msgspec.to_builtins(documents),
        )
    )
    await session.flush()
    return _preview(row, moved, documents)
