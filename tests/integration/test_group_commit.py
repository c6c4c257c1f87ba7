"""SQLite's writer commits the write transactions that queue behind one another together.

What must hold for every member of a group: its work is stored exactly when it is told so
(never reported before the commit), one member's failure leaves the others' work alone, and
when the group's transaction is lost or its commit fails, every member fails and nothing of
theirs is stored.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from server.db import group_commit
from server.db.engine import Database


@pytest.fixture
async def db(tmp_path: Path, sqlite_template):
    path = tmp_path / "fieldsales.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite+aiosqlite:///{path}")
    yield database
    await database.dispose()


def _stored(db: Database, prefix: str) -> set[str]:
    """What another process sees: only what is committed."""
    path = db.url.split("///", 1)[1]
    with sqlite3.connect(path, timeout=30) as other:
        rows = other.execute(
            "SELECT prefix FROM document_sequences WHERE prefix LIKE ?", (f"{prefix}%",)
        )
        return {r[0] for r in rows}


async def _write(db: Database, prefix: str) -> str:
    async with db.write() as uow:
        await uow.session.execute(
            text("INSERT INTO document_sequences (prefix, last_value) VALUES (:p, 0)"),
            {"p": prefix},
        )
        await asyncio.sleep(0)  # others queue for the writer meanwhile
    return prefix


async def _insert(db: Database, prefix: str) -> str:
    await _write(db, prefix)
    # Returned: committed, so another process sees it now.
    assert prefix in _stored(db, prefix)
    return prefix


async def test_queued_transactions_share_commits_and_each_is_stored_when_it_returns(db):
    before = db.commits
    done = await asyncio.gather(*(_insert(db, f"G{n:02d}") for n in range(40)))
    assert _stored(db, "G") == set(done)
    assert len(done) == 40
    assert 1 < db.commits - before < 40  # grouped, in more than one group (16 at most each)


async def test_a_failing_member_leaves_the_others_work_alone(db):
    async def fail() -> None:
        async with db.write() as uow:
            await uow.session.execute(
                text("INSERT INTO document_sequences (prefix, last_value) VALUES ('FX', 0)")
            )
            await asyncio.sleep(0)
            raise RuntimeError("rolled back")

    async def duplicate() -> None:
        async with db.write() as uow:  # a constraint error inside the group
            await uow.session.execute(
                text("INSERT INTO document_sequences (prefix, last_value) VALUES ('F01', 0)")
            )

    results = await asyncio.gather(
        *(_insert(db, f"F{n:02d}") for n in range(6)),
        fail(),
        duplicate(),
        *(_insert(db, f"F{n:02d}") for n in range(6, 12)),
        return_exceptions=True,
    )
    assert isinstance(results[6], RuntimeError)
    assert isinstance(results[7], IntegrityError)
    assert _stored(db, "F") == {f"F{n:02d}" for n in range(12)}


async def test_a_failed_group_commit_fails_every_member_and_stores_nothing(db, monkeypatch):
    monkeypatch.setattr(
        group_commit, "MAX_AGE_SECONDS", 60.0
    )  # one group, however slow the machine

    async def deferred_violation() -> None:
        async with db.write() as uow:
            # A foreign key checked only at COMMIT: the whole group's commit fails.
            await uow.session.execute(text("PRAGMA defer_foreign_keys = ON"))
            await uow.session.execute(
                text(
                    "INSERT INTO stock_levels (warehouse_id, product_id, on_hand, allocated) "
                    "VALUES ('no-such-warehouse', 'no-such-product', 1, 0)"
                )
            )
            await asyncio.sleep(0)

    first = asyncio.create_task(_insert(db, "D00"))
    results = await asyncio.gather(
        first,
        deferred_violation(),
        *(_insert(db, f"D{n:02d}") for n in range(1, 5)),
        return_exceptions=True,
    )
    assert all(isinstance(r, IntegrityError) for r in results), results
    assert _stored(db, "D") == set()
    assert await _insert(db, "after") == "after"  # the writer goes on


async def test_a_transaction_sqlite_rolled_back_fails_every_member_of_its_group(db, monkeypatch):
    monkeypatch.setattr(
        group_commit, "MAX_AGE_SECONDS", 60.0
    )  # one group, however slow the machine

    async def roll_back_everything() -> None:
        async with db.write() as uow:
            # As SQLite itself does on a full disk or an I/O error.
            raw = await (await uow.session.connection()).get_raw_connection()
            await raw.driver_connection.execute("ROLLBACK")

    results = await asyncio.gather(
        *(_write(db, f"R{n:02d}") for n in range(3)),
        roll_back_everything(),
        *(_insert(db, f"R{n:02d}") for n in range(3, 6)),
        return_exceptions=True,
    )
    # The three before it lost their work and are told so; the ones after it start anew.
    assert all(isinstance(r, RuntimeError) and "rolled back" in str(r) for r in results[:3]), (
        results
    )
    assert isinstance(results[3], Exception)
    assert results[4:] == ["R03", "R04", "R05"]
    assert _stored(db, "R") == {"R03", "R04", "R05"}


async def test_a_queued_writer_that_gives_up_does_not_hold_back_the_group(db, monkeypatch):
    monkeypatch.setattr(group_commit, "MAX_AGE_SECONDS", 60.0)  # the group is never too old here
    inside, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with db.write() as uow:
            await uow.session.execute(
                text("INSERT INTO document_sequences (prefix, last_value) VALUES ('W1', 0)")
            )
            inside.set()
            await release.wait()
            # Cancel the one queued behind us just as it is handed the writer: we leave the
            # group open for it, and it never comes.
            asyncio.get_running_loop().call_soon(queued.cancel)

    holder = asyncio.create_task(first())
    await inside.wait()
    queued = asyncio.create_task(_insert(db, "W2"))
    for _ in range(5):
        await asyncio.sleep(0)  # W2 queues for the writer
    release.set()
    await asyncio.wait_for(holder, timeout=5)  # committed all the same, not left waiting
    with pytest.raises(asyncio.CancelledError):
        await queued
    assert _stored(db, "W") == {"W1"}
