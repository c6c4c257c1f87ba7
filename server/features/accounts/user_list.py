"""The users an admin looks through: filtered by name or e-mail, role and status, a page at
a time, by e-mail.

An organisation with hundreds of reps (and integration users beside them) should not load
and render every user to find one, so the API and the admin page both read one page and
the count of the filtered list, as every other list does."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select

from server.db.models import User
from server.db.unit_of_work import ReadUnit
from server.domain.errors import ValidationFailed
from server.domain.search import LIKE_ESCAPE, checked_search_text, like_contains
from server.domain.users import ROLES

__all__ = ["USER_STATUSES", "UserFilter", "read_users"]

USER_STATUSES = ("active", "deactivated")


@dataclass(frozen=True)
class UserFilter:
    """`q`: part of the name or the e-mail (any case); `role` and `status` exact; empty
    strings do not filter."""

    q: str = ""
    role: str = ""
    status: str = ""

    def __post_init__(self) -> None:
        checked_search_text(self.q)
        if self.role and self.role not in ROLES:
            raise ValidationFailed(
                f"Unknown role '{self.role}'. A user is one of: {', '.join(ROLES)}.",
                code="invalid_role",
                details={"field": "role", "allowed": list(ROLES)},
            )
        if self.status and self.status not in USER_STATUSES:
            raise ValidationFailed(
                "A user's status is 'active' or 'deactivated'.",
                code="invalid_status",
                details={"field": "status", "allowed": list(USER_STATUSES)},
            )

    def conditions(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        text = self.q.strip().lower()
        if text:
            pattern = like_contains(text)
            where.append(
                or_(
                    func.lower(User.full_name).like(pattern, escape=LIKE_ESCAPE),
                    func.lower(User.email).like(pattern, escape=LIKE_ESCAPE),
                )
            )
        if self.role:
            where.append(User.role == self.role)
        if self.status:
            where.append(User.active.is_(self.status == "active"))
        return where


async def read_users(
    unit: ReadUnit, wanted: UserFilter, *, limit: int, offset: int
) -> tuple[int, list[User]]:
    """(how many users match, the page of them by e-mail)."""
    where = wanted.conditions()
    session = unit.session
    total = int(await session.scalar(select(func.count()).select_from(User).where(*where)) or 0)
    users = (
        await session.scalars(
            select(User).where(*where).order_by(User.email, User.id).limit(limit).offset(offset)
        )
    ).all()
    return total, list(users)
