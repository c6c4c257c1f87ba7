"""On PostgreSQL each server process keeps a bounded number of write transactions open.

The others wait their turn before they begin, holding no lock, while reads go on. A write
that holds rows' locks (stock, the number series) until its commit then shares the event
loop with fewer others and commits sooner (`FIELDSALES_PG_WRITE_TRANSACTIONS`).
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from server.app import create_app
from server.db.engine import Database
from tests.billing_factories import open_shop
from tests.conftest import api_client
from tests.sales_factories import create_customer, stock_row_held


def _order(customer_id: str, product_id: str) -> dict:
    return {"customer_id": customer_id, "lines": [{"product_id": product_id, "quantity": 1}]}


@pytest.fixture
async def one_writer(backend):
    """An app whose process keeps one write transaction open at a time on PostgreSQL."""
    database = Database(backend.url, write_transactions=1)
    app = create_app(backend.settings(pg_write_transactions=1), database)
    async with api_client(app) as client:
        yield client, database
    await database.dispose()


# SQLite has one writer by design: there every write takes its turn.
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_write_waits_its_turn_while_reads_go_on(backend, one_writer):
    client, database = one_writer
    shop = await open_shop(client, database)
    busy, quiet = shop.even, shop.odd
    # Two customers: orders of one customer with a credit limit take turns anyway.
    other_customer = await create_customer(client, shop.admin, "Side Street")
    # Another transaction (a receipt, a shipment) holds the busy product's stock row.
    async with stock_row_held(backend.url, busy):
        first = asyncio.create_task(
            client.post("/api/orders", json=_order(shop.customer["id"], busy), headers=shop.rep)
        )
        await asyncio.sleep(0.3)
        second = asyncio.create_task(
            client.post("/api/orders", json=_order(other_customer["id"], quiet), headers=shop.rep)
        )
        await asyncio.sleep(0.5)
        # The one write turn is the first order's, waiting for the stock row: the second,
        # of another product, waits for the turn (it would be placed by now without it).
        assert not first.done() and not second.done()
        listed = await asyncio.wait_for(client.get("/api/customers", headers=shop.rep), 10)
        assert listed.status_code == 200 and listed.json()["items"]
    placed_first = await asyncio.wait_for(first, 10)
    placed_second = await asyncio.wait_for(second, 10)
    assert placed_first.status_code == placed_second.status_code == 201
    assert placed_first.json()["number"] < placed_second.json()["number"]


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_write_opened_inside_a_read_does_not_queue_holding_its_connection(backend):
    """A read unit that opens a write unit (a page that records what it showed) holds a
    pooled connection: queued for a turn, it could wait on a turn holder that waits for a
    connection from a pool such readers emptied. So, like a write inside a write, it does
    not queue again."""
    database = Database(backend.url, write_transactions=1)
    turn_taken, release = asyncio.Event(), asyncio.Event()

    async def hold_the_only_turn() -> None:
        async with database.write() as uow:
            await uow.session.execute(text("SELECT 1"))
            turn_taken.set()
            await release.wait()

    holder = asyncio.create_task(hold_the_only_turn())
    try:
        await asyncio.wait_for(turn_taken.wait(), 10)
        async with database.read() as unit:
            await unit.session.execute(text("SELECT 1"))

            async def nested_write() -> int:
                async with database.write() as uow:
                    return int((await uow.session.execute(text("SELECT 2"))).scalar_one())

            assert await asyncio.wait_for(nested_write(), 5) == 2
        # A write of its own, outside any unit, still waits for the turn.
        outside = asyncio.create_task(nested_write())
        await asyncio.sleep(0.3)
        assert not outside.done()
        release.set()
        assert await asyncio.wait_for(outside, 10) == 2
    finally:
        release.set()
        await holder
        await database.dispose()
