"""An online order sent with an Idempotency-Key whose server is killed while it writes the
order: the client sends it again with the same key, and gets it placed, once."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.scaleout.conftest import SingleServer
from tests.scaleout.servers import execute, fetch_all
from tests.scaleout.shop import api_http, bearer, open_shop

# The order with this PO number takes its time in the database: long enough to kill the
# server while its transaction is open.
_SLOW_ORDER = [
    "CREATE FUNCTION slow_order() RETURNS trigger AS $$ BEGIN "
    "IF NEW.po_number = 'SLOW' THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END $$ "
    "LANGUAGE plpgsql",
    "CREATE TRIGGER slow_order BEFORE INSERT ON sales_orders FOR EACH ROW "
    "EXECUTE FUNCTION slow_order()",
]


@pytest.mark.parametrize("single_server", ["postgres"], indirect=True)
async def test_an_order_cut_off_by_a_killed_server_is_placed_once_on_retry(
    single_server: SingleServer,
):
    server, url = single_server.server, single_server.database_url
    await asyncio.to_thread(lambda: server.start().wait_ready())
    http = api_http(server.url)
    try:
        shop = await open_shop(http, url)
        email = "rep1@example.com"
        body = {
            "customer_id": shop.customers[email][0],
            "lines": [{"product_id": shop.products[0], "quantity": 1}],
            "po_number": "SLOW",
        }
        headers = {"Idempotency-Key": "order-7", **bearer(shop.tokens[email])}
        await execute(url, *_SLOW_ORDER)
        first = asyncio.create_task(http.post("/api/orders", json=body, headers=headers))
        deadline = time.monotonic() + 30
        while not await fetch_all(
            url, "SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep'"
        ):
            assert time.monotonic() < deadline, "the order never reached the database"
            await asyncio.sleep(0.05)
        await asyncio.to_thread(server.kill)
        with pytest.raises(httpx.TransportError):
            await first
        # PostgreSQL ends the dead server's transaction; the order is not there.
        await execute(
            url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE wait_event = 'PgSleep' AND pid <> pg_backend_pid()",
            "DROP TRIGGER slow_order ON sales_orders",
        )
        await asyncio.to_thread(lambda: server.start().wait_ready())

        retried = await http.post("/api/orders", json=body, headers=headers)
        assert retried.status_code == 201, retried.text
        again = await http.post("/api/orders", json=body, headers=headers)
        assert again.status_code == 201 and again.json()["number"] == retried.json()["number"]
    finally:
        await http.aclose()
    orders = await fetch_all(url, "SELECT number FROM sales_orders WHERE po_number = 'SLOW'")
    assert [r.number for r in orders] == [retried.json()["number"]]
