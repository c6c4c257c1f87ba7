"""Sync push and first-pull benchmark (issue 5), on a fresh SQLite file, one process.

200 reps reconnect at once; each pushes a day of work: a few new customers and 20 orders
of 5 lines (two of them for a customer created offline in the same batch), through the
real app over HTTP (httpx ASGITransport, no network). In the same run, plain sqlite3 in
one process performs the same writes (number, order, lines, stock, reservations, audit
events, change feed, outcome and the device's last_seq, one transaction per order) as the
baseline. Then a first full pull
by a user who sees 2,000 customers and 5,000 products is timed and weighed.

    .venv/bin/python -m bench.sync_push [--reps 200] [--orders 20] [--lines 5]

Exits non-zero when an order was lost or applied twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select

from server.app import create_app
from server.config import Settings
from server.db.engine import Database
from server.db.migrate import upgrade
from server.db.models import (
    Customer,
    CustomerAddress,
    CustomerContact,
    DocumentSequence,
    MutationOutcome,
    PriceBreak,
    PriceList,
    PriceListItem,
    Product,
    ProductCategory,
    SalesOrder,
    StockLevel,
    TaxRate,
    Territory,
    TerritoryAssignment,
    TerritoryRule,
    User,
    Warehouse,
)
from server.db.types import new_id, utcnow
from server.domain.customers import normalize_name
from server.process import settle_garbage_collector
from server.security.auth import ACCESS_TOKEN_TYPE
from server.security.passwords import hash_password
from server.security.refresh_tokens import issue as issue_refresh
from server.security.sessions import SESSION_CLAIM
from sync.client import SyncClient

sys.path.insert(0, str(Path(__file__).resolve().parent))  # as a script or with -m
from machine import machine_speed

CUSTOMERS_PER_REP = 10
PRODUCTS = 5000
NEW_CUSTOMERS_PER_REP = 3
ORDERS_FOR_NEW_CUSTOMERS = 2


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class World:
    manager_id: str
    rep_ids: list[str]
    customers_of: dict[str, list[str]]  # rep id -> customer ids
    product_ids: list[str]
    warehouse_id: str
    postal_of: dict[str, str] = field(
        default_factory=dict
    )  # rep id -> postal code of their territory


async def seed(db: Database, reps: int, rng: random.Random) -> World:
    """Demo-like data in bulk: a region of `reps` territories with their reps and customers,
    5,000 products on a base list (a tenth with volume breaks), tax rates and stock."""
    today, now = date.today(), utcnow()
    password = hash_password("bench password")
    manager_id, region_id, default_id = _uid(rng), _uid(rng), _uid(rng)
    users = [
        {
            "id": manager_id,
            "email": "manager@bench.test",
            "full_name": "Bench Manager",
            "role": "manager",
            "password_hash": password,
            "active": True,
            "discount_limit_percent": Decimal(15),
            "is_demo": False,
            "created_at": now,
            "updated_at": now,
        }
    ]
    territories = [
        {
            "id": region_id,
            "parent_id": None,
            "code": "REGION",
            "name": "Region",
            "kind": "region",
            "is_default": False,
        },
        {
            "id": default_id,
            "parent_id": None,
            "code": "UNASSIGNED",
            "name": "Unassigned",
            "kind": "territory",
            "is_default": True,
        },
    ]
    rules, assignments, customers, addresses, contacts = [], [], [], [], []
    world = World(manager_id, [], {}, [], _uid(rng))
    assignments.append(
        {
            "id": _uid(rng),
            "territory_id": region_id,
            "user_id": manager_id,
            "role": "manager",
            "valid_from": today - timedelta(days=365),
            "valid_to": None,
        }
    )
    number = 0
    for i in range(reps):
        rep_id, territory_id, postal = _uid(rng), _uid(rng), f"{10000 + i:05d}"
        world.rep_ids.append(rep_id)
        world.postal_of[rep_id] = postal
        users.append(
            {
                "id": rep_id,
                "email": f"rep{i}@bench.test",
                "full_name": f"Rep {i}",
                "role": "rep",
                "password_hash": password,
                "active": True,
                "discount_limit_percent": Decimal(10),
                "is_demo": False,
                "created_at": now,
                "updated_at": now,
            }
        )
        territories.append(
            {
                "id": territory_id,
                "parent_id": region_id,
                "code": f"T{i:03d}",
                "name": f"Territory {i}",
                "kind": "territory",
                "is_default": False,
            }
        )
        rules.append(
            {
                "id": _uid(rng),
                "territory_id": territory_id,
                "country": "US",
                "postal_exact": postal,
                "active": True,
            }
        )
        assignments.append(
            {
                "id": _uid(rng),
                "territory_id": territory_id,
                "user_id": rep_id,
                "role": "owner",
                "valid_from": today - timedelta(days=365),
                "valid_to": None,
            }
        )
        world.customers_of[rep_id] = []
        for j in range(CUSTOMERS_PER_REP):
            number += 1
            customer_id = _uid(rng)
            name = f"Customer {i}-{j} Supply"
            world.customers_of[rep_id].append(customer_id)
            customers.append(
                {
                    "id": customer_id,
                    "number": f"C-{number:06d}",
                    "legal_name": name,
                    "trading_name": "",
                    "search_name": normalize_name(name),
                    "tax_id": "",
                    "status": "active",
                    "payment_terms": "net_30",
                    "credit_limit_cents": None,
                    "price_list_id": None,
                    "tax_exempt": False,
                    "notes": "",
                    "territory_id": territory_id,
                    "explicit_territory_id": None,
                    "owner_id": rep_id,
                    "preferred_warehouse_id": None,
                    "created_by": manager_id,
                    "channel": "import",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            for kind in ("billing", "shipping"):
                addresses.append(
                    {
                        "id": _uid(rng),
                        "customer_id": customer_id,
                        "kind": kind,
                        "is_default": True,
                        "country": "US",
                        "state": "WA",
                        "city": "Seattle",
                        "postal_code": postal,
                        "street": f"{j + 1} Main St",
                        "latitude": None,
                        "longitude": None,
                    }
                )
            contacts.append(
                {
                    "id": _uid(rng),
                    "customer_id": customer_id,
                    "name": "Pat Buyer",
                    "role": "Purchasing",
                    "email": f"buyer{number}@example.com",
                    "phone": f"+1206555{number:04d}",
                }
            )
    category_id, base_id = _uid(rng), _uid(rng)
    products, items, breaks, stock = [], [], [], []
    for k in range(PRODUCTS):
        product_id, item_id = _uid(rng), _uid(rng)
        world.product_ids.append(product_id)
        price = rng.randint(100, 50000)
        products.append(
            {
                "id": product_id,
                "sku": f"SKU-{k:05d}",
                "name": f"Product {k}",
                "description": "",
                "category_id": category_id,
                "unit_of_measure": "each",
                "pack_size": 1,
                "min_order_qty": 1,
                "floor_price_cents": 0,
                "active": True,
                "tax_category": "standard",
                "image_url": None,
                "low_stock_threshold": 5,
                "created_at": now,
                "updated_at": now,
            }
        )
        items.append(
            {
                "id": item_id,
                "price_list_id": base_id,
                "product_id": product_id,
                "unit_price_cents": price,
            }
        )
        if k % 10 == 0:
            breaks.append(
                {
                    "id": _uid(rng),
                    "item_id": item_id,
                    "min_qty": 10,
                    "unit_price_cents": price * 9 // 10,
                }
            )
        stock.append(
            {
                "warehouse_id": world.warehouse_id,
                "product_id": product_id,
                "on_hand": 1000,
                "allocated": 0,
            }
        )
    async with db.write() as uow:
        for model, rows in [
            (User, users),
            (Territory, territories[:2]),
            (Territory, territories[2:]),
            (TerritoryRule, rules),
            (TerritoryAssignment, assignments),
            (Customer, customers),
            (CustomerAddress, addresses),
            (CustomerContact, contacts),
            (ProductCategory, [{"id": category_id, "code": "GEN", "name": "General"}]),
            (
                Warehouse,
                [
                    {
                        "id": world.warehouse_id,
                        "code": "W1",
                        "name": "Main DC",
                        "country": "US",
                        "state": "WA",
                    }
                ],
            ),
            (Product, products),
            (
                PriceList,
                [
                    {
                        "id": base_id,
                        "code": "BASE",
                        "name": "Base",
                        "kind": "base",
                        "currency": "USD",
                        "customer_id": None,
                        "version": 1,
                        "valid_from": today - timedelta(days=365),
                        "valid_to": None,
                    }
                ],
            ),
            (PriceListItem, items),
            (PriceBreak, breaks),
            (StockLevel, stock),
            (
                TaxRate,
                [
                    {
                        "id": _uid(rng),
                        "tax_category": "standard",
                        "country": "US",
                        "state": "WA",
                        "rate": Decimal("0.10100"),
                    },
                    {
                        "id": _uid(rng),
                        "tax_category": "shipping",
                        "country": "US",
                        "state": "WA",
                        "rate": Decimal("0.10100"),
                    },
                ],
            ),
            (DocumentSequence, [{"prefix": "C", "last_value": number}]),
        ]:
            for start in range(0, len(rows), 500):
                await uow.session.execute(insert(model), rows[start : start + 500])
    return world


def day_of_work(
    world: World, rep_id: str, rng: random.Random, orders: int, lines: int
) -> list[tuple[str, dict[str, Any]]]:
    work: list[tuple[str, dict[str, Any]]] = []
    new_customers = []
    for n in range(NEW_CUSTOMERS_PER_REP):
        customer_id = (
            new_id()
        )  # made on the phone: time-ordered, as pwa/static/js/ids.js makes them
        new_customers.append(customer_id)
        name = f"New Shop {rep_id[:8]} {n}"
        work.append(
            (
                "customer.create",
                {
                    "id": customer_id,
                    "legal_name": name,
                    "status": "active",
                    "confirm_new": True,
                    "billing_address": {
                        "country": "US",
                        "state": "WA",
                        "city": "Seattle",
                        "postal_code": world.postal_of[rep_id],
                        "street": f"{n + 1} Harbor Way",
                    },
                },
            )
        )
    for o in range(orders):
        customers = (
            new_customers if o >= orders - ORDERS_FOR_NEW_CUSTOMERS else world.customers_of[rep_id]
        )
        chosen = rng.sample(world.product_ids, lines)
        work.append(
            (
                "order.place",
                {
                    "id": new_id(),
                    "customer_id": rng.choice(customers),
                    "po_number": f"PO-{o}",
                    "lines": [{"product_id": p, "quantity": rng.randint(1, 12)} for p in chosen],
                },
            )
        )
    return work


async def token_for(app: Any, settings: Settings, user_id: str, role: str) -> str:
    # A session of its own, as a login would give (tokens naming no session, or one that
    # never existed, are refused).
    async with app.state.db.write() as uow:
        session = await issue_refresh(uow.session, user_id=user_id, lifetime=timedelta(hours=1))
    return str(
        app.state.jwt_auth.create_token(
            identifier=user_id,
            token_expiration=timedelta(hours=1),
            token_issuer=settings.jwt_issuer,
            token_audience=settings.jwt_audience,
            token_extras={
                "typ": ACCESS_TOKEN_TYPE,
                "role": role,
                SESSION_CLAIM: session.family_id,
            },
        )
    )


async def push_phase(
    app: Any, settings: Settings, world: World, orders: int, lines: int, rng: random.Random
) -> tuple[float, int, list[SyncClient]]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as http:
        phones = []
        for rep_id in world.rep_ids:
            phone = SyncClient(
                http=http, access_token=await token_for(app, settings, rep_id, "rep")
            )
            await phone.register("bench phone")
            for mutation_type, args in day_of_work(world, rep_id, rng, orders, lines):
                phone.enqueue(
                    mutation_type,
                    {k: v for k, v in args.items() if k != "id"},
                    entity_id=args["id"],
                )
            phones.append(phone)
        started = time.perf_counter()
        # Everyone reconnects at once; each phone pushes its whole outbox in one batch.
        responses = await asyncio.gather(*(phone.push(limit=500) for phone in phones))
        elapsed = time.perf_counter() - started
    failed = [r.status_code for r in responses if r.status_code != 200]
    if failed:
        raise SystemExit(f"pushes failed: {failed[:5]}")
    accepted = sum(
        1
        for p in phones
        for item in p.outbox
        if item.type == "order.place" and item.outcome and item.outcome["status"] != "rejected"
    )
    return elapsed, accepted, phones


async def pull_phase(
    app: Any, settings: Settings, world: World
) -> tuple[float, int, int, int, int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as http:
        token = await token_for(app, settings, world.manager_id, "manager")
        headers = {"Authorization": f"Bearer {token}"}
        cursor, raw, compressed, changes, pages = "", 0, 0, 0, 0
        started = time.perf_counter()
        while True:
            response = await http.get(
                "/api/sync/v1/pull", params={"cursor": cursor, "limit": 2000}, headers=headers
            )
            response.raise_for_status()
            body = response.content
            raw += len(body)
            compressed += (
                response.num_bytes_downloaded
            )  # on the wire: the server gzips a phone's pull
            page = json.loads(body)
            changes += len(page["changes"])
            pages += 1
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        elapsed = time.perf_counter() - started
    return elapsed, raw, compressed, changes, pages


def baseline(
    template: Path, world: World, reps: int, orders: int, lines: int, rng: random.Random
) -> float:
    """Plain sqlite3 in one process, the same writes per order (with keys made the product's
    way, `new_id`), one transaction per order."""
    path = template.with_name("baseline.db")
    path.write_bytes(template.read_bytes())
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    now = utcnow().isoformat()
    device_ids = []
    for rep_id in world.rep_ids:
        device_id = _uid(rng)
        conn.execute(
            "INSERT INTO sync_devices (id, user_id, name, last_seq, registered_at) VALUES (?, ?, '', 0, ?)",
            (device_id, rep_id, now),
        )
        device_ids.append(device_id)
    territory_of = dict(conn.execute("SELECT id, territory_id FROM customers").fetchall())
    prices = dict(
        conn.execute("SELECT product_id, unit_price_cents FROM price_list_items").fetchall()
    )
    total = reps * orders
    started = time.perf_counter()
    number = 0
    for rep_id, device_id in zip(world.rep_ids, device_ids, strict=True):
        for seq in range(1, orders + 1):
            number += 1
            order_id = new_id()
            customer_id = rng.choice(world.customers_of[rep_id])
            chosen = rng.sample(world.product_ids, lines)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO sales_orders (id, number, customer_id, status, fulfilment_status, billing_status, "
                "order_type, channel, priority, ship_complete, po_number, shipping_method, payment_terms, notes, "
                "bill_to, ship_to, territory_id, territory_name, rep_id, manager_ids, discount_percent, "
                "approval_reasons, created_by, placed_at, version, updated_at, subtotal_cents, discount_cents, "
                "net_cents, tax_cents, shipping_cents, shipping_tax_cents, total_cents, order_discount_percent, "
                "currency) VALUES (?, ?, ?, 'confirmed', 'allocated', 'not_invoiced', 'standard', 'field', 0, 0, "
                "'', 'standard', 'net_30', '', '{}', '{}', ?, '', ?, '[]', 0, '[]', ?, ?, 1, ?, 0, 0, 0, 0, 0, 0, "
                "0, 0, 'USD')",
                (
                    order_id,
                    f"SO-{number:06d}",
                    customer_id,
                    territory_of[customer_id],
                    rep_id,
                    rep_id,
                    now,
                    now,
                ),
            )
            for line_no, product_id in enumerate(chosen, start=1):
                line_id, quantity = new_id(), rng.randint(1, 12)
                unit = prices[product_id]
                conn.execute(
                    "INSERT INTO sales_order_lines (id, order_id, line_no, product_id, sku, name, quantity, "
                    "unit_price_cents, discount_percent, gross_cents, discount_cents, net_cents, tax_rate, "
                    "tax_cents, total_cents, quantity_allocated, quantity_backordered, quantity_shipped) "
                    "VALUES (?, ?, ?, ?, '', '', ?, ?, 0, ?, 0, ?, 0.101, 0, ?, ?, 0, 0)",
                    (
                        line_id,
                        order_id,
                        line_no,
                        product_id,
                        quantity,
                        unit,
                        unit * quantity,
                        unit * quantity,
                        unit * quantity,
                        quantity,
                    ),
                )
                conn.execute(
                    "UPDATE stock_levels SET allocated = allocated + ? WHERE warehouse_id = ? "
                    "AND product_id = ?",
                    (quantity, world.warehouse_id, product_id),
                )
                conn.execute(
                    "INSERT INTO stock_reservations (id, order_id, line_id, warehouse_id, product_id, "
                    "quantity, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (new_id(), order_id, line_id, world.warehouse_id, product_id, quantity, now),
                )
            conn.execute(
                "UPDATE document_sequences SET last_value = last_value + 1 WHERE prefix = 'SO'"
            )
            for action, before, after in (
                ("submit", "draft", "submitted"),
                ("confirm", "submitted", "confirmed"),
                ("stock_allocated", "unallocated", "allocated"),
            ):
                conn.execute(
                    "INSERT INTO audit_events (id, entity_type, entity_id, action, actor_id, at, from_state, "
                    "to_state, reason, data) VALUES (?, 'sales_order', ?, ?, ?, ?, ?, ?, NULL, ?)",
                    (
                        new_id(),
                        order_id,
                        action,
                        rep_id,
                        now,
                        before,
                        after,
                        json.dumps({"number": f"SO-{number:06d}"}),
                    ),
                )
            # The change feed: the counter, the order (its territory, its rep), the customer, the products.
            seq = conn.execute(
                "UPDATE sync_change_counter SET value = value + 1 WHERE id = 1 RETURNING value"
            ).fetchone()[0]
            territory = territory_of[customer_id]
            changes = [
                ("order", order_id, territory, None),
                ("order", order_id, None, rep_id),
                ("customer", customer_id, territory, rep_id),
                *(("product", p, None, None) for p in chosen),
            ]
            conn.executemany(
                "INSERT INTO sync_changes (seq, entity_type, entity_id, territory_id, owner_id, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(seq, *c, now) for c in changes],
            )
            conn.execute(
                "INSERT INTO sync_outcomes (device_id, seq, mutation_type, entity_id, status, outcome, "
                "applied_at) VALUES (?, ?, 'order.place', ?, 'accepted', ?, ?)",
                (device_id, seq, order_id, json.dumps({"number": f"SO-{number:06d}"}), now),
            )
            conn.execute("UPDATE sync_devices SET last_seq = ? WHERE id = ?", (seq, device_id))
            conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    stored = conn.execute("SELECT count(*) FROM sales_orders").fetchone()[0]
    conn.close()
    assert stored == total, (stored, total)
    return total / elapsed


async def count_outcome(db: Database, phones: list[SyncClient]) -> tuple[int, int, int]:
    expected = {item.entity_id for p in phones for item in p.outbox if item.type == "order.place"}
    async with db.read() as unit:
        stored = (await unit.session.execute(select(SalesOrder.id))).scalars().all()
        numbers = int(
            await unit.session.scalar(select(func.count(func.distinct(SalesOrder.number)))) or 0
        )
        outcomes = int(
            await unit.session.scalar(
                select(func.count())
                .select_from(MutationOutcome)
                .where(MutationOutcome.mutation_type == "order.place")
            )
            or 0
        )
    lost = len(expected - set(stored))
    duplicated = (
        len(stored) - len(set(stored)) + (len(stored) - numbers) + max(0, outcomes - len(expected))
    )
    return len(stored), lost, duplicated


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--lines", type=int, default=5)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--profile", help="write a cProfile of the push phase to this file")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="fieldsales-bench-"))
    path = workdir / "bench.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)
    db = Database(url)
    world = await seed(db, args.reps, rng)
    await db.dispose()
    template = workdir / "seeded.db"
    template.write_bytes(path.read_bytes())

    db = Database(url)
    settings = Settings(
        data_dir=workdir,
        database_url=url,
        secret_key="bench-" + "s" * 40,
        log_level="WARNING",
        quote_expiry_interval_seconds=0,
        max_body_bytes=8_000_000,
    )
    app = create_app(settings, db)
    logging.getLogger().setLevel(
        logging.WARNING
    )  # an access log line per request is not what is measured
    # This process plays the server: tuned as `fieldsales serve` tunes its process at start-up.
    settle_garbage_collector()

    pull_seconds, raw, compressed, changes, pages = await pull_phase(app, settings, world)
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    push_seconds, accepted, phones = await push_phase(
        app, settings, world, args.orders, args.lines, rng
    )
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    stored, lost, duplicated = await count_outcome(db, phones)
    await db.dispose()
    base_rate = baseline(template, world, args.reps, args.orders, args.lines, rng)

    rate = accepted / push_seconds
    mutations = sum(len(p.outbox) for p in phones)
    rejected = [
        item.outcome
        for p in phones
        for item in p.outbox
        if item.outcome and item.outcome["status"] == "rejected"
    ]
    print(
        f"push: {args.reps} reps, {mutations} mutations ({accepted} orders of {args.lines} lines accepted, "
        f"{len(rejected)} rejected) in {push_seconds:.2f} s"
    )
    print(f"machine speed: a Python loop of 5 million additions took {machine_speed():.2f} s")
    print(f"push: {rate:.0f} orders/s through the app")
    print(f"baseline: {base_rate:.0f} orders/s with plain sqlite3 (same writes, one process)")
    print(f"ratio: {rate / base_rate:.3f}x of baseline")
    print(f"orders in the database: {stored}; lost: {lost}; duplicated: {duplicated}")
    print(
        f"first pull (2,000 customers, {PRODUCTS} products, prices, tax rates): {changes} changes in {pages} pages, "
        f"{pull_seconds:.2f} s, {raw / 1e6:.2f} MB of JSON, {compressed / 1e6:.2f} MB gzipped on the wire"
    )
    if rejected:
        print(f"first rejection: {rejected[0]}")
    return 1 if lost or duplicated or rejected else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
