"""Whose commission a caller manages: a manager's team is the reps assigned today to a
territory of their subtree; an admin manages everyone who sells."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from server.db.models import TerritoryAssignment, User
from server.db.unit_of_work import ReadUnit
from server.domain.actor import CurrentUser
from server.features.shared.scope import load_scope

__all__ = ["SELLING_ROLES", "team_members"]

# Who earns commission: the people who sell.
SELLING_ROLES = ("rep", "manager")


async def team_members(unit: ReadUnit, user: CurrentUser) -> list[User]:
    """The people whose statements the caller approves, by name (never the caller)."""
    query = select(User).where(User.role.in_(SELLING_ROLES), User.id != user.id)
    if not user.is_admin:
        if user.role != "manager":
            return []
        scope = await load_scope(unit.session, user)
        today = date.today()
        assigned = select(TerritoryAssignment.user_id).where(
            TerritoryAssignment.territory_id.in_(sorted(scope.territory_ids)),
            TerritoryAssignment.valid_from <= today,
            (TerritoryAssignment.valid_to.is_(None)) | (TerritoryAssignment.valid_to > today),
        )
        query = query.where(User.id.in_(assigned))
    return list(await unit.session.scalars(query.order_by(User.full_name, User.id)))
