"""Units of work: the one way code reads from and writes to the database.

`Database.read()` yields a `ReadUnit`, `Database.write()` a `WriteUnit`. A unit owns
everything that lives as long as its transaction:

- the ORM session (`unit.session`) for the ordinary queries and changes;
- the direct statements (`unit.sql`): the hot paths' Core statements, run on the SQLite
  writer's driver where that is safe (see `server.db.direct`); nothing else reaches them;
- the audit trail (`unit.audit`), written in the transaction: an event rolled back by a
  savepoint is gone with the savepoint;
- the change feed (`unit.feed`): what the phones must pull again. Services say what they
  touched; the unit writes it when its work is done, just before the commit, so the
  change counter (whose row lock is held to commit) is always the last lock taken, and
  a savepoint that rolls back takes its touches with it by construction;
- the outbox (`unit.outbox`): events other systems and customers are told about, inserted
  in the transaction, so an event exists exactly when its change was committed (see
  `server.features.notifications`, which delivers them);
- the sales day sums (`unit.sums`): what the transaction's orders, invoices and payments
  add to the dashboard's maintained sums, written as one upsert per day and key just
  before the change feed (see `server.db.summaries`);
- savepoints (`unit.savepoint()`), which keep the feed and the per-unit helpers
  (`unit.scoped`) in step with the database when they roll back.

Services take a unit as their first argument and never open a transaction; routes, page
handlers, sync handlers and jobs open one. Code that holds only a session (a query helper
deep in a read) finds its unit with `unit_of(session)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from server.db.direct import Direct
from server.db.models import AuditEvent, ChangeCounter, ChangeRecord, OutboxMessage
from server.db.models.base import table_of
from server.db.summaries import SalesSums
from server.db.types import new_id, utcnow

__all__ = [
    "AuditLog",
    "AuditRecord",
    "Change",
    "ChangeFeed",
    "Event",
    "Outbox",
    "ReadUnit",
    "WriteUnit",
    "unit_of",
]

_UNIT_KEY = "fieldsales.unit"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Change:
    """One entity a phone may have to pull again, and whose phones: a territory's, an
    owner's, or (neither given) everyone's."""

    entity_type: str
    entity_id: str
    territory_id: str | None = None
    owner_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One named state change: who, when, from, to, why."""

    entity_type: str
    entity_id: str
    action: str
    actor_id: str | None
    from_state: str | None = None
    to_state: str | None = None
    reason: str | None = None
    data: dict[str, Any] | None = None

    def row(self) -> dict[str, Any]:
        return {
            "id": new_id(),
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "action": self.action,
            "actor_id": self.actor_id,
            "at": utcnow(),
            "from_state": self.from_state,
            "to_state": self.to_state,
            "reason": self.reason,
            "data": self.data or {},
        }


@dataclass(frozen=True, slots=True)
class Event:
    """Something customers or other systems are told about: its type (`order.shipped`),
    a JSON payload, and the idempotency id every delivery of it carries."""

    event_type: str
    payload: dict[str, Any]
    id: str = ""

    def row(self) -> dict[str, Any]:
        now = utcnow()
        event_id = self.id or new_id()
        return {
            "id": event_id,
            "event_type": self.event_type,
            "destination": None,
            "event_id": event_id,
            "payload": self.payload,
            "created_at": now,
            "available_at": now,
            "attempts": 0,
            "claimed_by": None,
            "claimed_until": None,
            "delivered_at": None,
            "delivered_status": None,
            "delivered_ms": None,
            "status": "pending",
            "last_error": None,
        }


class ReadUnit:
    """One read transaction: the session and the direct statements."""

    def __init__(self, session: AsyncSession, sql: Direct | None = None) -> None:
        self.session = session
        self.sql = sql or Direct(session)
        session.info[_UNIT_KEY] = self

    @property
    def dialect_name(self) -> str:
        return self.sql.dialect.name


_INSERT_EVENTS = insert(table_of(AuditEvent))
_NEXT_SEQ = (
    update(ChangeCounter)
    .where(ChangeCounter.id == 1)
    .values(value=ChangeCounter.value + 1)
    .returning(ChangeCounter.value)
)
# Every column but the key, which the database assigns.
_INSERT_CHANGES = insert(table_of(ChangeRecord)).values(
    {
        name: bindparam(name)
        for name in ("seq", "entity_type", "entity_id", "territory_id", "owner_id", "at")
    }
)


class AuditLog:
    """The transaction's audit events, inserted as they happen (a savepoint's rollback
    removes its own), and kept for the answer built in the same transaction."""

    def __init__(self, sql: Direct) -> None:
        self._sql = sql

    async def record(self, *events: AuditRecord) -> list[dict[str, Any]]:
        rows = [event.row() for event in events]
        if rows:
            await self._sql.execute_many(_INSERT_EVENTS, rows)
        return rows


_INSERT_OUTBOX = insert(table_of(OutboxMessage))


class Outbox:
    """The transaction's events, inserted as they are emitted: they commit with the change
    they tell about, and a savepoint's rollback removes its own."""

    def __init__(self, sql: Direct) -> None:
        self._sql = sql

    async def emit(self, *events: Event) -> None:
        rows = [event.row() for event in events]
        if rows:
            await self._sql.execute_many(_INSERT_OUTBOX, rows)


class ChangeFeed:
    """What this transaction changed that phones pull, written once, just before commit."""

    def __init__(self) -> None:
        # Insertion-ordered and without repeats: the same change touched twice is one row.
        self._pending: dict[Change, None] = {}

    def touch(self, *changes: Change) -> None:
        for change in changes:
            self._pending.setdefault(change)

    def touch_all(self, changes: Iterable[Change]) -> None:
        self.touch(*changes)

    def _mark(self) -> int:
        return len(self._pending)

    def _roll_back_to(self, mark: int) -> None:
        for change in list(self._pending)[mark:]:
            del self._pending[change]

    async def _write(self, sql: Direct) -> None:
        """One counter value for the whole transaction, taken last: the counter row stays
        locked until commit, so transactions take values in commit order and the feed has
        no gaps (see ChangeCounter)."""
        if not self._pending:
            return
        seq = int(await sql.scalar(_NEXT_SEQ) or 0)
        now = utcnow()
        await sql.execute_many(
            _INSERT_CHANGES,
            [
                {
                    "seq": seq,
                    "entity_type": c.entity_type,
                    "entity_id": c.entity_id,
                    "territory_id": c.territory_id,
                    "owner_id": c.owner_id,
                    "at": now,
                }
                for c in self._pending
            ],
        )
        self._pending.clear()


class WriteUnit(ReadUnit):
    """One write transaction. Its work commits when the `Database.write()` block ends
    without an error, after `finish()` has written what the unit collected."""

    def __init__(self, session: AsyncSession, sql: Direct | None = None) -> None:
        super().__init__(session, sql)
        self.audit = AuditLog(self.sql)
        self.feed = ChangeFeed()
        self.outbox = Outbox(self.sql)
        self.sums = SalesSums()
        self._scoped: dict[type[Any], Any] = {}

    def scoped(self, kind: type[T]) -> T:
        """The unit's one instance of `kind` (built as `kind(unit)`): a helper that keeps
        state for this transaction only, dropped when a savepoint rolls back."""
        helper = self._scoped.get(kind)
        if helper is None:
            helper = self._scoped[kind] = cast(Any, kind)(self)
        return cast(T, helper)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """Work that may fail on its own: on an exception the database, the feed and the
        scoped helpers go back to where they were, and the exception goes on."""
        mark, sums_mark = self.feed._mark(), self.sums._mark()
        nested = await self.session.run_sync(_begin_savepoint)
        try:
            yield
        except BaseException:
            self.feed._roll_back_to(mark)
            self.sums._roll_back_to(sums_mark)
            self._scoped.clear()
            await self.session.run_sync(lambda _: nested.rollback())
            raise
        await self.session.run_sync(lambda _: nested.commit())

    async def finish(self) -> None:
        await self.sums._write(self.sql)
        await self.feed._write(self.sql)


def _begin_savepoint(session: Session) -> SessionTransaction:
    nested = session.begin_nested()
    # SQLAlchemy emits SAVEPOINT lazily, at the session's next use of its connection; the
    # direct statements do not go through the session, so without this their writes
    # would land outside the savepoint. (One trip into the session for both steps.)
    session.connection()
    return nested


def unit_of(session: AsyncSession) -> ReadUnit:
    """The unit a session belongs to (every session here is opened by a unit)."""
    unit = session.info.get(_UNIT_KEY)
    if unit is None:
        unit = ReadUnit(session)
    return cast(ReadUnit, unit)
