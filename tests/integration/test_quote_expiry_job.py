"""The periodic quote expiry: scheduled with the app's startup, stopped with its shutdown,
expiring overdue quotes that nobody reads."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from server.app import create_app
from server.db.engine import Database
from server.db.models import AuditEvent, Quote
from server.features.sales.jobs import QuoteExpiryJob
from server.features.shared.job_claims import claim_job_run
from tests.factories import bearer, login, seed_world
from tests.sales_factories import add_product, create_customer, seed_catalog


async def _shop(client, db) -> dict[str, Any]:
    await seed_world(db)
    catalog = await seed_catalog(db)
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    manager = bearer(await login(client, "manager@corp.test"))
    customer = await create_customer(client, manager, "Harbor View Bistro")
    return {"headers": manager, "customer_id": customer["id"], "widget": widget}


async def _sent_quote(client, shop: dict[str, Any]) -> str:
    body = {
        "customer_id": shop["customer_id"],
        "lines": [{"product_id": shop["widget"], "quantity": 1}],
    }
    quote = (await client.post("/api/quotes", json=body, headers=shop["headers"])).json()
    sent = await client.post(f"/api/quotes/{quote['id']}/send", headers=shop["headers"])
    assert sent.status_code == 200
    return str(quote["id"])


async def _backdate(db, quote_id: str) -> None:
    async with db.write() as uow:
        await uow.session.execute(
            update(Quote)
            .where(Quote.id == quote_id)
            .values(valid_until=date.today() - timedelta(days=1))
        )


async def _status(db, quote_id: str) -> str:
    async with db.read() as unit:
        quote = await unit.session.get(Quote, quote_id)
        assert quote is not None
        return quote.status


async def _wait_for(db, quote_id: str, status: str, seconds: float) -> bool:
    for _ in range(int(seconds / 0.1)):
        if await _status(db, quote_id) == status:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_the_job_expires_overdue_quotes_on_startup_and_then_on_schedule(backend, client, db):
    shop = await _shop(client, db)
    first = await _sent_quote(client, shop)
    await _backdate(db, first)
    app = create_app(backend.settings(quote_expiry_interval_seconds=1), db)

    async with app.lifespan():
        assert app.state.quote_expiry.running
        # Nobody reads the quote: only the job can have expired it.
        assert await _wait_for(db, first, "expired", 5)
        second = await _sent_quote(client, shop)
        await _backdate(db, second)
        assert await _wait_for(db, second, "expired", 5)
    assert not app.state.quote_expiry.running


async def test_an_interval_of_zero_schedules_nothing(backend, client, db):
    quote_id = await _sent_quote(client, await _shop(client, db))
    await _backdate(db, quote_id)
    app = create_app(backend.settings(quote_expiry_interval_seconds=0), db)
    async with app.lifespan():
        assert not app.state.quote_expiry.running
        await asyncio.sleep(0.3)
    assert await _status(db, quote_id) == "sent"


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_run_while_another_process_runs_the_job_expires_nothing(backend, client, db):
    quote_id = await _sent_quote(client, await _shop(client, db))
    await _backdate(db, quote_id)
    other_process = Database(backend.url)
    try:
        async with db.write() as uow:
            # Another server process is in the middle of its run: it holds the job's claim.
            assert await claim_job_run(uow, "quote_expiry")
            assert await asyncio.wait_for(QuoteExpiryJob(other_process, 60).run_once(), 5) == 0
        assert await _status(db, quote_id) == "sent"
        # Its run is over: the next run anywhere does the work.
        assert await QuoteExpiryJob(other_process, 60).run_once() == 1
    finally:
        await other_process.dispose()
    async with db.read() as unit:
        events = await unit.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity_id == quote_id, AuditEvent.action == "expire")
        )
    assert events == 1
