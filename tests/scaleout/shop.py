"""The demo shop seen from outside: logins, customers and products to order, phones that
keep pushing through lost answers and dead servers, and the invariants checked straight in
the database afterwards (stock, document numbers, exactly-once)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from sync.client import LostResponse, SyncClient
from tests.conftest import _RefuseAllCookies
from tests.scaleout.servers import execute, fetch_all

DEMO_PASSWORD = "demo1234"
PHONE_USERS = ("rep1@example.com", "rep2@example.com", "rep3@example.com", "manager@example.com")


def api_http(url: str) -> httpx.AsyncClient:
    """An API client of one server process: bearer tokens, no cookies kept."""
    http = httpx.AsyncClient(base_url=url, timeout=60, limits=httpx.Limits(max_connections=64))
    http.cookies.jar.set_policy(_RefuseAllCookies())
    return http


async def login(http: httpx.AsyncClient, email: str) -> str:
    answer = await http.post("/api/auth/login", json={"email": email, "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Shop:
    """Tokens of the demo users, customers each may order for (credit limits lifted, so an
    order's verdict depends on stock only) and stocked, priced products."""

    tokens: dict[str, str]
    customers: dict[str, list[str]]
    products: list[str]
    used_products: int = 0

    def take_products(self, count: int) -> list[str]:
        """Products no earlier test of the same database has made scarce."""
        chosen = self.products[self.used_products : self.used_products + count]
        assert len(chosen) == count, "the demo catalog has too few stocked products"
        self.used_products += count
        return chosen


async def open_shop(http: httpx.AsyncClient, database_url: str) -> Shop:
    tokens = {email: await login(http, email) for email in (*PHONE_USERS, "admin@example.com")}
    customers: dict[str, list[str]] = {}
    for email in PHONE_USERS:
        page = await http.get(
            "/api/customers", params={"status": "active", "limit": 8}, headers=bearer(tokens[email])
        )
        assert page.status_code == 200, page.text
        customers[email] = [c["id"] for c in page.json()["items"]]
        assert customers[email], f"{email} sees no active customer"
    first = customers[PHONE_USERS[0]][0]
    page = await http.get(
        "/api/products",
        params={"active": "true", "limit": 200, "customer_id": first},
        headers=bearer(tokens["admin@example.com"]),
    )
    stocked = {
        r.product_id
        for r in await fetch_all(
            database_url, "SELECT product_id FROM stock_levels WHERE on_hand > 0"
        )
    }
    products = [
        p["id"]
        for p in page.json()["items"]
        if p["price"] is not None and p["min_order_qty"] == 1 and p["id"] in stocked
    ]
    ids = ", ".join(f"'{c}'" for ids in customers.values() for c in ids)
    await execute(
        database_url,
        f"UPDATE customers SET credit_limit_cents = NULL, status = 'active' WHERE id IN ({ids})",
    )
    return Shop(tokens, customers, products)


async def make_scarce(database_url: str, products: list[str], units: int) -> None:
    """`units` free to allocate of each product, all in one warehouse."""
    for product in products:
        await execute(
            database_url,
            f"UPDATE stock_levels SET on_hand = allocated WHERE product_id = '{product}'",
            f"UPDATE stock_levels SET on_hand = allocated + {units} WHERE product_id = '{product}' "
            f"AND warehouse_id = (SELECT min(warehouse_id) FROM stock_levels "
            f"WHERE product_id = '{product}')",
        )


async def assert_stock_consistent(database_url: str) -> None:
    """Every stock row: 0 <= allocated <= on_hand, and allocated is exactly what the open
    reservations of orders hold there."""
    wrong = await fetch_all(
        database_url,
        "SELECT s.warehouse_id, s.product_id, s.on_hand, s.allocated, COALESCE(r.held, 0) "
        "FROM stock_levels s LEFT JOIN (SELECT warehouse_id, product_id, sum(quantity) AS held "
        "FROM stock_reservations WHERE released_at IS NULL GROUP BY warehouse_id, product_id) r "
        "ON r.warehouse_id = s.warehouse_id AND r.product_id = s.product_id "
        "WHERE s.allocated < 0 OR s.on_hand < s.allocated OR s.allocated <> COALESCE(r.held, 0)",
    )
    assert wrong == [], f"stock rows out of balance: {wrong[:5]}"
    orphans = await fetch_all(
        database_url,
        "SELECT r.id FROM stock_reservations r LEFT JOIN stock_levels s "
        "ON r.warehouse_id = s.warehouse_id AND r.product_id = s.product_id "
        "WHERE r.released_at IS NULL AND s.product_id IS NULL",
    )
    assert orphans == []


_NUMBERED = {"C": "customers", "Q": "quotes", "SO": "sales_orders"}


async def assert_numbers_unique_and_gap_free(database_url: str) -> dict[str, int]:
    """Each series: the numbers of the stored documents are exactly 1..its counter, each once
    (a number is taken inside the transaction that stores its document, so a document that
    was refused or rolled back took none)."""
    counters = {
        r.prefix: int(r.last_value)
        for r in await fetch_all(database_url, "SELECT prefix, last_value FROM document_sequences")
    }
    for prefix, table in _NUMBERED.items():
        numbers = [r.number for r in await fetch_all(database_url, f"SELECT number FROM {table}")]
        values = sorted(int(n.removeprefix(f"{prefix}-")) for n in numbers)
        assert values == list(range(1, counters.get(prefix, 0) + 1)), (
            f"{prefix}: {len(values)} documents, counter {counters.get(prefix)}, "
            f"duplicates {len(values) - len(set(values))}"
        )
    return counters


# --- phones -----------------------------------------------------------------------------


@dataclass
class Phone:
    """A SyncClient that can reach several server processes and goes on pushing its queue
    through lost answers, refused connections and restarts, the way the app does."""

    client: SyncClient
    servers: list[httpx.AsyncClient]
    pushes: int = 0
    retries: int = 0
    answers: list[int] = field(default_factory=list)

    def use(self, index: int) -> None:
        self.client.http = self.servers[index % len(self.servers)]

    async def push_until_done(self, deadline_seconds: float = 120, lose_every: int = 0) -> None:
        """Push the queue in batches of 10; a batch whose answer is lost (or whose server
        is down) is sent again, to the next server, until every item has its outcome."""
        deadline = time.monotonic() + deadline_seconds
        while self.client.pending:
            assert time.monotonic() < deadline, f"queue not drained: {len(self.client.pending)}"
            self.use(self.pushes)
            self.pushes += 1
            if lose_every and self.pushes % lose_every == 0:
                self.client.lose_next_responses = 1
            try:
                answer = await self.client.push(limit=10)
            except (LostResponse, httpx.TransportError):
                self.retries += 1
                await asyncio.sleep(0.05)
                continue
            self.answers.append(answer.status_code)
            if answer.status_code == 503:
                self.retries += 1
                await asyncio.sleep(0.1)
                continue
            assert answer.status_code == 200, answer.text


async def new_phone(servers: list[httpx.AsyncClient], token: str, name: str) -> Phone:
    client = SyncClient(http=servers[0], access_token=token)
    await client.register(name)
    return Phone(client, servers)


def order_args(customer_id: str, products: list[str], n: int) -> dict[str, Any]:
    """A small order: one unit of one or two products, chosen by n."""
    lines = [{"product_id": products[n % len(products)], "quantity": 1}]
    if n % 3 == 0 and len(products) > 1:
        lines.append({"product_id": products[(n + 1) % len(products)], "quantity": 1})
    return {"customer_id": customer_id, "lines": lines, "po_number": f"PO-{n}"}


async def assert_exactly_once(database_url: str, phones: list[Phone]) -> None:
    """Each queued mutation was applied once: its stored outcome is the one the phone was
    given, each order it placed exists once, under the number its outcome names."""
    stored = {
        (r.device_id, int(r.seq)): r
        for r in await fetch_all(
            database_url, "SELECT device_id, seq, entity_id, status, outcome FROM sync_outcomes"
        )
    }
    orders = {
        r.id: r.number for r in await fetch_all(database_url, "SELECT id, number FROM sales_orders")
    }
    for phone in phones:
        device = phone.client.device_id
        last = await fetch_all(
            database_url, f"SELECT last_seq FROM sync_devices WHERE id = '{device}'"
        )
        assert last[0].last_seq == len(phone.client.outbox)
        for item in phone.client.outbox:
            assert item.outcome is not None
            row = stored[(device, item.seq)]
            outcome = row.outcome if isinstance(row.outcome, dict) else _json(row.outcome)
            assert row.entity_id == item.entity_id
            assert outcome["status"] == item.outcome["status"], (item.seq, outcome, item.outcome)
            assert outcome.get("result") == item.outcome.get("result")
            if item.type == "order.place" and item.outcome["status"] != "rejected":
                assert orders[item.entity_id] == item.outcome["result"]["number"]
    placed = [
        item.entity_id
        for phone in phones
        for item in phone.client.outbox
        if item.type == "order.place" and item.outcome and item.outcome["status"] != "rejected"
    ]
    assert len(placed) == len(set(placed))
    assert set(placed) <= set(orders)


def _json(value: str) -> dict[str, Any]:
    import json

    return dict(json.loads(value))
