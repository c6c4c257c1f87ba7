"""Searches at scale: 100,000 customers and 50,000 products on the embedded SQLite database.

The demo database of `fieldsales serve --demo` is grown by copies of its own customers
(with their addresses and contacts, each copy renamed) and products, written with their
search documents as the product writes them. Then, one request at a time as the admin
(who sees every customer):

- product: `GET /api/customers?q=...&limit=50` and `GET /api/products?q=...&limit=50`
  through the server, end to end (HTTP, auth, scope, the indexed search, ranking, paging);
- baseline: the search as it was before its index, a LIKE '%word%' scan over names,
  numbers, addresses and contacts through correlated subqueries, count and first page,
  run directly on the database file with sqlite3 (its query alone, no HTTP).

Run from the repository root:

    .venv/bin/python bench/search_scale.py --customers 100000 --products 50000

It prints the median and 95th percentile per query, both sides, and the machine's speed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # as a script or with -m
from machine import machine_speed
from orders_http import _api, _free_port, _start, _wait_ready

from server.db.types import new_id
from server.domain.customers import normalize_name
from server.domain.search import customer_search_documents, product_search_document

CUSTOMER_QUERIES = ["harbor", "seattle", "98101", "jo", "smith market", "c-050123", "zzqx"]
PRODUCT_QUERIES = ["paper", "off-1", "chair black", "zzqx"]

_OLD_CUSTOMER_SCAN = """
SELECT {what} FROM customers c WHERE {words} {tail}
"""
_OLD_WORD = """(lower(c.legal_name) LIKE :{n} ESCAPE '\\' OR lower(c.trading_name) LIKE :{n} ESCAPE '\\'
 OR lower(c.number) LIKE :{n} ESCAPE '\\' OR c.search_name LIKE :{n} ESCAPE '\\'
 OR EXISTS (SELECT 1 FROM customer_addresses a WHERE a.customer_id = c.id
            AND (lower(a.city) LIKE :{n} ESCAPE '\\' OR lower(a.postal_code) LIKE :{n} ESCAPE '\\'))
 OR EXISTS (SELECT 1 FROM customer_contacts k WHERE k.customer_id = c.id
            AND (lower(k.name) LIKE :{n} ESCAPE '\\' OR lower(k.email) LIKE :{n} ESCAPE '\\')))"""


def grow(db_path: Path, customers: int, products: int) -> None:
    """Copies of the demo's customers and products until there are as many as asked."""
    conn = sqlite3.connect(db_path, timeout=60)
    conn.row_factory = sqlite3.Row
    with conn:
        _grow_customers(conn, customers)
        _grow_products(conn, products)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _rows(conn: sqlite3.Connection, table: str) -> list[dict[str, object]]:
    return [dict(r) for r in conn.execute(f"SELECT * FROM {table}")]


def _insert(conn: sqlite3.Connection, table: str, rows: list[dict[str, object]]) -> None:
    if rows:
        names = list(rows[0])
        marks = ", ".join(f":{n}" for n in names)
        conn.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", rows)


def _grow_customers(conn: sqlite3.Connection, target: int) -> None:
    seeds = _rows(conn, "customers")
    addresses = _rows(conn, "customer_addresses")
    contacts = _rows(conn, "customer_contacts")
    by_customer_a: dict[object, list[dict[str, object]]] = {}
    for a in addresses:
        by_customer_a.setdefault(a["customer_id"], []).append(a)
    by_customer_k: dict[object, list[dict[str, object]]] = {}
    for k in contacts:
        by_customer_k.setdefault(k["customer_id"], []).append(k)
    new_c: list[dict[str, object]] = []
    new_a: list[dict[str, object]] = []
    new_k: list[dict[str, object]] = []
    for n in range(len(seeds), target):
        seed = seeds[n % len(seeds)]
        copy = dict(seed, id=new_id(), number=f"C-{n + 1:06d}")
        copy["legal_name"] = f"{seed['legal_name']} {n}"
        copy["search_name"] = normalize_name(str(copy["legal_name"]))
        copy["tax_id"] = ""
        new_c.append(copy)
        new_a.extend(
            dict(a, id=new_id(), customer_id=copy["id"]) for a in by_customer_a.get(seed["id"], [])
        )
        new_k.extend(
            dict(k, id=new_id(), customer_id=copy["id"], email=f"{n}.{k['email']}")
            for k in by_customer_k.get(seed["id"], [])
        )
    documents = customer_search_documents(
        ((c["id"], c["legal_name"], c["trading_name"], c["number"], c["tax_id"], c["search_name"])
         for c in new_c),
        ((a["customer_id"], a["city"], a["postal_code"]) for a in new_a),
        ((k["customer_id"], k["name"], k["email"]) for k in new_k),
    )  # fmt: skip
    for c in new_c:
        c["search_document"] = documents[str(c["id"])]
    _insert(conn, "customers", new_c)
    _insert(conn, "customer_addresses", new_a)
    _insert(conn, "customer_contacts", new_k)


def _grow_products(conn: sqlite3.Connection, target: int) -> None:
    seeds = _rows(conn, "products")
    copies = [
        dict(seeds[n % len(seeds)], id=new_id(), sku=f"{seeds[n % len(seeds)]['sku']}-{n}")
        for n in range(len(seeds), target)
    ]
    for copy in copies:
        copy["search_document"] = product_search_document(
            str(copy["name"]), str(copy["sku"]), str(copy["description"] or "")
        )
    _insert(conn, "products", copies)


def _timed(call: object, repeats: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def _old_search(conn: sqlite3.Connection, q: str) -> None:
    words = q.lower().split()
    params = {f"w{i}": f"%{w}%" for i, w in enumerate(words)}
    where = " AND ".join(_OLD_WORD.format(n=f"w{i}") for i in range(len(words)))
    conn.execute(
        _OLD_CUSTOMER_SCAN.format(what="count(*)", words=where, tail=""), params
    ).fetchall()
    conn.execute(
        _OLD_CUSTOMER_SCAN.format(
            what="c.id, c.number, c.legal_name", words=where, tail="ORDER BY c.search_name LIMIT 50"
        ),
        params,
    ).fetchall()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    print(f"machine: {machine_speed()}")
    with tempfile.TemporaryDirectory(prefix="fs-search-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDSALES_")}
        env.update(
            FIELDSALES_DATA_DIR=tmp,
            FIELDSALES_SECRET_KEY=secrets.token_urlsafe(48),
            FIELDSALES_LOG_LEVEL="WARNING",
            FIELDSALES_OUTBOX_POLL_SECONDS="0",
        )
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        command = ["-m", "server.cli", "serve", "--demo", "--port", str(port)]
        server = _start(command, env)
        _wait_ready(url, "/readyz")
        server.terminate()
        server.wait(timeout=30)
        db_path = Path(tmp) / "fieldsales.db"
        started = time.perf_counter()
        grow(db_path, args.customers, args.products)
        print(f"grown to {args.customers} customers, {args.products} products"
              f" in {time.perf_counter() - started:.0f} s")  # fmt: skip
        server = _start(command, env)
        try:
            _wait_ready(url, "/readyz")
            login = {"email": "admin@example.com", "password": "demo1234"}
            token = _api(url, "POST", "/api/auth/login", login)["access_token"]
            direct = sqlite3.connect(db_path)
            print(
                f"\n{'query':<26}{'found':>8}{'product p50/p95 ms':>22}{'old scan p50/p95 ms':>24}"
            )
            for q in CUSTOMER_QUERIES:
                path = "/api/customers?" + urllib.parse.urlencode({"q": q, "limit": 50})
                found = _api(url, "GET", path, token=token)["total"]
                product = _timed(lambda p=path: _api(url, "GET", p, token=token), args.repeats)
                old = _timed(lambda q=q: _old_search(direct, q), max(3, args.repeats // 4))
                print(f"customers {q!r:<16}{found:>8}{product[0]:>12.1f} / {product[1]:<8.1f}"
                      f"{old[0]:>13.1f} / {old[1]:.1f}")  # fmt: skip
            for q in PRODUCT_QUERIES:
                path = "/api/products?" + urllib.parse.urlencode({"q": q, "limit": 50})
                found = _api(url, "GET", path, token=token)["total"]
                product = _timed(lambda p=path: _api(url, "GET", p, token=token), args.repeats)
                print(f"products {q!r:<17}{found:>8}{product[0]:>12.1f} / {product[1]:<8.1f}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
