"""The user's favourite customers in the pull: one entity per user, its id the user's.

"favourite_customers" -- the customers the pulling user starred (``customer.favourite``),
the latest first::

    {"customer_ids": [customer id, ...]}

It is touched (for its owner only) whenever the user stars or unstars a customer. A
favourite the user can no longer see stays listed; the phone shows only the customers it
holds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.features.customers.favourites import FAVOURITES_ENTITY, favourite_customer_ids
from sync.feed import FeedSource, Visibility

__all__ = ["FAVOURITE_SOURCES"]


async def _own_id(
    session: AsyncSession, visibility: Visibility, after: str, limit: int
) -> list[str]:
    return [visibility.user_id] if visibility.user_id > after and limit > 0 else []


async def _favourites(
    session: AsyncSession, visibility: Visibility, ids: list[str]
) -> dict[str, dict[str, Any]]:
    if visibility.user_id not in ids:
        return {}
    ids_now = await favourite_customer_ids(session, visibility.user_id)
    return {visibility.user_id: {"customer_ids": ids_now}}


FAVOURITE_SOURCES = [FeedSource(FAVOURITES_ENTITY, _own_id, _favourites)]
