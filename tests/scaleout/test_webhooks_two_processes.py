"""Both server processes run an outbox worker on the one PostgreSQL database: every
confirmed order's webhook reaches the receiver once, whichever process placed the order and
whichever worker claimed it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.scaleout.conftest import Cluster
from tests.scaleout.shop import PHONE_USERS, Shop, bearer, order_args
from tests.webhook_receiver import webhook_receiver

pytestmark = pytest.mark.postgres

ORDERS = 24


async def test_two_processes_deliver_each_confirmed_orders_webhook_once(
    pg_cluster: Cluster, https: list[httpx.AsyncClient], shop: Shop
):
    admin = bearer(shop.tokens["admin@example.com"])
    products = shop.take_products(2)
    with webhook_receiver() as receiver:
        created = await https[0].post(
            "/api/webhooks",
            json={"url": receiver.url, "event_types": ["order.confirmed"], "allow_private": True},
            headers=admin,
        )
        assert created.status_code == 201, created.text
        endpoint = created.json()["id"]
        try:

            async def place(n: int) -> dict[str, Any]:
                email = PHONE_USERS[n % len(PHONE_USERS)]
                customers = shop.customers[email]
                answer = await https[n % 2].post(
                    "/api/orders",
                    json=order_args(customers[n % len(customers)], products, n),
                    headers=bearer(shop.tokens[email]),
                )
                assert answer.status_code == 201, answer.text
                return dict(answer.json())

            orders = await asyncio.gather(*(place(n) for n in range(ORDERS)))
            confirmed = {o["id"] for o in orders if o["status"] == "confirmed"}
            assert len(confirmed) >= ORDERS // 2
            deadline = time.monotonic() + 60
            while len({r.id for r in receiver.received}) < len(confirmed):
                assert time.monotonic() < deadline, "not every webhook arrived"
                await asyncio.sleep(0.2)
            # Both workers poll every second: a few more rounds would send a repeat.
            await asyncio.sleep(3)
        finally:
            paused = await https[1].patch(
                f"/api/webhooks/{endpoint}", json={"enabled": False}, headers=admin
            )
            assert paused.status_code == 200, paused.text

    ids = [r.id for r in receiver.received]
    assert len(ids) == len(set(ids)) == len(confirmed)
    assert {r.json()["data"]["order_id"] for r in receiver.received} == confirmed
    detail = (await https[0].get(f"/api/webhooks/{endpoint}", headers=admin)).json()
    assert sorted(d["status"] for d in detail["deliveries"]) == ["delivered"] * len(confirmed)
