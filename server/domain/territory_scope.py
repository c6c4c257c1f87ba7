"""Whose customers a territory change may move: one rule for realignments and for direct
rule changes alike.

A manager reaches the subtrees they manage, plus the default territory (addresses that
match no rule are nobody's yet). A change that would move a customer from or to a
territory out of that reach takes another manager's customers, or hands their own to
someone else: refused. A move the change does not cause (a customer elsewhere whose
stored territory or owner is already out of date) is not the change's doing; it is left
for whoever manages that customer instead of blocking the manager's own work.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from server.domain.territories import CustomerMove

__all__ = ["split_by_reach"]


def split_by_reach(
    moves: Iterable[CustomerMove], due_anyway: Iterable[CustomerMove], reach: Collection[str] | None
) -> tuple[list[CustomerMove], list[CustomerMove]]:
    """(the moves to make, the moves out of reach that the change causes).

    `moves`: the customers' moves once the change is made; `due_anyway`: their moves under
    the rules and assignments as they are; `reach`: the territories the user may change
    customers of, None for all of them (an admin). A non-empty second list means the
    change is refused."""
    planned = list(moves)
    if reach is None:
        return planned, []
    outside = [
        m for m in planned if m.from_territory_id not in reach or m.to_territory_id not in reach
    ]
    if not outside:
        return planned, []
    already = {m.customer_id: (m.to_territory_id, m.to_owner_id) for m in due_anyway}
    caused = [
        m
        for m in outside
        if already.get(m.customer_id, (m.from_territory_id, m.from_owner_id))
        != (m.to_territory_id, m.to_owner_id)
    ]
    skipped = {m.customer_id for m in outside}
    return [m for m in planned if m.customer_id not in skipped], caused
