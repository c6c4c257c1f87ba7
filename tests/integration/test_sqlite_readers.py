"""SQLite readers run short statements on the event loop and long ones on their thread.

A read that outgrows its time slice is interrupted and run again on the worker thread in
the same read transaction: the caller gets every row of the same snapshot, and the event
loop is not held while it runs.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import time
from pathlib import Path

from sqlalchemy import text

from server.db import engine as engine_module
from server.db.engine import Database

# A recursive count: far longer than a reader's slice for SQLite, one row for Python.
_LONG_READ = text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :upto) "
    "SELECT count(*) AS total, sum(i) AS added FROM n"
)


async def _database(tmp_path: Path, sqlite_template: Path) -> Database:
    path = tmp_path / "fieldsales.db"
    shutil.copy(sqlite_template, path)
    return Database(f"sqlite+aiosqlite:///{path}")


async def test_a_long_read_gives_all_its_rows_and_leaves_the_event_loop_free(
    tmp_path: Path, sqlite_template
):
    db = await _database(tmp_path, sqlite_template)
    engine_module._LONG_READS.clear()
    ticks: list[float] = []
    running = True

    async def ticker() -> None:
        while running:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.001)

    try:
        task = asyncio.create_task(ticker())
        async with db.read() as unit:
            rows = (await unit.session.execute(_LONG_READ, {"upto": 2_000_000})).all()
            again = (await unit.session.execute(_LONG_READ, {"upto": 2_000_000})).all()
        running = False
        await task
    finally:
        await db.dispose()
    assert [tuple(r) for r in rows] == [tuple(r) for r in again] == [(2_000_000, 2_000_001_000_000)]
    # Cut short on the event loop once, then sent to the thread at once.
    assert str(_LONG_READ.compile()).replace(":upto", "?") in engine_module._LONG_READS
    # The event loop kept turning while SQLite counted to two million.
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) > 10
    assert max(gaps) < 0.1


async def test_a_read_cut_short_while_fetching_sees_the_same_snapshot(
    tmp_path: Path, sqlite_template
):
    db = await _database(tmp_path, sqlite_template)
    try:
        async with db.write() as uow:
            await uow.session.execute(text("CREATE TABLE numbers (n INTEGER)"))
            await uow.session.execute(
                text(
                    "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 300000) "
                    "INSERT INTO numbers SELECT i FROM s"
                )
            )
        engine_module._LONG_READS.clear()
        async with db.read() as unit:
            first = (await unit.session.execute(text("SELECT count(*) FROM numbers"))).scalar()
            async with db.write() as uow:  # committed while the read is open
                await uow.session.execute(text("DELETE FROM numbers WHERE n > 1000"))
            # Rows come from `fetchall` here: the statement's first row is at hand at once.
            rows = (await unit.session.execute(text("SELECT n FROM numbers"))).all()
        async with db.read() as unit:
            after = (await unit.session.execute(text("SELECT count(*) FROM numbers"))).scalar()
    finally:
        await db.dispose()
    assert first == len(rows) == 300_000
    assert "SELECT n FROM numbers" in engine_module._LONG_READS
    assert after == 1000
