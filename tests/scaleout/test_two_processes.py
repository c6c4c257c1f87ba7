"""Two server processes on one PostgreSQL database, configured as compose.yaml configures
them, with the load spread over both: orders racing for the same scarce stock, phones
whose pushes are retried on the other process, pulls that hop between processes, and
the document numbers every process takes from the same series."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from sync.client import SyncClient
from tests.scaleout.conftest import Cluster
from tests.scaleout.servers import fetch_all
from tests.scaleout.shop import (
    PHONE_USERS,
    Phone,
    Shop,
    assert_exactly_once,
    assert_numbers_unique_and_gap_free,
    assert_stock_consistent,
    bearer,
    make_scarce,
    new_phone,
    order_args,
)

pytestmark = pytest.mark.postgres


async def _allocated_to(database_url: str, product: str) -> tuple[int, int]:
    """Units of `product` allocated and backordered on order lines."""
    rows = await fetch_all(
        database_url,
        "SELECT coalesce(sum(quantity_allocated), 0) AS allocated, "
        "coalesce(sum(quantity_backordered), 0) AS backordered "
        f"FROM sales_order_lines WHERE product_id = '{product}'",
    )
    return int(rows[0].allocated), int(rows[0].backordered)


async def test_orders_racing_for_scarce_stock_on_two_processes_never_oversell(
    pg_cluster: Cluster, https: list[httpx.AsyncClient], shop: Shop
):
    products = shop.take_products(3)
    await make_scarce(pg_cluster.database_url, products, units=5)
    gate = asyncio.Semaphore(16)

    async def place(n: int) -> tuple[int, Any]:
        email = PHONE_USERS[n % len(PHONE_USERS)]
        customers = shop.customers[email]
        body = order_args(customers[n % len(customers)], products, n)
        async with gate:
            answer = await https[n % 2].post(
                "/api/orders", json=body, headers=bearer(shop.tokens[email])
            )
        return answer.status_code, answer.json()

    answers = await asyncio.gather(*(place(n) for n in range(48)))

    assert [status for status, _ in answers] == [201] * 48, [a for a in answers if a[0] != 201][:3]
    demand = {p: 0 for p in products}
    for _, order in answers:
        for line in order["lines"]:
            demand[line["product_id"]] += line["quantity"]
    for product in products:
        allocated, backordered = await _allocated_to(pg_cluster.database_url, product)
        # Every free unit went to an order, none twice; the rest of the demand waits.
        assert (allocated, backordered) == (5, demand[product] - 5)
    await assert_stock_consistent(pg_cluster.database_url)
    await assert_numbers_unique_and_gap_free(pg_cluster.database_url)


def _customer(name: str, n: int) -> dict[str, Any]:
    return {
        "legal_name": name,
        "billing_address": {
            "country": "US",
            "state": "WA",
            "city": "Seattle",
            "postal_code": "98101",
            "street": f"{n} Pike St",
        },
        "contacts": [
            {"name": "Pat Buyer", "email": f"buyer{n}@scaleout.test", "phone": f"+1 206 55{n:05d}"}
        ],
    }


def _queue_work(phone: Phone, customers: list[str], products: list[str], base: int) -> None:
    """A rep's day offline: a new customer, orders, a quote saved and sent."""
    client = phone.client
    client.enqueue("customer.create", _customer(f"Scaleout Store {base}", base))
    for n in range(base, base + 12):
        client.enqueue("order.place", order_args(customers[n % len(customers)], products, n))
    quote = client.enqueue(
        "quote.save",
        {"customer_id": customers[0], "lines": [{"product_id": products[0], "quantity": 2}]},
    )
    client.enqueue("quote.send", {}, entity_id=quote.entity_id)


async def _pull_hopping(puller: Phone, stop: asyncio.Event) -> int:
    """Pull page by page (small pages), each page from the other process, until told to
    stop; then once more to catch up. Returns how many pages it pulled."""
    pages = 0
    while True:
        done = stop.is_set()
        while True:
            puller.use(pages)
            pages += 1
            answer = await puller.client.http.get(
                "/api/sync/v1/pull",
                params={"cursor": puller.client.cursor, "limit": 40},
                headers=puller.client.headers,
            )
            assert answer.status_code == 200, answer.text
            page = answer.json()
            assert not page.get("reset")
            for change in page["changes"]:
                bucket = puller.client.store.setdefault(change["entity_type"], {})
                if change["op"] == "delete":
                    bucket.pop(change["entity_id"], None)
                else:
                    bucket[change["entity_id"]] = change["data"]
            puller.client.cursor = page["cursor"]
            if not page["has_more"]:
                break
        if done:
            return pages
        await asyncio.sleep(0.05)


async def test_pushes_retried_on_the_other_process_apply_once_and_pulls_skip_nothing(
    pg_cluster: Cluster, https: list[httpx.AsyncClient], shop: Shop
):
    products = shop.take_products(3)
    await make_scarce(pg_cluster.database_url, products, units=20)
    phones: list[Phone] = []
    for n in range(16):
        email = PHONE_USERS[n % len(PHONE_USERS)]
        phone = await new_phone(https, shop.tokens[email], f"phone {n}")
        _queue_work(phone, shop.customers[email], products, base=100 + 20 * n)
        phones.append(phone)
    puller = await new_phone(https, shop.tokens["admin@example.com"], "back office")
    stop = asyncio.Event()
    pulling = asyncio.create_task(_pull_hopping(puller, stop))

    # Phones 0 and 1 first send their first batch to both processes at the same moment.
    twins = []
    for phone in phones[:2]:
        body = {
            "protocol": 1,
            "schema_version": 1,
            "device_id": phone.client.device_id,
            "mutations": [item.message() for item in phone.client.outbox[:10]],
        }
        twins.append(
            asyncio.gather(
                *(
                    h.post("/api/sync/v1/push", json=body, headers=phone.client.headers)
                    for h in https
                )
            )
        )
    for first, second in await asyncio.gather(*twins):
        assert first.status_code == second.status_code == 200, (first.text, second.text)
        a, b = first.json()["outcomes"], second.json()["outcomes"]
        assert [(o["status"], o.get("result")) for o in a] == [
            (o["status"], o.get("result")) for o in b
        ]
        # The two pushes take turns per mutation: each one is applied by one of them and
        # reported to the other as a duplicate, with the same outcome.
        assert [
            {x.get("duplicate", False), y.get("duplicate", False)}
            for x, y in zip(a, b, strict=True)
        ] == [{False, True}] * 10

    # Then every phone drains its queue; every second push loses its answer and is sent
    # again to the other process.
    await asyncio.gather(*(phone.push_until_done(lose_every=2) for phone in phones))
    stop.set()
    pages = await pulling

    assert sum(phone.retries for phone in phones) > 0
    refused = [
        i.outcome for p in phones for i in p.client.outbox if i.outcome["status"] == "rejected"
    ]
    assert refused == []
    assert all(answer == 200 for phone in phones for answer in phone.answers)
    await assert_exactly_once(pg_cluster.database_url, phones)
    await assert_stock_consistent(pg_cluster.database_url)
    counters = await assert_numbers_unique_and_gap_free(pg_cluster.database_url)
    assert counters["Q"] >= 16 and counters["SO"] >= 16 * 12

    # What the puller assembled page by page, hopping between processes while the phones
    # wrote, is exactly what a fresh full snapshot holds now.
    fresh = SyncClient(http=https[1], access_token=shop.tokens["admin@example.com"])
    await fresh.pull_all(limit=2000)
    assert pages > 2
    assert puller.client.store.keys() == fresh.store.keys()
    for entity_type, items in fresh.store.items():
        pulled = puller.client.store[entity_type]
        assert pulled.keys() == items.keys(), entity_type
        differing = [i for i in items if pulled[i] != items[i]]
        assert not differing, (
            entity_type,
            differing[:1],
            pulled[differing[0]],
            items[differing[0]],
        )
    orders = fresh.store["order"]
    for phone in phones:
        for item in phone.client.outbox:
            if item.type == "order.place":
                assert orders[item.entity_id]["number"] == item.outcome["result"]["number"]
