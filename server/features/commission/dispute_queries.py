"""Reading disputes: a rep's own, a manager's team's, an admin's all, each with the
line it questions and where its adjustment landed."""

from __future__ import annotations

from sqlalchemy import select

from server.db.models import CommissionDispute, CommissionEntry, SalesOrder, User
from server.db.unit_of_work import ReadUnit
from server.domain.actor import CurrentUser
from server.domain.commission_disputes import DISPUTE_STATUSES
from server.domain.errors import ValidationFailed
from server.features.commission.dispute_schemas import DisputeOut
from server.features.commission.team import team_members

__all__ = [
    "ADJUSTMENT_KIND",
    "PHONE_DISPUTES",
    "dispute_out",
    "disputes_of_period",
    "list_disputes",
    "recent_disputes",
]

# The ledger kind of a dispute's adjustment: commission outside the plan's rates, so not
# part of the base that tiers multiply.
ADJUSTMENT_KIND = "adjustment"
# The disputes a phone carries: the rep's latest, enough to see every recent answer.
PHONE_DISPUTES = 20


async def dispute_out(unit: ReadUnit, disputes: list[CommissionDispute]) -> list[DisputeOut]:
    """The disputes with their line's amount and order, and where each adjustment landed."""
    if not disputes:
        return []
    entry_ids = {d.entry_id for d in disputes} | {
        d.adjustment_entry_id for d in disputes if d.adjustment_entry_id
    }
    entries = {
        e.id: (e, number)
        for e, number in await unit.session.execute(
            select(CommissionEntry, SalesOrder.number)
            .outerjoin(SalesOrder, SalesOrder.id == CommissionEntry.order_id)
            .where(CommissionEntry.id.in_(sorted(entry_ids)))
        )
    }
    names = dict(
        (
            await unit.session.execute(
                select(User.id, User.full_name).where(
                    User.id.in_(sorted({d.rep_id for d in disputes}))
                )
            )
        ).all()
    )
    out = []
    for d in disputes:
        entry, number = entries[d.entry_id]
        adjustment = entries.get(d.adjustment_entry_id or "")
        out.append(
            DisputeOut(
                id=d.id,
                entry_id=d.entry_id,
                rep_id=d.rep_id,
                rep_name=names.get(d.rep_id, ""),
                period=d.period,
                status=d.status,
                comment=d.comment,
                opened_at=d.opened_at,
                entry_amount_cents=entry.amount_cents,
                order_id=entry.order_id,
                order_number=number,
                answer=d.answer,
                answered_by=d.answered_by,
                answered_at=d.answered_at,
                adjustment_cents=d.adjustment_cents,
                adjustment_period=adjustment[0].period if adjustment else None,
            )
        )
    return out


async def list_disputes(
    unit: ReadUnit,
    user: CurrentUser,
    *,
    status: str | None = None,
    rep_id: str | None = None,
    period: str | None = None,
) -> list[DisputeOut]:
    """A rep's own disputes; a manager's team's; an admin's everyone's. Oldest first."""
    if status is not None and status not in DISPUTE_STATUSES:
        raise ValidationFailed("Status is 'open' or 'answered'.", code="unknown_status")
    query = select(CommissionDispute)
    if user.is_admin:
        pass
    elif user.role == "manager":
        team = [m.id for m in await team_members(unit, user)]
        query = query.where(CommissionDispute.rep_id.in_([user.id, *team]))
    else:
        query = query.where(CommissionDispute.rep_id == user.id)
    if status is not None:
        query = query.where(CommissionDispute.status == status)
    if rep_id is not None:
        query = query.where(CommissionDispute.rep_id == rep_id)
    if period is not None:
        query = query.where(CommissionDispute.period == period)
    found = list(
        await unit.session.scalars(
            query.order_by(CommissionDispute.opened_at, CommissionDispute.id).limit(500)
        )
    )
    return await dispute_out(unit, found)


async def disputes_of_period(unit: ReadUnit, rep_id: str, period: str) -> list[DisputeOut]:
    """The rep's disputes of lines of the period (the caller's right to see it checked)."""
    found = await unit.session.scalars(
        select(CommissionDispute)
        .where(CommissionDispute.rep_id == rep_id, CommissionDispute.period == period)
        .order_by(CommissionDispute.opened_at, CommissionDispute.id)
    )
    return await dispute_out(unit, list(found))


async def recent_disputes(unit: ReadUnit, rep_id: str) -> list[DisputeOut]:
    """The rep's latest disputes, newest first: what their phone shows offline."""
    found = await unit.session.scalars(
        select(CommissionDispute)
        .where(CommissionDispute.rep_id == rep_id)
        .order_by(CommissionDispute.opened_at.desc(), CommissionDispute.id)
        .limit(PHONE_DISPUTES)
    )
    return await dispute_out(unit, list(found))
