"""A user's favourite customers: starred on the phone, kept on the server, pulled back.

A star is the user's own bookmark, not a change to the customer: nobody else sees it, so it
touches only its owner's phones and writes no audit event.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import CustomerFavourite
from server.db.types import utcnow
from server.db.unit_of_work import Change, WriteUnit
from server.domain.actor import CurrentUser
from server.features.customers.queries import get_visible
from server.features.shared.scope import Scope

__all__ = ["FAVOURITES_ENTITY", "favourite_customer_ids", "set_favourite"]

# One entity per user in the pull, its id the user's: {"customer_ids": [...]}.
FAVOURITES_ENTITY = "favourite_customers"


async def set_favourite(
    uow: WriteUnit, user: CurrentUser, scope: Scope, customer_id: str, *, favourite: bool
) -> bool:
    """Stars (or unstars) a customer the user may see; the same request twice changes
    nothing the second time. Returns whether the customer is now a favourite."""
    session = uow.session
    await get_visible(session, scope, customer_id)
    key = {"user_id": user.id, "customer_id": customer_id}
    existing = await session.get(CustomerFavourite, (user.id, customer_id))
    if favourite and existing is None:
        session.add(CustomerFavourite(**key, created_at=utcnow()))
    elif not favourite and existing is not None:
        await session.execute(
            delete(CustomerFavourite).where(
                CustomerFavourite.user_id == user.id,
                CustomerFavourite.customer_id == customer_id,
            )
        )
        session.expunge(existing)
    else:
        return favourite
    await session.flush()
    uow.feed.touch(Change(FAVOURITES_ENTITY, user.id, owner_id=user.id))
    return favourite


async def favourite_customer_ids(session: AsyncSession, user_id: str) -> list[str]:
    """The user's favourites, the latest starred first."""
    rows = await session.execute(
        select(CustomerFavourite.customer_id)
        .where(CustomerFavourite.user_id == user_id)
        .order_by(CustomerFavourite.created_at.desc(), CustomerFavourite.customer_id)
    )
    return [r[0] for r in rows]
