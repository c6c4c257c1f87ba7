"""The change feed: every write transaction that changes pullable data records it here."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import ChangeCounter, ChangeRecord
from server.db.types import new_id, utcnow

__all__ = ["record_change"]

_SEQ_KEY = "fieldsales.change_seq"


async def _transaction_seq(session: AsyncSession) -> int:
    """The counter value of this transaction, taken once, with the counter row locked
    until commit (see ChangeCounter for why that keeps the feed gap-free)."""
    cached = session.info.get(_SEQ_KEY)
    if cached is not None:
        return int(cached)
    value = await session.scalar(
        update(ChangeCounter).where(ChangeCounter.id == 1)
        .values(value=ChangeCounter.value + 1).returning(ChangeCounter.value)
    )
    session.info[_SEQ_KEY] = int(value or 0)
    return int(value or 0)


async def record_change(
    session: AsyncSession, *, entity_type: str, entity_id: str,
    territory_id: str | None = None, owner_id: str | None = None,
) -> None:
    seq = await _transaction_seq(session)
    session.add(ChangeRecord(
        id=new_id(), seq=seq, entity_type=entity_type, entity_id=entity_id,
        territory_id=territory_id, owner_id=owner_id, at=utcnow(),
    ))
