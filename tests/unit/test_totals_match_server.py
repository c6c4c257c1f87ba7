"""The phone's totals (pwa/static/js/totals.js) equal the server's, field by field.

Every case is priced twice: by the server's domain functions and by totals.js run in node
(tests/js/price_runner.mjs). A hand-written table covers the rounding edges; a seeded
random table of many-line documents covers the combinations nobody thought of.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from server.domain.catalog import (
    PriceBreak,
    PriceList,
    PriceListItem,
    TaxRate,
    lookup_price,
    tax_rate_for,
)
from server.domain.errors import ValidationFailed
from server.domain.orders import ORDERABLE_CUSTOMER_STATUSES
from server.domain.pricing import (
    DocumentInput,
    LineInput,
    effective_discount_percent,
    price_document,
    requested_discount_percent,
)
from server.domain.territories import Address

RUNNER = Path(__file__).resolve().parent.parent / "js" / "price_runner.mjs"

HEADER_FIELDS = (
    "subtotal_cents",
    "discount_cents",
    "net_cents",
    "tax_cents",
    "shipping_cents",
    "shipping_tax_cents",
    "total_cents",
)
LINE_FIELDS = (
    "line_id",
    "product_id",
    "quantity",
    "unit_price_cents",
    "gross_cents",
    "line_discount_cents",
    "order_discount_cents",
    "net_cents",
    "tax_cents",
    "total_cents",
    "price_list_id",
    "price_list_version",
)


def run_phone(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        message = "node is not installed: the phone's totals were not compared with the server's"
        if os.environ.get("FIELDSALES_REQUIRE_ALL_BACKENDS") == "1":
            pytest.fail(message)
        pytest.skip(f"SKIPPED LOUDLY: {message}")
    run = subprocess.run(
        [node, str(RUNNER)],
        input=json.dumps({"cases": cases}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    results: list[dict[str, Any]] = json.loads(run.stdout)["results"]
    assert len(results) == len(cases)
    return results


# --- documents ----------------------------------------------------------------------------


def line(
    line_id: str, quantity: int, unit: int, discount: str = "0", rate: str = "0"
) -> dict[str, Any]:
    return {
        "line_id": line_id,
        "product_id": f"p-{line_id}",
        "quantity": quantity,
        "unit_price_cents": unit,
        "discount_percent": discount,
        "tax_rate": rate,
        "price_list_id": f"list-{line_id}",
        "price_list_version": 3,
    }


def document(
    *lines: dict[str, Any], order: str = "0", shipping: int = 0, shipping_rate: str = "0"
) -> dict[str, Any]:
    return {
        "lines": list(lines),
        "order_discount_percent": order,
        "shipping_cents": shipping,
        "shipping_tax_rate": shipping_rate,
    }


HAND_TABLE = [
    # 3 x 19.99, 10% off, 8.25% tax: the server's worked example
    document(line("1", 3, 1999, "10", "0.0825")),
    # half a cent of line discount (50.5) and of tax (12.5): half up, never half even
    document(line("1", 1, 1010, "5")),
    document(line("1", 1, 250, "0", "0.05")),
    # 82.5 vs 82.49 cents of tax
    document(line("1", 1, 1000, "0", "0.0825")),
    document(line("1", 1, 1000, "0", "0.08249")),
    # 12.5% line discounts over odd amounts: 0.125 * 1003 = 125.375
    document(line("1", 1, 1003, "12.5", "0.0825"), line("2", 7, 333, "12.5", "0.0825")),
    # a third off the order, spread by largest remainder; a 0.6667% order discount
    document(line("1", 1, 1000), line("2", 1, 1000), line("3", 1, 1000), order="33.33"),
    document(line("1", 1, 100), line("2", 1, 100), line("3", 1, 100), order="0.6667"),
    # ties of remainders go to the earlier line; an empty line gets no share
    document(line("1", 1, 100), line("2", 1, 250), line("3", 1, 650), line("4", 1, 0), order="7"),
    # line discount then order discount then tax at each line's own rate (one exempt)
    document(line("1", 1, 1000, "50", "0.2"), line("2", 1, 1500, "0", "0"), order="10"),
    # shipping with its own tax (82.0875 -> 82) and with half a cent (99.5 -> 100)
    document(line("1", 1, 1000), shipping=995, shipping_rate="0.0825"),
    document(line("1", 2, 4999, "2.5", "0.0725"), shipping=1990, shipping_rate="0.05"),
    # an exempt customer: every rate 0
    document(line("1", 7, 333), line("2", 12, 1299, "15"), order="5", shipping=500),
    # discounts at a limit whatever the cents round to: 10 % of 5 cents, 10.04 % of 10.00,
    # a line's 10 % then the order's 10 % (19 %), a third of a percent over three lines
    document(line("1", 1, 5, "10")),
    document(line("1", 1, 1000, "10.04")),
    document(line("1", 1, 5), order="10"),
    document(line("1", 3, 1999, "10"), line("2", 1, 7, "0"), order="10"),
    document(line("1", 1, 1, "1"), line("2", 1, 1, "0"), line("3", 1, 1, "0")),
    # 100% off, and nothing at all
    document(line("1", 4, 2500, "100", "0.0825"), order="20"),
    document(),
    # large amounts stay exact
    document(
        line("1", 10_000_000, 999_999, "33.33", "0.0999"),
        line("2", 1, 1),
        order="99.99",
        shipping=10**9,
        shipping_rate="0.0825",
    ),
]

RATES = ["0", "0.0825", "0.0725", "0.05", "0.19", "0.0625", "0.08875", "0.2", "0.1", "0.07"]
PERCENTS = ["0", "0", "0", "5", "10", "12.5", "15", "2.5", "33.33", "7.77", "0.01", "50", "99.99"]


def random_table(count: int, seed: int) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    docs = []
    for _ in range(count):
        rate = rnd.choice(RATES)  # one ship-to: usually one rate, sometimes an exempt line
        lines = [
            line(
                str(i + 1),
                rnd.choice([1, 2, 3, 6, 12, 24, 48, 100, rnd.randint(1, 999)]),
                rnd.choice([rnd.randint(0, 99_999), rnd.randint(1, 999), 1999, 250, 1010, 5]),
                rnd.choice(PERCENTS),
                rnd.choice([rate, rate, rate, "0"]),
            )
            for i in range(rnd.randint(1, 25))
        ]
        docs.append(
            document(
                *lines,
                order=rnd.choice(PERCENTS),
                shipping=rnd.choice([0, 0, 995, 1250, rnd.randint(0, 5000)]),
                shipping_rate=rnd.choice([rate, "0"]),
            )
        )
    return docs


def server_prices(doc: dict[str, Any]) -> dict[str, Any]:
    priced = price_document(
        DocumentInput(
            lines=tuple(
                LineInput(
                    line_id=x["line_id"],
                    product_id=x["product_id"],
                    quantity=x["quantity"],
                    unit_price_cents=x["unit_price_cents"],
                    discount_percent=Decimal(x["discount_percent"]),
                    tax_rate=Decimal(x["tax_rate"]),
                    price_list_id=x["price_list_id"],
                    price_list_version=x["price_list_version"],
                )
                for x in doc["lines"]
            ),
            order_discount_percent=Decimal(doc["order_discount_percent"]),
            shipping_cents=doc["shipping_cents"],
            shipping_tax_rate=Decimal(doc["shipping_tax_rate"]),
        )
    )
    return {
        **{f: getattr(priced, f) for f in HEADER_FIELDS},
        "effective_discount_percent": str(effective_discount_percent(priced)),
        "requested_discount_percent": str(
            requested_discount_percent(priced, Decimal(doc["order_discount_percent"]))
        ),
        "lines": [{f: getattr(p, f) for f in LINE_FIELDS} for p in priced.lines],
    }


def assert_same_totals(
    doc: dict[str, Any], server: dict[str, Any], phone: dict[str, Any], label: str
) -> None:
    for field in (*HEADER_FIELDS, "effective_discount_percent", "requested_discount_percent"):
        assert phone[field] == server[field], (
            f"{label}: {field} phone {phone[field]} != server {server[field]}"
        )
    assert len(phone["lines"]) == len(server["lines"]) == len(doc["lines"])
    for number, (p, s) in enumerate(zip(phone["lines"], server["lines"], strict=True), start=1):
        for field in LINE_FIELDS:
            assert p[field] == s[field], (
                f"{label} line {number}: {field} phone {p[field]} != server {s[field]}"
            )


def test_phone_totals_equal_server_totals_over_the_hand_table() -> None:
    # given the rounding edge cases, when both sides price them
    phone = run_phone([{"kind": "document", "document": d} for d in HAND_TABLE])
    # then every header and line amount is the same to the cent
    for index, (doc, result) in enumerate(zip(HAND_TABLE, phone, strict=True)):
        assert_same_totals(doc, server_prices(doc), result, f"hand case {index}")


def test_phone_totals_equal_server_totals_over_a_random_table_of_many_line_documents() -> None:
    # given 400 seeded random documents of up to 25 lines
    table = random_table(400, seed=20261124)
    # when
    phone = run_phone([{"kind": "document", "document": d} for d in table])
    # then
    for index, (doc, result) in enumerate(zip(table, phone, strict=True)):
        assert_same_totals(doc, server_prices(doc), result, f"random case {index}")


# --- price lookup and tax rate ------------------------------------------------------------


def price_list(
    list_id: str,
    code: str,
    kind: str,
    version: int,
    valid: tuple[str | None, str | None],
    items: dict[str, tuple[int, list[list[int]]]],
    customer_id: str | None = None,
) -> dict[str, Any]:
    """A list as the pull carries it: items {product_id: {unit_price_cents, breaks}}."""
    return {
        "id": list_id,
        "code": code,
        "kind": kind,
        "version": version,
        "valid_from": valid[0],
        "valid_to": valid[1],
        "customer_id": customer_id,
        "items": {
            pid: {"unit_price_cents": unit, "breaks": breaks}
            for pid, (unit, breaks) in items.items()
        },
    }


OPEN = (None, None)
PRICE_LISTS: list[dict[str, Any]] = [
    price_list(
        "base-1",
        "BASE",
        "base",
        1,
        OPEN,
        {"p1": (1000, [[10, 900], [50, 800]]), "p2": (500, []), "p4": (777, [[6, 700]])},
    ),
    price_list(
        "base-2",
        "BASE",
        "base",
        2,
        ("2026-06-01", None),
        {"p1": (1100, [[24, 1000]]), "p4": (799, [])},
    ),
    price_list("gold-1", "GOLD", "tier", 1, OPEN, {"p1": (950, [[12, 920]])}),
    price_list("gold-2", "GOLD", "tier", 2, ("2026-01-01", "2026-12-31"), {"p2": (450, [])}),
    price_list(
        "own-c1",
        "C1",
        "customer",
        1,
        ("2026-03-01", "2026-09-30"),
        {"p3": (123, [])},
        customer_id="c1",
    ),
    price_list("own-c2", "C2", "customer", 1, OPEN, {"p1": (1, [])}, customer_id="c2"),
]
TAX_RATES: list[dict[str, Any]] = [
    {"id": "t1", "tax_category": "standard", "country": "US", "state": None, "rate": "0.05000"},
    {"id": "t2", "tax_category": "standard", "country": "US", "state": "TX", "rate": "0.08250"},
    {"id": "t3", "tax_category": "standard", "country": "us", "state": "tx", "rate": "0.09999"},
    {"id": "t4", "tax_category": "food", "country": "US", "state": "CA", "rate": "0.07250"},
    {"id": "t5", "tax_category": "shipping", "country": "DE", "state": "", "rate": "0.19000"},
]


def _server_lists() -> list[PriceList]:
    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    return [
        PriceList(
            id=pl["id"],
            code=pl["code"],
            kind=pl["kind"],
            version=pl["version"],
            valid_from=day(pl["valid_from"]),
            valid_to=day(pl["valid_to"]),
            customer_id=pl["customer_id"],
            items={
                pid: PriceListItem(
                    pid,
                    item["unit_price_cents"],
                    tuple(PriceBreak(q, c) for q, c in item["breaks"]),
                )
                for pid, item in pl["items"].items()
            },
        )
        for pl in PRICE_LISTS
    ]


def lookup_cases() -> list[dict[str, Any]]:
    customers = [
        None,
        {"id": "c1", "price_list_id": "gold-1"},
        {"id": "c2", "price_list_id": None},
        {"id": "c3", "price_list_id": "gold-2"},
        {"id": "c4", "price_list_id": "missing"},
    ]
    addresses = [
        {"country": "US", "state": "TX"},
        {"country": "us", "state": " tx"},
        {"country": "US", "state": "CA"},
        {"country": "DE", "state": ""},
        {"country": "FR", "state": ""},
    ]
    cases = []
    for customer in customers:
        for product in ("p1", "p2", "p3", "p4", "p9"):
            for quantity in (1, 6, 10, 12, 24, 50):
                for on in ("2025-12-31", "2026-03-01", "2026-06-01", "2026-09-30", "2027-01-01"):
                    taxed = (
                        ("standard", addresses[len(cases) % 5], False),
                        ("food", addresses[2], len(cases) % 7 == 0),
                        ("shipping", addresses[3], False),
                    )
                    for category, address, exempt in taxed:
                        cases.append(
                            {
                                "kind": "lookup",
                                "product_id": product,
                                "quantity": quantity,
                                "on": on,
                                "customer": customer,
                                "price_lists": PRICE_LISTS,
                                "tax_category": category,
                                "address": address,
                                "tax_rates": TAX_RATES,
                                "exempt": exempt,
                            }
                        )
    return cases


def test_phone_price_lookup_and_tax_rate_equal_the_servers() -> None:
    # given every combination of customer, product, quantity, date and ship-to
    cases = lookup_cases()
    server_lists = _server_lists()
    server_rates = [
        TaxRate(r["tax_category"], r["country"], r["state"], Decimal(r["rate"])) for r in TAX_RATES
    ]
    # when
    phone = run_phone(cases)
    # then the phone picks the same list, version, break and price, and the same tax rate
    for case, result in zip(cases, phone, strict=True):
        customer = case["customer"]
        try:
            quote = lookup_price(
                product_id=case["product_id"],
                quantity=case["quantity"],
                on=date.fromisoformat(case["on"]),
                customer_id=customer["id"] if customer else None,
                customer_price_list_id=customer["price_list_id"] if customer else None,
                price_lists=server_lists,
            )
            expected: dict[str, Any] | None = {
                "product_id": quote.product_id,
                "unit_price_cents": quote.unit_price_cents,
                "price_list_id": quote.price_list_id,
                "price_list_code": quote.price_list_code,
                "price_list_version": quote.price_list_version,
                "break_min_qty": quote.break_min_qty,
            }
        except ValidationFailed as exc:
            assert exc.code == "no_price"
            expected = None
        assert result["quote"] == expected, case
        rate = tax_rate_for(
            tax_category=case["tax_category"],
            address=Address(**case["address"]),
            rates=server_rates,
            exempt=case["exempt"],
        )
        assert Decimal(result["tax_rate"]) == rate, case


def test_phone_and_server_agree_on_which_customers_may_order() -> None:
    node = shutil.which("node")
    if node is None:
        message = "node is not installed: the phone's orderable statuses were not compared"
        if os.environ.get("FIELDSALES_REQUIRE_ALL_BACKENDS") == "1":
            pytest.fail(message)
        pytest.skip(f"SKIPPED LOUDLY: {message}")
    module = (RUNNER.parent.parent.parent / "pwa" / "static" / "js" / "totals.js").as_uri()
    script = (
        f'import("{module}").then(m => '
        "process.stdout.write(JSON.stringify([...m.ORDERABLE_CUSTOMER_STATUSES])))"
    )
    out = subprocess.run(
        [node, "--input-type=module", "-e", script], check=True, capture_output=True, text=True
    ).stdout
    assert set(json.loads(out)) == ORDERABLE_CUSTOMER_STATUSES
