"""Reads over HTTP: the product's lists, pages and pulls beside a minimal baseline.

Both run as one server process each on loopback, on the same SQLite demo database, in one
run, one request at a time with the same number of concurrent keep-alive clients:

- product: `fieldsales serve --demo`, every request as rep1 (bearer token);
- baseline: a bare ASGI app that checks the same JWT with PyJWT (signature, expiry,
  audience, issuer), runs one aiosqlite query for the same 50 customers rep1 sees first
  (same columns, same order, same territory filter) and encodes them with msgspec.

Run from the repository root:

    .venv/bin/python bench/reads.py --clients 16 --seconds 4

It prints req/s and p50/p99 per request beside the baseline, with the machine's speed, and
exits 1 when a target is missed: 50-row lists >= 0.5x the baseline's req/s, an empty list
and an incremental pull with nothing new within 2x the cost of /api/auth/me.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sqlite3
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # as a script or with -m
from machine import machine_speed
from orders_http import Result, _api, _Connection, _free_port, _start, _wait_ready

ROOT = Path(__file__).resolve().parents[1]
LIST_RATIO_TARGET = 0.5
SMALL_COST_TARGET = 2.0  # an empty list or pull, in units of /api/auth/me's cost


# --- the baseline server ------------------------------------------------------------------

_BASELINE_QUERY = """
SELECT c.id, c.number, c.legal_name, c.trading_name, c.status, a.city, a.postal_code,
       c.territory_id, c.owner_id, c.version
FROM customers c
LEFT JOIN customer_addresses a
  ON a.customer_id = c.id AND a.kind = 'billing' AND a.is_default = 1
WHERE c.territory_id IN ({territories}) OR (c.status = 'prospect' AND c.created_by = ?)
ORDER BY c.search_name, c.id
LIMIT 50
"""


class BaselineApp:
    """A bare ASGI app: one endpoint, a JWT check, one query, msgspec."""

    def __init__(self, db_path: str, secret: str, territories: list[str]) -> None:
        import msgspec

        self.db_path, self.secret, self.territories = db_path, secret, territories
        self.encode = msgspec.json.Encoder().encode
        self.conn: Any = None

    async def _start(self) -> None:
        import aiosqlite

        self.conn = await aiosqlite.connect(self.db_path, isolation_level=None)
        await self.conn.execute("PRAGMA busy_timeout=15000")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        import jwt

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
        status, payload = 404, b'{"detail":"not found"}'
        headers = dict(scope["headers"])
        token = headers.get(b"authorization", b"").removeprefix(b"Bearer ")
        if scope["path"] == "/customers":
            try:
                claims = jwt.decode(
                    token,
                    self.secret,
                    algorithms=["HS256"],
                    audience="fieldsales-api",
                    issuer="fieldsales",
                )
            except jwt.PyJWTError:
                status, payload = 401, b'{"detail":"unauthorized"}'
            else:
                sql = _BASELINE_QUERY.format(territories=",".join("?" * len(self.territories)))
                cursor = await self.conn.execute(sql, [*self.territories, claims["sub"]])
                rows = await cursor.fetchall()
                items = [
                    {
                        "id": r[0],
                        "number": r[1],
                        "legal_name": r[2],
                        "trading_name": r[3],
                        "status": r[4],
                        "city": r[5] or "",
                        "postal_code": r[6] or "",
                        "territory_id": r[7],
                        "owner_id": r[8],
                        "version": r[9],
                    }
                    for r in rows
                ]
                status, payload = 200, self.encode({"items": items, "limit": 50, "offset": 0})
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def serve_baseline(db_path: str, port: int, secret: str, territories: str) -> None:
    import uvicorn

    uvicorn.run(
        BaselineApp(db_path, secret, territories.split(",")),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )


# --- load -----------------------------------------------------------------------------------


def _get(url: str, path: str, token: str) -> bytes:
    host = url.split("//", 1)[1]
    return (
        f"GET {path} HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {token}\r\n\r\n"
    ).encode()


async def get_load(
    name: str, url: str, path: str, token: str, clients: int, seconds: float, warmup: float
) -> Result:
    latencies: list[float] = []
    failures: list[str] = []
    request = _get(url, path, token)
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
            if status == 200:
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


def requests_of(url: str, token: str) -> list[tuple[str, str]]:
    """(name, path) of each request measured, as rep1 makes them."""
    first = _api(url, "GET", "/api/sync/v1/pull?limit=1", token=token)
    # The end of the feed: pull until nothing more (a snapshot ends on the feed's cursor).
    cursor, more = first["cursor"], first["has_more"]
    while more:
        page = _api(
            url,
            "GET",
            f"/api/sync/v1/pull?limit=2000&cursor={urllib.parse.quote(cursor)}",
            token=token,
        )
        cursor, more = page["cursor"], page["has_more"]
    return [
        ("healthz", "/healthz"),
        ("auth/me", "/api/auth/me"),
        ("orders empty", "/api/orders?limit=1&status=rejected"),
        ("territories", "/api/territories"),
        ("customers 50", "/api/customers?limit=50"),
        ("customers q", "/api/customers?limit=50&q=market"),
        ("products 50", "/api/products?limit=50"),
        ("products q", "/api/products?limit=50&q=tape"),
        ("pull first", "/api/sync/v1/pull?limit=1"),
        ("pull none new", f"/api/sync/v1/pull?cursor={urllib.parse.quote(cursor)}"),
    ]


def rep_territories(db_path: Path, url: str, token: str) -> list[str]:
    """The territories of the customers rep1 sees (the baseline's filter)."""
    seen: set[str] = set()
    offset = 0
    while True:
        page = _api(url, "GET", f"/api/customers?limit=200&offset={offset}", token=token)
        seen.update(c["territory_id"] for c in page["items"] if c["territory_id"])
        offset += 200
        if offset >= page["total"]:
            return sorted(seen)


def _report(rows: list[Result], baseline: list[Result], clients: int) -> bool:
    base_rate = sum(b.throughput for b in baseline) / len(baseline)
    by_name = {r.name: r for r in rows}
    print(
        f"\nReads over HTTP, SQLite demo data, one server process each, {clients} clients, as rep1"
    )
    print(f"machine speed: a Python loop of 5 million additions took {machine_speed():.2f} s")
    print(f"{'':16}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'x base':>8}{'failed':>8}")
    for r in [*rows, *baseline]:
        print(
            f"{r.name:16}{r.throughput:>9.0f}{r.percentile(50):>9.1f}{r.percentile(99):>9.1f}"
            f"{r.throughput / base_rate:>8.2f}{r.failed:>8}"
        )
    me = by_name["auth/me"].throughput
    checks = [
        (
            f"customers 50 >= {LIST_RATIO_TARGET}x baseline",
            by_name["customers 50"].throughput / base_rate,
            LIST_RATIO_TARGET,
        ),
        (
            f"products 50 >= {LIST_RATIO_TARGET}x baseline",
            by_name["products 50"].throughput / base_rate,
            LIST_RATIO_TARGET,
        ),
        ("orders empty: cost <= 2x auth/me", me / by_name["orders empty"].throughput, None),
        ("pull none new: cost <= 2x auth/me", me / by_name["pull none new"].throughput, None),
    ]
    ok = all(r.failed == 0 for r in rows)
    for label, value, floor in checks:
        met = value >= floor if floor is not None else value <= SMALL_COST_TARGET
        ok = ok and met
        print(f"{label}: {value:.2f} {'met' if met else 'MISSED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--warmup", type=float, default=1)
    parser.add_argument("--only", help="comma-separated request names to measure")
    parser.add_argument("--serve-baseline", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        db, port, secret, territories = args.serve_baseline
        serve_baseline(db, int(port), secret, territories)
        return 0

    with tempfile.TemporaryDirectory(prefix="fs-bench-") as tmp:
        data_dir = Path(tmp) / "product"
        data_dir.mkdir()
        secret = secrets.token_urlsafe(48)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDSALES_")}
        # Access logging turned down: the comparison is about the read path.
        env.update(
            FIELDSALES_DATA_DIR=str(data_dir),
            FIELDSALES_SECRET_KEY=secret,
            FIELDSALES_LOG_LEVEL="WARNING",
        )
        product_port, baseline_port = _free_port(), _free_port()
        product_url = f"http://127.0.0.1:{product_port}"
        baseline_url = f"http://127.0.0.1:{baseline_port}"
        processes = [
            _start(["-m", "server.cli", "serve", "--demo", "--port", str(product_port)], env)
        ]
        try:
            _wait_ready(product_url, "/readyz")
            db_path = data_dir / "fieldsales.db"
            token = _api(
                product_url,
                "POST",
                "/api/auth/login",
                {"email": "rep1@example.com", "password": "demo1234"},
            )["access_token"]
            territories = rep_territories(db_path, product_url, token)
            with sqlite3.connect(db_path, timeout=30) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            processes.append(
                _start(
                    [
                        __file__,
                        "--serve-baseline",
                        str(db_path),
                        str(baseline_port),
                        secret,
                        ",".join(territories),
                    ],
                    env,
                )
            )
            _wait_ready(baseline_url, "/")
            measured = requests_of(product_url, token)
            if args.only:
                wanted = set(args.only.split(","))
                measured = [m for m in measured if m[0] in wanted | {"auth/me"}]

            def load(name: str, url: str, path: str) -> Result:
                return asyncio.run(
                    get_load(name, url, path, token, args.clients, args.seconds, args.warmup)
                )

            # The baseline before and after the product's requests: the machine's speed
            # drifts within a run, and its average is what the ratios are taken against.
            baseline = [load("baseline 50", baseline_url, "/customers")]
            rows = [load(name, product_url, path) for name, path in measured]
            baseline.append(load("baseline 50", baseline_url, "/customers"))
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
    if args.only:
        _report_only(rows, baseline, args.clients)
        return 0
    return 0 if _report(rows, baseline, args.clients) else 1


def _report_only(rows: list[Result], baseline: list[Result], clients: int) -> None:
    base_rate = sum(b.throughput for b in baseline) / len(baseline)
    print(f"\n{clients} clients; machine speed {machine_speed():.2f} s")
    for r in [*rows, *baseline]:
        print(
            f"{r.name:16}{r.throughput:>9.0f}{r.percentile(50):>9.1f}{r.percentile(99):>9.1f}"
            f"{r.throughput / base_rate:>8.2f}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
