"""Row scope: which customers (and, later, their documents) a user may see.

A rep sees the customers of the territories they are assigned to on the date of the
request, plus the prospects they created; a manager sees the subtrees they manage; an
admin sees everything. Out-of-scope objects are answered exactly like missing ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, or_, true
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer
from server.domain.actor import CurrentUser
from server.features.shared.reference_data import ReferenceData, reference_data

__all__ = ["Scope", "bound_customer_filter", "customer_filter", "load_scope"]


@dataclass(frozen=True)
class Scope:
    user_id: str
    role: str
    sees_all: bool
    territory_ids: frozenset[str]

    def can_see_territory(self, territory_id: str | None) -> bool:
        return self.sees_all or (territory_id is not None and territory_id in self.territory_ids)

    @property
    def shape(self) -> tuple[str, int]:
        """What a statement built once for many scopes depends on (`bound_customer_filter`):
        the kind of filter and the number of territories."""
        if self.sees_all:
            return "all", 0
        return ("rep" if self.role == "rep" else "territories"), len(self.territory_ids)

    def bound_values(self) -> dict[str, Any]:
        """The values of `bound_customer_filter`'s parameters for this scope."""
        values: dict[str, Any] = {"scope_user": self.user_id}
        values.update(
            (f"scope_t{i}", territory_id)
            for i, territory_id in enumerate(sorted(self.territory_ids))
        )
        return values

    def can_see_customer(
        self, territory_id: str | None, status: str, created_by: str | None
    ) -> bool:
        """What `customer_filter` says of one customer, for a row already in hand."""
        if self.can_see_territory(territory_id):
            return True
        return self.role == "rep" and status == "prospect" and created_by == self.user_id


async def load_scope(
    session: AsyncSession,
    user: CurrentUser,
    on: date | None = None,
    *,
    reference: ReferenceData | None = None,
) -> Scope:
    """`reference`: the reference data this transaction already read, if any."""
    # An integration sees the whole organisation; its token's scopes limit what kind of
    # record it may read or write, not which territory.
    if user.role == "admin" or user.is_integration:
        return Scope(user.id, user.role, True, frozenset())
    reference = reference or await reference_data(session)
    ids = reference.visible_territory_ids(user.id, user.role, on or date.today())
    return Scope(user.id, user.role, False, ids)


def customer_filter(scope: Scope) -> ColumnElement[bool]:
    kind, _ = scope.shape
    return _customer_filter(kind, list(scope.territory_ids), scope.user_id)


def bound_customer_filter(shape: tuple[str, int]) -> ColumnElement[bool]:
    """`customer_filter` for every scope of one `Scope.shape`, with the scope's territories
    and user as parameters (`Scope.bound_values`): a statement built once with it serves
    every user of that shape."""
    kind, territories = shape
    territory_ids: list[Any] = [bindparam(f"scope_t{i}") for i in range(territories)]
    return _customer_filter(kind, territory_ids, bindparam("scope_user"))


def _customer_filter(kind: str, territory_ids: list[Any], user_id: Any) -> ColumnElement[bool]:
    if kind == "all":
        return true()
    in_territory = Customer.territory_id.in_(territory_ids) if territory_ids else false()
    if kind == "rep":
        own_prospect = and_(Customer.status == "prospect", Customer.created_by == user_id)
        return or_(in_territory, own_prospect)
    return in_territory
