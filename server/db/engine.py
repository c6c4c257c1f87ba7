"""Async engines and transactions for SQLite (embedded) and PostgreSQL (scale-out).

SQLite allows one writer at a time. Rather than let a pool of connections race for the
file lock (and fail with "database is locked"), writes go through a dedicated engine with
a single connection, so writers in this process queue in asyncio (in arrival order), and
every write transaction starts with BEGIN IMMEDIATE: it takes the lock up front instead of
failing at the first write of a deferred transaction that tries to upgrade. Writers that
queue behind one another commit together (`server.db.group_commit`). busy_timeout
makes other processes wait for the lock instead of failing at once. Reads use their own
small pool and see a consistent snapshot thanks to WAL.

The writer's calls run on the event loop's thread whenever they cannot wait (see
`_LoopConnection`), and WAL checkpoints run on a thread of their own (`Database`).

PostgreSQL needs none of this: both roles share one pooled engine, and services take row
locks (FOR UPDATE, in primary-key order) where they must.
"""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import aiosqlite
import msgspec
from sqlalchemy import event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import Row, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.sql import Executable

from server.config import DEFAULT_PG_WRITE_TRANSACTIONS
from server.db.direct import as_sqlalchemy_errors, compiled_for
from server.db.group_commit import GroupCommit
from server.db.unit_of_work import ReadUnit, WriteUnit

__all__ = ["Database"]

_SQLITE_BUSY_TIMEOUT_MS = 15_000
_BUSY = object()
# About 80 pages of log per group commit (see `GroupCommit`) of several orders: a
# checkpoint every 16 commits keeps the log near the size SQLite's own automatic
# checkpoint (1,000 pages) would.
_CHECKPOINT_EVERY_COMMITS = 16
_AIOSQLITE_CHUNK_SIZE = 64


# How much work a reader's statement may do on the event loop before it moves to the
# worker thread. A statement that needs more is better off on a thread, where SQLite
# (which lets go of the GIL) runs beside the event loop on the other core; but the hop
# there and back costs about a millisecond of both threads' time, more than a page's sort
# of a few hundred rows. The work is counted in SQLite's virtual machine operations (its
# progress handler is called every `_PROGRESS_EVERY_OPS`), not in time: a count is the
# statement's own work and the same on every run, whereas any clock also counts what
# others did meanwhile (another process on the core, a Python thread holding the GIL,
# whose every hand-over back costs the waiting thread tens of microseconds of its own CPU
# time). About 64,000 operations take a millisecond here. The thread's CPU time only
# bounds work that operations do not show (a virtual table's rows, a large sort), far
# above the slice so that hand-overs of the GIL never reach it.
# A statement cut short `_STRIKES_TO_LONG` times more often than it finished inline is
# remembered by its SQL and goes straight to the thread from then on: one run with
# unusual parameters must not send a 60 µs statement on the hop for good.
_READ_SLICE_PROGRESS_CALLS = 64
_READ_CPU_CEILING_SECONDS = 0.02
_STRIKES_TO_LONG = 3
# A connection's first run of a statement also prepares it and fills the connection's own
# page cache, which takes several times as long as the runs after it; so a statement is
# remembered as long only when it outgrew its slice on a connection that had run it
# before. Each connection remembers this many statements, about what sqlite3 caches.
_FIRST_RUNS_KEPT = 256
# Read units open at once on SQLite while a write is under way or waiting; the rest wait
# their turn, first come first served.
# A read's statements run on the event loop without letting go of it, so every read in
# progress is one more long step the event loop takes before it comes back to a write
# transaction waiting for its next step: with a whole team listing at once, an order's
# few steps would each wait behind dozens of pages. Two keep an order's answer within
# about 100 ms at the 99th percentile under 64 clients (`bench/mixed_load.py`), and the
# event loop is never idle while reads wait: the other one is ready to go on.
_READS_AT_ONCE = 2
# Whether the running task is inside a read or write unit already (it does not queue again).
_IN_UNIT: contextvars.ContextVar[bool] = contextvars.ContextVar("in_unit", default=False)
_PROGRESS_EVERY_OPS = 1_000
_LONG_STATEMENTS_KEPT = 1_024
# A reader's calls made on the event loop; those in _SLICED get a time slice, the others
# take microseconds. Anything else (fetchmany of a streamed result, executemany) cannot
# be repeated once cut short and goes to the worker thread.
_SLICED = frozenset({"execute", "fetchall"})
_READER_INLINE_CALLS = _SLICED | {"cursor", "close", "commit", "rollback"}


# SQL of reads that outgrew their slice, oldest first, with their strikes (cut short, less
# one for each run that finished inline); from `_STRIKES_TO_LONG` on they run on the thread.
_LONG_READS: dict[str, int] = {}


def _execute_fetchall(cursor: sqlite3.Cursor, statement: tuple[Any, ...]) -> list[Any]:
    cursor.execute(*statement)
    return cursor.fetchall()


class _LoopConnection(aiosqlite.Connection):
    """An aiosqlite connection that makes the writer's calls on the event loop when they
    cannot wait.

    aiosqlite hands every call to its worker thread and back; most take microseconds, far
    less than the round trip, and while the writer waits for it every other write
    transaction waits for the writer. So the writer runs inline:
    - BEGIN IMMEDIATE when the write lock is free (tried with busy_timeout 0); when another
      process holds it, BEGIN waits on the worker thread, off the event loop;
    - every statement once BEGIN has returned: it holds the write lock, and in WAL mode
      nothing else can make its statements wait;
    - not COMMIT: with synchronous=FULL a commit waits for the disk (fsync of the log),
      so it runs on the worker thread while the event loop serves others; group commit
      (`server.db.group_commit`) makes it one fsync for every writer of the group. The
      writer never checkpoints at commit (wal_autocheckpoint=0; `Database` checkpoints on
      a thread of its own).
    Readers (WAL: they never wait for the writer, nor it for them) run on the event loop
    too, each statement within a slice of work (`_READ_SLICE_PROGRESS_CALLS`): a
    statement that needs more (a search scanning a large table, say) is interrupted by
    SQLite's progress handler and run again on the worker thread, in the same read transaction, so it sees
    the same snapshot and the event loop serves others meanwhile. The hop to the worker
    and back costs more than most reads: a 50-row page takes a dozen calls.
    Nothing runs inline while a call is queued or running on the worker thread, so the
    sqlite3 connection is never used by two threads at once.
    """

    def __init__(self, connector: Callable[[], sqlite3.Connection], *, writer: bool) -> None:
        super().__init__(connector, _AIOSQLITE_CHUNK_SIZE)
        self._writer = writer
        self._queued = 0
        self._queued_lock = threading.Lock()
        # A reader's inline statement: the progress calls left in its slice, the thread
        # CPU time at which it ends regardless, and whether it was cut short.
        self._progress_left: int | None = None
        self._deadline = 0.0
        self._sliced = False
        self._timed: sqlite3.Connection | None = None
        # The last statement executed (cursor, sql, parameters): a `fetchall` cut short
        # runs it again on the worker thread.
        self._last: tuple[Any, tuple[Any, ...]] | None = None
        # SQL this connection has run (and so prepared), oldest first.
        self._ran: dict[str, None] = {}

    def _inline(self, conn: sqlite3.Connection, fn: Callable[..., Any]) -> bool:
        if self._queued:
            return False
        if fn == conn.cursor:
            return True  # a cursor object: nothing touches the file yet
        if not self._writer:
            return False
        if conn.in_transaction:
            # Not COMMIT: an acknowledged write must survive a power cut, so the commit
            # syncs the log to disk (synchronous=FULL), which takes milliseconds.
            return bool(fn != conn.commit)
        return bool(fn == conn.rollback)  # the pool's reset of an idle connection: a no-op

    def _begin_without_waiting(self, conn: sqlite3.Connection, call: Callable[[], Any]) -> Any:
        """Run BEGIN IMMEDIATE on the event loop if the write lock is free right now.

        With busy_timeout 0 it cannot wait: when another process holds the lock it fails at
        once (`_BUSY`), and the caller waits for the lock on the worker thread instead."""
        conn.execute("PRAGMA busy_timeout=0")
        try:
            return call()
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                return _BUSY
            raise
        finally:
            conn.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")

    @property
    def reads_on_event_loop(self) -> bool:
        """A reader: its statements run inline within their slice (see the class)."""
        return not self._writer

    def in_write_transaction(self) -> bool:
        conn = self._connection
        return conn is not None and conn.in_transaction

    def inline_connection(self) -> sqlite3.Connection | None:
        """The sqlite3 connection, for `server.db.direct`, while calls may run on it inline:
        the writer inside its write transaction with nothing queued on the worker thread."""
        conn = self._connection
        if not self._running or conn is None or self._queued or not self._writer:
            return None
        return conn if conn.in_transaction else None

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        sqlite_conn = self._connection
        if not self._running or sqlite_conn is None:
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]  # raises: connection closed
        if not self._writer and not self._queued:
            done, result = self._read_inline(sqlite_conn, fn, args, kwargs)
            if done:
                return result
            fn, args, kwargs = self._again_on_worker(fn, args, kwargs)
        elif self._inline(sqlite_conn, fn):
            return fn(*args, **kwargs)
        if self._writer and not self._queued and args[:1] == ("BEGIN IMMEDIATE",):
            result = self._begin_without_waiting(sqlite_conn, partial(fn, *args, **kwargs))
            if result is not _BUSY:
                return result
        with self._queued_lock:
            self._queued += 1
        return await super()._execute(self._on_worker, partial(fn, *args, **kwargs))  # type: ignore[no-untyped-call]

    def _past_slice(self) -> bool:
        # SQLite's progress handler: a true answer interrupts the statement.
        left = self._progress_left
        if left is None:
            return False
        if left > 0 and time.thread_time() <= self._deadline:
            self._progress_left = left - 1
            return False
        self._sliced = True
        return True

    def _read_inline(
        self, conn: sqlite3.Connection, fn: Callable[..., Any], args: Any, kwargs: Any
    ) -> tuple[bool, Any]:
        """(True, the result) of a reader's call made on the event loop, or (False, None)
        when it must run on the worker thread: a statement that outgrew its time slice,
        or a call that cannot be repeated if it were cut short."""
        name = getattr(fn, "__name__", "")
        if name not in _READER_INLINE_CALLS or (
            name == "execute" and _LONG_READS.get(args[0], 0) >= _STRIKES_TO_LONG
        ):
            return False, None
        if name == "fetchall" and (self._last is None or fn.__self__ is not self._last[0]):  # type: ignore[attr-defined]
            return False, None  # its statement is not known: it could not be repeated
        if self._timed is not conn:
            conn.set_progress_handler(self._past_slice, _PROGRESS_EVERY_OPS)
            self._timed = conn
        self._sliced = False
        if name in _SLICED:
            self._progress_left = _READ_SLICE_PROGRESS_CALLS
            self._deadline = time.thread_time() + _READ_CPU_CEILING_SECONDS
        try:
            result = fn(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            if self._sliced and exc.sqlite_errorcode == sqlite3.SQLITE_INTERRUPT:
                statement = args[0] if name == "execute" else self._last and self._last[1][0]
                if isinstance(statement, str):
                    self._outgrew_slice(statement)
                return False, None
            raise
        finally:
            self._progress_left = None
        if name == "execute":
            self._last = (result, args)
            self._remember_run(args[0])
            if strikes := _LONG_READS.get(args[0], 0):
                _LONG_READS[args[0]] = strikes - 1  # it finished inside its slice this time
        return True, result

    def _remember_run(self, statement: str) -> None:
        ran = self._ran
        if statement in ran:
            return
        if len(ran) >= _FIRST_RUNS_KEPT:
            ran.pop(next(iter(ran)))
        ran[statement] = None

    def _outgrew_slice(self, statement: str) -> None:
        """Remember a statement cut short as long, unless this was the connection's first
        run of it (preparing it and reading its pages into the cache)."""
        if statement not in self._ran:
            self._remember_run(statement)
            return
        if statement not in _LONG_READS and len(_LONG_READS) >= _LONG_STATEMENTS_KEPT:
            _LONG_READS.pop(next(iter(_LONG_READS)))
        _LONG_READS[statement] = _LONG_READS.get(statement, 0) + 1

    def _again_on_worker(
        self, fn: Callable[..., Any], args: Any, kwargs: Any
    ) -> tuple[Callable[..., Any], Any, Any]:
        """The call to make on the worker thread instead: the same one, or for a
        `fetchall` whose statement was cut short, the statement again and all its rows
        (a read transaction's snapshot does not move, so they are the same rows)."""
        last, self._last = self._last, None
        if getattr(fn, "__name__", "") != "fetchall" or last is None:
            return fn, args, kwargs
        cursor: sqlite3.Cursor = last[0]
        statement = last[1]
        if getattr(fn, "__self__", None) is not cursor:
            return fn, args, kwargs
        return partial(_execute_fetchall, cursor, statement), (), {}

    def _on_worker(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        finally:
            with self._queued_lock:
                self._queued -= 1


class WriterDialect(SQLiteDialect_aiosqlite):
    """The SQLite writer's dialect: savepoints issued on the driver.

    Every write transaction of a group is a savepoint (`server.db.group_commit`), and
    SQLAlchemy's own SAVEPOINT and RELEASE go through a full statement execution with a
    compile each time (each savepoint has a new name, so the compiled-statement cache never
    hits): together about a tenth of the event loop's time per order. Inside the write
    transaction the writer's statements run on the event loop anyway (`_LoopConnection`),
    so the same SQL goes straight to the sqlite3 connection; SQLAlchemy's transaction
    bookkeeping (its NestedTransaction, the session's state) is unchanged.
    """

    supports_statement_cache = True  # it compiles exactly as its parent does

    def _savepoint_sql(self, connection: Any, sql: str) -> None:
        driver = connection.connection.driver_connection
        inline = driver.inline_connection() if isinstance(driver, _LoopConnection) else None
        if inline is None:
            connection.exec_driver_sql(sql)
            return
        with as_sqlalchemy_errors(sql, ()):
            inline.execute(sql)

    def do_savepoint(self, connection: Any, name: str) -> None:
        self._savepoint_sql(connection, f"SAVEPOINT {self.identifier_preparer.quote(name)}")

    def do_rollback_to_savepoint(self, connection: Any, name: str) -> None:
        self._savepoint_sql(
            connection, f"ROLLBACK TO SAVEPOINT {self.identifier_preparer.quote(name)}"
        )

    def do_release_savepoint(self, connection: Any, name: str) -> None:
        self._savepoint_sql(connection, f"RELEASE SAVEPOINT {self.identifier_preparer.quote(name)}")


registry.register("sqlite.fieldsales_writer", __name__, "WriterDialect")


def _connector(url: str, *, writer: bool) -> Callable[[], Any]:
    # The arguments SQLAlchemy's aiosqlite dialect would pass for this URL.
    args, kwargs = SQLiteDialect_aiosqlite().create_connect_args(make_url(url))

    def connect() -> _LoopConnection:
        connection = _LoopConnection(partial(sqlite3.connect, *args, **kwargs), writer=writer)
        # As SQLAlchemy does for its own aiosqlite connections: never keep the process alive.
        # (aiosqlite before 0.22 is itself the worker thread; from 0.22 it holds one.)
        thread: Any = getattr(connection, "_thread", connection)  # a threading.Thread either way
        thread.daemon = True
        return connection

    return connect


def _configure_sqlite(engine: AsyncEngine, *, immediate: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN is ours to issue.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # The timeout first: switching a fresh file to WAL needs the lock another
        # process may hold at that moment.
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: a commit is on disk before anyone is told it happened, so an order a rep
        # saw accepted survives a power cut, not only a crash of the process.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

        if immediate:
            # The writer leaves checkpoints to `Database._checkpoint`, off the event loop.
            dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _json_dumps(value: Any) -> str:
    # msgspec's encoder: the JSON columns (outcomes, addresses, audit data) are written on
    # every order, and it is several times faster than the standard library's.
    return msgspec.json.encode(value).decode()


_JSON = {"json_serializer": _json_dumps, "json_deserializer": msgspec.json.decode}


class Database:
    """The application's handle on its database: `read()` and `write()` sessions."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        write_transactions: int = DEFAULT_PG_WRITE_TRANSACTIONS,
    ) -> None:
        """`write_transactions`: write transactions open at once on PostgreSQL (SQLite has
        one writer)."""
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        database = make_url(url).database
        # The SQLite file, for the connections of our own (checkpoints, per-request reads).
        self._file_path: str | None = (
            database
            if self.dialect == "sqlite" and database not in (None, "", ":memory:")
            else None
        )
        self._commits = 0
        self._checkpointing: asyncio.Task[None] | None = None
        self._checkpointer: sqlite3.Connection | None = None
        self._row_reader: sqlite3.Connection | None = None
        self._reads: asyncio.Semaphore | None = None
        self._reads_loop: asyncio.AbstractEventLoop | None = None
        self._write_transactions = max(1, write_transactions)
        self._writes: asyncio.Semaphore | None = None
        self._writes_loop: asyncio.AbstractEventLoop | None = None
        if self.dialect == "sqlite":
            self.write_engine = create_async_engine(
                make_url(url).set(drivername="sqlite+fieldsales_writer"),
                echo=echo,
                poolclass=AsyncAdaptedQueuePool,
                pool_size=1,
                max_overflow=0,
                pool_timeout=60,
                **_JSON,
                async_creator=_connector(url, writer=True),
            )
            self.read_engine = create_async_engine(
                url,
                echo=echo,
                poolclass=AsyncAdaptedQueuePool,
                # Enough connections kept open for a busy team: one opened beyond them costs
                # more than the read it serves (a thread, the WAL set-up, the schema, a cold
                # cache), and the most recently used are taken first, their caches warm.
                pool_size=16,
                max_overflow=48,
                pool_use_lifo=True,
                **_JSON,
                async_creator=_connector(url, writer=False),
            )
            _configure_sqlite(self.write_engine, immediate=True)
            _configure_sqlite(self.read_engine, immediate=False)
            self._writer = GroupCommit(self.write_engine, on_commit=self._committed)
        else:
            engine = create_async_engine(
                url,
                echo=echo,
                pool_size=10,
                max_overflow=10,
                pool_pre_ping=True,
                **_JSON,
            )
            self.write_engine = self.read_engine = engine

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def write(self) -> AsyncIterator[WriteUnit]:
        """One write transaction: commits on success, rolls back on any exception."""
        if not self.is_sqlite:
            async with self._write_turn():
                async with AsyncSession(self.write_engine, expire_on_commit=False) as session:
                    async with session.begin():
                        unit = WriteUnit(session)
                        yield unit
                        await unit.finish()
            return
        # One writer, its turns taken in arrival order, transactions committed in groups.
        token = _IN_UNIT.set(True)
        try:
            async with self._writer.transaction() as unit:
                yield unit
        finally:
            _IN_UNIT.reset(token)

    @property
    def commits(self) -> int:
        """SQLite COMMITs made by this process's writer (a group of transactions counts once)."""
        return self._commits

    def _committed(self) -> None:
        # The writer does not checkpoint at commit (that would stall the event loop while
        # the file is synced): every so many commits a checkpoint runs on a thread and a
        # connection of its own. SQLite only starts the log over once a checkpoint has
        # caught up with it, which never happens while commits keep appending; so the
        # bulk is copied while writers go on, and the rest (what they appended meanwhile)
        # in a second pass that takes its turn among the writers like a write transaction.
        self._commits += 1
        if self._commits % _CHECKPOINT_EVERY_COMMITS or self._file_path is None:
            return
        if self._checkpointing is None or self._checkpointing.done():
            self._checkpointing = asyncio.get_running_loop().create_task(self._checkpoint_in_turn())

    async def _checkpoint_in_turn(self) -> None:
        await asyncio.to_thread(self._checkpoint)
        async with self._writer.turn():
            await asyncio.to_thread(self._checkpoint)

    def _checkpoint(self) -> None:
        assert self._file_path is not None  # only scheduled for a file
        if self._checkpointer is None:
            self._checkpointer = sqlite3.connect(
                self._file_path,
                isolation_level=None,
                check_same_thread=False,
                timeout=_SQLITE_BUSY_TIMEOUT_MS / 1000,
            )
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _read_gate(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._reads is None or self._reads_loop is not loop:  # one event loop's
            self._reads_loop, self._reads = loop, asyncio.Semaphore(_READS_AT_ONCE)
        return self._reads

    @asynccontextmanager
    async def _write_turn(self) -> AsyncIterator[None]:
        """A turn among this process's write transactions on PostgreSQL, first come first
        served, taken before the transaction begins (holding no lock and no connection).

        An open write holds its rows' locks (stock, the number series) until it commits,
        and on a busy server each of its statements waits for the event loop, busy with
        every other request: with all of a team's orders open at once, most of them wait
        on each other's locks while the holders wait for the loop. Four at a time halve
        the orders' 99th percentile under 64 clients on two cores and keep the lists'
        within 250 ms (`bench/mixed_load.py`). Inside another unit of this task a write
        does not queue again: it could wait for itself."""
        if _IN_UNIT.get():
            yield
            return
        loop = asyncio.get_running_loop()
        if self._writes is None or self._writes_loop is not loop:  # one event loop's
            self._writes_loop, self._writes = loop, asyncio.Semaphore(self._write_transactions)
        token = _IN_UNIT.set(True)
        try:
            async with self._writes:
                yield
        finally:
            _IN_UNIT.reset(token)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[ReadUnit]:
        if not self.is_sqlite:
            # Marked as a unit: a write opened inside it does not queue for a write turn
            # while holding this pooled connection (see `_write_turn`).
            async with self._read_unit() as unit:
                yield unit
            return
        gate = self._read_gate()
        # Reads take turns only while a write is under way or waiting: then it is the
        # write's steps they would hold up. Inside another unit of this task a read never
        # waits for a turn: it could wait for itself (a write that reads, a read that writes).
        if _IN_UNIT.get() or not (self._writer.in_use or gate.locked()):
            async with self._read_unit() as unit:
                yield unit
            return
        async with gate, self._read_unit() as unit:
            yield unit

    @asynccontextmanager
    async def _read_unit(self) -> AsyncIterator[ReadUnit]:
        token = _IN_UNIT.set(True)
        try:
            async with AsyncSession(self.read_engine, expire_on_commit=False) as session:
                async with session.begin():
                    yield ReadUnit(session)
        finally:
            _IN_UNIT.reset(token)

    async def read_row(
        self, statement: Executable, params: dict[str, Any] | None = None
    ) -> Row[Any] | None:
        """The first row of one small indexed read, outside any session (the per-request
        user lookup). On a SQLite file it runs on the event loop's thread, on a connection
        of its own used only here: an indexed lookup by a WAL reader takes microseconds,
        less than the trip through the pool and SQLAlchemy's execution layers."""
        if self._file_path is None:
            async with self.read_engine.connect() as conn:
                return (await conn.execute(statement, params)).first()
        if self._row_reader is None:
            # A WAL reader meets a lock only while the log is being recovered: a short
            # busy wait then, not sqlite3's default of 5 s on the event loop.
            self._row_reader = sqlite3.connect(
                self._file_path,
                isolation_level=None,
                check_same_thread=False,
                timeout=0.25,
            )
            self._row_reader.execute("PRAGMA query_only=ON")
        compiled = compiled_for(statement, self.read_engine.dialect)
        rows = compiled.rows(
            self._row_reader.execute(compiled.sql, compiled.parameters(params or {})).fetchall()
        )
        return rows[0] if rows else None

    async def dispose(self) -> None:
        if self._checkpointing is not None:
            await asyncio.gather(self._checkpointing, return_exceptions=True)
        if self.is_sqlite:
            await self._writer.close()
        for connection in (self._checkpointer, self._row_reader):
            if connection is not None:
                connection.close()
        self._checkpointer = self._row_reader = None
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
