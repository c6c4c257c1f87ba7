"""Orders placed at the same moment wait for each other only where they must.

Two orders of one customer with a credit limit take turns, so together they never pass the
limit. Anything else goes on in parallel on PostgreSQL: an order waiting for a busy
product's stock does not hold up the orders of other products (the order number, which
every order takes, is taken after the stock, just before the commit).
"""

from __future__ import annotations

import asyncio

from tests.billing_factories import open_shop
from tests.sales_factories import create_customer, stock_row_held

LIMIT_CENTS = 50_000


def _order(customer_id: str, product_id: str, quantity: int) -> dict:
    return {"customer_id": customer_id, "lines": [{"product_id": product_id, "quantity": quantity}]}


async def test_orders_of_one_customer_at_once_never_pass_its_credit_limit(client, db):
    shop = await open_shop(client, db, credit_limit_cents=LIMIT_CENTS)
    # Each order is 11,000 cents with tax: four fit under the limit, the other four do not.
    answers = await asyncio.gather(
        *(
            client.post(
                "/api/orders", json=_order(shop.customer["id"], shop.even, 5), headers=shop.rep
            )
            for _ in range(8)
        )
    )
    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    confirmed = [a.json() for a in answers if a.json()["status"] == "confirmed"]
    held = [a.json() for a in answers if a.json()["status"] == "credit_hold"]
    assert sum(o["totals"]["total_cents"] for o in confirmed) <= LIMIT_CENTS
    assert (len(confirmed), len(held)) == (4, 4)


async def test_an_order_waiting_for_a_busy_products_stock_does_not_hold_up_other_orders(
    client, db, backend
):
    if backend.name == "sqlite":
        # One writer: there every order takes its turn by design.
        return
    shop = await open_shop(client, db, credit_limit_cents=LIMIT_CENTS)
    busy, quiet = shop.even, shop.odd
    second = await create_customer(
        client, shop.admin, "Side Street", credit_limit_cents=LIMIT_CENTS
    )
    # Another transaction (a receipt, a shipment) holds the busy product's stock row.
    async with stock_row_held(backend.url, busy):
        waiting = asyncio.create_task(
            client.post("/api/orders", json=_order(shop.customer["id"], busy, 1), headers=shop.rep)
        )
        await asyncio.sleep(0.5)
        assert not waiting.done()

        other = await asyncio.wait_for(
            client.post("/api/orders", json=_order(second["id"], quiet, 1), headers=shop.rep), 10
        )
        assert other.status_code == 201, other.text
        assert not waiting.done()
    placed = await asyncio.wait_for(waiting, 10)
    assert placed.status_code == 201, placed.text
    # Numbers follow commit order: the order that waited committed last.
    assert placed.json()["number"] > other.json()["number"]
