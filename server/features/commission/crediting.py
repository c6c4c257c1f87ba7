"""Crediting commission: one order's ledger brought in line with its documents.

`credit_commission` runs where money moves (an order confirmed, amended, cancelled,
invoiced, paid or credited), in that action's unit of work and under its order lock, so
two recomputes of one order take turns and the second finds nothing left to append.
`credit_placed_order` is the same for an order placed in this transaction, from the rows
placement has in hand: nothing to read back, nothing in the ledger yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from server.db.unit_of_work import Change, WriteUnit
from server.domain.commission import (
    Basis,
    DesiredEntry,
    ExistingEntry,
    OrderFacts,
    OrderLineFacts,
    PaysOn,
    Plan,
    desired_entries,
    entries_to_append,
    period_of,
)
from server.domain.orders import OrderStatus
from server.features.commission.store import CommissionStore
from server.features.sales.order_store import OrderLineRow, OrderRow

__all__ = [
    "credit_commission",
    "credit_orders",
    "credit_placed_order",
    "credited_at_placement",
    "summary_change",
]


def summary_change(rep_id: str) -> Change:
    """The rep's commission summary changed: their phone pulls it again."""
    return Change("commission_summary", rep_id, owner_id=rep_id)


async def _append_difference(
    uow: WriteUnit,
    store: CommissionStore,
    plan: Plan,
    order_id: str,
    desired: Sequence[DesiredEntry],
    existing: Sequence[ExistingEntry],
    *,
    reason: str,
    today: date | None,
) -> int:
    reps = {e.rep_id for e in desired} | {e.rep_id for e in existing}
    if not reps:
        return 0
    locked = await store.locked_periods_of(sorted(reps))
    period = period_of(today or date.today())
    new = []
    for rep_id in sorted(reps):
        mine = entries_to_append(
            [d for d in desired if d.rep_id == rep_id],
            [e for e in existing if e.rep_id == rep_id],
            period=period,
            locked=locked[rep_id],
            reason=reason,
        )
        if mine:
            uow.feed.touch(summary_change(rep_id))
        new.extend(mine)
    await store.append(new, order_id=order_id, basis=plan.basis.value, plan=plan)
    return len(new)


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
    return await _append_difference(
        uow, store, plan, order_id, desired, existing, reason=reason, today=today
    )


def _pays_on_margin(plan: Plan) -> bool:
    """Whether any line could be paid on margin (only then are costs read at placement)."""
    bases = {plan.pays_on, *plan.category_pays_on.values(), *plan.product_pays_on.values()}
    return PaysOn.MARGIN in bases


async def credit_placed_order(
    uow: WriteUnit,
    order: OrderRow,
    lines: Sequence[OrderLineRow],
    categories: Mapping[str, str],
    *,
    reason: str,
) -> int:
    """A confirmed order placed in this unit: its booked entries, if its plan pays on
    booking (`categories`: each line's product's category)."""
    store = uow.scoped(CommissionStore)
    plan = await store.plan_on(order.placed_at.date())
    if plan is None:
        return 0
    costs: dict[str, int | None] = {}
    if _pays_on_margin(plan):
        costs = await store.costs_of([line.product_id for line in lines])
    facts = OrderFacts(
        id=order.id,
        status=order.status,
        rep_id=order.rep_id,
        created_by=order.created_by,
        manager_ids=tuple(order.manager_ids or ()),
        order_type=order.order_type,
        placed_on=order.placed_at.date(),
        lines=tuple(
            OrderLineFacts(
                id=line.id,
                product_id=line.product_id,
                category_id=categories.get(line.product_id, ""),
                net_cents=line.net_cents,
                quantity=line.quantity,
                discount_percent=Decimal(str(line.discount_percent or 0)),
                unit_cost_cents=costs.get(line.product_id),
            )
            for line in lines
        ),
    )
    desired = desired_entries(plan, facts)
    return await _append_difference(
        uow, store, plan, order.id, desired, [], reason=reason, today=None
    )


async def credited_at_placement(
    uow: WriteUnit, order: OrderRow, rep_id: str
) -> dict[str, Any] | None:
    """What placing the order credited `rep_id` (their own entries on it), for the phone's
    verdict: `{"basis", "credited_cents"}`, where only a plan paying on booking credits
    anything at placement. None without a plan on the order's day, or for an order not
    confirmed yet (it earns once confirmed). Placement read the plan in this unit, so
    without one this reads nothing more."""
    if order.status != OrderStatus.CONFIRMED:
        return None
    store = uow.scoped(CommissionStore)
    plan = await store.plan_on(order.placed_at.date())
    if plan is None:
        return None
    credited = 0
    if plan.basis is Basis.BOOKED:
        credited = sum(
            e.amount_cents for e in await store.entries_of_order(order.id) if e.rep_id == rep_id
        )
    return {"basis": plan.basis.value, "credited_cents": credited}


async def credit_orders(uow: WriteUnit, order_ids: list[str], *, reason: str) -> None:
    """Each order in turn (the caller holds their locks); one read when no plan exists."""
    if not await uow.scoped(CommissionStore).any_plan():
        return
    for order_id in order_ids:
        await credit_commission(uow, order_id, reason=reason)
