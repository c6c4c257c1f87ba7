"""Direct statements store and read every column type exactly as the ORM does.

On SQLite's writer they run on the driver with SQLAlchemy's own type processors; elsewhere
through Core. Either way a row written directly must read back through the ORM unchanged,
and a row written through the ORM must read back directly unchanged.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from server.db.models import AuditEvent, PriceList
from server.db.statements import by_arity
from server.db.types import new_id

_INSERT_EVENT = insert(AuditEvent.__table__)
_EVENT = select(AuditEvent.id, AuditEvent.at, AuditEvent.data, AuditEvent.reason).where(
    AuditEvent.id == bindparam("event_id")
)
_LISTS = by_arity(
    lambda n: (
        select(PriceList.id, PriceList.valid_from)
        .where(PriceList.id.in_([bindparam(f"p{i}") for i in range(n)]))
        .order_by(PriceList.code)
    )
)


def _event(**extra):
    row = {
        "id": new_id(),
        "entity_type": "sales_order",
        "entity_id": new_id(),
        "action": "submit",
        "actor_id": None,
        "at": datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC),
        "from_state": "draft",
        "to_state": "submitted",
        "reason": None,
        "data": {"number": "SO-000001", "total_cents": 12345, "lines": [1, 2]},
    }
    row.update(extra)
    return row


async def test_rows_written_directly_read_back_through_the_orm(db):
    rows = [_event(), _event(reason="needs a manager")]
    async with db.write() as uow:
        await uow.sql.execute_many(_INSERT_EVENT, rows)
    async with db.read() as unit:
        stored = {e.id: e for e in (await unit.session.execute(select(AuditEvent))).scalars()}
    for row in rows:
        event = stored[row["id"]]
        assert event.at == row["at"] and event.at.tzinfo is not None
        assert event.data == row["data"]
        assert event.reason == row["reason"]


async def test_each_row_keeps_its_own_time_when_times_repeat_and_alternate(db):
    first = datetime(2026, 3, 4, 5, 6, 7, 1, tzinfo=UTC)
    second = datetime(2026, 3, 4, 5, 6, 7, 2, tzinfo=UTC)
    equal_to_first = datetime(2026, 3, 4, 5, 6, 7, 1, tzinfo=UTC)
    rows = [_event(at=at) for at in (first, first, second, first, equal_to_first, second)]
    async with db.write() as uow:
        await uow.sql.execute_many(_INSERT_EVENT, rows[:3])
        for row in rows[3:]:
            await uow.sql.execute(_INSERT_EVENT, row)
    async with db.read() as unit:
        stored = {e.id: e.at for e in (await unit.session.execute(select(AuditEvent))).scalars()}
    assert [stored[row["id"]] for row in rows] == [row["at"] for row in rows]


async def test_rows_written_through_the_orm_read_back_directly(db):
    event = AuditEvent(**_event())
    lists = [
        PriceList(
            id=new_id(),
            code=f"L{i}",
            name="List",
            kind="base",
            version=1,
            valid_from=date(2026, 1, i + 1),
        )
        for i in range(3)
    ]
    async with db.write() as uow:
        uow.session.add(event)
        uow.session.add_all(lists)
    async with db.write() as uow:
        row = await uow.sql.first(_EVENT, {"event_id": event.id})
        found = await uow.sql.rows(_LISTS(2), {"p0": lists[2].id, "p1": lists[0].id})
    assert row.at == event.at and row.at.tzinfo is not None
    assert row.data == event.data
    assert [(r.id, r.valid_from) for r in found] == [
        (lists[0].id, date(2026, 1, 1)),
        (lists[2].id, date(2026, 1, 3)),
    ]


async def test_a_missing_parameter_is_refused_and_writes_nothing(db):
    row = _event()
    del row["reason"]
    with pytest.raises(KeyError, match="reason"):
        async with db.write() as uow:
            await uow.sql.execute(_INSERT_EVENT, _event(id=new_id()))
            await uow.sql.execute(_INSERT_EVENT, row)
    async with db.read() as unit:
        assert (await unit.session.execute(select(AuditEvent))).first() is None


async def test_pending_orm_changes_are_flushed_before_a_direct_read(db):
    event = AuditEvent(**_event())
    async with db.write() as uow:
        uow.session.add(event)
        row = await uow.sql.first(_EVENT, {"event_id": event.id})
    assert row is not None and row.data == event.data


async def test_a_constraint_violation_raises_as_sqlalchemy_raises_it(db):
    # The same error type on the driver path as through Core: callers catch IntegrityError.
    row = _event()
    async with db.write() as uow:
        await uow.sql.execute(_INSERT_EVENT, row)
    with pytest.raises(IntegrityError):
        async with db.write() as uow:
            await uow.sql.execute(_INSERT_EVENT, row)
