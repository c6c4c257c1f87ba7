"""Crediting commission: one order's ledger brought in line with its documents.

`credit_commission` runs where money moves (an order confirmed, amended, cancelled,
invoiced, paid or credited), in that action's unit of work and under its order lock, so
two recomputes of one order take turns and the second finds nothing left to append.
"""

from __future__ import annotations

from datetime import date

from server.db.unit_of_work import Change, WriteUnit
from server.domain.commission import desired_entries, entries_to_append, period_of
from server.features.commission.store import CommissionStore

__all__ = ["credit_commission", "credit_orders", "summary_change"]


def summary_change(rep_id: str) -> Change:
    """The rep's commission summary changed: their phone pulls it again."""
    return Change("commission_summary", rep_id, owner_id=rep_id)


async def credit_commission(
    uow: WriteUnit, order_id: str, *, reason: str, today: date | None = None
) -> int:
    """Append what the order's entries lack (or have too much of), in today's period or,
    where an approved statement locked it, the next open one. Returns how many entries.

    The plan is the one in force on the day the order was placed. Without one there is
    nothing to do after two indexed reads: plans are never deleted, so an order without a
    plan on its day has never had entries either.
    """
    store = uow.scoped(CommissionStore)
    placed_on = await store.placed_on(order_id)
    if placed_on is None:
        return 0
    plan = await store.plan_on(placed_on)
    if plan is None:
        return 0
    desired = desired_entries(plan, await store.order_facts(order_id))
    existing = await store.entries_of_order(order_id)
    period = period_of(today or date.today())
    appended = 0
    for rep_id in sorted({e.rep_id for e in desired} | {e.rep_id for e in existing}):
        locked = await store.locked_periods(rep_id)
        new = entries_to_append(
            [d for d in desired if d.rep_id == rep_id],
            [e for e in existing if e.rep_id == rep_id],
            period=period,
            locked=locked,
            reason=reason,
        )
        await store.append(new, order_id=order_id, basis=plan.basis.value, plan=plan)
        if new:
            uow.feed.touch(summary_change(rep_id))
        appended += len(new)
    return appended


async def credit_orders(uow: WriteUnit, order_ids: list[str], *, reason: str) -> None:
    """Each order in turn (the caller holds their locks); one read when no plan exists."""
    if not await uow.scoped(CommissionStore).any_plan():
        return
    for order_id in order_ids:
        await credit_commission(uow, order_id, reason=reason)
