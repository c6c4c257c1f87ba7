"""Orders over HTTP: the product's whole order path against a raw aiosqlite baseline.

Both sides run as one server process on loopback, on SQLite, and take the same 5-line order
bodies from the same number of concurrent clients:

- product: `fieldsales serve --demo` answering POST /api/orders (auth, validation, pricing,
  credit check, territory snapshot, numbering, allocation, audit events);
- baseline: a bare ASGI endpoint that parses the body and performs the same inserts and
  updates (number, order, 5 lines, 5 stock rows, 5 reservations, 3 audit events, the change
  counter and 8 change records) through one aiosqlite connection in one BEGIN IMMEDIATE
  transaction, without the product's logic. Its ids are made the product's way
  (`server.db.types.new_id`, time-ordered), so both write the same keys.

Run from the repository root:

    .venv/bin/python bench/orders_http.py --clients 32 --seconds 20

With `--webhook` a webhook endpoint is registered for `order.confirmed` (a lean receiver in
a process of its own on 127.0.0.1, answering 204 over kept-alive connections), and the
product is loaded again `--rounds` times with the endpoint paused and enabled in turn. Each
pair prints the server's CPU per order from the load's start until its outbox is empty
again (every e-mail kept, every webhook delivered), which other processes on a busy machine
do not move, beside the throughput, and how long after the load the last webhook arrived
(a worker that fell behind would look cheap). All product runs write the
outbox's event (and the customer's e-mail, kept: no SMTP server is set).

It prints the throughput of both, their ratio and the latency percentiles, and exits 1 when
the targets of issue 4 (product >= 0.5x baseline, product p99 <= 100 ms) are missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from server.db.types import new_id

sys.path.insert(0, str(Path(__file__).resolve().parent))  # as a script or with -m
from machine import machine_speed

ROOT = Path(__file__).resolve().parents[1]
LINES_PER_ORDER = 5
TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0


# --- the baseline server ------------------------------------------------------------------


class BaselineApp:
    """A bare ASGI app: one endpoint, raw SQL, one connection, transactions in turn."""

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self.lock = asyncio.Lock()
        self.conn: Any = None
        self.tax = {}  # product id -> (unit price cents, tax rate)

    async def _start(self) -> None:
        import aiosqlite

        self.conn = await aiosqlite.connect(self.db_path, isolation_level=None)
        for pragma in (
            "journal_mode=WAL",
            "foreign_keys=ON",
            "busy_timeout=15000",
            "synchronous=FULL",
        ):
            await self.conn.execute(f"PRAGMA {pragma}")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await self._start()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.conn.close()
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
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        order_id, user_id = new_id(), order["actor_id"]
        lines = order["lines"]
        async with self.lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = await self.conn.execute(
                    "UPDATE document_sequences SET last_value = last_value + 1 WHERE prefix = 'SO' "
                    "RETURNING last_value"
                )
                number = f"SO-{(await cursor.fetchone())[0]:06d}"
                ids = [line["product_id"] for line in lines]
                cursor = await self.conn.execute(
                    f"SELECT warehouse_id, product_id, on_hand - allocated FROM stock_levels "
                    f"WHERE product_id IN ({','.join('?' * len(ids))}) ORDER BY warehouse_id, product_id",
                    ids,
                )
                stock = {row[1]: row[0] for row in await cursor.fetchall() if row[2] > 0}
                await self.conn.execute(
                    "INSERT INTO sales_orders (id, number, customer_id, status, fulfilment_status, "
                    "billing_status, order_type, channel, priority, ship_complete, po_number, "
                    "shipping_method, payment_terms, notes, bill_to, ship_to, territory_id, "
                    "territory_name, rep_id, manager_ids, discount_percent, approval_reasons, "
                    "created_by, placed_at, version, updated_at, subtotal_cents, discount_cents, "
                    "net_cents, tax_cents, shipping_cents, shipping_tax_cents, total_cents, "
                    "order_discount_percent, currency) VALUES (?, ?, ?, 'confirmed', 'allocated', "
                    "'not_invoiced', 'standard', 'field', 0, 0, ?, 'standard', 'net_30', '', ?, ?, ?, "
                    "?, ?, '[]', 0, '[]', ?, ?, 1, ?, 0, 0, 0, 0, 0, 0, 0, 0, 'USD')",
                    (
                        order_id,
                        number,
                        order["customer_id"],
                        order.get("po_number", ""),
                        json.dumps(order["address"]),
                        json.dumps(order["address"]),
                        order["territory_id"],
                        "Bench",
                        user_id,
                        user_id,
                        now,
                        now,
                    ),
                )
                line_ids = [new_id() for _ in lines]
                await self.conn.executemany(
                    "INSERT INTO sales_order_lines (id, order_id, line_no, product_id, sku, name, "
                    "quantity, unit_price_cents, discount_percent, gross_cents, discount_cents, "
                    "net_cents, tax_rate, tax_cents, total_cents, quantity_allocated, "
                    "quantity_backordered, quantity_shipped) "
                    "VALUES (?, ?, ?, ?, 'SKU', 'Item', ?, 100, 0, 100, 0, 100, 0, 0, 100, ?, 0, 0)",
                    [
                        (
                            line_ids[i],
                            order_id,
                            i + 1,
                            x["product_id"],
                            x["quantity"],
                            x["quantity"],
                        )
                        for i, x in enumerate(lines)
                    ],
                )
                await self.conn.executemany(
                    "UPDATE stock_levels SET allocated = allocated + ? WHERE warehouse_id = ? AND product_id = ?",
                    [(x["quantity"], stock[x["product_id"]], x["product_id"]) for x in lines],
                )
                await self.conn.executemany(
                    "INSERT INTO stock_reservations (id, order_id, line_id, warehouse_id, product_id, "
                    "quantity, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
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
                await self.conn.executemany(
                    "INSERT INTO audit_events (id, entity_type, entity_id, action, actor_id, at, "
                    "from_state, to_state, reason, data) VALUES (?, 'sales_order', ?, ?, ?, ?, ?, ?, NULL, ?)",
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
                # The sync change feed: the counter, then the order (for its territory and its
                # rep), its customer and the five products whose availability changed.
                cursor = await self.conn.execute(
                    "UPDATE sync_change_counter SET value = value + 1 WHERE id = 1 RETURNING value"
                )
                seq = (await cursor.fetchone())[0]
                changes = [
                    ("order", order_id, order["territory_id"], None),
                    ("order", order_id, None, user_id),
                    ("customer", order["customer_id"], order["territory_id"], user_id),
                    *(("product", x["product_id"], None, None) for x in lines),
                ]
                await self.conn.executemany(
                    "INSERT INTO sync_changes (seq, entity_type, entity_id, territory_id, owner_id, at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(seq, *change, now) for change in changes],
                )
                await self.conn.execute("COMMIT")
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
        return {"id": order_id, "number": number, "status": "confirmed"}


def serve_baseline(db_path: str, port: int) -> None:
    import uvicorn

    uvicorn.run(
        BaselineApp(db_path),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )


# --- setting up -----------------------------------------------------------------------------


def server_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a product server on `data_dir`: none of this shell's FIELDSALES_
    settings, a fresh secret, access logging turned down (the comparisons are about the
    order path), the bench's receiver on 127.0.0.1 allowed, and `settings` on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDSALES_")}
    env.update(
        FIELDSALES_DATA_DIR=str(data_dir),
        FIELDSALES_SECRET_KEY=secrets.token_urlsafe(48),
        FIELDSALES_LOG_LEVEL="WARNING",
        FIELDSALES_WEBHOOKS_ALLOW_PRIVATE="1",
        **settings,
    )
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, path: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + path, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answers: ready
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not become ready")


def _api(url: str, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    request = urllib.request.Request(
        url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "content-type": "application/json",
            **({"authorization": f"Bearer {token}"} if token else {}),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@dataclass
class Workload:
    token: str
    customer_id: str
    lines: list[dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)  # what the baseline takes as given


def prepare(url: str, db_path: Path) -> Workload:
    """rep1 orders 5 stocked, priced products for one of their active customers.

    Stock is topped up and the customer's credit limit lifted so that every order of the run
    takes the same path: confirmed and fully allocated.
    """
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
    with sqlite3.connect(db_path, timeout=30) as conn:
        conn.executemany(
            "UPDATE stock_levels SET on_hand = 100000000 WHERE product_id = ? AND on_hand > 0",
            [(p["id"],) for p in chosen],
        )
        conn.execute(
            "UPDATE customers SET credit_limit_cents = NULL WHERE id = ?", (customer["id"],)
        )
        conn.execute(
            "INSERT OR IGNORE INTO document_sequences (prefix, last_value) VALUES ('SO', 0)"
        )
        row = conn.execute(
            "SELECT territory_id FROM customers WHERE id = ?", (customer["id"],)
        ).fetchone()
        user = conn.execute("SELECT id FROM users WHERE email = 'rep1@example.com'").fetchone()
    lines = [
        {"product_id": p["id"], "quantity": p["min_order_qty"], "discount_percent": "0"}
        for p in chosen
    ]
    extra = {
        "territory_id": row[0],
        "actor_id": user[0],
        "address": {
            "country": "US",
            "state": "WA",
            "city": "Seattle",
            "postal_code": "98101",
            "street": "1 Main St",
        },
    }
    return Workload(token, customer["id"], lines, extra)


# --- load -----------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    completed: int
    failed: int
    seconds: float
    latencies_ms: list[float]

    @property
    def throughput(self) -> float:
        return self.completed / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return (
            ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")
        )


class _Connection:
    """One keep-alive HTTP/1.1 connection that sends a prepared request again and again.

    httpx costs the load generator about a millisecond of CPU per request, enough to make
    the client, not the server, the bottleneck on a 2-core machine; this costs a few tens
    of microseconds. It reads the status line, the headers and the body (sized by
    Content-Length, or chunked)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if not chunked:
            return status, await self.reader.readexactly(length) if length else b""
        body = b""
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            body += await self.reader.readexactly(size + 2)
            if size == 0:
                return status, body


def _request(url: str, path: str, headers: dict[str, str], body: dict[str, Any]) -> bytes:
    payload = json.dumps(body).encode()
    host = url.split("//", 1)[1]
    head = [
        f"POST {path} HTTP/1.1",
        f"host: {host}",
        "content-type: application/json",
        f"content-length: {len(payload)}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


async def run_load(
    name: str,
    url: str,
    path: str,
    headers: dict[str, str],
    body: dict[str, Any],
    clients: int,
    seconds: float,
    warmup: float,
) -> Result:
    latencies: list[float] = []
    failures: list[str] = []
    request = _request(url, path, headers, body)
    host, port = url.split("//", 1)[1].split(":")
    connections = [
        _Connection(*await asyncio.open_connection(host, int(port))) for _ in range(clients)
    ]
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + seconds

    async def client(connection: _Connection) -> None:
        while (now := time.perf_counter()) < stop_at:
            status, answer = await connection.send(request)
            done = time.perf_counter()
            if now < measure_from:
                continue
            if status == 201:
                latencies.append((done - now) * 1000)
            else:
                failures.append(f"{status} {answer[:200]!r}")

    await asyncio.gather(*(client(c) for c in connections))
    elapsed = time.perf_counter() - measure_from
    for connection in connections:
        connection.writer.close()
    if failures:
        print(f"{name}: {len(failures)} failed, first: {failures[0]}", file=sys.stderr)
    return Result(name, len(latencies), len(failures), elapsed, latencies)


def _report(results: list[Result], clients: int) -> bool:
    print(
        f"\n{LINES_PER_ORDER}-line orders over HTTP, SQLite, one server process, {clients} clients"
    )
    print(f"machine speed: a Python loop of 5 million additions took {machine_speed():.2f} s")
    print(f"{'':10}{'orders':>8}{'failed':>8}{'orders/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for r in results:
        print(
            f"{r.name:10}{r.completed:>8}{r.failed:>8}{r.throughput:>10.1f}"
            f"{r.percentile(50):>9.1f}{r.percentile(99):>9.1f}"
        )
    product, baseline = results
    ratio = product.throughput / baseline.throughput
    p99 = product.percentile(99)
    ok = ratio >= TARGET_RATIO and p99 <= TARGET_P99_MS and product.failed == 0
    print(
        f"ratio product/baseline: {ratio:.2f}x (target >= {TARGET_RATIO}x); product p99 "
        f"{p99:.1f} ms (target <= {TARGET_P99_MS:.0f} ms): {'met' if ok else 'MISSED'}"
    )
    return ok


def _outcomes(db_path: Path) -> str:
    """What the run wrote: every order should be confirmed and fully allocated."""
    with sqlite3.connect(db_path, timeout=30) as conn:
        rows = conn.execute(
            "SELECT status, fulfilment_status, count(*) FROM sales_orders "
            "GROUP BY 1, 2 ORDER BY 3 DESC"
        ).fetchall()
    return ", ".join(f"{n} {status}/{fulfilment}" for status, fulfilment, n in rows)


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


class _Receiver(asyncio.Protocol):
    """A lean webhook receiver (its own process, HTTP/1.1 keep-alive, answers 204): the
    other system's cost should not be charged to the product, on this shared machine."""

    ids: set[bytes] = set()

    def connection_made(self, transport: Any) -> None:
        self.transport, self.buffer = transport, b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].lower()
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name == b"content-length":
                    length = int(value)
                elif name == b"webhook-id":
                    _Receiver.ids.add(value.strip())
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            if head.startswith(b"get /count"):
                count = str(len(_Receiver.ids)).encode()
                self.transport.write(
                    b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(count), count)
                )
            else:
                self.transport.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")


def serve_receiver(port: int) -> None:
    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(_Receiver, "127.0.0.1", port)
        await server.serve_forever()

    asyncio.run(serve())


def _received(receiver_url: str) -> int:
    with urllib.request.urlopen(f"{receiver_url}/count", timeout=10) as answer:
        return int(answer.read())


def _confirmed(db_path: Path) -> int:
    with sqlite3.connect(db_path, timeout=30) as conn:
        return int(conn.execute("SELECT count(*) FROM sales_orders").fetchone()[0])


def _register_webhook(url: str, receiver_url: str) -> tuple[str, str]:
    """The admin's token and the endpoint's id, registered for `order.confirmed`."""
    token = _api(
        url, "POST", "/api/auth/login", {"email": "admin@example.com", "password": "demo1234"}
    )["access_token"]
    body = {"url": f"{receiver_url}/hooks", "event_types": ["order.confirmed"]}
    return token, _api(url, "POST", "/api/webhooks", body, token=token)["id"]


def _cpu_seconds(pid: int) -> float:
    """User and system CPU the process has used so far (Linux's /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _settle(db_path: Path, limit: float = 120) -> None:
    """Wait until the outbox has nothing pending: the run's e-mails and webhooks are done."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        with sqlite3.connect(db_path, timeout=30) as conn:
            pending = conn.execute(
                "SELECT count(*) FROM outbox_messages WHERE status = 'pending'"
            ).fetchone()[0]
        if not pending:
            return
        time.sleep(0.1)


@dataclass
class _Costed:
    """A load on the product, with the server's CPU per order from the load's start until
    its outbox was empty again (other processes on the machine do not count in it)."""

    result: Result
    cpu_ms_per_order: float
    catch_up: float = 0.0


def _catch_up(receiver_url: str, expected: int, limit: float = 120) -> float:
    """Seconds until the receiver holds `expected` messages (inf if it never does)."""
    started = time.perf_counter()
    while _received(receiver_url) < expected:
        if time.perf_counter() - started > limit:
            return float("inf")
        time.sleep(0.1)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--webhook", action="store_true", help="also run with a webhook")
    parser.add_argument(
        "--rounds", type=int, default=2, help="with --webhook: runs with and without, alternated"
    )
    parser.add_argument("--serve-receiver", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--serve-baseline", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_receiver:
        serve_receiver(args.serve_receiver)
        return 0
    if args.serve_baseline:
        serve_baseline(args.serve_baseline[0], int(args.serve_baseline[1]))
        return 0

    with tempfile.TemporaryDirectory(prefix="fs-bench-") as tmp:
        data_dir = Path(tmp) / "product"
        data_dir.mkdir()
        env = server_env(data_dir)
        product_port, baseline_port = _free_port(), _free_port()
        product_url, baseline_url = (
            f"http://127.0.0.1:{product_port}",
            f"http://127.0.0.1:{baseline_port}",
        )
        processes = [
            _start(["-m", "server.cli", "serve", "--demo", "--port", str(product_port)], env)
        ]
        try:
            _wait_ready(product_url, "/readyz")
            db_path = data_dir / "fieldsales.db"
            work = prepare(product_url, db_path)
            baseline_db = Path(tmp) / "baseline.db"
            with sqlite3.connect(db_path, timeout=30) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copy(db_path, baseline_db)
            processes.append(
                _start([__file__, "--serve-baseline", str(baseline_db), str(baseline_port)], env)
            )
            _wait_ready(baseline_url, "/")

            order = {"customer_id": work.customer_id, "lines": work.lines, "po_number": "BENCH"}
            product = asyncio.run(
                run_load(
                    "product",
                    product_url,
                    "/api/orders",
                    {"authorization": f"Bearer {work.token}"},
                    order,
                    args.clients,
                    args.seconds,
                    args.warmup,
                )
            )
            pairs: list[tuple[_Costed, _Costed]] = []
            if args.webhook:
                receiver_port = _free_port()
                receiver_url = f"http://127.0.0.1:{receiver_port}"
                processes.append(_start([__file__, "--serve-receiver", str(receiver_port)], env))
                _wait_ready(receiver_url, "/count")
                admin, endpoint = _register_webhook(product_url, receiver_url)
                headers = {"authorization": f"Bearer {work.token}"}
                server_pid = processes[0].pid

                def hook(enabled: bool) -> None:
                    body = {"enabled": enabled}
                    _api(product_url, "PATCH", f"/api/webhooks/{endpoint}", body, token=admin)

                def costed(name: str) -> _Costed:
                    """One load; with the endpoint enabled, also how long after it the last
                    webhook arrived (a worker that fell behind would look cheap)."""
                    _settle(db_path)
                    cpu, orders, delivered = (
                        _cpu_seconds(server_pid), _confirmed(db_path), _received(receiver_url)
                    )  # fmt: skip
                    result = asyncio.run(
                        run_load(
                            name, product_url, "/api/orders", headers, order,
                            args.clients, args.seconds, args.warmup,
                        )
                    )  # fmt: skip
                    placed = _confirmed(db_path) - orders
                    catch_up = (
                        _catch_up(receiver_url, delivered + placed) if name == "+webhook" else 0.0
                    )
                    _settle(db_path)
                    cpu_ms = (_cpu_seconds(server_pid) - cpu) * 1000 / placed
                    return _Costed(result, cpu_ms, catch_up)

                # Alternated, so that neither side has the quieter minutes or the smaller
                # database.
                for _ in range(args.rounds):
                    hook(False)
                    without = costed("without")
                    hook(True)
                    pairs.append((without, costed("+webhook")))
            baseline = asyncio.run(
                run_load(
                    "baseline",
                    baseline_url,
                    "/orders",
                    {},
                    {**order, **work.extra},
                    args.clients,
                    args.seconds,
                    args.warmup,
                )
            )
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
        print(f"orders stored: product {_outcomes(db_path)}; baseline {_outcomes(baseline_db)}")
    ok = _report([product, baseline], args.clients)
    for without, hooked in pairs:
        print(
            f"webhook: server CPU per order {without.cpu_ms_per_order:.2f} ms without,"
            f" {hooked.cpu_ms_per_order:.2f} ms with"
            f" ({hooked.cpu_ms_per_order / without.cpu_ms_per_order - 1:+.1%});"
            f" orders/s {without.result.throughput:.1f} without, {hooked.result.throughput:.1f}"
            f" with ({hooked.result.throughput / without.result.throughput - 1:+.1%});"
            f" p99 {without.result.percentile(99):.0f} / {hooked.result.percentile(99):.0f} ms;"
            f" last webhook {hooked.catch_up:.1f} s after the load"
        )
    if pairs:
        costs = sorted(h.cpu_ms_per_order / w.cpu_ms_per_order - 1 for w, h in pairs)
        print(
            f"webhook cost in server CPU over {len(pairs)} pairs: median"
            f" {statistics.median(costs):+.1%}, from {costs[0]:+.1%} to {costs[-1]:+.1%}"
        )
        if any(h.catch_up == float("inf") for _, h in pairs):
            print("webhooks were not all delivered: the costs above are not a result")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
