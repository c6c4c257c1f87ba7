"""Recomputing a period's commission: 20,000 confirmed orders (100,000 lines) on SQLite.

Seeds a fresh migrated SQLite file: 20 reps in two teams, each team's manager and a
region manager above both (every order records the two managers, so each line has three
entries: the rep's and two overrides), ten products in three categories, and a
booked-basis plan (a default rate, a category override, a manager override). The orders
are confirmed, five lines each, placed over last month; half the reps' statements for
that month are approved, so the differences land in this month, the open period.

The ledger is made stale in one of two ways (`--stale`):

- `raised` (the default): the entries version 1 of the plan credited are in the ledger
  (computed by the product's rules), and version 2, in force from the first of last month,
  raised the default and the category rate: a recompute reads 300,000 entries and appends
  100,000 differences (the overrides did not change);
- `missing`: the ledger is empty, so a recompute appends all 300,000 entries.

Then, timed, on two copies of that file, one after the other (their order alternating
from run to run):

- product: `credit_orders(uow, order_ids, reason=...)` (server/features/commission/
  crediting.py) in batches of `--batch` orders, each batch one `async with db.write() as
  uow` through `server.db.engine.Database`: per order its plan, facts (the order, its lines
  with their products' categories, invoices, credit notes, splits), existing entries and
  its reps' locked periods; the appended entries, and each touched rep's summary in the
  change feed;
- baseline: plain `sqlite3` doing the same reads per order (the order once, the plan once
  per day in each batch as the product caches it) and the same ledger and change-feed
  inserts, the rules written inline (rate lookup, Decimal, half-up rounding, the
  difference per key), in the same batches, with the same pragmas (WAL, synchronous=FULL,
  BEGIN IMMEDIATE).

Both sides are checked: the same number of entries, and per rep the same sum of
amount_cents, equal to what plan version 2 gives by the product's rules. The list of the
period's order ids is read before either clock starts.

    .venv/bin/python bench/commission_recompute.py [--orders 20000] [--runs 3]

It prints orders/s and lines/s of each side, their ratio and the machine's speed, and
exits 1 when a run's ratio is below the target of issue 18 (0.25x).
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
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert

import server.app  # noqa: F401  (the features in the app's order: they import one another)
from server.db.engine import Database
from server.db.migrate import upgrade
from server.db.models import (
    CommissionPlan,
    CommissionStatement,
    Customer,
    Product,
    ProductCategory,
    SalesOrder,
    SalesOrderLine,
    Territory,
    User,
)
from server.db.types import new_id, utcnow
from server.domain.commission import (
    OrderFacts,
    OrderLineFacts,
    desired_entries,
    entries_to_append,
    period_of,
)
from server.features.commission.crediting import credit_orders
from server.features.commission.store import plan_of

sys.path.insert(0, str(Path(__file__).resolve().parent))  # as a script or with -m
from machine import machine_speed

TARGET_RATIO = 0.25
LINES = 5
REPS = 20
# (price in cents, category) of the ten products; category 0 has the override rate.
PRODUCTS = tuple(
    (price, n % 3) for n, price in enumerate((333, 1999, 707, 1250, 499, 89, 2345, 1500, 617, 9999))
)
PLAN_V1 = {"default_rate": "5", "category_rate": "8", "manager_override_rate": "1"}
PLAN_V2 = {"default_rate": "5.5", "category_rate": "8.25", "manager_override_rate": "1"}
REASON = "recomputed: plan BENCH version 2"
HUNDRED = Decimal(100)
RATE_PLACES = Decimal("0.0001")

_INSERT_ENTRY = (
    "INSERT INTO commission_entries (id, entry_key, key, rep_id, role, period, order_id, "
    "source_type, source_id, basis, revenue_cents, amount_cents, rate, plan_id, plan_version, "
    "reason, created_at, kind) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


@dataclass
class Seeded:
    order_ids: list[str]
    lines: int
    expected: dict[str, int]  # amount_cents per rep once recomputed under version 2


def _month_before(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def _plan_row(
    version: int, valid_from: date, rates: dict[str, str], category: str
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "code": "BENCH",
        "version": version,
        "name": f"Bench v{version}",
        "valid_from": valid_from,
        "basis": "booked",
        "default_rate": Decimal(rates["default_rate"]),
        "category_rates": {category: rates["category_rate"]},
        "product_rates": {},
        "tier_mode": "none",
        "tiers": [],
        "manager_override_rate": Decimal(rates["manager_override_rate"]),
        "pays_on": "revenue",
    }


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


async def seed(path: Path, orders: int, stale: str) -> Seeded:
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)
    db = Database(url)
    month = _month_before(date.today())
    admin_id, territory_id, customer_id = new_id(), new_id(), new_id()
    region_id, team_ids = new_id(), [new_id(), new_id()]
    rep_ids = [new_id() for _ in range(REPS)]
    category_ids = [new_id() for _ in range(3)]
    product_ids = [new_id() for _ in PRODUCTS]
    users = [(admin_id, "admin", "admin"), (region_id, "region", "manager")]
    users += [(m, f"manager{i}", "manager") for i, m in enumerate(team_ids)]
    users += [(r, f"rep{i}", "rep") for i, r in enumerate(rep_ids)]
    plans = [
        _plan_row(1, date(2020, 1, 1), PLAN_V1, category_ids[0]),
        _plan_row(2, month, PLAN_V2, category_ids[0]),
    ]
    async with db.write() as uow:
        conn = await uow.session.connection()
        await conn.execute(
            insert(User),
            [
                {
                    "id": uid,
                    "email": f"{name}@bench.test",
                    "full_name": name,
                    "role": role,
                    "password_hash": "x",
                }
                for uid, name, role in users
            ],
        )
        await conn.execute(
            insert(Territory), [{"id": territory_id, "code": "T", "name": "T", "kind": "territory"}]
        )
        await conn.execute(
            insert(ProductCategory),
            [
                {"id": c, "code": f"C{i}", "name": f"Category {i}"}
                for i, c in enumerate(category_ids)
            ],
        )
        await conn.execute(
            insert(Customer),
            [
                {
                    "id": customer_id,
                    "number": "C-000001",
                    "legal_name": "Bench Customer",
                    "search_name": "bench customer",
                    "status": "active",
                    "territory_id": territory_id,
                }
            ],
        )
        await conn.execute(
            insert(Product),
            [
                {
                    "id": pid,
                    "sku": f"P{i}",
                    "name": f"Product {i}",
                    "category_id": category_ids[category],
                    "tax_category": "standard",
                }
                for i, (pid, (_price, category)) in enumerate(
                    zip(product_ids, PRODUCTS, strict=True)
                )
            ],
        )
        await conn.execute(insert(CommissionPlan), plans)
        # Last month approved for half the reps: their differences must land in this month.
        await conn.execute(
            insert(CommissionStatement),
            [
                {"id": new_id(), "rep_id": r, "period": period_of(month), "status": "approved"}
                for r in rep_ids[::2]
            ],
        )

    order_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    facts: list[OrderFacts] = []
    address = {"country": "US", "state": "WA", "city": "Seattle", "postal_code": "98101"}
    days = (date.today().replace(day=1) - month).days
    for n in range(orders):
        order_id = new_id()
        rep = rep_ids[n % REPS]
        managers = (team_ids[n % REPS // (REPS // 2)], region_id)
        placed_at = datetime(month.year, month.month, 1, 8, tzinfo=UTC) + timedelta(
            days=n % days, minutes=n % 600
        )
        line_facts = []
        net_total = 0
        for line_no in range(1, LINES + 1):
            k = (n * LINES + line_no) % len(PRODUCTS)
            price, category = PRODUCTS[k]
            quantity = 1 + (n + line_no) % 7
            net = price * quantity
            tax = int((Decimal(net) / 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            net_total += net
            line_id = new_id()
            line_rows.append(
                {
                    "id": line_id,
                    "order_id": order_id,
                    "line_no": line_no,
                    "product_id": product_ids[k],
                    "sku": f"P{k}",
                    "name": f"Product {k}",
                    "quantity": quantity,
                    "unit_price_cents": price,
                    "discount_percent": Decimal(0),
                    "gross_cents": net,
                    "discount_cents": 0,
                    "net_cents": net,
                    "tax_rate": Decimal("0.1"),
                    "tax_cents": tax,
                    "total_cents": net + tax,
                    "quantity_allocated": quantity,
                }
            )
            line_facts.append(
                OrderLineFacts(
                    id=line_id,
                    product_id=product_ids[k],
                    category_id=category_ids[category],
                    net_cents=net,
                    quantity=quantity,
                )
            )
        tax_total = sum(r["tax_cents"] for r in line_rows[-LINES:])
        order_rows.append(
            {
                "id": order_id,
                "number": f"SO-{n + 1:06d}",
                "customer_id": customer_id,
                "status": "confirmed",
                "fulfilment_status": "allocated",
                "billing_status": "not_invoiced",
                "payment_terms": "net_30",
                "bill_to": address,
                "ship_to": address,
                "territory_id": territory_id,
                "territory_name": "T",
                "rep_id": rep,
                "manager_ids": list(managers),
                "created_by": rep,
                "placed_at": placed_at,
                "subtotal_cents": net_total,
                "net_cents": net_total,
                "tax_cents": tax_total,
                "total_cents": net_total + tax_total,
            }
        )
        facts.append(
            OrderFacts(
                id=order_id,
                status="confirmed",
                rep_id=rep,
                created_by=rep,
                manager_ids=managers,
                lines=tuple(line_facts),
                placed_on=placed_at.date(),
            )
        )
    async with db.write() as uow:
        conn = await uow.session.connection()
        for model, rows in ((SalesOrder, order_rows), (SalesOrderLine, line_rows)):
            for start in range(0, len(rows), 20_000):
                await conn.execute(insert(model), rows[start : start + 20_000])
    await db.dispose()

    # As `plan_of` reads a stored row: the columns left to their defaults are empty.
    unset = dict.fromkeys(
        ("cap_cents", "erosion_limit", "spiffs", "category_pays_on", "product_pays_on")
    )
    v1, v2 = (plan_of(SimpleNamespace(**(unset | p))) for p in plans)
    expected: dict[str, int] = defaultdict(int)
    entries = []
    created = _utc_text(utcnow())
    for order in facts:
        for d in desired_entries(v2, order):
            expected[d.rep_id] += d.amount_cents
        if stale != "raised":
            continue
        # What crediting under version 1 appended when each order was confirmed.
        for e in entries_to_append(
            desired_entries(v1, order), [], period=period_of(month), locked=(), reason="confirmed"
        ):
            entries.append(
                (new_id(), e.entry_key, e.key, e.rep_id, e.role, e.period, order.id, e.source_type,
                 e.source_id, "booked", e.revenue_cents, e.amount_cents,
                 float(e.rate.quantize(RATE_PLACES)), plans[0]["id"], 1, e.reason, created, e.kind)
            )  # fmt: skip
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("BEGIN")
    raw.executemany(_INSERT_ENTRY, entries)
    raw.execute("COMMIT")
    raw.close()
    ids = sorted(o.id for o in facts)
    return Seeded(ids, len(line_rows), dict(expected))


async def product_run(path: Path, order_ids: list[str], batch: int) -> float:
    db = Database(f"sqlite+aiosqlite:///{path}")
    started = time.perf_counter()
    for start in range(0, len(order_ids), batch):
        async with db.write() as uow:
            await credit_orders(uow, order_ids[start : start + batch], reason=REASON)
    elapsed = time.perf_counter() - started
    await db.dispose()
    return elapsed


def _cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _next_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def baseline_run(path: Path, order_ids: list[str], batch: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=FULL")
    started = time.perf_counter()
    today = date.today()
    for start in range(0, len(order_ids), batch):
        conn.execute("BEGIN IMMEDIATE")
        if conn.execute("SELECT id FROM commission_plans LIMIT 1").fetchone() is None:
            conn.execute("COMMIT")
            continue
        plans: dict[str, Any] = {}
        rows: list[tuple[Any, ...]] = []
        touched: dict[str, None] = {}
        now = _utc_text(datetime.now(UTC))
        for order_id in order_ids[start : start + batch]:
            order = conn.execute(
                "SELECT id, status, rep_id, created_by, manager_ids, placed_at, order_type "
                "FROM sales_orders WHERE id = ?",
                (order_id,),
            ).fetchone()
            day = order[5][:10]
            if day not in plans:
                plans[day] = conn.execute(
                    "SELECT id, version, basis, default_rate, category_rates, product_rates, "
                    "manager_override_rate FROM commission_plans WHERE valid_from <= ? "
                    "ORDER BY valid_from DESC, version DESC LIMIT 1",
                    (day,),
                ).fetchone()
            plan = plans[day]
            if plan is None:
                continue
            lines = conn.execute(
                "SELECT l.id, l.product_id, p.category_id, l.net_cents, l.quantity, "
                "l.discount_percent, p.cost_cents FROM sales_order_lines l "
                "JOIN products p ON p.id = l.product_id WHERE l.order_id = ? ORDER BY l.line_no",
                (order_id,),
            ).fetchall()
            # A booked plan reads them too: the same reads as the product's facts.
            conn.execute(
                "SELECT i.id, i.total_cents, i.paid_cents, i.credited_cents, il.id, "
                "il.order_line_id, il.net_cents FROM invoices i JOIN invoice_lines il "
                "ON il.invoice_id = i.id WHERE i.order_id = ? ORDER BY i.number, il.line_no",
                (order_id,),
            ).fetchall()
            conn.execute(
                "SELECT n.id, n.invoice_id, nl.id, nl.order_line_id, nl.net_cents "
                "FROM credit_notes n JOIN credit_note_lines nl ON nl.credit_note_id = n.id "
                "WHERE n.order_id = ? ORDER BY n.number, nl.id",
                (order_id,),
            ).fetchall()
            splits = conn.execute(
                "SELECT rep_id, percent FROM commission_splits WHERE order_id = ? "
                "ORDER BY percent DESC, rep_id",
                (order_id,),
            ).fetchall()
            assert not splits  # the data set has none
            existing = conn.execute(
                "SELECT key, rep_id, role, source_type, source_id, revenue_cents, "
                "amount_cents, kind FROM commission_entries WHERE order_id = ?",
                (order_id,),
            ).fetchall()
            # Desired: each line's rate on its net for the rep, the override for managers.
            default_rate = Decimal(str(plan[3]))
            category_rates = {k: Decimal(v) for k, v in json.loads(plan[4] or "{}").items()}
            product_rates = {k: Decimal(v) for k, v in json.loads(plan[5] or "{}").items()}
            override = Decimal(str(plan[6] or 0))
            rep = order[2] or order[3]
            managers = [m for m in dict.fromkeys(json.loads(order[4] or "[]")) if m != rep]
            desired: dict[str, tuple[str, str, str, int, int, Decimal]] = {}
            if order[1] in ("confirmed", "in_fulfilment", "completed", "closed"):
                for line_id, product_id, category_id, net, *_ in lines:
                    rate = product_rates.get(
                        product_id, category_rates.get(category_id, default_rate)
                    )
                    key = f"{order_id}:booked:{line_id}"
                    desired[key] = (
                        rep,
                        "rep",
                        line_id,
                        net,
                        _cents(Decimal(net) * rate / HUNDRED),
                        rate,
                    )
                    if override:
                        amount = _cents(Decimal(net) * override / HUNDRED)
                        for m in managers:
                            desired[f"{key}:mgr:{m}"] = (
                                m,
                                "manager",
                                line_id,
                                net,
                                amount,
                                override,
                            )
            have: dict[str, list[Any]] = {}
            for key, rep_id, role, _type, source_id, revenue, amount, _kind in existing:
                held = have.setdefault(key, [0, 0, 0, (rep_id, role, _type, source_id)])
                held[0] += amount
                held[1] += revenue
                held[2] += 1
            reps = sorted({d[0] for d in desired.values()} | {h[3][0] for h in have.values()})
            locked: dict[str, set[str]] = defaultdict(set)
            for rep_id, period in conn.execute(
                "SELECT rep_id, period FROM commission_statements WHERE rep_id IN "
                f"({','.join('?' * len(reps))}) AND status IN ('approved', 'paid')",
                reps,
            ):
                locked[rep_id].add(period)
            for key in [*desired, *(k for k in have if k not in desired)]:
                amount, revenue, count, sample = have.get(key, (0, 0, 0, None))
                want = desired.get(key)
                delta_amount = (want[4] if want else 0) - amount
                delta_revenue = (want[3] if want else 0) - revenue
                if not delta_amount and not delta_revenue:
                    continue
                rep_id, role, source_type, source_id = (
                    (want[0], want[1], "order_line", want[2]) if want else sample
                )
                period = this_period = period_of(today)
                while period in locked[rep_id]:
                    period = _next_period(period)
                why = (
                    REASON
                    if period == this_period
                    else f"{REASON} (period {this_period} is locked)"
                )
                rate = want[5] if want else Decimal(0)
                rows.append(
                    (new_id(), f"{key}#{count}", key, rep_id, role, period, order_id, source_type,
                     source_id, plan[2], delta_revenue, delta_amount,
                     float(rate.quantize(RATE_PLACES)), plan[0], plan[1], why, now, "commission")
                )  # fmt: skip
                touched[rep_id] = None
        conn.executemany(_INSERT_ENTRY, rows)
        if touched:
            seq = conn.execute(
                "UPDATE sync_change_counter SET value = value + 1 WHERE id = 1 RETURNING value"
            ).fetchone()[0]
            conn.executemany(
                "INSERT INTO sync_changes (seq, entity_type, entity_id, territory_id, owner_id, "
                "at) VALUES (?, 'commission_summary', ?, NULL, ?, ?)",
                [(seq, rep_id, rep_id, now) for rep_id in touched],
            )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def ledger(path: Path) -> dict[str, tuple[int, int]]:
    """Per rep: the entries in the ledger and the sum of their amount_cents."""
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT rep_id, count(*), sum(amount_cents) FROM commission_entries GROUP BY rep_id"
    ).fetchall()
    conn.close()
    return {rep_id: (count, amount) for rep_id, count, amount in rows}


def _entries(per_rep: dict[str, tuple[int, int]]) -> int:
    return sum(count for count, _ in per_rep.values())


def _copy_database(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
        else:
            Path(f"{target}{suffix}").unlink(missing_ok=True)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000, help="orders per write transaction")
    parser.add_argument("--stale", choices=("raised", "missing"), default="raised")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    failed = False
    with tempfile.TemporaryDirectory(prefix="fs-bench-recompute-") as tmp:
        seeded_db = Path(tmp) / "seeded.db"
        started = time.perf_counter()
        seeded = await seed(seeded_db, args.orders, args.stale)
        before = _entries(ledger(seeded_db))
        print(
            f"seeded {len(seeded.order_ids)} confirmed orders, {seeded.lines} lines, "
            f"{before} entries ({args.stale}) in {time.perf_counter() - started:.1f} s; "
            f"batches of {args.batch} orders"
        )
        for run in range(1, args.runs + 1):
            product_db, baseline_db = Path(tmp) / "product.db", Path(tmp) / "baseline.db"
            _copy_database(seeded_db, product_db)
            _copy_database(seeded_db, baseline_db)
            speed = machine_speed()
            times: dict[str, float] = {}
            sides = ["product", "baseline"] if run % 2 else ["baseline", "product"]
            for side in sides:
                if side == "product":
                    times[side] = await product_run(product_db, seeded.order_ids, args.batch)
                else:
                    times[side] = baseline_run(baseline_db, seeded.order_ids, args.batch)
            results = {"product": ledger(product_db), "baseline": ledger(baseline_db)}
            for side, per_rep in results.items():
                sums = {rep_id: amount for rep_id, (_, amount) in per_rep.items()}
                if sums != seeded.expected:
                    raise SystemExit(
                        f"run {run}: the {side} side's ledger sums to {sum(sums.values())} "
                        f"cents, not what version 2 gives per rep "
                        f"({sum(seeded.expected.values())} in all)"
                    )
            if results["product"] != results["baseline"]:
                raise SystemExit(
                    f"run {run}: the sides hold different numbers of entries: "
                    f"{_entries(results['product'])} against {_entries(results['baseline'])}"
                )
            appended = _entries(results["product"]) - before
            orders = len(seeded.order_ids)
            print(f"run {run} (machine loop {speed:.2f} s; {' then '.join(sides)}):")
            for side in ("product", "baseline"):
                s = times[side]
                print(
                    f"  {side:9}{s:8.2f} s {orders / s:>9,.0f} orders/s "
                    f"{seeded.lines / s:>9,.0f} lines/s"
                )
            ratio = times["baseline"] / times["product"]
            failed |= ratio < TARGET_RATIO
            print(
                f"  {appended} entries appended on each side, per rep the same count and sum; "
                f"ratio {ratio:.2f}x (target >= {TARGET_RATIO}x)"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
