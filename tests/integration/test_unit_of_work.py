"""The unit of work owns what a transaction writes besides its data: a savepoint that rolls
back takes its audit events and its change-feed touches with it, and the feed is written
once per transaction, with one counter value, when the work is done."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.db.engine import Database
from server.db.models import AuditEvent, ChangeCounter, ChangeRecord
from server.db.types import new_id
from server.db.unit_of_work import AuditRecord, Change


async def _feed(db: Database) -> list[tuple[int, str]]:
    async with db.read() as unit:
        rows = await unit.session.execute(
            select(ChangeRecord.seq, ChangeRecord.entity_id).order_by(ChangeRecord.id)
        )
        return [(r.seq, r.entity_id) for r in rows]


async def _counter(db: Database) -> int:
    async with db.read() as unit:
        return int(await unit.session.scalar(select(ChangeCounter.value)) or 0)


async def _audited(db: Database) -> set[str]:
    async with db.read() as unit:
        return set((await unit.session.execute(select(AuditEvent.entity_id))).scalars())


def _event(entity_id: str) -> AuditRecord:
    return AuditRecord(entity_type="test", entity_id=entity_id, action="touched", actor_id=None)


async def test_a_rolled_back_savepoint_takes_its_feed_touches_and_audit_events_with_it(db):
    kept, dropped, after = new_id(), new_id(), new_id()
    before = await _counter(db)
    async with db.write() as uow:
        uow.feed.touch(Change("product", kept))
        await uow.audit.record(_event(kept))
        with pytest.raises(RuntimeError):
            async with uow.savepoint():
                uow.feed.touch(Change("product", dropped))
                await uow.audit.record(_event(dropped))
                raise RuntimeError("this part of the work fails")
        uow.feed.touch(Change("product", after))
        await uow.audit.record(_event(after))
    feed = [entity for _, entity in await _feed(db)]
    assert kept in feed and after in feed and dropped not in feed
    assert {kept, after} <= await _audited(db) and dropped not in await _audited(db)
    # One counter value for the whole transaction, taken once.
    assert await _counter(db) == before + 1
    assert {seq for seq, entity in await _feed(db) if entity in (kept, after)} == {before + 1}


async def test_a_failed_unit_writes_no_feed_and_takes_no_counter_value(db):
    lost = new_id()
    before = await _counter(db)
    with pytest.raises(RuntimeError):
        async with db.write() as uow:
            uow.feed.touch(Change("product", lost))
            await uow.audit.record(_event(lost))
            raise RuntimeError("the whole unit fails")
    assert lost not in [entity for _, entity in await _feed(db)]
    assert lost not in await _audited(db)
    assert await _counter(db) == before


async def test_a_unit_that_touches_nothing_takes_no_counter_value(db):
    before = await _counter(db)
    async with db.write() as uow:
        await uow.audit.record(_event(new_id()))
    assert await _counter(db) == before


async def test_the_same_change_touched_twice_is_written_once(db):
    product = new_id()
    async with db.write() as uow:
        uow.feed.touch(Change("product", product), Change("product", product))
        uow.feed.touch(Change("product", product))
    assert [entity for _, entity in await _feed(db)].count(product) == 1
