"""What a customer change touches in the phones' change feed: pure functions."""

from __future__ import annotations

from collections.abc import Iterable

from server.db.unit_of_work import Change

__all__ = ["customer_changes", "customer_moved_changes"]


def customer_changes(
    customer_id: str,
    *,
    territory_id: str | None,
    owner_id: str | None,
    previous_territory_id: str | None = None,
) -> list[Change]:
    """The customer's own row, for its territory and its owner; after a move the old
    territory's phones hear of it too, and drop it."""
    changes = [Change("customer", customer_id, territory_id, owner_id)]
    if previous_territory_id is not None and previous_territory_id != territory_id:
        changes.append(Change("customer", customer_id, territory_id=previous_territory_id))
    return changes


def customer_moved_changes(
    followers: Iterable[tuple[str, str]],
    *,
    territory_id: str,
    previous_territory_id: str,
) -> list[Change]:
    """What a phone sees through the customer follows it: its own price lists (the new
    territory's phones need them to price its orders) and its quotes and orders, as
    (entity_type, entity_id). Phones of the old territory re-read them and drop what they
    no longer see."""
    return [
        Change(entity_type, entity_id, territory_id=territory)
        for entity_type, entity_id in followers
        for territory in (territory_id, previous_territory_id)
    ]
