"""Human document numbers (C-000123, Q-000123, SO-000123), assigned inside the
transaction that accepts the document, so a rolled-back document never burns a number
that another one then skips."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.db.models import DocumentSequence
from server.db.unit_of_work import WriteUnit

__all__ = ["hold_numbering", "lock_numbering", "next_number", "next_numbers"]

# The UPDATE takes the row lock on PostgreSQL; on SQLite the write transaction already
# holds the database lock. Either way two transactions never get the same value.
_INCREMENT = (
    update(DocumentSequence)
    .where(DocumentSequence.prefix == bindparam("of_prefix"))
    .values(last_value=DocumentSequence.last_value + 1)
    .returning(DocumentSequence.last_value)
)


_ADVANCE = (
    update(DocumentSequence)
    .where(DocumentSequence.prefix == bindparam("of_prefix"))
    .values(last_value=DocumentSequence.last_value + bindparam("count"))
    .returning(DocumentSequence.last_value)
)


async def next_number(uow: WriteUnit, prefix: str, *, width: int = 6) -> str:
    value = await _increment(uow, prefix)
    if value is None:
        await _create(uow, prefix)
        value = await _increment(uow, prefix)
    return f"{prefix}-{int(value or 0):0{width}d}"


async def next_numbers(uow: WriteUnit, prefix: str, count: int, *, width: int = 6) -> list[str]:
    """`count` consecutive numbers in one step (a run that numbers many documents)."""
    if count <= 0:
        return []
    last = await uow.sql.scalar(_ADVANCE, {"of_prefix": prefix, "count": count})
    if last is None:
        await _create(uow, prefix)
        last = await uow.sql.scalar(_ADVANCE, {"of_prefix": prefix, "count": count})
    first = int(last or 0) - count + 1
    return [f"{prefix}-{value:0{width}d}" for value in range(first, first + count)]


async def hold_numbering(uow: WriteUnit, prefix: str) -> None:
    """Hold the prefix's counter row to commit (created if it is the first use), before
    knowing how many numbers the work will take: the first lock of the lock order."""
    await _create(uow, prefix)
    await lock_numbering(uow, prefix)


async def _create(uow: WriteUnit, prefix: str) -> None:
    # The prefix's first document: create its row (a concurrent first use may do the same,
    # hence DO NOTHING), then count from it like everyone else.
    insert = pg_insert if uow.dialect_name == "postgresql" else sqlite_insert
    await uow.session.execute(
        insert(DocumentSequence).values(prefix=prefix, last_value=0).on_conflict_do_nothing()
    )


async def lock_numbering(uow: WriteUnit, prefix: str) -> None:
    """Hold the prefix's counter row to commit without taking a number (PostgreSQL): work
    that must take turns with the documents being numbered (a credit check) waits here."""
    await uow.session.execute(
        select(DocumentSequence.prefix).where(DocumentSequence.prefix == prefix).with_for_update()
    )


async def _increment(uow: WriteUnit, prefix: str) -> int | None:
    return await uow.sql.scalar(_INCREMENT, {"of_prefix": prefix})  # type: ignore[no-any-return]
