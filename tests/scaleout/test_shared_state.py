"""What one server process knows, the others must know too: the login count, the reference
data every order reads, and who runs the periodic quote expiry."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import httpx
import pytest

from tests.scaleout.conftest import Cluster
from tests.scaleout.servers import execute, fetch_all
from tests.scaleout.shop import DEMO_PASSWORD, Shop, bearer, make_scarce

pytestmark = pytest.mark.postgres

MANAGER = "manager@example.com"


async def test_processes_started_together_with_demo_load_it_once(pg_cluster: Cluster):
    # The fixture started both with `serve --demo` on an empty database: both answer.
    for server in pg_cluster.servers:
        assert server.process is not None and server.process.poll() is None
    users = await fetch_all(pg_cluster.database_url, "SELECT count(*) AS n FROM users")
    customers = await fetch_all(pg_cluster.database_url, "SELECT count(*) AS n FROM customers")
    assert users[0].n == 5 and customers[0].n >= 300


async def test_the_login_limit_counts_attempts_at_every_process_together(
    pg_cluster: Cluster, https: list[httpx.AsyncClient]
):
    limit = int(pg_cluster.servers[0].settings["FIELDSALES_LOGIN_RATE_LIMIT"])
    await execute(pg_cluster.database_url, "DELETE FROM login_counters")
    admitted = [0, 0]
    throttled = 0
    try:
        for n in range(2 * limit + 4):
            answer = await https[n % 2].post(
                "/api/auth/login", json={"email": "admin@example.com", "password": DEMO_PASSWORD}
            )
            if answer.status_code == 200:
                admitted[n % 2] += 1
            else:
                assert answer.status_code == 429 and answer.json()["code"] == "rate_limited"
                throttled += 1
    finally:
        await execute(pg_cluster.database_url, "DELETE FROM login_counters")
    # Two processes, one count: together they let `limit` attempts through, not twice that.
    assert sum(admitted) == limit and min(admitted) > 0
    assert throttled == limit + 4


async def _order(http: httpx.AsyncClient, shop: Shop, customer: str, product: str) -> dict:
    answer = await http.post(
        "/api/orders",
        json={"customer_id": customer, "lines": [{"product_id": product, "quantity": 1}]},
        headers=bearer(shop.tokens[MANAGER]),
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def test_territory_and_tax_changes_reach_the_next_order_of_the_other_process(
    pg_cluster: Cluster, https: list[httpx.AsyncClient], shop: Shop
):
    first, second = https
    (product,) = shop.take_products(1)
    await make_scarce(pg_cluster.database_url, [product], units=100)
    customer = shop.customers[MANAGER][0]
    before = await _order(second, shop, customer, product)  # the second process caches them
    territory, old_rate = before["territory_id"], Decimal(before["lines"][0]["tax_rate"])

    renamed = await first.patch(
        f"/api/territories/{territory}",
        json={"name": "Renamed Through The First Process"},
        headers=bearer(shop.tokens[MANAGER]),
    )
    assert renamed.status_code == 200, renamed.text
    after_rename = await _order(second, shop, customer, product)
    assert after_rename["territory_name"] == "Renamed Through The First Process"
    assert before["territory_name"] != after_rename["territory_name"]

    # Tax rates have no page yet: an operator changes them in the database, which is the
    # same to every process (the version token is bumped by a trigger, whoever writes).
    await execute(pg_cluster.database_url, "UPDATE tax_rates SET rate = rate + 0.01")
    try:
        after_tax = await _order(second, shop, customer, product)
        assert Decimal(after_tax["lines"][0]["tax_rate"]) == old_rate + Decimal("0.01")
        again_first = await _order(first, shop, customer, product)
        assert Decimal(again_first["lines"][0]["tax_rate"]) == old_rate + Decimal("0.01")
    finally:
        await execute(pg_cluster.database_url, "UPDATE tax_rates SET rate = rate - 0.01")


async def test_quotes_expire_once_while_both_processes_run_the_expiry_job(
    pg_cluster: Cluster, https: list[httpx.AsyncClient], shop: Shop
):
    (product,) = shop.take_products(1)
    quotes = []
    for n, customer in enumerate(shop.customers[MANAGER][:6]):
        http = https[n % 2]
        created = await http.post(
            "/api/quotes",
            json={"customer_id": customer, "lines": [{"product_id": product, "quantity": 1}]},
            headers=bearer(shop.tokens[MANAGER]),
        )
        assert created.status_code == 201, created.text
        quote = created.json()["id"]
        sent = await http.post(f"/api/quotes/{quote}/send", headers=bearer(shop.tokens[MANAGER]))
        assert sent.status_code == 200, sent.text
        quotes.append(quote)
    ids = ", ".join(f"'{q}'" for q in quotes)
    # Nobody reads them: only the job (every second in each process) can expire them.
    await execute(
        pg_cluster.database_url,
        f"UPDATE quotes SET valid_until = current_date - 1 WHERE id IN ({ids})",
    )
    deadline = time.monotonic() + 30
    while True:
        statuses = await fetch_all(
            pg_cluster.database_url, f"SELECT status FROM quotes WHERE id IN ({ids})"
        )
        if {r.status for r in statuses} == {"expired"}:
            break
        assert time.monotonic() < deadline, statuses
        await asyncio.sleep(0.2)
    await asyncio.sleep(2.5)  # both processes run the job at least twice more
    events = await fetch_all(
        pg_cluster.database_url,
        "SELECT entity_id, count(*) AS n FROM audit_events "
        f"WHERE action = 'expire' AND entity_id IN ({ids}) GROUP BY entity_id",
    )
    assert sorted((r.entity_id, r.n) for r in events) == sorted((q, 1) for q in quotes)
