"""The managers' dashboard at scale: 1,000,000 orders with their lines on SQLite.

The demo database (`load_demo`: its territories, customers, products and people, with
30 more reps) is grown with orders placed over the last two years, two lines each, the
older ones mostly invoiced and paid, some cancelled, waiting for approval or on credit
hold. They are written with `executemany` in batches; the maintained day sums are then
filled by the very statements of the migration that creates them
(`server.db.summaries.rebuild_sql`), so they agree with the documents.

Then, in the same run, one request at a time:

- product: the region manager's `GET /api/dashboard` (this month against the one before)
  through the ASGI app, end to end (auth, scope, the filter, every figure and table);
- baseline: the figures the maintained sums answer (booked revenue and orders, invoiced,
  paid, each for both periods; by territory, by rep, per day; the currency; the lapsed
  customers as of both periods' ends) computed by plain GROUP BY statements over the
  order, invoice and payment tables, as the dashboard computed them before, on the same
  file with sqlite3 (the statements alone, no HTTP).

Run from the repository root:

    .venv/bin/python bench/dashboard_scale.py --orders 1000000

It prints the median of each side, their ratio and the machine's speed, and exits 1 when
the targets of issue 19 (the dashboard under 300 ms, at least 20x the baseline) are missed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))  # as a script or with -m
from machine import machine_speed

from server.app import create_app
from server.config import Settings
from server.db.engine import Database
from server.db.migrate import upgrade
from server.db.summaries import BOOKED_STATUSES, rebuild_sql
from server.db.types import new_id
from server.demo.dataset import DEMO_PASSWORD
from server.demo.loader import load_demo
from server.domain.dashboard import LAPSE_MIN_WEEKS

TARGET_MS = 300.0
TARGET_RATIO = 20.0
BATCH = 20_000
DAYS = 730
EXTRA_REPS = 30
MANAGER = "manager@example.com"

_ORDER_SQL = (
    "INSERT INTO sales_orders (id, number, customer_id, status, fulfilment_status, "
    "billing_status, order_type, channel, priority, ship_complete, po_number, "
    "shipping_method, payment_terms, notes, bill_to, ship_to, territory_id, territory_name, "
    "rep_id, manager_ids, discount_percent, approval_reasons, created_by, placed_at, version, "
    "updated_at, subtotal_cents, discount_cents, net_cents, tax_cents, shipping_cents, "
    "shipping_tax_cents, total_cents, order_discount_percent, currency, revision, "
    "supplier_reference, invoiced_cents, paid_cents, credited_cents) "
    "VALUES (?, ?, ?, ?, ?, ?, 'standard', 'field', 0, 0, '', 'standard', 'net_30', '', '{}', "
    "'{}', ?, 'Bench', ?, '[]', 0, '[]', ?, ?, 1, ?, ?, 0, ?, ?, 0, 0, ?, 0, 'USD', 1, '', ?, ?, 0)"
)
_LINE_SQL = (
    "INSERT INTO sales_order_lines (id, order_id, line_no, product_id, sku, name, quantity, "
    "unit_price_cents, discount_percent, gross_cents, discount_cents, net_cents, tax_rate, "
    "tax_cents, total_cents, quantity_allocated, quantity_backordered, quantity_shipped, "
    "quantity_delivered, quantity_invoiced, quantity_returned, quantity_released) "
    "VALUES (?, ?, ?, ?, 'SKU', 'Item', ?, ?, 0, ?, 0, ?, 0.1, ?, ?, ?, 0, ?, 0, ?, 0, 0)"
)
_INVOICE_SQL = (
    "INSERT INTO invoices (id, number, order_id, customer_id, status, issued_on, due_on, "
    "currency, net_cents, shipping_cents, tax_cents, total_cents, paid_cents, credited_cents, "
    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'USD', ?, 0, ?, ?, ?, 0, ?, ?)"
)
_PAYMENT_SQL = (
    "INSERT INTO payments (id, number, customer_id, amount_cents, unallocated_cents, currency, "
    "method, reference, received_on, created_at) "
    "VALUES (?, ?, ?, ?, 0, 'USD', 'bank_transfer', '', ?, ?)"
)
_ALLOCATION_SQL = (
    "INSERT INTO payment_allocations (id, payment_id, invoice_id, amount_cents, created_at) "
    "VALUES (?, ?, ?, ?, ?)"
)


def _text(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(sep=" ")


def _add_reps(conn: sqlite3.Connection, territories: list[str]) -> list[str]:
    """30 more reps (the demo has three), each an owner of one territory."""
    password_hash, created = conn.execute(
        "SELECT password_hash, created_at FROM users WHERE email = 'rep1@example.com'"
    ).fetchone()
    reps = []
    for n in range(EXTRA_REPS):
        rep_id = new_id()
        reps.append(rep_id)
        conn.execute(
            "INSERT INTO users (id, email, full_name, role, password_hash, active, "
            "discount_limit_percent, is_demo, created_at, updated_at) "
            "VALUES (?, ?, ?, 'rep', ?, 1, 10, 1, ?, ?)",
            (
                rep_id,
                f"bench.rep{n}@example.com",
                f"Bench Rep {n}",
                password_hash,
                created,
                created,
            ),
        )
        conn.execute(
            "INSERT INTO territory_assignments (id, territory_id, user_id, role, valid_from, "
            "valid_to, created_at) VALUES (?, ?, ?, 'owner', ?, NULL, ?)",
            (new_id(), territories[n % len(territories)], rep_id, "2020-01-01", created),
        )
    return reps


def _status(rng: random.Random, age_days: int) -> tuple[str, str, str]:
    """(status, fulfilment, billing) for an order placed `age_days` ago."""
    roll = rng.random()
    if roll < 0.05:
        return "cancelled", "unallocated", "not_invoiced"
    if roll < 0.07 and age_days < 20:
        return "pending_approval", "unallocated", "not_invoiced"
    if roll < 0.08 and age_days < 20:
        return "credit_hold", "unallocated", "not_invoiced"
    if age_days < 10:
        return "confirmed", rng.choice(["allocated", "backordered"]), "not_invoiced"
    if age_days < 30:
        return "in_fulfilment", "shipped", "not_invoiced"
    return "closed", "delivered", "paid"


def grow(path: Path, orders: int, today: date, seed: int = 19) -> None:
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    customers = conn.execute("SELECT id, territory_id FROM customers").fetchall()
    products = [r[0] for r in conn.execute("SELECT id FROM products").fetchall()]
    territories = sorted({c[1] for c in customers})
    demo_reps = [r[0] for r in conn.execute("SELECT id FROM users WHERE role = 'rep'").fetchall()]
    admin = conn.execute("SELECT id FROM users WHERE role = 'admin'").fetchone()[0]
    reps_by_territory: dict[str, list[str]] = {t: list(demo_reps) for t in territories}
    for n, rep in enumerate(_add_reps(conn, territories)):
        reps_by_territory[territories[n % len(territories)]].append(rep)
    start = datetime.combine(today - timedelta(days=DAYS), datetime.min.time(), tzinfo=UTC)
    seconds = DAYS * 86_400
    batch: dict[str, list[tuple[Any, ...]]] = {k: [] for k in ("o", "l", "i", "p", "a")}

    def flush() -> None:
        conn.executemany(_ORDER_SQL, batch["o"])
        conn.executemany(_LINE_SQL, batch["l"])
        conn.executemany(_INVOICE_SQL, batch["i"])
        conn.executemany(_PAYMENT_SQL, batch["p"])
        conn.executemany(_ALLOCATION_SQL, batch["a"])
        for rows in batch.values():
            rows.clear()

    # Orders in time order, as they would have been placed.
    offsets = sorted(rng.randrange(seconds) for _ in range(orders))
    for n, offset in enumerate(offsets, start=1):
        placed = start + timedelta(seconds=offset)
        age = (today - placed.date()).days
        customer_id, territory_id = rng.choice(customers)
        rep_id = rng.choice(reps_by_territory[territory_id])
        status, fulfilment, billing = _status(rng, age)
        order_id = new_id()
        net = tax = 0
        for line_no in (1, 2):
            quantity, price = rng.randint(1, 12), rng.randint(500, 20_000)
            line_net = quantity * price
            line_tax = line_net // 10
            net, tax = net + line_net, tax + line_tax
            shipped = quantity if billing == "paid" or fulfilment == "shipped" else 0
            batch["l"].append(
                (new_id(), order_id, line_no, rng.choice(products), quantity, price,
                 line_net, line_net, line_tax, line_net + line_tax, quantity, shipped,
                 quantity if billing == "paid" else 0)
            )  # fmt: skip
        total = net + tax
        paid = total if billing == "paid" else 0
        when = _text(placed)
        batch["o"].append(
            (order_id, f"SO-{n:07d}", customer_id, status, fulfilment, billing, territory_id,
             rep_id, admin, when, when, net, net, tax, total, paid, paid)
        )  # fmt: skip
        if billing == "paid":
            invoice_id, payment_id = new_id(), new_id()
            issued = placed.date() + timedelta(days=rng.randint(3, 12))
            received = issued + timedelta(days=rng.randint(5, 25))
            batch["i"].append(
                (invoice_id, f"INV-{n:07d}", order_id, customer_id, "paid", issued.isoformat(),
                 (issued + timedelta(days=30)).isoformat(), net, tax, total, total, when, when)
            )  # fmt: skip
            batch["p"].append(
                (payment_id, f"PAY-{n:07d}", customer_id, total, received.isoformat(), when)
            )
            batch["a"].append((new_id(), payment_id, invoice_id, total, when))
        if len(batch["o"]) >= BATCH:
            flush()
    flush()
    for prefix, value in (("SO", orders), ("INV", orders), ("PAY", orders)):
        conn.execute(
            "INSERT INTO document_sequences (prefix, last_value) VALUES (?, ?) "
            "ON CONFLICT (prefix) DO UPDATE SET last_value = excluded.last_value",
            (prefix, value),
        )
    for statement in rebuild_sql("sqlite"):
        conn.execute(statement)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


# --- the baseline: the same figures by GROUP BY over the documents --------------------------


def _baseline(conn: sqlite3.Connection, territories: list[str], now: tuple[str, str, date],
              before: tuple[str, str, date]) -> list[Any]:  # fmt: skip
    """The figures the day sums answer, from the orders, invoices and payments."""
    marks = ",".join("?" * len(territories))
    booked = ",".join(f"'{s}'" for s in BOOKED_STATUSES)
    spans = (before[0], now[1])
    order_filter = f"o.territory_id IN ({marks}) AND o.order_type <> 'blanket'"
    placed = f"o.status IN ({booked}) AND o.placed_at >= ? AND o.placed_at < ?"

    def flows(key: str) -> list[Any]:
        return conn.execute(
            f"SELECT {key}, SUM(CASE WHEN o.placed_at >= ? THEN o.net_cents END), "
            f"SUM(CASE WHEN o.placed_at < ? THEN o.net_cents END), "
            f"SUM(CASE WHEN o.placed_at >= ? THEN 1 END) FROM sales_orders o "
            f"WHERE {order_filter} AND {placed} GROUP BY {key}",
            (now[0], now[0], now[0], *territories, *spans),
        ).fetchall()

    results: list[Any] = [flows("1"), flows("o.territory_id"), flows("o.rep_id")]
    results.append(
        conn.execute(
            f"SELECT date(o.placed_at), SUM(o.net_cents) FROM sales_orders o "
            f"WHERE {order_filter} AND {placed} GROUP BY date(o.placed_at)",
            (*territories, *now[:2]),
        ).fetchall()
    )
    results.append(
        conn.execute(
            f"SELECT SUM(CASE WHEN v.issued_on >= ? THEN v.total_cents END), "
            f"SUM(CASE WHEN v.issued_on < ? THEN v.total_cents END) "
            f"FROM invoices v JOIN sales_orders o ON o.id = v.order_id "
            f"WHERE {order_filter} AND v.issued_on >= ? AND v.issued_on < ?",
            (now[0][:10], now[0][:10], *territories, spans[0][:10], spans[1][:10]),
        ).fetchall()
    )
    results.append(
        conn.execute(
            f"SELECT SUM(CASE WHEN p.received_on >= ? THEN a.amount_cents END), "
            f"SUM(CASE WHEN p.received_on < ? THEN a.amount_cents END) "
            f"FROM payment_allocations a JOIN payments p ON p.id = a.payment_id "
            f"JOIN invoices v ON v.id = a.invoice_id JOIN sales_orders o ON o.id = v.order_id "
            f"WHERE {order_filter} AND p.received_on >= ? AND p.received_on < ?",
            (now[0][:10], now[0][:10], *territories, spans[0][:10], spans[1][:10]),
        ).fetchall()
    )
    # The lapsed customers as of the period's last day (today) and the previous one's:
    # the customers quiet for four weeks with two ordering days, then their days.
    for as_of in (now[2], before[2]):
        until = (as_of + timedelta(days=1)).isoformat()
        quiet = (as_of - timedelta(days=LAPSE_MIN_WEEKS * 7)).isoformat()
        known = f"{order_filter} AND o.status IN ({booked}) AND o.placed_at < ?"
        results.append(
            conn.execute(
                f"SELECT DISTINCT o.customer_id, date(o.placed_at) FROM sales_orders o "
                f"WHERE {known} AND o.customer_id IN (SELECT o.customer_id FROM sales_orders o "
                f"WHERE {known} GROUP BY o.customer_id HAVING max(o.placed_at) < ? "
                f"AND count(DISTINCT date(o.placed_at)) >= 2)",
                (*territories, until, *territories, until, quiet),
            ).fetchall()
        )
    results.append(
        conn.execute(
            f"SELECT o.currency FROM sales_orders o WHERE {order_filter} "
            f"GROUP BY o.currency ORDER BY count(*) DESC, o.currency LIMIT 1",
            territories,
        ).fetchall()
    )
    return results


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def _dashboard_times(path: Path, runs: int) -> tuple[list[float], dict[str, Any]]:
    url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    settings = Settings(data_dir=path.parent, database_url=url, secret_key="b" * 64)
    app = create_app(settings, db)
    times: list[float] = []
    body: dict[str, Any] = {}
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            login = {"email": MANAGER, "password": DEMO_PASSWORD}
            token = (await client.post("/api/auth/login", json=login)).json()["access_token"]
            headers = {"authorization": f"Bearer {token}"}
            for _ in range(runs + 1):  # the first warms the caches, as a server's would be
                started = time.perf_counter()
                answer = await client.get("/api/dashboard", headers=headers)
                times.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.text
                body = answer.json()
    finally:
        await db.dispose()
    return times[1:], body


def _manager_territories(conn: sqlite3.Connection) -> list[str]:
    """The territories the demo manager's dashboard covers: the subtrees they manage."""
    rows = conn.execute("SELECT id, parent_id FROM territories").fetchall()
    children: dict[str | None, list[str]] = {}
    for territory_id, parent in rows:
        children.setdefault(parent, []).append(territory_id)
    roots = [
        r[0]
        for r in conn.execute(
            "SELECT a.territory_id FROM territory_assignments a JOIN users u ON u.id = a.user_id "
            "WHERE u.email = ? AND a.role = 'manager'",
            (MANAGER,),
        ).fetchall()
    ]
    found, stack = [], list(roots)
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(children.get(node, []))
    return sorted(set(found))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep the database file at this path")
    args = parser.parse_args()
    today = datetime.now(UTC).date()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "dashboard.db"
        if not path.exists():
            started = time.perf_counter()
            asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
            demo = Database(f"sqlite+aiosqlite:///{path}")
            asyncio.run(load_demo(demo, today=today))
            asyncio.run(demo.dispose())
            grow(path, args.orders, today)
            print(f"generated {args.orders:,} orders in {time.perf_counter() - started:.0f} s")
        conn = sqlite3.connect(path)
        orders = conn.execute("SELECT count(*) FROM sales_orders").fetchone()[0]
        lines = conn.execute("SELECT count(*) FROM sales_order_lines").fetchone()[0]
        sums = conn.execute("SELECT count(*) FROM sales_day_sums").fetchone()[0]
        print(f"{orders:,} orders, {lines:,} lines, {sums:,} day-sum rows")

        times, body = asyncio.run(_dashboard_times(path, args.runs))
        # This month against the as many days before it (the dashboard's default).
        start = date(today.year, today.month, 1)
        end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        previous = start - (end - start)
        now = (f"{start} 00:00:00", f"{end} 00:00:00", min(today, end - timedelta(days=1)))
        before = (f"{previous} 00:00:00", now[0], start - timedelta(days=1))
        territories = _manager_territories(conn)
        baseline_times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            result = _baseline(conn, territories, now, before)
            baseline_times.append(time.perf_counter() - started)
        conn.close()

    figures = body["figures"]
    assert figures["booked_cents"]["current"] == int(result[0][0][1] or 0), "booked differs"
    assert figures["orders"]["current"] == int(result[0][0][3] or 0), "orders differ"
    assert figures["invoiced_cents"]["previous"] == int(result[4][0][1] or 0), "invoiced differs"
    assert figures["paid_cents"]["previous"] == int(result[5][0][1] or 0), "paid differs"
    product, baseline = _median_ms(times), _median_ms(baseline_times)
    ratio = baseline / product
    print(f"machine loop: {machine_speed():.2f} s")
    print(f"dashboard (GET /api/dashboard, ASGI): median {product:.1f} ms "
          f"(runs: {', '.join(f'{t * 1000:.0f}' for t in times)})")  # fmt: skip
    print(f"baseline (GROUP BY over the documents, sqlite3): median {baseline:.1f} ms "
          f"(runs: {', '.join(f'{t * 1000:.0f}' for t in baseline_times)})")  # fmt: skip
    print(f"ratio: {ratio:.1f}x; booked this month {figures['booked_cents']['current']:,} cents")
    met = product < TARGET_MS and ratio >= TARGET_RATIO
    print("targets met" if met else f"targets missed (< {TARGET_MS} ms and >= {TARGET_RATIO}x)")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
