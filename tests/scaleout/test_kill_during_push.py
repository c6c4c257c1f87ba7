"""The server killed with SIGKILL while phones push their queues, then started again, on
SQLite and on PostgreSQL: the phones keep sending what they have not heard back about,
and afterwards every queued order exists exactly once, each phone's outcomes are the ones
stored, and the stock and the document numbers are in balance."""

from __future__ import annotations

import asyncio
import sqlite3

from tests.scaleout.conftest import SingleServer
from tests.scaleout.servers import fetch_all
from tests.scaleout.shop import (
    PHONE_USERS,
    Phone,
    api_http,
    assert_exactly_once,
    assert_numbers_unique_and_gap_free,
    assert_stock_consistent,
    make_scarce,
    new_phone,
    open_shop,
    order_args,
)

PHONES = 8
ORDERS_PER_PHONE = 25


async def _applied(database_url: str) -> int:
    return int((await fetch_all(database_url, "SELECT count(*) AS n FROM sync_outcomes"))[0].n)


async def test_a_server_killed_mid_push_loses_and_duplicates_nothing(single_server: SingleServer):
    server, url = single_server.server, single_server.database_url
    await asyncio.to_thread(lambda: server.start().wait_ready())
    http = api_http(server.url)
    try:
        shop = await open_shop(http, url)
        products = shop.take_products(3)
        await make_scarce(url, products, units=40)  # enough for some orders, not all
        phones: list[Phone] = []
        for n in range(PHONES):
            email = PHONE_USERS[n % len(PHONE_USERS)]
            phone = await new_phone([http], shop.tokens[email], f"phone {n}")
            customers = shop.customers[email]
            for i in range(ORDERS_PER_PHONE):
                phone.client.enqueue(
                    "order.place", order_args(customers[i % len(customers)], products, n * 100 + i)
                )
            phones.append(phone)
        total = PHONES * ORDERS_PER_PHONE

        async def kill_midway() -> int:
            applied = 0
            while applied < total // 3:
                await asyncio.sleep(0.02)
                applied = await _applied(url)
            await asyncio.to_thread(server.kill)
            await asyncio.to_thread(lambda: server.start().wait_ready())
            return applied

        killer = asyncio.create_task(kill_midway())
        await asyncio.gather(*(phone.push_until_done(deadline_seconds=240) for phone in phones))
        applied_at_kill = await killer
    finally:
        await http.aclose()

    assert total // 3 <= applied_at_kill < total  # the kill came in the middle of the load
    assert sum(phone.retries for phone in phones) > 0  # and pushes were cut off by it
    await assert_exactly_once(url, phones)
    orders = await fetch_all(url, "SELECT count(*) AS n FROM sales_orders")
    assert orders[0].n == total
    await assert_stock_consistent(url)
    await assert_numbers_unique_and_gap_free(url)
    if single_server.backend == "sqlite":
        server.stop()
        path = url.removeprefix("sqlite+aiosqlite:///")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            conn.close()
