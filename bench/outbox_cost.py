"""What a webhook adds to an order, counted apart from the machine's swings.

`bench/orders_http.py --webhook` measures the server's CPU per order with the endpoint
paused and enabled in turn; on a shared two-core machine one load's CPU per order moves by
more than the 5 % budget between minutes, so its pairs scatter around their median. This
script splits the same cost into parts that can each be measured on the same data:

1. the order desk: `fieldsales serve --demo` with its outbox worker off, loaded with the
   same 5-line orders as `orders_http.py` (every order confirmed, an `order.confirmed`
   event in its outbox), and its CPU per order read from /proc;
2. the outbox worker, in this process on uvloop (the server's loop), draining copies of
   that database: `--pairs` pairs of identical copies, the endpoint paused on one and
   enabled on the other, alternated, each timed by this process's CPU. A lean receiver in
   a process of its own answers 204, as in `orders_http.py`.

The cost of a webhook is the worker's CPU per order with the endpoint enabled less that
with it paused, over the whole cost of an order (its placing and its outbox work without
a webhook). Issue 20's budget is 5 %.

    .venv/bin/python bench/outbox_cost.py --seconds 10 --pairs 4
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))  # as a script or with -m
import orders_http
from machine import machine_speed

from server.config import load_settings
from server.db.engine import Database
from server.features.notifications.worker import OutboxWorker

BUDGET = 0.05


async def _drain(db_file: Path, env: dict[str, str]) -> tuple[int, float]:
    """Deliver everything the copy's outbox holds; (messages handled, CPU seconds)."""
    settings = load_settings({**env, "FIELDSALES_DATABASE_URL": f"sqlite+aiosqlite:///{db_file}"})
    db = Database(settings.database_url)
    worker = OutboxWorker(db, settings)
    handled, started = 0, time.process_time()
    while True:
        round_handled = await worker.run_once()
        handled += round_handled
        if round_handled == 0:
            break
    await worker.stop()
    spent = time.process_time() - started
    await db.dispose()
    return handled, spent


@dataclass
class DemoDesk:
    """`fieldsales serve --demo` on a fresh data directory, its outbox worker off (the
    worker runs in the benchmark, on copies of the database), and a port kept for the
    webhook receiver."""

    env: dict[str, str]
    url: str
    receiver_port: int
    db_file: Path
    server: subprocess.Popen[bytes]

    @property
    def receiver_url(self) -> str:
        return f"http://127.0.0.1:{self.receiver_port}"

    @classmethod
    def start(cls, tmp: Path) -> DemoDesk:
        data_dir = tmp / "product"
        data_dir.mkdir()
        env = orders_http.server_env(data_dir, FIELDSALES_OUTBOX_POLL_SECONDS="0")
        port, receiver_port = orders_http._free_port(), orders_http._free_port()
        server = orders_http._start(
            ["-m", "server.cli", "serve", "--demo", "--port", str(port)], env
        )
        return cls(
            env, f"http://127.0.0.1:{port}", receiver_port, data_dir / "fieldsales.db", server
        )

    def prepare(self) -> orders_http.Workload:
        """The order workload, once the server is up, with a webhook endpoint registered
        for `order.confirmed` at the receiver's URL."""
        orders_http._wait_ready(self.url, "/readyz")
        work = orders_http.prepare(self.url, self.db_file)
        orders_http._register_webhook(self.url, self.receiver_url)
        return work


def webhooked_orders(conn: sqlite3.Connection) -> int:
    """The pending `order.confirmed` events that happened once the endpoint was registered:
    those it receives (the demo's own day, seeded before, is outbox work without one)."""
    (count,) = conn.execute(
        "SELECT count(*) FROM outbox_messages WHERE status = 'pending'"
        " AND event_type = 'order.confirmed'"
        " AND created_at >= (SELECT min(created_at) FROM webhook_endpoints)"
    ).fetchone()
    return int(count)


def _delivered(db_file: Path) -> tuple[int, int]:
    with sqlite3.connect(db_file) as conn:
        webhooks = conn.execute(
            "SELECT count(*) FROM outbox_messages WHERE destination LIKE 'webhook:%'"
            " AND status = 'delivered'"
        ).fetchone()[0]
        pending = conn.execute(
            "SELECT count(*) FROM outbox_messages WHERE status = 'pending'"
        ).fetchone()[0]
    return int(webhooks), int(pending)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--pairs", type=int, default=4)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="fs-outbox-cost-"))
    try:
        demo = DemoDesk.start(tmp)
        env, url, db_file, server = demo.env, demo.url, demo.db_file, demo.server
        receiver = orders_http._start(
            [orders_http.__file__, "--serve-receiver", str(demo.receiver_port)], env
        )
        try:
            orders_http._wait_ready(demo.receiver_url, "/count")
            work = demo.prepare()
            order = {"customer_id": work.customer_id, "lines": work.lines, "po_number": "BENCH"}
            headers = {"authorization": f"Bearer {work.token}"}
            # A warm-up load, then the measured one.
            asyncio.run(
                orders_http.run_load("warm-up", url, "/api/orders", headers, order, 8, 2, 1)
            )
            before_orders, before_cpu = (
                orders_http._confirmed(db_file), orders_http._cpu_seconds(server.pid)
            )  # fmt: skip
            asyncio.run(
                orders_http.run_load(
                    "orders", url, "/api/orders", headers, order, args.clients, args.seconds, 0
                )
            )
            placed = orders_http._confirmed(db_file) - before_orders
            placing_ms = (orders_http._cpu_seconds(server.pid) - before_cpu) * 1000 / placed
        finally:
            server.terminate()
            server.wait(timeout=30)
        with sqlite3.connect(db_file) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            (events,) = conn.execute(
                "SELECT count(*) FROM outbox_messages WHERE status = 'pending'"
            ).fetchone()
            confirmed = webhooked_orders(conn)

        costs, paused_ms, enabled_ms = [], [], []
        try:
            # Pair 0 is a warm-up, not counted: a worker's first rounds compile the
            # statements that a running server compiled long ago.
            for pair in range(args.pairs + 1):
                spent = {}
                # Which side goes first alternates too.
                for enabled in (False, True) if pair % 2 else (True, False):
                    copy = tmp / f"copy-{pair}-{int(enabled)}.db"
                    shutil.copy(db_file, copy)
                    with sqlite3.connect(copy) as conn:
                        conn.execute("UPDATE webhook_endpoints SET enabled = ?", (enabled,))
                    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                        _, cpu = runner.run(_drain(copy, env))
                    webhooks, pending = _delivered(copy)
                    if pending or webhooks != (confirmed if enabled else 0):
                        print(f"copy {copy.name}: {webhooks} webhooks delivered, {pending} left")
                        return 1
                    # Per confirmed order: each has its one webhook, and the other
                    # events (approvals, the demo's day) are outbox work paid for either way.
                    spent[enabled] = cpu * 1000 / confirmed
                    copy.unlink()
                if pair == 0:
                    continue
                paused_ms.append(spent[False])
                enabled_ms.append(spent[True])
                costs.append((spent[True] - spent[False]) / (placing_ms + spent[False]))
        finally:
            receiver.terminate()
            receiver.wait(timeout=30)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"machine speed: a Python loop of 5 million additions took {machine_speed():.2f} s")
    print(
        f"placing an order: {placing_ms:.2f} ms of server CPU ({placed} orders,"
        f" {args.clients} clients, {args.seconds:.0f} s); {events} events to deliver,"
        f" {confirmed} of them confirmed orders"
    )
    for pair, (paused, enabled, cost) in enumerate(
        zip(paused_ms, enabled_ms, costs, strict=True), 1
    ):
        print(
            f"pair {pair}: outbox worker {paused * 1000:.0f} us per order with the endpoint"
            f" paused, {enabled * 1000:.0f} us enabled: a webhook costs"
            f" {(enabled - paused) * 1000:.0f} us, {cost:+.1%} of an order"
        )
    median = statistics.median(costs)
    verdict = "met" if median <= BUDGET else "MISSED"
    print(
        f"webhook cost: median {median:+.1%} of an order, from {min(costs):+.1%} to"
        f" {max(costs):+.1%} (budget {BUDGET:.0%}): {verdict}"
    )
    return 0 if median <= BUDGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
