"""Statements: a rep's period, draft -> approved (by a manager of the rep, or an admin;
the period is locked from then on) -> paid (by an admin).

Approving writes the period's tier and cap adjustment (on its quota period: the month or
its quarter), its draw settlement and, for a negative total, its carry-forward into the
ledger, so the approved figure is the sum of the period's entries, never below zero, and
never changes again: later differences land in the next open period
(`server/domain/commission.py: open_period`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from server.db.models import (
    CommissionEntry,
    CommissionStatement,
    SalesOrder,
    TerritoryAssignment,
    User,
)
from server.db.types import new_id, utcnow
from server.db.unit_of_work import AuditRecord, ReadUnit, WriteUnit
from server.domain.actor import CurrentUser
from server.domain.errors import InvalidTransition, NotFound, PermissionDenied
from server.features.commission.carry import carry_negative_balance
from server.features.commission.crediting import summary_change
from server.features.commission.dispute_queries import disputes_of_period
from server.features.commission.draws import settle_month_draw
from server.features.commission.schemas import EntryOut, StatementOut
from server.features.commission.standing import month_tier_adjustment, quota_standing
from server.features.commission.store import CommissionStore
from server.features.commission.summary import plan_for_period, rep_summary
from server.features.shared.csv_export import csv_text
from server.features.shared.scope import load_scope

__all__ = [
    "approve_statement",
    "entries_csv",
    "mark_paid",
    "require_visible_rep",
    "statement_of",
]


async def require_visible_rep(
    unit: ReadUnit, user: CurrentUser, rep_id: str, *, to_approve: bool = False
) -> None:
    """A rep sees their own commission; a manager that of the reps assigned in their
    subtree today (and approves it); an admin everyone's. Others: as if it did not exist."""
    if user.is_admin:
        return
    if user.id == rep_id and not to_approve:
        return
    if user.role == "manager" and user.id != rep_id:
        scope = await load_scope(unit.session, user)
        today = date.today()
        assigned = await unit.session.scalar(
            select(TerritoryAssignment.id)
            .where(
                TerritoryAssignment.user_id == rep_id,
                TerritoryAssignment.territory_id.in_(sorted(scope.territory_ids)),
                TerritoryAssignment.valid_from <= today,
                (TerritoryAssignment.valid_to.is_(None)) | (TerritoryAssignment.valid_to > today),
            )
            .limit(1)
        )
        if assigned is not None:
            return
    if to_approve and user.id == rep_id:
        raise PermissionDenied(
            "Your own statement is approved by your manager.", code="not_rep_manager"
        )
    raise NotFound("No such rep in your teams.", code="rep_not_found")


def _event(statement: CommissionStatement, actor_id: str, action: str, before: str) -> AuditRecord:
    return AuditRecord(
        entity_type="commission_statement",
        entity_id=statement.id,
        action=action,
        actor_id=actor_id,
        from_state=before,
        to_state=statement.status,
        data={
            "rep_id": statement.rep_id,
            "period": statement.period,
            "amount_cents": statement.amount_cents,
        },
    )


async def _locked_statement(uow: WriteUnit, rep_id: str, period: str) -> CommissionStatement:
    found = await uow.session.scalar(
        select(CommissionStatement)
        .where(CommissionStatement.rep_id == rep_id, CommissionStatement.period == period)
        .with_for_update()
    )
    if found is None:
        found = CommissionStatement(
            id=new_id(), rep_id=rep_id, period=period, status="draft", amount_cents=0
        )
        uow.session.add(found)
        await uow.session.flush()
    return found


async def approve_statement(
    uow: WriteUnit, user: CurrentUser, rep_id: str, period: str
) -> CommissionStatement:
    await require_visible_rep(uow, user, rep_id, to_approve=True)
    if await uow.session.get(User, rep_id) is None:
        raise NotFound("No such rep in your teams.", code="rep_not_found")
    store = uow.scoped(CommissionStore)
    # Exclusive: credits of this rep in flight finish first, none starts until commit.
    locked = await store.locked_periods(rep_id, exclusive=True)
    statement = await _locked_statement(uow, rep_id, period)
    if statement.status != "draft":
        raise InvalidTransition(
            f"The statement is already {statement.status}.", code="statement_not_draft"
        )
    plan = await plan_for_period(store, period, date.today())
    if plan is not None:
        standing = await quota_standing(store, rep_id, period)
        await store.append_period_entry(
            key=f"tier:{rep_id}:{period}",
            rep_id=rep_id,
            kind="commission",
            amount_cents=month_tier_adjustment(plan, standing),
            source_period=period,
            into_period=period,
            locked=locked - {period},
            reason=f"tiers and cap of {period}",
            plan=plan,
            rate=plan.default_rate,
        )
    await settle_month_draw(uow, store, rep_id, period, locked=locked - {period}, plan=plan)
    await carry_negative_balance(store, rep_id, period, locked=locked - {period}, plan=plan)
    statement.amount_cents = await store.period_total(rep_id, period)
    statement.status = "approved"
    statement.approved_by, statement.approved_at = user.id, utcnow()
    await uow.session.flush()
    await uow.audit.record(_event(statement, user.id, "approve", "draft"))
    uow.feed.touch(summary_change(rep_id))
    return statement


async def mark_paid(
    uow: WriteUnit, user: CurrentUser, rep_id: str, period: str
) -> CommissionStatement:
    statement = await uow.session.scalar(
        select(CommissionStatement)
        .where(CommissionStatement.rep_id == rep_id, CommissionStatement.period == period)
        .with_for_update()
    )
    if statement is None:
        raise NotFound("No statement for this rep and period.", code="statement_not_found")
    if statement.status != "approved":
        raise InvalidTransition(
            "Only an approved statement can be paid.", code="statement_not_approved"
        )
    statement.status = "paid"
    statement.paid_by, statement.paid_at = user.id, utcnow()
    await uow.session.flush()
    await uow.audit.record(_event(statement, user.id, "pay", "approved"))
    uow.feed.touch(summary_change(rep_id))
    return statement


async def _entries(unit: ReadUnit, rep_id: str, period: str) -> list[EntryOut]:
    rows = await unit.session.execute(
        select(CommissionEntry, SalesOrder.number)
        .outerjoin(SalesOrder, SalesOrder.id == CommissionEntry.order_id)
        .where(CommissionEntry.rep_id == rep_id, CommissionEntry.period == period)
        .order_by(CommissionEntry.created_at, CommissionEntry.entry_key)
    )
    return [
        EntryOut(
            id=e.id,
            kind=e.kind,
            period=e.period,
            role=e.role,
            order_id=e.order_id,
            order_number=number,
            source_type=e.source_type,
            source_id=e.source_id,
            basis=e.basis,
            revenue_cents=e.revenue_cents,
            amount_cents=e.amount_cents,
            rate=str(e.rate),
            plan_version=e.plan_version,
            reason=e.reason,
            created_at=e.created_at,
        )
        for e, number in rows
    ]


async def statement_of(unit: ReadUnit, user: CurrentUser, rep_id: str, period: str) -> StatementOut:
    """The statement (a draft until approved), its figures and every entry behind them."""
    await require_visible_rep(unit, user, rep_id)
    rep = await unit.session.get(User, rep_id)
    if rep is None:
        raise NotFound("No such rep in your teams.", code="rep_not_found")
    stored = await unit.session.scalar(
        select(CommissionStatement).where(
            CommissionStatement.rep_id == rep_id, CommissionStatement.period == period
        )
    )
    summary = await rep_summary(unit, rep_id, period)
    return StatementOut(
        rep_id=rep_id,
        rep_name=rep.full_name,
        period=period,
        status=stored.status if stored else "draft",
        amount_cents=stored.amount_cents
        if stored and stored.status != "draft"
        else summary.earned_cents,
        summary=summary,
        entries=await _entries(unit, rep_id, period),
        approved_by=stored.approved_by if stored else None,
        approved_at=stored.approved_at if stored else None,
        paid_at=stored.paid_at if stored else None,
        disputes=await disputes_of_period(unit, rep_id, period),
    )


def entries_csv(statement: StatementOut) -> str:
    """One row per entry: what the statement's figure is made of, with its source. Cells
    go through the shared writer, which keeps text a spreadsheet would run from running."""
    columns = [
        "period",
        "order_number",
        "kind",
        "source_type",
        "source_id",
        "role",
        "basis",
        "revenue",
        "rate",
        "amount",
        "plan_version",
        "reason",
        "created_at",
    ]
    return csv_text(
        columns,
        (
            [
                e.period,
                e.order_number or "",
                e.kind,
                e.source_type,
                e.source_id,
                e.role,
                e.basis,
                _money(e.revenue_cents),
                e.rate,
                _money(e.amount_cents),
                e.plan_version,
                e.reason,
                e.created_at,
            ]
            for e in statement.entries
        ),
    )


def _money(cents: int) -> Decimal:
    # A number, not text: a clawback's minus sign stays a sign, not a formula.
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))
