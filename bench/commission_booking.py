"""What crediting commission at booking costs an order: the orders benchmark with and
without an active plan, in the same run.

Two `fieldsales serve --demo` processes on SQLite, each with its own copy of the demo data
prepared the same way (bench/orders_http.py: rep1 orders 5 stocked products, confirmed and
fully allocated). One gets a booked-basis commission plan with a manager override, so
every order it places also writes its commission entries (the most crediting does at
placement); the other has no plan. The two are loaded in turn, alternating, so both see
the same machine.

    .venv/bin/python bench/commission_booking.py --clients 16 --seconds 8 --rounds 3

It exits 1 when the orders with a plan run below 0.9x the orders without one (crediting
adds more than 10 %).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # as a script or with -m
from machine import machine_speed
from orders_http import (
    Result,
    _api,
    _free_port,
    _start,
    _wait_ready,
    prepare,
    run_load,
)

TARGET_RATIO = 0.9


def _add_plan(url: str) -> None:
    token = _api(
        url, "POST", "/api/auth/login", {"email": "admin@example.com", "password": "demo1234"}
    )["access_token"]
    plan = {
        "code": "BENCH",
        "name": "Bench",
        "valid_from": "2000-01-01",
        "basis": "booked",
        "default_rate": "5",
        "manager_override_rate": "1",
    }
    _api(url, "POST", "/api/commission/plans", plan, token=token)


def _entries(db_path: Path) -> int:
    with sqlite3.connect(db_path, timeout=30) as conn:
        return int(conn.execute("SELECT count(*) FROM commission_entries").fetchone()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fs-bench-commission-") as tmp:
        sides: dict[str, tuple[str, Path]] = {}
        processes = []
        try:
            for name in ("no plan", "plan"):
                data_dir = Path(tmp) / name.replace(" ", "_")
                data_dir.mkdir()
                env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDSALES_")}
                env.update(
                    FIELDSALES_DATA_DIR=str(data_dir),
                    FIELDSALES_SECRET_KEY=secrets.token_urlsafe(48),
                    FIELDSALES_LOG_LEVEL="WARNING",
                )
                port = _free_port()
                processes.append(
                    _start(["-m", "server.cli", "serve", "--demo", "--port", str(port)], env)
                )
                sides[name] = (f"http://127.0.0.1:{port}", data_dir / "fieldsales.db")
            works = {}
            for name, (url, db_path) in sides.items():
                _wait_ready(url, "/readyz")
                works[name] = prepare(url, db_path)
            _add_plan(sides["plan"][0])
            results: dict[str, list[Result]] = {name: [] for name in sides}
            for _ in range(args.rounds):
                for name, (url, _db) in sides.items():
                    work = works[name]
                    order = {"customer_id": work.customer_id, "lines": work.lines}
                    results[name].append(
                        asyncio.run(
                            run_load(
                                name,
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
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
        print(f"\n5-line orders over HTTP, SQLite, {args.clients} clients, {args.rounds} rounds")
        print(f"machine speed: a Python loop of 5 million additions took {machine_speed():.2f} s")
        print(f"{'':10}{'orders/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}")
        for name, runs in results.items():
            for r in runs:
                print(
                    f"{name:10}{r.throughput:>10.1f}{r.percentile(50):>9.1f}"
                    f"{r.percentile(99):>9.1f}{r.failed:>8}"
                )
        totals = {
            name: sum(r.completed for r in runs) / sum(r.seconds for r in runs)
            for name, runs in results.items()
        }
        ratio = totals["plan"] / totals["no plan"]
        entries = _entries(sides["plan"][1])
        ok = ratio >= TARGET_RATIO and entries > 0 and _entries(sides["no plan"][1]) == 0
        print(
            f"with a plan / without: {ratio:.2f}x (target >= {TARGET_RATIO}x); "
            f"{entries} commission entries written: {'met' if ok else 'MISSED'}"
        )
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
