"""Carrying a negative balance forward: approving a month whose entries total less than
zero (clawbacks above its earnings, after its draws) pays nothing and moves the balance
into the next open month, where later earnings recover it
(`server/domain/commission_periods.py: carried_forward_cents` has the rule).

Two period entries, keyed by rep and month like the draw settlement: `carry:rep:month` in
the approved month brings it to zero, `carried:rep:month` in the next open month holds the
balance. Approval holds the rep's commission lock and a key's entries are numbered, so
approving concurrently or twice never carries a balance twice.
"""

from __future__ import annotations

from collections.abc import Set

from server.domain.commission import (
    Plan,
    next_period,
    open_period,
)
from server.domain.commission_periods import CARRY_FORWARD_KIND, carried_forward_cents
from server.features.commission.store import CommissionStore

__all__ = ["carry_negative_balance"]


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


async def carry_negative_balance(
    store: CommissionStore,
    rep_id: str,
    period: str,
    *,
    locked: Set[str],
    plan: Plan | None,
) -> None:
    """Write the month's carry-forward (at approval, after its draws settled). `locked`
    are the rep's approved months other than `period`."""
    carried = carried_forward_cents(await store.period_total(rep_id, period))
    closed = set(locked) | {period}
    target = open_period(next_period(period), closed)
    balance = _money(-carried)
    for key, month, amount, why, month_locked in (
        (
            f"carry:{rep_id}:{period}",
            period,
            carried,
            f"negative balance of {balance} carried forward to {target}",
            set(locked),
        ),
        (
            f"carried:{rep_id}:{period}",
            target,
            -carried,
            f"negative balance of {balance} carried forward from {period}",
            closed,
        ),
    ):
        await store.append_period_entry(
            key=key,
            rep_id=rep_id,
            kind=CARRY_FORWARD_KIND,
            amount_cents=amount,
            source_period=period,
            into_period=month,
            locked=month_locked,
            reason=why,
            plan=plan,
        )
