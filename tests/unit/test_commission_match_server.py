"""The phone's what-if (pwa/static/js/commission.js) equals the server's rules, to the cent.

Every case is estimated twice: by `server.domain.commission.estimate` and by commission.js
run in node (tests/js/commission_runner.mjs), the plan reaching node in the very shape the
sync pull gives the phone (`phone_plan`). A hand-written table covers the rounding and
erosion edges; a seeded random table covers the combinations nobody thought of.
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

import msgspec
import pytest

from server.domain.commission import (
    Basis,
    EstimateLine,
    Plan,
    Spiff,
    SpiffPer,
    estimate,
)
from server.features.commission.summary import phone_plan

RUNNER = Path(__file__).resolve().parent.parent / "js" / "commission_runner.mjs"
D = Decimal
ON = date(2026, 12, 6)


def run_phone(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        message = "node is not installed: the phone's what-if was not compared with the server"
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


def plan(**changes: Any) -> Plan:
    base: dict[str, Any] = {
        "id": "plan",
        "version": 1,
        "basis": Basis.BOOKED,
        "default_rate": D("5"),
        "category_rates": {"tools": D("8")},
        "product_rates": {"drill": D("10")},
    }
    base.update(changes)
    return Plan(**base)


def line(product: str, net: int, discount: str = "0", quantity: int = 1) -> EstimateLine:
    category = "tools" if product in {"saw", "drill"} else "misc"
    return EstimateLine(
        product_id=product,
        category_id=category,
        quantity=quantity,
        net_cents=net,
        discount_percent=D(discount),
    )


def spiff(product: str, per: str, cents: int, starts: str, ends: str) -> Spiff:
    return Spiff(
        product_id=product,
        per=SpiffPer(per),
        amount_cents=cents,
        starts_on=date.fromisoformat(starts),
        ends_on=date.fromisoformat(ends),
    )


HAND_TABLE: list[tuple[Plan, list[EstimateLine]]] = [
    # 5 % of 10.00, 8 % (category) of 20.00, 10 % (product) of 30.00: 0.50 + 1.60 + 3.00
    (plan(), [line("bolt", 1000), line("saw", 2000), line("drill", 3000)]),
    # half a cent: 5 % of 0.10 is 0.5 cents, half up to 1
    (plan(), [line("bolt", 10)]),
    # 7.5 % of 0.07 is 0.525 cents: 1
    (plan(default_rate=D("7.5")), [line("bolt", 7)]),
    # erosion at limit 20: 10 % off leaves half of 5 %; 2.5 % of 33.33 = 83.325 -> 83
    (plan(erosion_limit=D("20")), [line("bolt", 3333, "10")]),
    # at or beyond the limit the rate is 0, never negative
    (plan(erosion_limit=D("20")), [line("bolt", 5000, "20"), line("saw", 5000, "35")]),
    # a limit of 30 and 10 % off: the rate is 2/3 of 10 %, a repeating decimal
    (plan(erosion_limit=D("30")), [line("drill", 1234567, "10")]),
    # a limit with places and a discount with places
    (plan(erosion_limit=D("12.3456")), [line("saw", 999999, "3.33")]),
    # SPIFFs: per unit on the drill (3 x 2.00), per order on the saw once (5.00), one
    # outside its days (ignored)
    (
        plan(
            spiffs=(
                spiff("drill", "unit", 200, "2026-12-01", "2026-12-31"),
                spiff("saw", "order", 500, "2026-12-06", "2026-12-06"),
                spiff("bolt", "order", 900, "2026-11-01", "2026-12-05"),
            )
        ),
        [
            line("drill", 3000, quantity=3),
            line("saw", 100, quantity=2),
            line("saw", 100),
            line("bolt", 1),
        ],
    ),
    # an empty document earns nothing
    (plan(), []),
]


def _case(p: Plan, lines: list[EstimateLine]) -> dict[str, Any]:
    return {
        "plan": msgspec.to_builtins(phone_plan(p)),
        "lines": [
            {
                "product_id": x.product_id,
                "category_id": x.category_id,
                "quantity": x.quantity,
                "net_cents": x.net_cents,
                "discount_percent": f"{x.discount_percent:f}",
            }
            for x in lines
        ],
        "on": ON.isoformat(),
    }


def _server(p: Plan, lines: list[EstimateLine]) -> dict[str, Any]:
    found = estimate(p, lines, ON)
    return {
        "line_cents": list(found.line_cents),
        "spiff_cents": found.spiff_cents,
        "total_cents": found.total_cents,
    }


def _random_cases(seed: int, count: int) -> list[tuple[Plan, list[EstimateLine]]]:
    rng = random.Random(seed)

    def percent(places: int, top: int = 100) -> Decimal:
        return D(rng.randint(0, top * 10**places)) / D(10**places)

    cases = []
    products = ["bolt", "saw", "drill", "nut", "hammer"]
    for _ in range(count):
        erosion = rng.choice([None, percent(4, 60) + D("0.0001")])
        spiffs = tuple(
            spiff(
                rng.choice(products),
                rng.choice(["unit", "order"]),
                rng.randint(1, 10_000),
                f"2026-{rng.randint(10, 12):02d}-01",
                f"2026-12-{rng.randint(1, 31):02d}",
            )
            for _ in range(rng.randint(0, 3))
        )
        p = plan(
            default_rate=percent(4, 30),
            category_rates={"tools": percent(2, 30)},
            product_rates={"drill": percent(4, 30)},
            erosion_limit=erosion,
            spiffs=spiffs,
        )
        lines = [
            line(
                rng.choice(products),
                rng.randint(0, 10**9),
                f"{percent(2, 100):f}",
                rng.randint(0, 500),
            )
            for _ in range(rng.randint(1, 12))
        ]
        cases.append((p, lines))
    return cases


@pytest.mark.parametrize("table", ["hand", "random"])
def test_the_phones_estimate_equals_the_servers(table: str) -> None:
    cases = HAND_TABLE if table == "hand" else _random_cases(seed=18, count=400)
    phone = run_phone([_case(p, lines) for p, lines in cases])
    for (p, lines), got in zip(cases, phone, strict=True):
        assert got == _server(p, lines), (p, lines)


def test_the_hand_table_is_what_the_rules_say() -> None:
    # Pins the worked figures themselves, so both sides cannot drift together.
    figures = [_server(p, lines)["total_cents"] for p, lines in HAND_TABLE]
    # 50 + 160 + 300; 1; 1; 83; 0; 10 % x 2/3 of 12,345.67 = 82,304.4667 -> 82,304;
    # 8 % x (12.3456 - 3.33) / 12.3456 of 9,999.99 = 58,421.3... (see below); SPIFFs
    # 6.00 + 5.00 with commissions 300 + 8 + 8 + 0 (5 % of 0.01 = 0.05 -> 0); nothing.
    eroded = D(999999) * D(8) * (D("12.3456") - D("3.33")) / D("12.3456") / 100
    assert figures == [
        510,
        1,
        1,
        83,
        0,
        82304,
        int(eroded.quantize(D(1), rounding="ROUND_HALF_UP")),
        300 + 8 + 8 + 0 + 600 + 500,
        0,
    ]
