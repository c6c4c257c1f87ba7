"""The database layer: SQLite settings, one writer at a time, numbers never repeated."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from server.features.shared.numbers import next_number


async def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(backend, db):
    if backend.name != "sqlite":
        return
    async with db.write() as uow:
        mode = (await uow.session.execute(text("PRAGMA journal_mode"))).scalar()
        fks = (await uow.session.execute(text("PRAGMA foreign_keys"))).scalar()
        busy = (await uow.session.execute(text("PRAGMA busy_timeout"))).scalar()
    assert (mode, fks) == ("wal", 1) and busy >= 5000


async def test_concurrent_write_transactions_never_collide(db):
    # Forty writers at once: with one writer at a time on SQLite and row locks on
    # PostgreSQL, every one of them commits and no number is handed out twice.
    async def take() -> str:
        async with db.write() as uow:
            return await next_number(uow, "T")

    numbers = await asyncio.gather(*(take() for _ in range(40)))
    assert sorted(numbers) == [f"T-{i:06d}" for i in range(1, 41)]


async def test_a_failed_write_transaction_leaves_nothing_behind(db):
    try:
        async with db.write() as uow:
            await next_number(uow, "R")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    async with db.write() as uow:
        assert await next_number(uow, "R") == "R-000001"
