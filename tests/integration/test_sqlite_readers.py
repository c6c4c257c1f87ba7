"""SQLite readers run short statements on the event loop and long ones on their thread.

A read that outgrows its time slice is interrupted and run again on the worker thread in
the same read transaction: the caller gets every row of the same snapshot, and the event
loop is not held while it runs. A statement that keeps outgrowing its slice goes to the
thread at once from then on; one that was only slowed by something else (another thread
holding the GIL, a connection's first run of it) stays on the event loop.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import threading
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


async def _numbers(db: Database, upto: int) -> None:
    """A table `numbers` of 1 to `upto`."""
    async with db.write() as uow:
        await uow.session.execute(text("CREATE TABLE numbers (n INTEGER)"))
        await uow.session.execute(
            text(
                "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :upto) "
                "INSERT INTO numbers SELECT i FROM s"
            ),
            {"upto": upto},
        )


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

    runs = engine_module._STRIKES_TO_LONG + 2
    try:
        task = asyncio.create_task(ticker())
        async with db.read() as unit:
            results = [
                (await unit.session.execute(_LONG_READ, {"upto": 2_000_000})).all()
                for _ in range(runs)
            ]
        running = False
        await task
    finally:
        await db.dispose()
    assert all([tuple(r) for r in rows] == [(2_000_000, 2_000_001_000_000)] for rows in results)
    # Cut short on the event loop until it had struck out (the connection's first run is
    # not counted), then sent to the thread at once.
    sql = str(_LONG_READ.compile()).replace(":upto", "?")
    assert engine_module._LONG_READS[sql] == engine_module._STRIKES_TO_LONG
    # The event loop kept turning while SQLite counted to two million.
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) > 10
    assert max(gaps) < 0.1


async def test_a_read_cut_short_while_fetching_sees_the_same_snapshot(
    tmp_path: Path, sqlite_template
):
    db = await _database(tmp_path, sqlite_template)
    try:
        await _numbers(db, 300_000)
        engine_module._LONG_READS.clear()
        # A run before, so that the one below is not the connection's first and is
        # remembered as long when it is cut short.
        async with db.read() as unit:
            await unit.session.execute(text("SELECT n FROM numbers"))
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


async def test_a_short_read_slowed_by_a_thread_holding_the_gil_stays_on_the_event_loop(
    tmp_path: Path, sqlite_template
):
    """While SQLite works it lets go of the GIL; a busy Python thread takes it, and the
    statement's progress check waits for it back, milliseconds by the wall clock and, for
    each hand-over, tens of microseconds of the waiting thread's own CPU time. Neither is
    the statement's work: it must not be cut short for it, nor sent to the worker thread
    for good."""
    db = await _database(tmp_path, sqlite_template)
    statement = "SELECT count(*), sum(n) FROM numbers"
    stop = threading.Event()

    def busy() -> None:
        spins = 0
        while not stop.is_set():
            spins += 1

    try:
        await _numbers(db, 2_000)
        async with db.read() as unit:  # the connection's first run
            await unit.session.execute(text(statement))
        engine_module._LONG_READS.clear()
        spinner = threading.Thread(target=busy, daemon=True)
        spinner.start()
        started = time.perf_counter()
        try:
            for _ in range(10):
                async with db.read() as unit:
                    assert (await unit.session.execute(text(statement))).one() == (
                        2000,
                        2001000,
                    )
        finally:
            stop.set()
            spinner.join()
        waited = time.perf_counter() - started
    finally:
        await db.dispose()
    # The busy thread did take the GIL: ten reads of microseconds took far longer than a
    # millisecond each by the wall clock ...
    assert waited > 10 * 0.001
    # ... and none of them was cut short.
    assert engine_module._LONG_READS.get(statement, 0) == 0


async def test_reads_beyond_the_limit_wait_their_turn_in_arrival_order(
    tmp_path: Path, sqlite_template
):
    """A whole team listing at once must not push a rep's order behind dozens of pages
    on the event loop: while a write is under way, only so many read units are open at
    once, and the rest are let in first come, first served, as earlier ones finish."""
    db = await _database(tmp_path, sqlite_template)
    limit = engine_module._READS_AT_ONCE
    release = asyncio.Event()
    writing, written = asyncio.Event(), asyncio.Event()
    opened: list[int] = []

    async def writer() -> None:
        async with db.write() as uow:
            await uow.session.execute(text("SELECT 1"))
            writing.set()
            await written.wait()

    async def reader(n: int) -> None:
        async with db.read() as unit:
            opened.append(n)
            await unit.session.execute(text("SELECT 1"))
            if n < limit:
                await release.wait()

    try:
        write = asyncio.create_task(writer())
        await writing.wait()
        first = [asyncio.create_task(reader(n)) for n in range(limit)]
        await asyncio.sleep(0.05)
        later = [asyncio.create_task(reader(n)) for n in range(limit, limit + 3)]
        await asyncio.sleep(0.05)
        assert opened == list(range(limit))  # the later ones wait
        release.set()
        await asyncio.gather(*first, *later)
        written.set()
        await write
        # With the writer idle, reads do not take turns.
        release.clear()
        idle = [asyncio.create_task(reader(n)) for n in range(limit + 1)]
        await asyncio.sleep(0.05)
        assert len(opened) == 2 * limit + 4
        release.set()
        await asyncio.gather(*idle)
    finally:
        await db.dispose()
    assert opened[: limit + 3] == list(range(limit + 3))


async def test_a_unit_opened_inside_another_does_not_wait_for_a_turn(
    tmp_path: Path, sqlite_template
):
    """Every read turn taken by readers that each go on to write, while the writer's
    holder reads: neither may wait for the other."""
    db = await _database(tmp_path, sqlite_template)
    limit = engine_module._READS_AT_ONCE
    writing = asyncio.Event()

    async def read_then_write() -> None:
        async with db.read() as unit:
            await unit.session.execute(text("SELECT 1"))
            await writing.wait()
            async with db.write() as uow:
                await uow.session.execute(text("SELECT 1"))

    async def write_then_read() -> None:
        async with db.write() as uow:
            await uow.session.execute(text("SELECT 1"))
            writing.set()
            await asyncio.sleep(0.05)  # the readers now wait for the writer
            async with db.read() as unit:
                await unit.session.execute(text("SELECT 1"))

    try:
        readers = [asyncio.create_task(read_then_write()) for _ in range(limit)]
        await asyncio.sleep(0.02)
        await asyncio.wait_for(asyncio.gather(write_then_read(), *readers), timeout=10)
    finally:
        await db.dispose()
