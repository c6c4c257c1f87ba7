"""Webhooks delivered to a real HTTP receiver on 127.0.0.1: signed, retried with the same
id, logged, replayed, paused when they keep failing, refused for private addresses unless
allowed; several workers on PostgreSQL deliver each message once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from server.app import create_app
from server.db.engine import Database
from server.db.models import OutboxMessage
from server.db.types import utcnow
from server.features.notifications.worker import OutboxWorker
from tests.fulfilment_factories import place
from tests.integration.test_back_office_pages import _log_in as log_in
from tests.integration.test_outbox import world
from tests.webhook_receiver import verify, webhook_receiver


async def register(client: Any, admin: dict[str, str], url: str, **extra: Any) -> dict[str, Any]:
    body = {"url": url, "event_types": ["order.confirmed"], **extra}
    response = await client.post("/api/webhooks", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def drain(worker: OutboxWorker) -> None:
    while await worker.run_once():
        pass


async def make_due(db: Database) -> None:
    """Skip the backoff: every pending message is due now."""
    async with db.write() as uow:
        await uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "pending")
            .values(available_at=utcnow() - timedelta(seconds=1))
        )


async def test_a_confirmed_order_reaches_the_receiver_signed(client, db, backend):
    w = await world(client, db)
    with webhook_receiver() as receiver:
        endpoint = await register(client, w["admin"], receiver.url)
        assert endpoint["secret"].startswith("whsec_")
        order = await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
        await drain(OutboxWorker(db, backend.settings(webhooks_allow_private=True)))

    [got] = receiver.received
    assert verify(endpoint["secret"], got)
    assert not verify("whsec_" + "A" * 44, got)
    assert got.json()["type"] == "order.confirmed"
    assert got.json()["data"]["order_id"] == order["id"]
    assert abs(int(got.headers["webhook-timestamp"]) - utcnow().timestamp()) < 60
    detail = (await client.get(f"/api/webhooks/{endpoint['id']}", headers=w["admin"])).json()
    [delivery] = detail["deliveries"]
    assert (delivery["id"], delivery["status"]) == (got.id, "delivered")
    assert [a["status_code"] for a in delivery["attempt_log"]] == [204]


async def test_an_endpoint_registered_after_an_event_does_not_receive_it(client, db, backend):
    w = await world(client, db)
    with webhook_receiver() as receiver:
        before = await place(client, w["manager"], w["customer"], [(w["widget"], 1)])
        await register(client, w["admin"], receiver.url)
        after = await place(client, w["manager"], w["customer"], [(w["widget"], 1)])
        await drain(OutboxWorker(db, backend.settings(webhooks_allow_private=True)))

    assert before["status"] == after["status"] == "confirmed"
    assert [r.json()["data"]["order_id"] for r in receiver.received] == [after["id"]]


async def _failed_once(
    client: Any, db: Database, backend: Any, receiver: Any, w: dict[str, Any]
) -> tuple[dict[str, Any], OutboxWorker]:
    """An order whose webhook the receiver refused once: the endpoint, and the worker that
    tried it."""
    receiver.fail_next = 1
    endpoint = await register(client, w["admin"], receiver.url)
    await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
    worker = OutboxWorker(db, backend.settings(webhooks_allow_private=True))
    await drain(worker)
    return endpoint, worker


async def test_a_failed_delivery_is_retried_later_with_the_same_id(client, db, backend):
    w = await world(client, db)
    with webhook_receiver() as receiver:
        endpoint, worker = await _failed_once(client, db, backend, receiver, w)
        assert len(receiver.received) == 1
        async with db.read() as unit:
            [pending] = (
                await unit.session.scalars(
                    select(OutboxMessage).where(OutboxMessage.destination.like("webhook:%"))
                )
            ).all()
        assert (pending.status, pending.attempts) == ("pending", 1)
        assert pending.available_at > utcnow()  # backing off
        await drain(worker)
        assert len(receiver.received) == 1  # not yet due
        await make_due(db)
        await drain(worker)

    first, second = receiver.received
    assert first.id == second.id == pending.id
    assert verify(endpoint["secret"], second)
    detail = (await client.get(f"/api/webhooks/{endpoint['id']}", headers=w["admin"])).json()
    [delivery] = detail["deliveries"]
    assert delivery["status"] == "delivered"
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 204]
    assert all(a["duration_ms"] >= 0 for a in delivery["attempt_log"])


async def test_an_admin_replays_a_delivery_with_the_same_id(client, db, backend):
    w = await world(client, db)
    with webhook_receiver() as receiver:
        endpoint = await register(client, w["admin"], receiver.url)
        await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
        worker = OutboxWorker(db, backend.settings(webhooks_allow_private=True))
        await drain(worker)
        message_id = receiver.received[0].id
        path = f"/api/webhooks/{endpoint['id']}/deliveries/{message_id}/replay"
        assert (await client.post(path, headers=w["admin"])).status_code == 202
        assert (await client.post(path, headers=w["admin"])).status_code == 409
        await drain(worker)
    assert [r.id for r in receiver.received] == [message_id, message_id]
    detail = (await client.get(f"/api/webhooks/{endpoint['id']}", headers=w["admin"])).json()
    [delivery] = detail["deliveries"]
    # Both deliveries stay in the log: the replay did not wipe the first.
    assert [a["status_code"] for a in delivery["attempt_log"]] == [204, 204]
    first, second = (a["at"] for a in delivery["attempt_log"])
    assert first <= second == delivery["delivered_at"]


async def test_a_loopback_receiver_is_refused_without_the_allowance(client, db, backend):
    w = await world(client, db)
    with webhook_receiver() as receiver:
        endpoint = await register(client, w["admin"], receiver.url)
        await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
        await drain(OutboxWorker(db, backend.settings()))
        assert receiver.received == []
    detail = (await client.get(f"/api/webhooks/{endpoint['id']}", headers=w["admin"])).json()
    [delivery] = detail["deliveries"]
    assert delivery["status"] == "pending"
    [attempt] = delivery["attempt_log"]
    assert attempt["status_code"] is None
    assert "127.0.0.1" in attempt["error"] and "private" in attempt["error"]


async def test_the_endpoint_flag_allows_a_private_receiver(client, db, backend):
    w = await world(client, db)
    with webhook_receiver() as receiver:
        await register(client, w["admin"], receiver.url, allow_private=True)
        await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
        await drain(OutboxWorker(db, backend.settings()))
    assert len(receiver.received) == 1


async def test_an_endpoint_that_keeps_failing_is_paused_and_the_admin_told(
    client, db, backend, browser
):
    w = await world(client, db)
    with webhook_receiver() as receiver:
        receiver.fail_next = 100
        endpoint = await register(client, w["admin"], receiver.url)
        await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
        worker = OutboxWorker(
            db, backend.settings(webhooks_allow_private=True, webhook_pause_after_failures=2)
        )
        await drain(worker)
        await make_due(db)
        await drain(worker)
        await make_due(db)
        await drain(worker)
        assert len(receiver.received) == 2  # paused after the second
    [listed] = (await client.get("/api/webhooks", headers=w["admin"])).json()
    assert listed["enabled"] is False
    assert "2 failed deliveries" in listed["paused_reason"]
    await log_in(browser, "admin@corp.test")
    page = await browser.get("/admin/webhooks")
    assert page.status_code == 200
    assert 'data-testid="paused-alert"' in page.text
    assert endpoint["url"] in page.text


async def test_an_endpoint_with_an_unknown_event_type_is_refused(client, db):
    w = await world(client, db)
    response = await client.post(
        "/api/webhooks",
        json={"url": "https://example.com/h", "event_types": ["order.exploded"]},
        headers=w["admin"],
    )
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_event_type"
    assert (await client.get("/api/webhooks", headers=w["admin"])).json() == []


# PostgreSQL only: SQLite has one writer, and the claim is what several processes share.
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_two_workers_on_postgresql_deliver_each_message_once(client, db, backend):
    w = await world(client, db)
    with webhook_receiver() as receiver:
        await register(client, w["admin"], receiver.url)
        for _ in range(8):
            await place(client, w["manager"], w["customer"], [(w["widget"], 1)])
        settings = backend.settings(webhooks_allow_private=True)
        first, second = Database(backend.url), Database(backend.url)
        try:
            workers = [
                OutboxWorker(first, settings, worker_id="a"),
                OutboxWorker(second, settings, worker_id="b"),
            ]
            for _ in range(4):
                await asyncio.gather(*(drain(x) for x in workers))
        finally:
            await first.dispose()
            await second.dispose()
    ids = [r.id for r in receiver.received]
    assert len(ids) == 8
    assert len(set(ids)) == 8


async def test_the_worker_started_with_the_app_delivers_on_its_own(client, db, backend):
    w = await world(client, db)
    app = create_app(backend.settings(webhooks_allow_private=True, outbox_poll_seconds=0.05), db)
    with webhook_receiver() as receiver:
        await register(client, w["admin"], receiver.url)
        async with app.lifespan():
            assert app.state.outbox.running
            await place(client, w["manager"], w["customer"], [(w["widget"], 1)])
            for _ in range(100):
                if receiver.received:
                    break
                await asyncio.sleep(0.05)
        assert not app.state.outbox.running
    assert [r.json()["type"] for r in receiver.received] == ["order.confirmed"]


async def test_an_admin_registers_and_pauses_an_endpoint_from_the_page(client, db, browser):
    w = await world(client, db)
    await log_in(browser, "admin@corp.test")
    token = browser.cookies.get("fs_csrf") or ""
    created = await browser.post(
        "/admin/webhooks",
        data={
            "_csrf_token": token,
            "url": "https://hooks.example.com/fieldsales",
            "event_types": ["order.shipped", "invoice.issued"],
        },
    )
    assert created.status_code == 303, created.text
    page = await browser.get(created.headers["location"])
    assert 'data-testid="secret">whsec_' in page.text
    [listed] = (await client.get("/api/webhooks", headers=w["admin"])).json()
    assert listed["event_types"] == ["invoice.issued", "order.shipped"]
    assert listed["allow_private"] is False
    paused = await browser.post(
        f"/admin/webhooks/{listed['id']}/pause", data={"_csrf_token": token}
    )
    assert paused.status_code == 303
    [after] = (await client.get("/api/webhooks", headers=w["admin"])).json()
    assert after["enabled"] is False


async def test_a_busy_worker_records_each_round_with_the_next_claim_and_sends_once(
    client, db, backend, monkeypatch
):
    # Batches of two, so that three orders keep the worker's batches full across rounds.
    from server.features.notifications import worker as worker_module

    monkeypatch.setattr(worker_module, "_BATCH", 2)
    w = await world(client, db)
    with webhook_receiver() as receiver:
        endpoint = await register(client, w["admin"], receiver.url)
        for _ in range(3):
            await place(client, w["manager"], w["customer"], [(w["widget"], 1)])
        worker = OutboxWorker(db, backend.settings(webhooks_allow_private=True))
        rounds = 0
        while await worker.run_once():
            rounds += 1
        await make_due(db)
        assert await worker.run_once() == 0  # nothing left, nothing claimed twice

    ids = [got.id for got in receiver.received]
    assert len(ids) == len(set(ids)) == 3
    assert rounds >= 2
    detail = (await client.get(f"/api/webhooks/{endpoint['id']}", headers=w["admin"])).json()
    assert sorted(d["status"] for d in detail["deliveries"]) == ["delivered"] * 3
    assert all(len(d["attempt_log"]) == 1 for d in detail["deliveries"])


async def test_outcomes_held_for_the_next_round_are_recorded_when_the_worker_stops(
    client, db, backend, monkeypatch
):
    from server.features.notifications import worker as worker_module

    monkeypatch.setattr(worker_module, "_BATCH", 1)
    w = await world(client, db)
    with webhook_receiver() as receiver:
        await register(client, w["admin"], receiver.url)
        await place(client, w["manager"], w["customer"], [(w["widget"], 1)])
        worker = OutboxWorker(db, backend.settings(webhooks_allow_private=True))
        # The event fans out and its webhook is sent in the same round; the batch was full.
        assert await worker.run_once() == 1
        assert len(receiver.received) == 1

        async def webhook_status() -> str:
            async with db.read() as unit:
                row = await unit.session.scalar(
                    select(OutboxMessage).where(OutboxMessage.destination.like("webhook:%"))
                )
                assert row is not None
                return row.status

        assert await webhook_status() == "pending"  # sent, its outcome held for the next round
        await worker.stop()
        assert await webhook_status() == "delivered"
        await make_due(db)
        await drain(OutboxWorker(db, backend.settings(webhooks_allow_private=True)))
    assert len(receiver.received) == 1  # recorded, so never sent again


async def test_a_worker_that_dies_after_fanning_out_leaves_the_webhook_to_the_next_once(
    client, db, backend, monkeypatch
):
    """Deliveries are claimed as they are written: no other worker sends them while the
    lease holds, and once it has ended the next worker sends each once."""
    w = await world(client, db)
    settings = backend.settings(webhooks_allow_private=True)
    with webhook_receiver() as receiver:
        await register(client, w["admin"], receiver.url)
        await place(client, w["manager"], w["customer"], [(w["widget"], 1)])
        dying = OutboxWorker(db, settings)

        async def die(*args: Any) -> Any:
            raise RuntimeError("the process died before sending")

        monkeypatch.setattr(dying, "_send", die)
        with pytest.raises(RuntimeError):
            await dying.run_once()
        async with db.read() as unit:
            [claimed] = await unit.session.scalars(
                select(OutboxMessage).where(OutboxMessage.destination.like("webhook:%"))
            )
        assert (claimed.status, claimed.claimed_by) == ("pending", dying.worker_id)

        other = OutboxWorker(db, settings)
        await drain(other)
        assert receiver.received == []  # the lease still holds
        async with db.write() as uow:
            await uow.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == claimed.id)
                .values(claimed_until=utcnow() - timedelta(seconds=1))
            )
        await drain(other)
        await make_due(db)
        await drain(other)
    assert [got.id for got in receiver.received] == [claimed.id]


async def test_a_downgrade_gives_delivered_webhooks_their_attempts_back(client, db, backend):
    from sqlalchemy import text

    from server.db.migrate import downgrade, upgrade

    w = await world(client, db)
    with webhook_receiver() as receiver:
        endpoint = await register(client, w["admin"], receiver.url)
        await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
        await drain(OutboxWorker(db, backend.settings(webhooks_allow_private=True)))
    [got] = receiver.received
    await db.dispose()

    await downgrade(backend.url, "0022")
    async with db.read() as unit:
        attempts = (
            await unit.session.execute(
                text("SELECT message_id, endpoint_id, status_code, error FROM webhook_attempts")
            )
        ).all()
    assert [tuple(a) for a in attempts] == [(got.id, endpoint["id"], 204, None)]
    await db.dispose()
    await upgrade(backend.url)


async def test_an_endpoints_page_reads_its_deliveries_by_index_not_by_scanning_the_outbox(
    client, db, backend
):
    """The outbox grows by a row for every event and every delivery; the endpoint's page
    must find its latest deliveries through an index, however large it gets."""
    from sqlalchemy import event

    w = await world(client, db)
    with webhook_receiver() as receiver:
        endpoint = await register(client, w["admin"], receiver.url)
        await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
        await drain(OutboxWorker(db, backend.settings(webhooks_allow_private=True)))

    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM outbox_messages" in statement and "ORDER BY" in statement:
            statements.append((statement, parameters))

    event.listen(db.read_engine.sync_engine, "before_cursor_execute", seen)
    try:
        page = await client.get(f"/api/webhooks/{endpoint['id']}", headers=w["admin"])
    finally:
        event.remove(db.read_engine.sync_engine, "before_cursor_execute", seen)
    assert page.status_code == 200 and len(page.json()["deliveries"]) == 1
    [(statement, parameters)] = statements

    async with db.write_engine.connect() as conn:
        if backend.name == "postgres":
            # The planner prefers a scan of a table this small; only whether the index can
            # serve the read is in question.
            await conn.exec_driver_sql("SET enable_seqscan = off")
            await conn.exec_driver_sql("SET enable_bitmapscan = off")
            plan = (await conn.exec_driver_sql("EXPLAIN " + statement, parameters)).all()
        else:
            plan = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)).all()
        await conn.rollback()
    text_of_plan = " ".join(str(part) for row in plan for part in row)
    assert "ix_outbox_messages_by_destination" in text_of_plan, text_of_plan


def test_the_worker_delivers_and_retries_on_uvloop_the_loop_the_server_runs_on(
    tmp_path, sqlite_template
):
    """The served app runs on uvloop, whose transports are not asyncio's: the whole round
    (fan-out, signed send, a failure recorded, the retry delivered) on that loop."""
    import shutil

    import uvloop

    from tests.conftest import Backend, api_client

    path = tmp_path / "fieldsales.db"
    shutil.copy(sqlite_template, path)
    backend = Backend("sqlite", f"sqlite+aiosqlite:///{path}", tmp_path)

    async def scenario() -> tuple[list[Any], dict[str, Any], dict[str, Any]]:
        db = Database(backend.url)
        try:
            async with api_client(create_app(backend.settings(), db)) as client:
                w = await world(client, db)
                with webhook_receiver() as receiver:
                    endpoint, worker = await _failed_once(client, db, backend, receiver, w)
                    await make_due(db)
                    await drain(worker)
                    await worker.stop()
                path = f"/api/webhooks/{endpoint['id']}"
                detail = (await client.get(path, headers=w["admin"])).json()
                return receiver.received, endpoint, detail
        finally:
            await db.dispose()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        received, endpoint, detail = runner.run(scenario())
    first, second = received
    assert first.id == second.id and verify(endpoint["secret"], second)
    [delivery] = detail["deliveries"]
    assert delivery["status"] == "delivered"
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 204]
