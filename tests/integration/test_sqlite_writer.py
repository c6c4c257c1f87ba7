"""The SQLite writer runs its statements on the event loop only while it holds the lock.

Waiting for the write lock (another process writing) must never stall the server: reads
keep being answered, and the write goes through once the lock is free.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy import func, select, text

from server.db.engine import Database
from server.db.models import DocumentSequence


async def test_waiting_for_another_writer_does_not_stall_reads(tmp_path: Path, sqlite_template):
    path = tmp_path / "fieldsales.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.write() as uow:  # the server is up: its connections are open, WAL on
        await uow.session.execute(text("SELECT 1"))
    other = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process is writing

        async def write() -> float:
            async with db.write() as uow:
                uow.session.add(DocumentSequence(prefix="T", last_value=1))
            return time.monotonic()

        writer = asyncio.create_task(write())
        await asyncio.sleep(0.3)
        assert not writer.done()
        started = time.monotonic()
        async with db.read() as unit:
            assert await unit.session.scalar(text("SELECT 1")) == 1
        assert time.monotonic() - started < 1.0

        other.execute("COMMIT")
        written_at = await asyncio.wait_for(writer, timeout=10)
        assert written_at >= started
        async with db.read() as unit:
            count = await unit.session.scalar(
                select(func.count())
                .select_from(DocumentSequence)
                .where(DocumentSequence.prefix == "T")
            )
        assert count == 1
    finally:
        other.close()
        await db.dispose()


async def test_many_concurrent_write_transactions_all_commit(tmp_path: Path, sqlite_template):
    path = tmp_path / "fieldsales.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with db.write() as uow:
            uow.session.add(DocumentSequence(prefix="C", last_value=0))

        async def bump() -> None:
            async with db.write() as uow:
                row = await uow.session.get(DocumentSequence, "C")
                await asyncio.sleep(0)  # let other tasks queue for the writer meanwhile
                row.last_value += 1

        async def fail() -> None:
            async with db.write() as uow:
                await uow.session.execute(text("UPDATE document_sequences SET last_value = -1"))
                raise RuntimeError("rolled back")

        results = await asyncio.gather(
            *(bump() for _ in range(40)), *(fail() for _ in range(5)), return_exceptions=True
        )
        assert sum(isinstance(r, RuntimeError) for r in results) == 5
        async with db.read() as unit:
            assert (await unit.session.get(DocumentSequence, "C")).last_value == 40
    finally:
        await db.dispose()


async def test_the_write_ahead_log_is_checkpointed_as_commits_go_on(
    tmp_path: Path, sqlite_template
):
    # The writer never checkpoints at commit; the database does it every so many commits
    # on a thread of its own. Without that, a thousand commits leave a log of thousands of
    # pages behind (wal_autocheckpoint is 0 on the writer).
    path = tmp_path / "fieldsales.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        for n in range(1000):
            async with db.write() as uow:
                await uow.session.execute(
                    text("INSERT INTO document_sequences (prefix, last_value) VALUES (:p, 0)"),
                    {"p": f"T{n}"},
                )
            await asyncio.sleep(0)  # let a finished checkpoint hand back
        # (Measured before closing: the last connection to close checkpoints anyway.)
        wal_bytes = path.with_name(path.name + "-wal").stat().st_size
    finally:
        await db.dispose()
    # About 3 pages of 4 KiB per commit: 12 MB unchecked, a few hundred pages checked.
    assert wal_bytes < 6_000_000


async def test_an_acknowledged_commit_waits_for_the_disk_and_not_on_the_event_loop(
    tmp_path: Path, sqlite_template
):
    # synchronous=FULL: the log is synced at every commit, so an order a rep saw accepted
    # survives a power cut, not only a crash of the process (NORMAL loses the last
    # commits). The sync takes the disk's time, so it runs off the event loop: a loop
    # ticker keeps running while commits happen one after the other.
    path = tmp_path / "fieldsales.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with db.write() as uow:
            writer_level = await uow.session.scalar(text("PRAGMA synchronous"))
        async with db.read() as unit:
            reader_level = await unit.session.scalar(text("PRAGMA synchronous"))
        assert (writer_level, reader_level) == (2, 2)  # 2 = FULL

        statements: list[tuple[str, str]] = []
        async with db.write() as uow:
            raw = (await uow.session.connection()).sync_connection
            assert raw is not None
            sqlite_conn = raw.connection.driver_connection._connection
            # sqlite3 reports each statement from the thread that runs it.
            sqlite_conn.set_trace_callback(
                lambda sql: statements.append((sql.strip(), threading.current_thread().name))
            )
            await uow.session.execute(
                text("INSERT INTO document_sequences (prefix, last_value) VALUES ('D', 0)")
            )
        sqlite_conn.set_trace_callback(None)
        loop_thread = threading.current_thread().name
        commits = [thread for sql, thread in statements if sql.upper().startswith("COMMIT")]
        inserts = [thread for sql, thread in statements if sql.startswith("INSERT")]
        assert inserts == [loop_thread]  # statements inside the transaction: on the loop
        assert commits and loop_thread not in commits
    finally:
        await db.dispose()
