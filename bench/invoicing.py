"""Invoicing run benchmark: 10,000 shipped orders invoiced in one action, on SQLite.

Seeds a fresh migrated SQLite file with the rows the product writes for shipped orders
(orders of 3 lines at prices that do not divide evenly, one dispatched shipment each,
the lines' shipped quantities), copies it, then:

- product: the invoicing run the API's `POST /api/invoicing/run` performs
  (`run_invoicing`: batches of orders, each batch one write transaction through the
  product's units of work, stores and rules);
- baseline: plain `sqlite3` doing the same reads and writes on the copy, in the same
  batches (read unbilled shipments, their lines and the order lines; insert invoices and
  invoice lines; update shipments, order lines and orders; the audit event and change-feed
  rows the product writes too), with the same pragmas (WAL, synchronous=FULL).

Both results are checked: every order invoiced once, invoices summing to the orders' totals.

    .venv/bin/python bench/invoicing.py [--orders 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from server.db.engine import Database
from server.db.migrate import upgrade
from server.db.models import (
    Customer,
    Product,
    ProductCategory,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
    Territory,
    User,
    Warehouse,
)
from server.db.types import new_id, utcnow
from server.domain.actor import CurrentUser
from server.features.billing.invoicing import RUN_BATCH
from server.features.billing.routes import run_invoicing

sys.path.insert(0, str(Path(__file__).resolve().parent))  # as a script or with -m
from machine import machine_speed

PRICES = (333, 1999, 707)  # cents a unit
QUANTITY = 3
TAX = Decimal("0.10")


def _cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


async def seed(path: Path, orders: int) -> None:
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)
    db = Database(url)
    now = utcnow()
    admin_id, territory_id, customer_id = new_id(), new_id(), new_id()
    category_id, warehouse_id = new_id(), new_id()
    product_ids = [new_id() for _ in PRICES]
    async with db.write() as uow:
        s = uow.session
        s.add(
            User(
                id=admin_id,
                email="admin@bench.test",
                full_name="Bench Admin",
                role="admin",
                password_hash="x",
            )
        )
        s.add(Territory(id=territory_id, code="T", name="Territory", kind="territory"))
        s.add(ProductCategory(id=category_id, code="C", name="Category"))
        s.add(Warehouse(id=warehouse_id, code="W1", name="W1", country="US", state="WA"))
        await s.flush()
        s.add(
            Customer(
                id=customer_id,
                number="C-000001",
                legal_name="Bench Customer",
                search_name="bench customer",
                status="active",
                territory_id=territory_id,
            )
        )
        for i, pid in enumerate(product_ids):
            s.add(
                Product(
                    id=pid,
                    sku=f"P{i}",
                    name=f"Product {i}",
                    category_id=category_id,
                    tax_category="standard",
                )
            )
    order_rows, line_rows, shipment_rows, shipment_line_rows = [], [], [], []
    address = {"country": "US", "state": "WA", "city": "Seattle", "postal_code": "98101"}
    for n in range(orders):
        order_id, shipment_id = new_id(), new_id()
        net = tax = 0
        for line_no, (pid, price) in enumerate(zip(product_ids, PRICES, strict=True), 1):
            line_net = price * QUANTITY
            line_tax = _cents(line_net * TAX)
            net, tax = net + line_net, tax + line_tax
            line_id = new_id()
            line_rows.append(
                {
                    "id": line_id,
                    "order_id": order_id,
                    "line_no": line_no,
                    "product_id": pid,
                    "sku": f"P{line_no}",
                    "name": f"Product {line_no}",
                    "quantity": QUANTITY,
                    "unit_price_cents": price,
                    "discount_percent": Decimal(0),
                    "gross_cents": line_net,
                    "discount_cents": 0,
                    "net_cents": line_net,
                    "tax_rate": TAX,
                    "tax_cents": line_tax,
                    "total_cents": line_net + line_tax,
                    "quantity_allocated": 0,
                    "quantity_shipped": QUANTITY,
                }
            )
            shipment_line_rows.append(
                {
                    "id": new_id(),
                    "shipment_id": shipment_id,
                    "order_line_id": line_id,
                    "product_id": pid,
                    "quantity": QUANTITY,
                }
            )
        order_rows.append(
            {
                "id": order_id,
                "number": f"SO-{n + 1:06d}",
                "customer_id": customer_id,
                "status": "in_fulfilment",
                "fulfilment_status": "shipped",
                "billing_status": "not_invoiced",
                "payment_terms": "net_30",
                "bill_to": address,
                "ship_to": address,
                "territory_id": territory_id,
                "territory_name": "Territory",
                "created_by": admin_id,
                "placed_at": now,
                "subtotal_cents": net,
                "net_cents": net,
                "tax_cents": tax,
                "shipping_cents": 500,
                "shipping_tax_cents": 50,
                "total_cents": net + tax + 550,
            }
        )
        shipment_rows.append(
            {
                "id": shipment_id,
                "number": f"SH-{n + 1:06d}",
                "order_id": order_id,
                "warehouse_id": warehouse_id,
                "status": "shipped",
                "shipped_at": now,
                "created_by": admin_id,
            }
        )
    async with db.write() as uow:
        conn = await uow.session.connection()
        for model, rows in (
            (SalesOrder, order_rows),
            (SalesOrderLine, line_rows),
            (Shipment, shipment_rows),
            (ShipmentLine, shipment_line_rows),
        ):
            await conn.execute(insert(model), rows)
    await db.dispose()


async def product_run(path: Path) -> tuple[float, int]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    admin = CurrentUser(id=str(uuid.uuid4()), email="a@b", full_name="Admin", role="admin")
    started = time.perf_counter()
    result = await run_invoicing(db, admin)
    elapsed = time.perf_counter() - started
    await db.dispose()
    return elapsed, result.invoices


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _share(amount: int, quantity: int, before: int, taking: int) -> int:
    def cumulative(k: int) -> int:
        return amount if k >= quantity else _cents(Decimal(amount) * k / quantity)

    return cumulative(before + taking) - cumulative(before)


def baseline_run(path: Path, batch: int) -> tuple[float, int]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    started = time.perf_counter()
    invoices = 0
    number = 0
    while True:
        conn.execute("BEGIN IMMEDIATE")
        order_ids = [
            r[0]
            for r in conn.execute(
                "SELECT order_id FROM shipments WHERE invoice_id IS NULL AND status IN "
                "('shipped','delivered') GROUP BY order_id ORDER BY order_id LIMIT ?",
                (batch,),
            )
        ]
        if not order_ids:
            conn.execute("COMMIT")
            break
        marks = ",".join("?" * len(order_ids))
        orders = conn.execute(
            "SELECT id, number, customer_id, payment_terms, total_cents, shipping_cents, "
            "shipping_tax_cents, invoiced_cents, paid_cents, credited_cents, version, "
            f"territory_id, rep_id FROM sales_orders WHERE id IN ({marks}) ORDER BY id",
            order_ids,
        ).fetchall()
        shipments = conn.execute(
            f"SELECT id, number, order_id FROM shipments WHERE order_id IN ({marks}) "
            "AND invoice_id IS NULL AND status IN ('shipped','delivered')",
            order_ids,
        ).fetchall()
        smarks = ",".join("?" * len(shipments))
        units: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        order_of = {s[0]: s[2] for s in shipments}
        for shipment_id, line_id, quantity in conn.execute(
            f"SELECT shipment_id, order_line_id, quantity FROM shipment_lines "
            f"WHERE shipment_id IN ({smarks})",
            [s[0] for s in shipments],
        ):
            units[order_of[shipment_id]][line_id] += quantity
        lines: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for row in conn.execute(
            "SELECT id, order_id, sku, name, quantity, unit_price_cents, net_cents, tax_cents, "
            f"quantity_shipped, quantity_invoiced FROM sales_order_lines WHERE order_id IN ({marks}) "
            "ORDER BY order_id, line_no",
            order_ids,
        ):
            lines[row[1]].append(row)
        invoiced_before = {
            r[0]
            for r in conn.execute(
                f"SELECT DISTINCT order_id FROM invoices WHERE order_id IN ({marks})", order_ids
            )
        }
        now = _utc_text(datetime.now(UTC))
        today = date.today()
        inv_rows, inv_lines, line_updates, order_updates = [], [], [], []
        events, changes = [], []
        for order in orders:
            oid = order[0]
            invoice_id = new_id()
            number += 1
            net = tax = 0
            line_no = 0
            for line in lines[oid]:
                q = units[oid].get(line[0], 0)
                if not q:
                    continue
                assert line[9] + q <= line[8]
                line_no += 1
                n_ = _share(line[6], line[4], line[9], q)
                t_ = _share(line[7], line[4], line[9], q)
                net, tax = net + n_, tax + t_
                inv_lines.append(
                    (
                        new_id(),
                        invoice_id,
                        line_no,
                        line[0],
                        None,
                        line[2],
                        line[3],
                        q,
                        line[5],
                        n_,
                        t_,
                        n_ + t_,
                    )
                )
                line_updates.append((line[9] + q, line[0]))
            shipping = shipping_tax = 0
            if oid not in invoiced_before:
                shipping, shipping_tax = order[5], order[6]
                line_no += 1
                inv_lines.append(
                    (
                        new_id(),
                        invoice_id,
                        line_no,
                        None,
                        None,
                        "",
                        "Shipping",
                        1,
                        shipping,
                        shipping,
                        shipping_tax,
                        shipping + shipping_tax,
                    )
                )
            total = net + shipping + tax + shipping_tax
            inv_rows.append(
                (
                    invoice_id,
                    f"INV-{number:06d}",
                    oid,
                    order[2],
                    "open",
                    today.isoformat(),
                    (today + timedelta(days=30)).isoformat(),
                    "USD",
                    net,
                    shipping,
                    tax + shipping_tax,
                    total,
                    0,
                    0,
                    None,
                    now,
                    now,
                )
            )
            invoiced = order[7] + total
            status = "invoiced" if invoiced >= order[4] else "partially_invoiced"
            order_updates.append((status, invoiced, order[10] + 1, now, oid))
            events.append(
                (
                    new_id(),
                    "sales_order",
                    oid,
                    "invoice",
                    None,
                    now,
                    "not_invoiced",
                    status,
                    None,
                    json.dumps({"number": order[1], "invoice_id": invoice_id}),
                )
            )
            changes.append(("order", oid, order[11]))
        by_order = {r[2]: r[0] for r in inv_rows}
        ship_marks = [(by_order[s[2]], now, s[0]) for s in shipments]
        conn.executemany(
            "INSERT INTO invoices (id, number, order_id, customer_id, status, issued_on, due_on, "
            "currency, net_cents, shipping_cents, tax_cents, total_cents, paid_cents, "
            "credited_cents, created_by, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            inv_rows,
        )
        conn.executemany(
            "INSERT INTO invoice_lines (id, invoice_id, line_no, order_line_id, shipment_id, sku, "
            "description, quantity, unit_price_cents, net_cents, tax_cents, total_cents) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            inv_lines,
        )
        conn.executemany(
            "UPDATE shipments SET invoice_id = ?, updated_at = ? WHERE id = ? AND invoice_id IS NULL",
            ship_marks,
        )
        conn.executemany(
            "UPDATE sales_order_lines SET quantity_invoiced = ? WHERE id = ?", line_updates
        )
        conn.executemany(
            "UPDATE sales_orders SET billing_status = ?, invoiced_cents = ?, version = ?, "
            "updated_at = ? WHERE id = ?",
            order_updates,
        )
        conn.executemany(
            "INSERT INTO audit_events (id, entity_type, entity_id, action, actor_id, at, "
            "from_state, to_state, reason, data) VALUES (?,?,?,?,?,?,?,?,?,?)",
            events,
        )
        seq = conn.execute(
            "UPDATE sync_change_counter SET value = value + 1 WHERE id = 1 RETURNING value"
        ).fetchone()[0]
        conn.executemany(
            "INSERT INTO sync_changes (seq, entity_type, entity_id, territory_id, owner_id, at) "
            "VALUES (?,?,?,?,?,?)",
            [(seq, kind, eid, territory, None, now) for kind, eid, territory in changes],
        )
        conn.execute("COMMIT")
        invoices += len(inv_rows)
        if len(order_ids) < batch:
            break
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed, invoices


def check(path: Path, orders: int) -> None:
    conn = sqlite3.connect(path)
    billed, mismatched = conn.execute(
        "SELECT count(*), sum(o.total_cents != i.total) FROM sales_orders o JOIN "
        "(SELECT order_id, sum(total_cents) AS total, count(*) AS n FROM invoices "
        "GROUP BY order_id) i ON i.order_id = o.id"
    ).fetchone()
    unbilled = conn.execute("SELECT count(*) FROM shipments WHERE invoice_id IS NULL").fetchone()
    conn.close()
    if billed != orders or mismatched or unbilled[0]:
        raise SystemExit(
            f"wrong result: {billed} orders billed, {mismatched} totals off, {unbilled[0]} unbilled"
        )


def _copy_database(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=10_000)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as tmp:
        product_db, baseline_db = Path(tmp) / "product.db", Path(tmp) / "baseline.db"
        started = time.perf_counter()
        await seed(product_db, args.orders)
        _copy_database(product_db, baseline_db)
        print(f"seeded {args.orders} shipped orders in {time.perf_counter() - started:.1f} s")
        print(f"machine loop: {machine_speed():.2f} s")
        product_s, product_n = await product_run(product_db)
        check(product_db, args.orders)
        baseline_s, baseline_n = baseline_run(baseline_db, RUN_BATCH)
        check(baseline_db, args.orders)
    product_rate, baseline_rate = product_n / product_s, baseline_n / baseline_s
    print(f"product:  {product_n} invoices in {product_s:.2f} s = {product_rate:,.0f} orders/s")
    print(f"baseline: {baseline_n} invoices in {baseline_s:.2f} s = {baseline_rate:,.0f} orders/s")
    print(f"ratio: {product_rate / baseline_rate:.2f}x (target >= 0.25x)")


if __name__ == "__main__":
    asyncio.run(main())
