"""Input checks shared by the direct API and realignments, so both refuse the same things."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Territory as TerritoryRow
from server.db.models import TerritoryAssignment as TerritoryAssignmentRow
from server.db.models import User
from server.db.types import new_id
from server.domain.errors import Conflict, ValidationFailed
from server.domain.territories import (
    Assignment,
    TerritoryRule,
    normalize_country,
    normalize_postal,
    normalize_state,
)
from server.features.territories.schemas import RuleIn

__all__ = [
    "build_rule",
    "check_assignees",
    "check_rule_unique",
    "check_user_change_keeps_assignments",
    "criteria_key",
]

# Which user roles may hold which assignment role. An admin holds none: admins see
# everything already, and an admin "owning" customers would hide them from every rep.
_ALLOWED_USER_ROLES = {
    "owner": ("rep", "manager"),
    "member": ("rep", "manager"),
    "manager": ("manager",),
}


def _postal(value: str | None, field: str) -> str | None:
    # Blank means "not set": a rule must never match only addresses without a postal code.
    # A code that is not blank but has nothing to compare ("-", "- -") is refused: taken
    # as "not set" it would quietly widen the rule to the whole country.
    normalized = normalize_postal(value) or None
    if normalized is None and value is not None and value.strip():
        raise ValidationFailed(
            f"{field} {value.strip()!r} has nothing to match once spaces and dashes are dropped.",
            code="invalid_rule",
            details={"field": field},
        )
    return normalized


def _state(value: str | None) -> str | None:
    return normalize_state(value) or None


def build_rule(data: RuleIn, rule_id: str | None = None) -> TerritoryRule:
    """A rule in comparison form, refusing criteria that would be ambiguous to a reader."""
    rule = TerritoryRule(
        id=rule_id or new_id(),
        territory_id=data.territory_id,
        country=normalize_country(data.country),
        state=_state(data.state),
        postal_exact=_postal(data.postal_exact, "postal_exact"),
        postal_prefix=_postal(data.postal_prefix, "postal_prefix"),
        postal_from=_postal(data.postal_from, "postal_from"),
        postal_to=_postal(data.postal_to, "postal_to"),
    )
    kinds = [
        bool(rule.postal_exact),
        bool(rule.postal_prefix),
        bool(rule.postal_from or rule.postal_to),
    ]
    if sum(kinds) > 1:
        # The matcher would use only the most specific criterion and ignore the others,
        # which is never what someone who typed all of them meant.
        raise ValidationFailed(
            "A rule uses one postal criterion: exact, prefix or range, not several.",
            code="ambiguous_rule",
        )
    low, high = rule.postal_from, rule.postal_to
    if low and high and len(low) == len(high) and low > high:
        raise ValidationFailed(
            f"The postal range starts ({low}) after it ends ({high}).",
            code="invalid_postal_range",
        )
    return rule


def criteria_key(rule: TerritoryRule) -> tuple[str | None, ...]:
    return (
        rule.country,
        rule.state,
        rule.postal_exact,
        rule.postal_prefix,
        rule.postal_from,
        rule.postal_to,
    )


def check_rule_unique(active: Iterable[TerritoryRule], new: TerritoryRule) -> None:
    """Two active rules with the same criteria would be settled by id, i.e. by chance."""
    key = criteria_key(new)
    for rule in active:
        if rule.id != new.id and criteria_key(rule) == key:
            raise Conflict(
                "An active rule with exactly these criteria already exists.",
                code="duplicate_rule",
                details={"rule_id": rule.id, "territory_id": rule.territory_id},
            )


async def check_assignees(session: AsyncSession, assignments: Iterable[Assignment]) -> None:
    """Every assigned user exists, is active and has a role that fits the assignment."""
    rows = list(assignments)
    if not rows:
        return
    users = {
        u.id: u
        for u in (
            await session.execute(select(User).where(User.id.in_({a.user_id for a in rows})))
        ).scalars()
    }
    for assignment in rows:
        user = users.get(assignment.user_id)
        if user is None or not user.active:
            raise ValidationFailed(
                f"user {assignment.user_id} does not exist or is inactive",
                code="unknown_user",
                details={"user_id": assignment.user_id},
            )
        if user.role not in _ALLOWED_USER_ROLES.get(assignment.role, ()):
            raise ValidationFailed(
                f"a user with role {user.role!r} cannot be assigned as {assignment.role}",
                code="role_mismatch",
                details={"user_id": user.id, "role": assignment.role},
            )


async def check_user_change_keeps_assignments(
    session: AsyncSession,
    user: User,
    *,
    role: str,
    active: bool,
    today: date,
) -> None:
    """Refuse to make a user inactive, or give them a role, that their current or coming
    territory assignments do not allow: the territory would keep an owner or manager who
    may not hold it (an admin owning customers hides them from every rep). The assignments
    are ended or handed over first, through the territories' own actions."""
    rows = (
        await session.execute(
            select(TerritoryAssignmentRow.role, TerritoryRow.name)
            .join(TerritoryRow, TerritoryRow.id == TerritoryAssignmentRow.territory_id)
            .where(
                TerritoryAssignmentRow.user_id == user.id,
                or_(
                    TerritoryAssignmentRow.valid_to.is_(None),
                    TerritoryAssignmentRow.valid_to >= today,
                ),
            )
            .order_by(TerritoryRow.name, TerritoryAssignmentRow.role)
        )
    ).all()
    unfit = [r for r in rows if not active or role not in _ALLOWED_USER_ROLES.get(r.role, ())]
    if unfit:
        held = ", ".join(f"{r.name} ({r.role})" for r in unfit)
        raise Conflict(
            f"{user.full_name} still holds territory assignments: {held}. End or reassign them first.",
            code="user_has_assignments",
            details={"assignments": [{"territory": r.name, "role": r.role} for r in unfit]},
        )
