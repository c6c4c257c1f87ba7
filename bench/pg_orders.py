"""Orders over HTTP on PostgreSQL: the product with one and with two server processes
against a raw asyncpg baseline doing the same writes, in the same run.

- product: `fieldsales serve --workers N` on a fresh PostgreSQL database with the demo
  data, answering POST /api/orders (auth, validation, pricing, credit check, territory
  snapshot, numbering, allocation, audit events, change feed);
- baseline: a bare ASGI endpoint in one process with a pool of asyncpg connections that
  parses the body and performs the same writes in one transaction per order, taking its
  row locks in the product's order (the number counter, the stock rows by key, the change
  counter last): the number, the order, 5 lines, 5 stock rows, 5 reservations, 3 audit
  events, the change counter and 8 change records. It runs on a copy of the product's
  database made before the product's runs.

Run from the repository root, with PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres):

    .venv/bin/python bench/pg_orders.py --clients 32 --seconds 10

It prints the orders per second and latencies of each, and each product run's ratio to
the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # as a script or with -m
from machine import machine_speed
from orders_http import (
    LINES_PER_ORDER,
    Result,
    Workload,
    _api,
    _free_port,
    _wait_ready,
    run_load,
)

from server.db.types import new_id

ROOT = Path(__file__).resolve().parents[1]
ADMIN_DSN = os.environ.get("FIELDSALES_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


# --- the baseline server ------------------------------------------------------------------


class BaselineApp:
    """A bare ASGI app: one endpoint, raw SQL through an asyncpg pool."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.pool: Any = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            import asyncpg

            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.pool = await asyncpg.create_pool(self.dsn, min_size=4, max_size=16)
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.pool.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status, payload = 404, b'{"detail":"not found"}'
        if scope["path"] == "/orders" and scope["method"] == "POST":
            status, payload = 201, json.dumps(await self.place(json.loads(body))).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def place(self, order: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC)
        order_id, user_id = new_id(), order["actor_id"]
        lines = sorted(order["lines"], key=lambda x: x["product_id"])
        address = json.dumps(order["address"])
        async with self.pool.acquire() as conn, conn.transaction():
            value = await conn.fetchval(
                "UPDATE document_sequences SET last_value = last_value + 1 WHERE prefix = 'SO' "
                "RETURNING last_value"
            )
            number = f"SO-{value:06d}"
            rows = await conn.fetch(
                "SELECT warehouse_id, product_id FROM stock_levels WHERE product_id = ANY($1) "
                "AND on_hand - allocated > 0 ORDER BY warehouse_id, product_id FOR UPDATE",
                [x["product_id"] for x in lines],
            )
            stock = {r["product_id"]: r["warehouse_id"] for r in rows}
            await conn.execute(
                "INSERT INTO sales_orders (id, number, customer_id, status, fulfilment_status, "
                "billing_status, order_type, channel, priority, ship_complete, po_number, "
                "shipping_method, payment_terms, notes, bill_to, ship_to, territory_id, "
                "territory_name, rep_id, manager_ids, discount_percent, approval_reasons, "
                "created_by, placed_at, version, updated_at, subtotal_cents, discount_cents, "
                "net_cents, tax_cents, shipping_cents, shipping_tax_cents, total_cents, "
                "order_discount_percent, currency) VALUES ($1, $2, $3, 'confirmed', 'allocated', "
                "'not_invoiced', 'standard', 'field', 0, false, $4, 'standard', 'net_30', '', "
                "$5, $5, $6, 'Bench', $7, '[]', 0, '[]', $7, $8, 1, $8, 0, 0, 0, 0, 0, 0, 0, 0, "
                "'USD')",
                order_id,
                number,
                order["customer_id"],
                order.get("po_number", ""),
                address,
                order["territory_id"],
                user_id,
                now,
            )
            line_ids = [new_id() for _ in lines]
            await conn.executemany(
                "INSERT INTO sales_order_lines (id, order_id, line_no, product_id, sku, name, "
                "quantity, unit_price_cents, discount_percent, gross_cents, discount_cents, "
                "net_cents, tax_rate, tax_cents, total_cents, quantity_allocated, "
                "quantity_backordered, quantity_shipped) "
                "VALUES ($1, $2, $3, $4, 'SKU', 'Item', $5, 100, 0, 100, 0, 100, 0, 0, 100, $5, 0, 0)",
                [
                    (line_ids[i], order_id, i + 1, x["product_id"], x["quantity"])
                    for i, x in enumerate(lines)
                ],
            )
            await conn.executemany(
                "UPDATE stock_levels SET allocated = allocated + $1 "
                "WHERE warehouse_id = $2 AND product_id = $3",
                [(x["quantity"], stock[x["product_id"]], x["product_id"]) for x in lines],
            )
            await conn.executemany(
                "INSERT INTO stock_reservations (id, order_id, line_id, warehouse_id, product_id, "
                "quantity, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                [
                    (
                        new_id(),
                        order_id,
                        line_ids[i],
                        stock[x["product_id"]],
                        x["product_id"],
                        x["quantity"],
                        now,
                    )
                    for i, x in enumerate(lines)
                ],
            )
            await conn.executemany(
                "INSERT INTO audit_events (id, entity_type, entity_id, action, actor_id, at, "
                "from_state, to_state, reason, data) "
                "VALUES ($1, 'sales_order', $2, $3, $4, $5, $6, $7, NULL, $8)",
                [
                    (
                        new_id(),
                        order_id,
                        action,
                        user_id,
                        now,
                        before,
                        after,
                        json.dumps({"number": number}),
                    )
                    for action, before, after in (
                        ("submit", "draft", "submitted"),
                        ("confirm", "submitted", "confirmed"),
                        ("stock_allocated", "unallocated", "allocated"),
                    )
                ],
            )
            # The change counter last, held to commit: the feed's values in commit order.
            seq = await conn.fetchval(
                "UPDATE sync_change_counter SET value = value + 1 WHERE id = 1 RETURNING value"
            )
            changes = [
                ("order", order_id, order["territory_id"], None),
                ("order", order_id, None, user_id),
                ("customer", order["customer_id"], order["territory_id"], user_id),
                *(("product", x["product_id"], None, None) for x in lines),
            ]
            await conn.executemany(
                "INSERT INTO sync_changes (seq, entity_type, entity_id, territory_id, owner_id, at) "
                "VALUES ($1, $2, $3, $4, $5, $6)",
                [(seq, *change, now) for change in changes],
            )
        return {"id": order_id, "number": number, "status": "confirmed"}


def serve_baseline(dsn: str, port: int) -> None:
    import uvicorn

    uvicorn.run(
        BaselineApp(dsn),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )


# --- setting up -----------------------------------------------------------------------------


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"{ADMIN_DSN}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _prepare_rows(dsn: str, customer_id: str, products: list[str]) -> dict[str, Any]:
    """Stock topped up and the customer's credit limit lifted, so every order of the run
    takes the same path: confirmed and fully allocated."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "UPDATE stock_levels SET on_hand = 100000000 WHERE product_id = ANY($1) AND on_hand > 0",
            products,
        )
        await conn.execute(
            "UPDATE customers SET credit_limit_cents = NULL WHERE id = $1", customer_id
        )
        await conn.execute(
            "INSERT INTO document_sequences (prefix, last_value) VALUES ('SO', 0) "
            "ON CONFLICT DO NOTHING"
        )
        territory = await conn.fetchval(
            "SELECT territory_id FROM customers WHERE id = $1", customer_id
        )
        user = await conn.fetchval("SELECT id FROM users WHERE email = 'rep1@example.com'")
    finally:
        await conn.close()
    return {
        "territory_id": territory,
        "actor_id": user,
        "address": {
            "country": "US",
            "state": "WA",
            "city": "Seattle",
            "postal_code": "98101",
            "street": "1 Main St",
        },
    }


def prepare(url: str, dsn: str) -> Workload:
    token = _api(
        url, "POST", "/api/auth/login", {"email": "rep1@example.com", "password": "demo1234"}
    )["access_token"]
    customer = _api(url, "GET", "/api/customers?status=active&limit=1", token=token)["items"][0]
    products = _api(
        url, "GET", f"/api/products?active=true&limit=200&customer_id={customer['id']}", token=token
    )["items"]
    chosen = [p for p in products if p["price"] is not None and p["available"] > 0][
        :LINES_PER_ORDER
    ]
    assert len(chosen) == LINES_PER_ORDER, "the demo catalog has too few stocked products"
    extra = asyncio.run(_prepare_rows(dsn, customer["id"], [p["id"] for p in chosen]))
    lines = [
        {"product_id": p["id"], "quantity": p["min_order_qty"], "discount_percent": "0"}
        for p in chosen
    ]
    return Workload(token, customer["id"], lines, extra)


async def _outcomes(dsn: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT status, fulfilment_status, count(*) AS n FROM sales_orders "
            "GROUP BY 1, 2 ORDER BY 3 DESC"
        )
    finally:
        await conn.close()
    return ", ".join(f"{r['n']} {r['status']}/{r['fulfilment_status']}" for r in rows)


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=60)


def _report(results: list[Result], clients: int) -> None:
    print(f"\n{LINES_PER_ORDER}-line orders over HTTP, PostgreSQL, {clients} clients")
    print(f"machine speed: a Python loop of 5 million additions took {machine_speed():.2f} s")
    print(f"{'':12}{'orders':>8}{'failed':>8}{'orders/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for r in results:
        print(
            f"{r.name:12}{r.completed:>8}{r.failed:>8}{r.throughput:>10.1f}"
            f"{r.percentile(50):>9.1f}{r.percentile(99):>9.1f}"
        )
    baseline = results[-1]
    for product in results[:-1]:
        print(f"ratio {product.name}/baseline: {product.throughput / baseline.throughput:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument(
        "--serve-baseline", nargs=2, metavar=("DSN", "PORT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline[0], int(args.serve_baseline[1]))
        return 0

    name = f"fs_bench_{uuid.uuid4().hex[:8]}"
    dsn = f"{ADMIN_DSN}/{name}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    results: list[Result] = []
    try:
        with tempfile.TemporaryDirectory(prefix="fs-bench-") as tmp:
            env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDSALES_")}
            env.update(
                FIELDSALES_DATA_DIR=tmp,
                FIELDSALES_DATABASE_URL=dsn.replace("postgresql://", "postgresql+asyncpg://"),
                FIELDSALES_SECRET_KEY=secrets.token_urlsafe(48),
                FIELDSALES_LOG_LEVEL="WARNING",
                # Every order of the run comes from one client address.
                FIELDSALES_LOGIN_RATE_LIMIT="1000",
            )
            subprocess.run(
                [sys.executable, "-m", "server.cli", "demo"], cwd=ROOT, env=env, check=True
            )
            port = _free_port()
            process = _start(["-m", "server.cli", "serve", "--port", str(port)], env)
            try:
                _wait_ready(f"http://127.0.0.1:{port}", "/readyz")
                work = prepare(f"http://127.0.0.1:{port}", dsn)
            finally:
                _stop(process)
            # The baseline writes into a copy of the prepared database, made while no one
            # is connected to it.
            asyncio.run(_admin(f'CREATE DATABASE "{name}_base" TEMPLATE "{name}"'))
            order = {"customer_id": work.customer_id, "lines": work.lines, "po_number": "BENCH"}
            for workers in (1, 2):
                port = _free_port()
                url = f"http://127.0.0.1:{port}"
                process = _start(
                    ["-m", "server.cli", "serve", "--port", str(port), "--workers", str(workers)],
                    env,
                )
                try:
                    _wait_ready(url, "/readyz")
                    results.append(
                        asyncio.run(
                            run_load(
                                f"workers={workers}",
                                url,
                                "/api/orders",
                                {"authorization": f"Bearer {work.token}"},
                                order,
                                args.clients,
                                args.seconds,
                                args.warmup,
                            )
                        )
                    )
                finally:
                    _stop(process)
            port = _free_port()
            base_dsn = f"{dsn}_base"
            process = _start([__file__, "--serve-baseline", base_dsn, str(port)], env)
            try:
                _wait_ready(f"http://127.0.0.1:{port}", "/")
                results.append(
                    asyncio.run(
                        run_load(
                            "baseline",
                            f"http://127.0.0.1:{port}",
                            "/orders",
                            {},
                            {**order, **work.extra},
                            args.clients,
                            args.seconds,
                            args.warmup,
                        )
                    )
                )
            finally:
                _stop(process)
            print(
                f"orders stored: product {asyncio.run(_outcomes(dsn))}; "
                f"baseline {asyncio.run(_outcomes(base_dsn))}"
            )
    finally:
        for db in (f"{name}_base", name):
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
    _report(results, args.clients)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
