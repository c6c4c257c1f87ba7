"""Loads territories, rules and assignments as the domain's plain structs."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Territory, TerritoryAssignment, TerritoryRule
from server.domain.territories import Assignment, RuleBook, TerritoryNode, managers_on, owner_on
from server.domain.territories import TerritoryRule as RuleStruct

__all__ = ["TerritoryData", "load_territory_data", "read_territory_data"]


class TerritoryData:
    def __init__(
        self,
        nodes: list[TerritoryNode],
        rules: list[RuleStruct],
        assignments: list[Assignment],
        default_territory_id: str | None,
        names: dict[str, str],
    ) -> None:
        self.nodes = nodes
        self.rules = rules
        self.assignments = assignments
        self.default_territory_id = default_territory_id
        self.names = names
        # Answers by (territory, day): every order asks them, and the data never changes
        # while this copy is in use (a write to it makes a new copy, see reference_data).
        self._rule_book: RuleBook | None = None
        self._owners: dict[tuple[str, date], str | None] = {}
        self._managers: dict[tuple[str, date], tuple[str, ...]] = {}

    @property
    def rule_book(self) -> RuleBook:
        if self._rule_book is None:
            self._rule_book = RuleBook(self.rules)
        return self._rule_book

    def owner_on(self, territory_id: str, on: date) -> str | None:
        key = (territory_id, on)
        if key not in self._owners:
            self._owners[key] = owner_on(self.assignments, territory_id, on)
        return self._owners[key]

    def managers_on(self, territory_id: str, on: date) -> list[str]:
        key = (territory_id, on)
        chain = self._managers.get(key)
        if chain is None:
            chain = self._managers[key] = tuple(
                managers_on(self.nodes, self.assignments, territory_id, on)
            )
        return list(chain)


async def load_territory_data(session: AsyncSession) -> TerritoryData:
    """The territory data as this transaction sees it, from the process's copy when it is
    current (see server/features/shared/reference_data.py)."""
    from server.features.shared.reference_data import reference_data

    return (await reference_data(session)).territory


async def read_territory_data(session: AsyncSession) -> TerritoryData:
    # Plain rows, not ORM objects: this runs on every request that checks scope, and
    # building hundreds of tracked objects each time costs more than the queries.
    territories = (
        await session.execute(
            select(
                Territory.id,
                Territory.parent_id,
                Territory.name,
                Territory.kind,
                Territory.is_default,
            ).order_by(Territory.code)
        )
    ).all()
    rules = (
        await session.execute(
            select(
                TerritoryRule.id,
                TerritoryRule.territory_id,
                TerritoryRule.country,
                TerritoryRule.state,
                TerritoryRule.postal_exact,
                TerritoryRule.postal_prefix,
                TerritoryRule.postal_from,
                TerritoryRule.postal_to,
            ).where(TerritoryRule.active.is_(True))
        )
    ).all()
    assignments = (
        await session.execute(
            select(
                TerritoryAssignment.id,
                TerritoryAssignment.territory_id,
                TerritoryAssignment.user_id,
                TerritoryAssignment.role,
                TerritoryAssignment.valid_from,
                TerritoryAssignment.valid_to,
            )
        )
    ).all()
    default = next((t.id for t in territories if t.is_default), None)
    return TerritoryData(
        nodes=[
            TerritoryNode(id=t.id, parent_id=t.parent_id, name=t.name, kind=t.kind)
            for t in territories
        ],
        rules=[
            RuleStruct(
                id=r.id,
                territory_id=r.territory_id,
                country=r.country,
                state=r.state,
                postal_exact=r.postal_exact,
                postal_prefix=r.postal_prefix,
                postal_from=r.postal_from,
                postal_to=r.postal_to,
            )
            for r in rules
        ],
        assignments=[
            Assignment(
                id=a.id,
                territory_id=a.territory_id,
                user_id=a.user_id,
                role=a.role,
                valid_from=a.valid_from,
                valid_to=a.valid_to,
            )
            for a in assignments
        ],
        default_territory_id=default,
        names={t.id: t.name for t in territories},
    )
