"""Draws: an admin sets a rep's draw for a month; approving the month settles it.

Settling writes the month's top-up (kind `draw` for a recoverable draw, `guarantee` for a
non-recoverable one) and what it recovers of earlier recoverable draws (kind `recovery`),
as period entries keyed by rep and month, so settling twice appends nothing
(`server/domain/commission_periods.py: settle_draw` has the rules).
"""

from __future__ import annotations

from collections.abc import Set

from sqlalchemy import delete, select

from server.db.models import CommissionDraw, User
from server.db.types import new_id, utcnow
from server.db.unit_of_work import AuditRecord, WriteUnit
from server.domain.actor import CurrentUser
from server.domain.commission import Plan
from server.domain.commission_periods import DrawSettlement, settle_draw
from server.domain.errors import InvalidTransition, NotFound
from server.features.commission.crediting import summary_change
from server.features.commission.schemas import DrawIn, DrawOut
from server.features.commission.store import CommissionStore

__all__ = ["draw_settlement", "set_draw", "settle_month_draw"]


async def set_draw(uow: WriteUnit, user: CurrentUser, data: DrawIn) -> DrawOut:
    """The rep's draw for a month, replacing the one before; refused once the month is
    approved (its pay is fixed)."""
    session = uow.session
    if await session.get(User, data.rep_id) is None:
        raise NotFound("No such user.", code="user_not_found")
    # The rep's commission lock (shared; an approval holds it exclusively): a month being
    # approved settles with the draw it had, never one changed under it.
    if data.period in await uow.scoped(CommissionStore).locked_periods(data.rep_id):
        raise InvalidTransition(
            f"The statement of {data.period} is already approved: its draw cannot change.",
            code="statement_not_draft",
        )
    found = await session.scalar(
        select(CommissionDraw)
        .where(CommissionDraw.rep_id == data.rep_id, CommissionDraw.period == data.period)
        .with_for_update()
    )
    before = None if found is None else {"kind": found.kind, "amount_cents": found.amount_cents}
    draw_id = found.id if found is not None else new_id()
    if data.amount_cents == 0:
        await session.execute(
            delete(CommissionDraw).where(
                CommissionDraw.rep_id == data.rep_id, CommissionDraw.period == data.period
            )
        )
    else:
        if found is None:
            found = CommissionDraw(id=draw_id, rep_id=data.rep_id, period=data.period)
            session.add(found)
        found.kind, found.amount_cents, found.updated_at = data.kind, data.amount_cents, utcnow()
    await session.flush()
    await uow.audit.record(
        AuditRecord(
            entity_type="commission_draw",
            entity_id=draw_id,
            action="draw_set",
            actor_id=user.id,
            data={
                "rep_id": data.rep_id,
                "period": data.period,
                "before": before,
                "after": {"kind": data.kind, "amount_cents": data.amount_cents},
            },
        )
    )
    uow.feed.touch(summary_change(data.rep_id))
    return DrawOut(
        rep_id=data.rep_id, period=data.period, kind=data.kind, amount_cents=data.amount_cents
    )


async def draw_settlement(
    store: CommissionStore, rep_id: str, period: str, earned_cents: int
) -> tuple[DrawSettlement, int]:
    """The month's draw settlement for `earned_cents`, and what stays outstanding after."""
    outstanding = await store.outstanding_draws(rep_id, period)
    draw = await store.draw(rep_id, period)
    settled = settle_draw(earned_cents, draw, outstanding)
    after = outstanding - settled.recovered_cents
    if settled.top_up_kind == "draw":
        after += settled.top_up_cents
    return settled, after


def _why(settled: DrawSettlement, earned_cents: int, outstanding: int) -> tuple[str, str]:
    earned = _money(earned_cents)
    top_up = (
        f"recoverable draw: {_money(settled.top_up_cents)} advanced on earnings of {earned}"
        if settled.top_up_kind == "draw"
        else f"guaranteed minimum: topped up by {_money(settled.top_up_cents)} "
        f"from earnings of {earned}"
    )
    recovery = (
        f"draw recovery: {_money(settled.recovered_cents)} of {_money(outstanding)} advanced before"
    )
    return top_up, recovery


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


async def settle_month_draw(
    uow: WriteUnit,
    store: CommissionStore,
    rep_id: str,
    period: str,
    *,
    locked: Set[str],
    plan: Plan | None,
) -> None:
    """Write the month's draw entries (at approval, after its tier adjustment)."""
    earned = await store.period_earnings(rep_id, period)
    outstanding = await store.outstanding_draws(rep_id, period)
    settled, _ = await draw_settlement(store, rep_id, period, earned)
    top_up_why, recovery_why = _why(settled, earned, outstanding)
    for key, kind, amount, why in (
        (f"draw:{rep_id}:{period}", settled.top_up_kind, settled.top_up_cents, top_up_why),
        (f"recovery:{rep_id}:{period}", "recovery", -settled.recovered_cents, recovery_why),
    ):
        await store.append_period_entry(
            key=key,
            rep_id=rep_id,
            kind=kind,
            amount_cents=amount,
            source_period=period,
            into_period=period,
            locked=locked,
            reason=why,
            plan=plan,
        )
