"""Row scope: which customers (and, later, their documents) a user may see.

A rep sees the customers of the territories they are assigned to on the date of the
request, plus the prospects they created; a manager sees the subtrees they manage; an
admin sees everything. Out-of-scope objects are answered exactly like missing ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer
from server.domain.actor import CurrentUser
from server.features.shared.reference_data import ReferenceData, reference_data

__all__ = ["Scope", "customer_filter", "load_scope"]


@dataclass(frozen=True)
class Scope:
    user_id: str
    role: str
    sees_all: bool
    territory_ids: frozenset[str]

    def can_see_territory(self, territory_id: str | None) -> bool:
        return self.sees_all or (territory_id is not None and territory_id in self.territory_ids)

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
    if scope.sees_all:
        return true()
    in_territory = (
        Customer.territory_id.in_(scope.territory_ids) if scope.territory_ids else false()
    )
    if scope.role == "rep":
        own_prospect = and_(Customer.status == "prospect", Customer.created_by == scope.user_id)
        return or_(in_territory, own_prospect)
    return in_territory
