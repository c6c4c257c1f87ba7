"""Old delivered outbox messages are deleted with their attempt logs; what is still to go
or waits for an admin's replay stays. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from server.app import create_app
from server.db.engine import Database
from server.db.models import OutboxMessage, WebhookAttempt
from server.db.types import utcnow
from server.features.notifications import worker as worker_module
from server.features.notifications.worker import OutboxWorker
from tests.fulfilment_factories import place
from tests.integration.test_outbox import world
from tests.integration.test_webhooks import drain, make_due, register
from tests.webhook_receiver import webhook_receiver


async def _deliveries(db: Database) -> dict[str, tuple[str, str]]:
    """Webhook deliveries: id -> (the order they tell about, status)."""
    async with db.read() as unit:
        rows = await unit.session.scalars(
            select(OutboxMessage).where(OutboxMessage.destination.like("webhook:%"))
        )
        return {m.id: (m.payload["order_id"], m.status) for m in rows}


async def _age(db: Database, order_ids: list[str], days: int) -> None:
    """Every outbox message about these orders (events and deliveries) as of `days` ago."""
    then = utcnow() - timedelta(days=days)
    async with db.write() as uow:
        rows = await uow.session.scalars(select(OutboxMessage))
        ids = [m.id for m in rows if m.payload.get("order_id") in order_ids]
        await uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(created_at=then, available_at=then)
        )
        await uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.delivered_at.is_not(None))
            .values(delivered_at=then)
        )


async def _about(db: Database, order_id: str) -> int:
    async with db.read() as unit:
        rows = await unit.session.scalars(select(OutboxMessage))
        return sum(1 for m in rows if m.payload.get("order_id") == order_id)


async def _attempts(db: Database) -> int:
    async with db.read() as unit:
        return int(await unit.session.scalar(select(func.count()).select_from(WebhookAttempt)))


async def _three_orders(client: Any, db: Database, backend: Any, receiver: Any) -> dict[str, Any]:
    """An old order whose webhook was delivered at the second attempt, an old order whose
    webhook failed for good, and a recent delivered one."""
    w = await world(client, db)
    endpoint = await register(client, w["admin"], receiver.url)
    worker = OutboxWorker(db, backend.settings(webhooks_allow_private=True))
    receiver.fail_next = 1
    old = await place(client, w["manager"], w["customer"], [(w["widget"], 1)])
    await drain(worker)
    await make_due(db)
    await drain(worker)
    receiver.fail_next = 1
    failed = await place(client, w["manager"], w["customer"], [(w["widget"], 1)])
    gives_up = OutboxWorker(
        db, backend.settings(webhooks_allow_private=True, delivery_retry_hours=0)
    )
    await drain(gives_up)
    recent = await place(client, w["manager"], w["customer"], [(w["widget"], 1)])
    await drain(worker)
    await _age(db, [old["id"], failed["id"]], days=31)
    return {"w": w, "endpoint": endpoint, "old": old, "failed": failed, "recent": recent}


async def test_messages_delivered_before_the_retention_go_with_their_attempts(
    client, db, backend, monkeypatch
):
    with webhook_receiver() as receiver:
        made = await _three_orders(client, db, backend, receiver)
    assert sorted(status for _, status in (await _deliveries(db)).values()) == [
        "delivered",
        "delivered",
        "failed",
    ]
    assert await _attempts(db) == 2  # the old order's 500, the failed one's 500
    about_old = await _about(db, made["old"]["id"])
    assert about_old >= 2  # its event and its delivery

    # One message per transaction: the batches follow one another until none is left.
    monkeypatch.setattr(worker_module, "_PURGE_BATCH", 1)
    worker = OutboxWorker(db, backend.settings(outbox_retention_days=30))
    assert await worker.purge() == about_old + 1  # and the failed order's event

    left = await _deliveries(db)
    assert sorted(left.values()) == sorted(
        [(made["failed"]["id"], "failed"), (made["recent"]["id"], "delivered")]
    )
    assert await _about(db, made["old"]["id"]) == 0
    assert await _attempts(db) == 1  # the failed delivery keeps its log for the replay
    detail = await client.get(f"/api/webhooks/{made['endpoint']['id']}", headers=made["w"]["admin"])
    assert sorted(d["id"] for d in detail.json()["deliveries"]) == sorted(left)
    assert await worker.purge() == 0


async def test_a_retention_of_zero_keeps_every_message(client, db, backend):
    with webhook_receiver() as receiver:
        await _three_orders(client, db, backend, receiver)
    before = await _deliveries(db)
    worker = OutboxWorker(db, backend.settings(outbox_retention_days=0))
    assert await worker.purge() == 0
    assert await _deliveries(db) == before
    assert await _attempts(db) == 2


async def test_the_worker_started_with_the_app_deletes_old_messages_on_its_own(client, db, backend):
    with webhook_receiver() as receiver:
        made = await _three_orders(client, db, backend, receiver)
        app = create_app(backend.settings(outbox_poll_seconds=0.05), db)
        async with app.lifespan():
            for _ in range(100):
                if not await _about(db, made["old"]["id"]):
                    break
                await asyncio.sleep(0.05)
    assert await _about(db, made["old"]["id"]) == 0
    assert await _about(db, made["recent"]["id"]) >= 2


async def test_two_processes_purging_at_once_delete_each_message_once(
    client, db, backend, monkeypatch
):
    with webhook_receiver() as receiver:
        made = await _three_orders(client, db, backend, receiver)
    about_old = await _about(db, made["old"]["id"])
    monkeypatch.setattr(worker_module, "_PURGE_BATCH", 1)
    other_db = Database(backend.url)  # another process's pool
    try:
        settings = backend.settings(outbox_retention_days=30)
        counts = await asyncio.gather(
            OutboxWorker(db, settings).purge(), OutboxWorker(other_db, settings).purge()
        )
    finally:
        await other_db.dispose()
    assert sum(counts) == about_old + 1
    assert await _about(db, made["old"]["id"]) == 0
    assert sorted(s for _, s in (await _deliveries(db)).values()) == ["delivered", "failed"]
