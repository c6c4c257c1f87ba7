"""Who may read and who may change which territories.

Reading follows the shared row scope (reps: their territories; managers: what they work in
plus the subtrees they manage). Changing needs more: a manager may change only the subtrees
they manage on the day of the request, not a territory they merely work in as a member.
A territory out of reach answers exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from server.domain.actor import CurrentUser
from server.domain.errors import NotFound
from server.domain.territories import active_on, subtree_ids, visible_territory_ids
from server.features.shared.territory_data import TerritoryData

__all__ = ["Access", "access_for", "missing_territory", "today"]


def today() -> date:
    # The server's calendar is UTC, like every timestamp it stores.
    return datetime.now(UTC).date()


def missing_territory(territory_id: str) -> NotFound:
    """The same answer the domain gives for a territory that does not exist."""
    return NotFound(f"territory {territory_id} does not exist", details={"id": territory_id})


@dataclass(frozen=True)
class Access:
    user: CurrentUser
    visible: frozenset[str]
    manageable: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return self.user.role == "admin"

    def can_read(self, territory_id: str | None) -> bool:
        return territory_id is not None and (self.is_admin or territory_id in self.visible)

    def can_manage(self, territory_id: str | None) -> bool:
        return territory_id is not None and (self.is_admin or territory_id in self.manageable)

    def require_visible(self, data: TerritoryData, territory_id: str) -> None:
        if territory_id not in data.names or not self.can_read(territory_id):
            raise missing_territory(territory_id)

    def require_manageable(self, data: TerritoryData, territory_id: str) -> None:
        if territory_id not in data.names or not self.can_manage(territory_id):
            raise missing_territory(territory_id)


def access_for(user: CurrentUser, data: TerritoryData, on: date | None = None) -> Access:
    day = on or today()
    if user.role == "admin":
        return Access(user, frozenset(), frozenset())
    if user.role not in ("rep", "manager"):
        return Access(user, frozenset(), frozenset())
    visible = visible_territory_ids(data.nodes, data.assignments, user.id, user.role, day)
    manageable: set[str] = set()
    if user.role == "manager":
        for row in data.assignments:
            if (
                row.user_id == user.id
                and row.role == "manager"
                and active_on(row, day)
                and row.territory_id in data.names
            ):
                manageable |= subtree_ids(data.nodes, row.territory_id)
    return Access(user, frozenset(visible), frozenset(manageable))
