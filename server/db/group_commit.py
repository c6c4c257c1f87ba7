"""Group commit for SQLite's single writer.

A commit appends every page its transaction changed to the write-ahead log, and the
transactions that queue for the writer change mostly the same pages: the right-hand leaves
of the tables and indexes they insert into (keys are time-ordered, see `new_id`), the stock
rows, the counters. So write transactions that find others waiting behind them share one
SQLite transaction, each in a savepoint of its own, and commit together:

- a member whose work fails rolls back its savepoint and leaves the others' work alone;
- the group commits when nobody is waiting for the writer any more, or when it is full or
  old enough (so one member's latency never grows without bound);
- no member returns before the commit that stores its work, so a client is never told of
  work that could still be rolled back; when the commit fails, every member fails with it.

PostgreSQL commits each transaction on its own: its writers run in parallel, and it has a
group commit of its own in the server.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, AsyncTransaction

from server.db.direct import Direct
from server.db.unit_of_work import WriteUnit

__all__ = ["GroupCommit"]

_log = logging.getLogger(__name__)

# Cut at 16 members or 20 ms: a group of a few orders already shares most of a commit's
# pages, and its first member waits only a few of its successors' turns longer.
MAX_MEMBERS = 16
MAX_AGE_SECONDS = 0.02


class _Group:
    def __init__(
        self, connection: AsyncConnection, transaction: AsyncTransaction, driver: Any
    ) -> None:
        self.connection = connection
        self.transaction = transaction
        self.driver = driver  # the _LoopConnection, to see whether SQLite still has the transaction
        self.members = 0
        self.opened = time.monotonic()
        self.outcome: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # A failed commit that no member waits for (they all failed) is not an error to log.
        self.outcome.add_done_callback(lambda f: f.cancelled() or f.exception())

    def full(self) -> bool:
        return self.members >= MAX_MEMBERS or time.monotonic() - self.opened >= MAX_AGE_SECONDS

    def lost(self) -> bool:
        """SQLite rolled the whole transaction back (it does on some errors: a full disk, an
        I/O error), taking the earlier members' work with it."""
        return not self.driver.in_write_transaction()


class GroupCommit:
    """The writer's turns: `transaction()` for a write, `turn()` for exclusive use."""

    def __init__(self, engine: AsyncEngine, *, on_commit: Callable[[], None]) -> None:
        self._engine = engine
        self._on_commit = on_commit
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None
        self._waiting = 0
        self._group: _Group | None = None
        self._flushing: asyncio.Task[None] | None = None

    def _turn_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:  # a lock serves one event loop
            self._loop, self._lock = loop, asyncio.Lock()
        return self._lock

    @property
    def in_use(self) -> bool:
        """Whether a write holds the writer, waits for it or has a group left to commit."""
        return bool(
            self._waiting or self._group is not None or (self._lock and self._lock.locked())
        )

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """The writer to oneself, with no transaction open on it (a checkpoint's last pass)."""
        async with self._turn_lock():
            if self._group is not None:
                await self._commit()
            yield

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[WriteUnit]:
        """One write transaction: committed (with its group) before this returns, or rolled
        back on any exception."""
        # First come, first served: asyncio.Lock serves its waiters in order.
        lock = self._turn_lock()
        self._waiting += 1
        try:
            await lock.acquire()
        except BaseException:
            self._waiting -= 1
            if self._waiting == 0 and self._group is not None:
                self._flush_soon()  # whoever holds the writer may have left it to us
            raise
        self._waiting -= 1
        group: _Group | None = None
        joined = False
        failure: BaseException | None = None
        try:
            group = self._group or await self._open()
            session = AsyncSession(
                bind=group.connection,
                expire_on_commit=False,
                join_transaction_mode="create_savepoint",
            )
            unit = WriteUnit(session, Direct(session, group.driver))
            try:
                # The session begins by itself at its first use (its savepoint then), so
                # no `session.begin()`: one trip through SQLAlchemy's async layer fewer.
                try:
                    yield unit
                    await unit.finish()
                except BaseException as exc:
                    failure = exc
                    try:
                        await session.rollback()
                    except Exception:
                        if not group.lost():
                            raise
                        # SQLite already rolled the whole transaction back (a full disk,
                        # an I/O error): no savepoint is left to roll back to, and the
                        # member's own error is the one that says why.
                    raise
                await session.commit()
            finally:
                # Closed in place: `async with AsyncSession` closes in a task of its own,
                # a trip through the event loop for every write.
                await session.close()
            group.members += 1
            joined = True
        finally:
            try:
                if group is not None and group is self._group:
                    if group.lost():
                        # The earlier members' work went with it: they fail with the
                        # error that lost it (a storage outage is answered as one).
                        await self._discard(
                            failure
                            if isinstance(failure, Exception)
                            else RuntimeError("the write transaction was rolled back by SQLite")
                        )
                    elif self._waiting == 0 or group.full():
                        await self._commit()
            finally:
                lock.release()
        if joined:
            # Shielded: a client that goes away must not cancel the others' commit.
            await asyncio.shield(group.outcome)

    async def _open(self) -> _Group:
        connection = await self._engine.connect()
        try:
            transaction = await connection.begin()  # BEGIN IMMEDIATE (see _configure_sqlite)
            raw = await connection.get_raw_connection()
        except BaseException:
            await connection.close()
            raise
        self._group = _Group(connection, transaction, raw.driver_connection)
        return self._group

    async def _commit(self) -> None:
        group = self._group
        assert group is not None
        self._group = None
        try:
            if group.members:
                await group.transaction.commit()
            else:
                await group.transaction.rollback()
        except Exception as exc:  # every member fails: none of their work is stored
            group.outcome.set_exception(exc)
            await _close_quietly(group)
            return
        except BaseException:
            # Interrupted (the commit runs on the event loop and never waits, so this is
            # not expected): the members must not wait for ever, and cannot be told that
            # their work is stored. A retry with its idempotency key finds out.
            group.outcome.set_exception(RuntimeError("the commit was interrupted"))
            raise
        await group.connection.close()
        group.outcome.set_result(None)
        if group.members:
            self._on_commit()

    async def _discard(self, error: Exception) -> None:
        group = self._group
        assert group is not None
        self._group = None
        group.outcome.set_exception(error)
        await _close_quietly(group)

    def _flush_soon(self) -> None:
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        async with self._turn_lock():
            if self._group is not None:
                await self._commit()

    async def close(self) -> None:
        if self._flushing is not None:
            await asyncio.gather(self._flushing, return_exceptions=True)
        if self._group is not None:
            await self._commit()


async def _close_quietly(group: _Group) -> None:
    for step in (group.transaction.rollback, group.connection.close):
        try:
            await step()
        except Exception:  # the members see the error that lost the transaction, not this
            _log.warning("cleaning up a failed write transaction failed", exc_info=True)
