"""The credit split on the desktop order page: a manager (or an admin) sees how the order
is credited and sets the shares, a percent per rep that together make 100."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from server.db.engine import Database
from server.db.unit_of_work import ReadUnit
from server.domain.actor import CurrentUser
from server.domain.errors import PermissionDenied, ValidationFailed
from server.features.commission import splits
from server.features.commission.schemas import SplitIn, SplitsIn
from server.features.commission.team import team_members

__all__ = ["FIELD_PREFIX", "save_split_form", "split_panel"]

FIELD_PREFIX = "split-"
_PERCENT = re.compile(r"^\d{1,3}(\.\d{1,4})?$")


def _may_split(user: CurrentUser) -> bool:
    return user.is_admin or user.role == "manager"


async def split_panel(unit: ReadUnit, user: CurrentUser, order_id: str) -> dict[str, Any] | None:
    """What the order page's split form shows: one row per rep who could share the credit
    (the caller's team, and whoever shares it now), with their current percent."""
    if not _may_split(user):
        return None
    current = await splits.order_splits(unit, user, order_id)
    shares = {s.rep_id: s.percent for s in current.splits}
    people = {m.id: m.full_name for m in await team_members(unit, user)}
    people.update({s.rep_id: s.rep_name for s in current.splits})
    rows = [
        {"rep_id": rep_id, "name": name, "percent": shares.get(rep_id, "")}
        for rep_id, name in sorted(people.items(), key=lambda item: (item[1], item[0]))
    ]
    return {"current": current, "rows": rows}


async def save_split_form(
    db: Database, user: CurrentUser, order_id: str, form: Mapping[str, str]
) -> None:
    """Empty or zero fields are no share; every share empty: credited whole again."""
    if not _may_split(user):
        raise PermissionDenied("Managers and admins set credit splits.", code="forbidden")
    shares = []
    for key, value in form.items():
        if not key.startswith(FIELD_PREFIX) or value.strip() in ("", "0"):
            continue
        percent = value.strip()
        if not _PERCENT.match(percent):
            raise ValidationFailed(
                f"A share is a percent such as 40 or 33.3333, got {percent!r}.",
                code="split_invalid",
            )
        shares.append(SplitIn(rep_id=key.removeprefix(FIELD_PREFIX)[:36], percent=percent))
    async with db.write() as uow:
        await splits.set_splits(uow, user, order_id, SplitsIn(splits=shares))
