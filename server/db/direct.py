"""Core statements that SQLAlchemy compiles once and the SQLite writer's driver runs.

The order and sync hot paths run about twenty statements per order. Through SQLAlchemy's
async connection each costs about 80 µs on this kind of machine (greenlet switch, execution
context, result object); the same compiled SQL on the sqlite3 connection costs 2 to 5 µs.
So a statement is still written as SQLAlchemy Core, compiled by SQLAlchemy for the
dialect in use, with SQLAlchemy's own bind and result processors for every column type
(UTC datetimes, JSON, Decimal, booleans): only the execution skips the layers.

That shortcut is taken only where it is safe: on SQLite's writer connection inside its
write transaction, which runs statements on the event loop anyway (see
`server.db.engine`). Everywhere else (PostgreSQL, SQLite readers) the same statement goes
through the session's connection as ordinary Core (not the ORM: no autoflush beyond the
one done here, no session synchronisation), so both paths run the same SQL and the
tests on both databases prove it.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, cast

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from server.db.types import UTCDateTime

__all__ = ["Direct", "as_sqlalchemy_errors", "compiled_for", "sqlite_utc_text"]

_MISSING = object()


class _Compiled:
    """One statement compiled for one dialect: SQL text, parameter order and processors."""

    __slots__ = (
        "_columns",
        "_dialect",
        "_processed",
        "_result_processors",
        "_values_of",
        "binds",
        "row",
        "sql",
    )

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        compiled = cast(Any, statement).compile(
            dialect=dialect
        )  # every statement here is a ClauseElement
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("direct statements take one parameter per IN value (see by_arity)")
        self.sql = compiled.string
        processors = compiled._bind_processors
        # (name, default value of a literal bound in the statement, bind processor)
        self.binds = tuple(
            (
                name,
                compiled.binds[name].value if name in compiled.binds else None,
                _for_bind(compiled, name, processors.get(name)),
            )
            for name in (compiled.positiontup or ())
        )
        names = [name for name, _, _ in self.binds]
        # The values in parameter order, picked by C code (`itemgetter`); a statement with
        # a literal default or a missing parameter takes the slow path below.
        self._values_of: Callable[[dict[str, Any]], tuple[Any, ...]] | None = (
            None if len(names) < 2 else itemgetter(*names)
        )
        self._processed = tuple(
            (i, process) for i, (_, _, process) in enumerate(self.binds) if process is not None
        )
        columns = compiled._result_columns
        self.row: Any = (
            namedtuple("DirectRow", [c.keyname for c in columns], rename=True) if columns else None
        )
        self._columns, self._dialect = columns, dialect
        self._result_processors: tuple[Any, ...] | None = None

    @property
    def result_processors(self) -> tuple[Any, ...]:
        # Only the driver path needs them (and only for SQLite's: some PostgreSQL
        # processors need the column's type code from a live result).
        if self._result_processors is None:
            self._result_processors = tuple(
                c.type._cached_result_processor(self._dialect, None) for c in self._columns
            )
        return self._result_processors

    def parameters(self, params: dict[str, Any]) -> Sequence[Any]:
        if self._values_of is not None:
            try:
                picked = self._values_of(params)
            except KeyError:
                return self._parameters_one_by_one(params)
            if not self._processed:
                return picked
            values = list(picked)
            for i, process in self._processed:
                value = values[i]
                if value is not None:
                    values[i] = process(value)
            return values
        return self._parameters_one_by_one(params)

    def _parameters_one_by_one(self, params: dict[str, Any]) -> tuple[Any, ...]:
        values = []
        for name, default, process in self.binds:
            value = params.get(name, _MISSING)
            if value is _MISSING:
                if default is None:
                    raise KeyError(f"statement parameter {name!r} missing")
                value = default
            values.append(process(value) if process is not None and value is not None else value)
        return tuple(values)

    def check(self, params: dict[str, Any]) -> dict[str, Any]:
        """Refuse missing parameters as `parameters` does, for the path through Core
        (which would quietly leave an omitted column to its default)."""
        for name, default, _ in self.binds:
            if default is None and name not in params:
                raise KeyError(f"statement parameter {name!r} missing")
        return params

    def rows(self, raw: list[tuple[Any, ...]]) -> list[Any]:
        assert self.row is not None
        processors = self.result_processors
        make = self.row._make
        if not any(processors):
            return [make(r) for r in raw]
        # Usually a column or two need converting (a flag, a time): touch only those.
        converted = [(i, process) for i, process in enumerate(processors) if process is not None]
        made = []
        for r in raw:
            values = list(r)
            for i, process in converted:
                value = values[i]
                if value is not None:
                    values[i] = process(value)
            made.append(make(values))
        return made


def _for_bind(
    compiled: Any, name: str, process: Callable[[Any], Any] | None
) -> Callable[[Any], Any] | None:
    """The bind processor of one parameter: SQLAlchemy's, but for a UTC time on SQLite one
    that gives the same text in one step and reuses its last answer.

    A transaction binds the same `now` many times (the order's times, every reservation
    and change record of it), and a time was the dearest value to bind: UTCDateTime's
    conversion, then SQLite's DATETIME formatting, each a Python call."""
    bind = compiled.binds.get(name)
    if (
        process is not None
        and bind is not None
        and compiled.dialect.name == "sqlite"
        and isinstance(bind.type, UTCDateTime)
    ):
        return sqlite_utc_text
    return process


_LAST_TIME: tuple[Any, str] = (None, "")


def sqlite_utc_text(value: Any) -> str:
    """A timezone-aware time as SQLite's DATETIME text of it in UTC
    ('YYYY-MM-DD HH:MM:SS.ffffff', SQLAlchemy's storage format), as UTCDateTime and the
    SQLite dialect together would bind it. Times are immutable, so the same object always
    gives the same text."""
    global _LAST_TIME
    last, text = _LAST_TIME
    if value is last:
        return text
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError("UTCDateTime needs a timezone-aware datetime")
    utc = value if value.tzinfo is UTC else value.astimezone(UTC)
    text = utc.replace(tzinfo=None).isoformat(" ", "microseconds")
    _LAST_TIME = (value, text)
    return text


class Direct:
    """Runs Core statements in one session's transaction, on the driver where it is safe.

    Reached only through a unit of work (`server.db.unit_of_work`), which makes one per
    transaction. `writer_driver`: the SQLite writer's driver connection, when the unit is
    one of its write transactions (one trip through SQLAlchemy's async layer fewer).

    Why not `AsyncSession.run_sync` with Core on the sync connection: every statement would
    still pass SQLAlchemy's execution context and result objects (about 80 µs each, against
    2 to 5 µs here), the very cost this runner exists to avoid on the order path. So the
    private pieces it needs (the compiled statement's bind and result processors, the
    session's clean check, aiosqlite's inline connection) stay contained in `server/db`.
    """

    def __init__(self, session: AsyncSession, writer_driver: Any = None) -> None:
        self.session = session
        assert session.bind is not None  # every session here is bound to an engine or connection
        self.dialect: Dialect = session.bind.dialect
        self._writer_driver = writer_driver
        self._sqlite: Any = None
        # A SQLite reader's aiosqlite connection: its statements run on the event loop
        # within their slice, or on its thread (`server.db.engine`), without SQLAlchemy's
        # execution layers.
        self._reader: Any = None

    async def _driver(self) -> Any:
        """The sqlite3 connection when statements may run on it directly, else None."""
        session = self.session
        # Pending ORM changes first, as the session's own autoflush would before a query.
        # (`_is_clean` is the check autoflush itself makes; the public `new`, `dirty` and
        # `deleted` build lists on every call.)
        if not session.sync_session._is_clean():
            await session.flush()
        if self.dialect.name != "sqlite":
            return None
        if self._sqlite is None:
            connection = await session.connection()  # begins the session's transaction first
            # The SQLite writer's transactions name their driver connection (one trip
            # through SQLAlchemy's async layer fewer for each of them).
            driver = self._writer_driver
            if driver is None:
                driver = (await connection.get_raw_connection()).driver_connection
            inline = getattr(driver, "inline_connection", None)
            self._sqlite = inline if inline is not None else False
            if getattr(driver, "reads_on_event_loop", False):
                self._reader = driver
        return self._sqlite() if self._sqlite else None

    def _compile(self, statement: Executable) -> _Compiled:
        return compiled_for(statement, self.dialect)

    async def rows(self, statement: Executable, params: dict[str, Any] | None = None) -> list[Any]:
        params = params or {}
        conn = await self._driver()
        if conn is None and self._reader is not None:
            return await self._read(self._compile(statement), params)
        if conn is None:
            self._compile(statement).check(params)
            result = await (await self.session.connection()).execute(statement, params)
            return list(result.all())
        compiled = self._compile(statement)
        values = compiled.parameters(params)
        with as_sqlalchemy_errors(compiled.sql, values):
            raw = conn.execute(compiled.sql, values).fetchall()
        return compiled.rows(raw)

    async def _read(self, compiled: _Compiled, params: dict[str, Any]) -> list[Any]:
        """The rows of a statement on a SQLite reader, through aiosqlite's calls (which the
        reader makes inline or on its thread as each statement's slice allows)."""
        values = compiled.parameters(params)
        with as_sqlalchemy_errors(compiled.sql, values):
            cursor = await self._reader.execute(compiled.sql, values)
            try:
                raw = await cursor.fetchall()
            finally:
                await cursor.close()
        return compiled.rows(raw)

    async def first(self, statement: Executable, params: dict[str, Any] | None = None) -> Any:
        rows = await self.rows(statement, params)
        return rows[0] if rows else None

    async def scalar(self, statement: Executable, params: dict[str, Any] | None = None) -> Any:
        row = await self.first(statement, params)
        return row[0] if row is not None else None

    async def execute(self, statement: Executable, params: dict[str, Any] | None = None) -> int:
        """A statement without rows; returns the number of rows it changed."""
        params = params or {}
        conn = await self._driver()
        if conn is None:
            self._compile(statement).check(params)
            result = await (await self.session.connection()).execute(statement, params)
            return int(getattr(result, "rowcount", 0) or 0)
        compiled = self._compile(statement)
        values = compiled.parameters(params)
        with as_sqlalchemy_errors(compiled.sql, values):
            return int(conn.execute(compiled.sql, values).rowcount)

    async def execute_many(self, statement: Executable, rows: Sequence[dict[str, Any]]) -> None:
        """One statement over many parameter sets (an INSERT of several rows)."""
        if not rows:
            return
        conn = await self._driver()
        if conn is None:
            compiled = self._compile(statement)
            await (await self.session.connection()).execute(
                statement, [compiled.check(r) for r in rows]
            )
            return
        compiled = self._compile(statement)
        values_of_rows = [compiled.parameters(r) for r in rows]
        with as_sqlalchemy_errors(compiled.sql, values_of_rows):
            conn.executemany(compiled.sql, values_of_rows)


@contextmanager
def as_sqlalchemy_errors(sql: str, params: Any) -> Iterator[None]:
    """Driver errors raised as SQLAlchemy raises them on its own path (IntegrityError,
    OperationalError, ... under DBAPIError), so callers handle both paths alike."""
    try:
        yield
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc


_CACHE: dict[tuple[int, str], tuple[Executable, _Compiled]] = {}


def compiled_for(statement: Executable, dialect: Dialect) -> _Compiled:
    # Statements live at module level, so compiling each once per dialect for the process
    # is enough; the key keeps the statement itself so a reused id() never matches.
    key = (id(statement), dialect.name)
    entry = _CACHE.get(key)
    if entry is None or entry[0] is not statement:
        entry = (statement, _Compiled(statement, dialect))
        _CACHE[key] = entry
    return entry[1]
