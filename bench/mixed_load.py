"""A field team's mixed load: lists, pulls, orders and approvals at once (issue 23).

64 keep-alive clients (by default) share one server for a fixed time. Each client picks its
next request from a fixed mix, as a team's day does:

| kind | share | request |
| --- | ---: | --- |
| customers | 25 % | `GET /api/customers?limit=50` as a rep |
| products | 15 % | `GET /api/products?limit=50` as a rep |
| pull incremental | 25 % | `GET /api/sync/v1/pull` from the phone's last cursor (little new) |
| pull full page | 5 % | `GET /api/sync/v1/pull?limit=200` from the start (a new phone's first page) |
| order | 25 % | `POST /api/orders`, 5 lines, confirmed and allocated |
| approval | 5 % | a rep's order over their discount limit, then the manager's approval |

Each client is a phone of one of three reps: its first incremental pull starts from the
feed's end and each one after it from the cursor the last one answered, as the app pulls.
With `--fixed-cursor` every incremental pull starts from the feed's end at the start of the
run instead, as this benchmark did before 2026-12-07: as the run's orders accumulate, the
first rep's pulls grow into full pages of 500 changes.

Every order is for the same customer. By default it is also for the same five products, a
worst case: every order of the run takes the same five stock rows. `--spread N` draws each
order's five products from N stocked products instead, as a team's orders spread over a
catalog.

Run on SQLite (`fieldsales serve --demo`, one process) and on PostgreSQL (a fresh database
with the demo data, `--workers 2`), one after the other:

    .venv/bin/python bench/mixed_load.py --seconds 30
    .venv/bin/python bench/mixed_load.py --db sqlite --clients 64 --seconds 60
    .venv/bin/python bench/mixed_load.py --db postgres --spread 100

It prints, per kind and database: requests, failures, req/s, p50, p99 and the slowest
request (a request that starves shows there), with the machine's speed; and exits 1 when a
target is missed: lists and incremental pulls p99 <= 250 ms, orders p99 <= 100 ms.
PostgreSQL is reached at FIELDSALES_BENCH_PG (default postgresql://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # as a script or with -m
import orders_http
import pg_orders
from machine import machine_speed
from orders_http import _api, _Connection, _free_port, _request, _wait_ready
from reads import _get

ROOT = Path(__file__).resolve().parents[1]
MIX = (
    ("customers", 25),
    ("products", 15),
    ("pull incremental", 25),
    ("pull full page", 5),
    ("order", 25),
    ("approval", 5),
)
LIST_P99_MS = 250.0
ORDER_P99_MS = 100.0
TARGETS = {
    "customers": LIST_P99_MS,
    "products": LIST_P99_MS,
    "pull incremental": LIST_P99_MS,
    "order": ORDER_P99_MS,
}
REPS = ("rep1@example.com", "rep2@example.com", "rep3@example.com")


@dataclass
class Kind:
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass
class Team:
    """Who makes the requests: the reps' tokens and feed ends, the manager's token, and the
    order the reps place."""

    url: str
    rep_tokens: list[str]
    feed_ends: list[str]
    manager_token: str
    order: dict[str, Any]
    # The lines an order's five are drawn from (`--spread`); empty: always `order`'s.
    line_pool: list[dict[str, Any]] = field(default_factory=list)


def _login(url: str, email: str) -> str:
    answer = _api(url, "POST", "/api/auth/login", {"email": email, "password": "demo1234"})
    return str(answer["access_token"])


def _feed_end(url: str, token: str) -> str:
    page = _api(url, "GET", "/api/sync/v1/pull?limit=1000", token=token)
    while page["has_more"]:
        cursor = urllib.parse.quote(page["cursor"])
        page = _api(url, "GET", f"/api/sync/v1/pull?limit=1000&cursor={cursor}", token=token)
    return str(page["cursor"])


def team_of(url: str, work: orders_http.Workload, line_pool: list[dict[str, Any]]) -> Team:
    tokens = [work.token, *(_login(url, email) for email in REPS[1:])]
    order = {"customer_id": work.customer_id, "lines": work.lines, "po_number": "MIX"}
    return Team(
        url=url,
        rep_tokens=tokens,
        feed_ends=[_feed_end(url, token) for token in tokens],
        manager_token=_login(url, "manager@example.com"),
        order=order,
        line_pool=line_pool,
    )


_TOP_UP = "UPDATE stock_levels SET on_hand = 100000000 WHERE product_id = {} AND on_hand > 0"


def spread_lines(url: str, work: orders_http.Workload, count: int) -> list[dict[str, Any]]:
    """`count` stocked products priced for the workload's customer, as order lines (their
    stock is topped up by the caller, so every order is confirmed and allocated)."""
    if count <= 0:
        return []
    products = _api(
        url,
        "GET",
        f"/api/products?active=true&limit=200&customer_id={work.customer_id}",
        token=work.token,
    )["items"]
    chosen = [p for p in products if p["price"] is not None and p["available"] > 0][:count]
    if len(chosen) < max(count, orders_http.LINES_PER_ORDER):
        raise SystemExit(f"--spread {count}: the demo has {len(chosen)} stocked products")
    return [
        {"product_id": p["id"], "quantity": p["min_order_qty"], "discount_percent": "0"}
        for p in chosen
    ]


def top_up_sqlite(db_path: Path, lines: list[dict[str, Any]]) -> None:
    with sqlite3.connect(db_path, timeout=30) as conn:
        conn.executemany(_TOP_UP.format("?"), [(line["product_id"],) for line in lines])


async def top_up_postgres(dsn: str, lines: list[dict[str, Any]]) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.executemany(_TOP_UP.format("$1"), [(line["product_id"],) for line in lines])
    finally:
        await conn.close()


@dataclass
class Phone:
    """One client's phone: whose it is and where its incremental pulls go on from."""

    rep: int
    cursor: str
    fixed_cursor: bool = False


async def _one(
    kind: str, connection: _Connection, team: Team, phone: Phone, rng: random.Random
) -> tuple[int, bytes, int]:
    """Sends one request of `kind`; (status, body, the status it should have)."""
    rep = phone.rep
    url, token = team.url, team.rep_tokens[rep]
    if kind == "customers":
        status, body = await connection.send(_get(url, "/api/customers?limit=50", token))
        return status, body, 200
    if kind == "products":
        status, body = await connection.send(_get(url, "/api/products?limit=50", token))
        return status, body, 200
    if kind == "pull incremental":
        cursor = urllib.parse.quote(phone.cursor)
        status, body = await connection.send(_get(url, f"/api/sync/v1/pull?cursor={cursor}", token))
        if status == 200 and not phone.fixed_cursor:
            phone.cursor = str(json.loads(body)["cursor"])
        return status, body, 200
    if kind == "pull full page":
        status, body = await connection.send(_get(url, "/api/sync/v1/pull?limit=200", token))
        return status, body, 200
    if kind == "order":
        # The order's customer is the first rep's: every client orders as that rep.
        first = {"authorization": f"Bearer {team.rep_tokens[0]}"}
        order = team.order
        if team.line_pool:
            order = {**order, "lines": rng.sample(team.line_pool, orders_http.LINES_PER_ORDER)}
        status, body = await connection.send(_request(url, "/api/orders", first, order))
        return status, body, 201
    # An approval: the first rep's order over their 10 % limit (it waits for a manager),
    # then the manager approves it. The two requests count as one, timed together.
    discounted = {
        **team.order,
        "lines": [{**line, "discount_percent": "15"} for line in team.order["lines"]],
    }
    status, body = await connection.send(
        _request(url, "/api/orders", {"authorization": f"Bearer {team.rep_tokens[0]}"}, discounted)
    )
    if status != 201:
        return status, body, 201
    order_id = json.loads(body)["id"]
    manager = {"authorization": f"Bearer {team.manager_token}"}
    status, body = await connection.send(
        _request(url, f"/api/orders/{order_id}/approve", manager, {})
    )
    return status, body, 200


async def run_mix(
    team: Team, clients: int, seconds: float, warmup: float, *, fixed_cursor: bool = False
) -> dict[str, Kind]:
    kinds = {name: Kind() for name, _ in MIX}
    names = [name for name, _ in MIX]
    weights = [weight for _, weight in MIX]
    host, port = team.url.split("//", 1)[1].split(":")
    connections = [
        _Connection(*await asyncio.open_connection(host, int(port))) for _ in range(clients)
    ]
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + seconds

    async def client(number: int, connection: _Connection) -> None:
        rng = random.Random(number)
        rep = number % len(team.rep_tokens)
        phone = Phone(rep, team.feed_ends[rep], fixed_cursor)
        while (began := time.perf_counter()) < stop_at:
            kind = rng.choices(names, weights)[0]
            status, body, wanted = await _one(kind, connection, team, phone, rng)
            done = time.perf_counter()
            if began < measure_from:
                continue
            if status == wanted:
                kinds[kind].latencies_ms.append((done - began) * 1000)
            else:
                kinds[kind].failures.append(f"{status} {body[:200]!r}")

    await asyncio.gather(*(client(n, c) for n, c in enumerate(connections)))
    for connection in connections:
        connection.writer.close()
    return kinds


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")


def _report(title: str, kinds: dict[str, Kind], seconds: float) -> bool:
    print(f"\n{title}")
    print(
        f"{'':18}{'requests':>9}{'failed':>8}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'target':>9}"
    )
    met = True
    for name, kind in kinds.items():
        lat = kind.latencies_ms
        p99 = _percentile(lat, 99)
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            ok = bool(lat) and p99 <= target and not kind.failures
            met &= ok
            verdict = f"{'ok' if ok else 'MISSED'} <={target:.0f}"
        print(
            f"{name:18}{len(lat):>9}{len(kind.failures):>8}{len(lat) / seconds:>8.1f}"
            f"{_percentile(lat, 50):>9.1f}{p99:>9.1f}{max(lat, default=float('nan')):>9.1f}"
            f"  {verdict}"
        )
        if kind.failures:
            print(f"    first failure: {kind.failures[0]}", file=sys.stderr)
    total = sum(len(k.latencies_ms) for k in kinds.values())
    print(f"{'all':18}{total:>9}{'':8}{total / seconds:>8.1f}")
    return met


def _env(data_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDSALES_")}
    env.update(
        FIELDSALES_DATA_DIR=data_dir,
        FIELDSALES_SECRET_KEY=secrets.token_urlsafe(48),
        FIELDSALES_LOG_LEVEL="WARNING",
        # Every client of the run comes from one address.
        FIELDSALES_LOGIN_RATE_LIMIT="1000",
    )
    return env


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=60)


def on_sqlite(args: argparse.Namespace) -> bool:
    with tempfile.TemporaryDirectory(prefix="fs-bench-") as tmp:
        env = _env(tmp)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        process = orders_http._start(
            ["-m", "server.cli", "serve", "--demo", "--port", str(port)], env
        )
        try:
            _wait_ready(url, "/readyz")
            db_path = Path(tmp) / "fieldsales.db"
            work = orders_http.prepare(url, db_path)
            pool = spread_lines(url, work, args.spread)
            top_up_sqlite(db_path, pool)
            team = team_of(url, work, pool)
            kinds = asyncio.run(
                run_mix(
                    team, args.clients, args.seconds, args.warmup, fixed_cursor=args.fixed_cursor
                )
            )
        finally:
            _stop(process)
    return _report(
        f"SQLite, one server process, {args.clients} clients, {args.seconds:.0f} s"
        f"{_spread_title(args)}",
        kinds,
        args.seconds,
    )


def on_postgres(args: argparse.Namespace) -> bool:
    name = f"fs_bench_{uuid.uuid4().hex[:8]}"
    dsn = f"{pg_orders.ADMIN_DSN}/{name}"
    asyncio.run(pg_orders._admin(f'CREATE DATABASE "{name}"'))
    try:
        with tempfile.TemporaryDirectory(prefix="fs-bench-") as tmp:
            env = _env(tmp)
            env["FIELDSALES_DATABASE_URL"] = dsn.replace("postgresql://", "postgresql+asyncpg://")
            subprocess.run(
                [sys.executable, "-m", "server.cli", "demo"], cwd=ROOT, env=env, check=True
            )
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            process = orders_http._start(
                ["-m", "server.cli", "serve", "--port", str(port), "--workers", str(args.workers)],
                env,
            )
            try:
                _wait_ready(url, "/readyz")
                work = pg_orders.prepare(url, dsn)
                pool = spread_lines(url, work, args.spread)
                asyncio.run(top_up_postgres(dsn, pool))
                team = team_of(url, work, pool)
                kinds = asyncio.run(
                    run_mix(
                        team,
                        args.clients,
                        args.seconds,
                        args.warmup,
                        fixed_cursor=args.fixed_cursor,
                    )
                )
            finally:
                _stop(process)
    finally:
        asyncio.run(pg_orders._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return _report(
        f"PostgreSQL, {args.workers} server processes, {args.clients} clients, "
        f"{args.seconds:.0f} s{_spread_title(args)}",
        kinds,
        args.seconds,
    )


def _spread_title(args: argparse.Namespace) -> str:
    if args.spread:
        return f", orders drawn from {args.spread} products"
    return ", every order of the same five products"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--workers", type=int, default=2, help="server processes on PostgreSQL")
    parser.add_argument(
        "--fixed-cursor",
        action="store_true",
        help="every incremental pull from the feed's end at the run's start (the old mix)",
    )
    parser.add_argument(
        "--spread",
        type=int,
        default=0,
        help="draw each order's five products from this many stocked products (0: the same five)",
    )
    args = parser.parse_args()
    print(f"machine speed: a Python loop of 5 million additions took {machine_speed():.2f} s")
    met = True
    if args.db in ("sqlite", "both"):
        met &= on_sqlite(args)
    if args.db in ("postgres", "both"):
        met &= on_postgres(args)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
