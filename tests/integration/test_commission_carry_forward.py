"""A negative month carries forward: approving it pays nothing and later earnings recover
the balance, on SQLite and PostgreSQL through the API."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date
from typing import Any

from sqlalchemy import select, text

from server.db.models import CommissionEntry
from server.domain.commission import open_period, period_of
from tests.billing_factories import Shop, open_shop, place
from tests.factories import bearer, login


def _this_period() -> str:
    # Asked when the test runs, not at import: a run may cross midnight UTC.
    return period_of(date.today())


async def _plan(client: Any, shop: Shop) -> None:
    """10 % on EVEN (20.00 a unit), paid when booked."""
    body = {
        "code": "FIELD",
        "name": "Field reps",
        "valid_from": "2020-01-01",
        "basis": "booked",
        "default_rate": "5",
        "product_rates": {shop.even: "10"},
    }
    created = await client.post("/api/commission/plans", json=body, headers=shop.admin)
    assert created.status_code == 201, created.text


async def _approve(client: Any, rep_id: str, period: str) -> dict[str, Any]:
    manager = bearer(await login(client, "manager@corp.test"))
    approved = await client.post(
        f"/api/commission/statements/{rep_id}/{period}/approve", headers=manager
    )
    assert approved.status_code == 200, approved.text
    return dict(approved.json())


async def _earned(client: Any, shop: Shop, period: str) -> int:
    me = await client.get("/api/commission/me", params={"period": period}, headers=shop.rep)
    assert me.status_code == 200, me.text
    return int(me.json()["earned_cents"])


async def _carries(db: Any, rep_id: str) -> list[tuple[str, int, str]]:
    async with db.read() as unit:
        rows = await unit.session.execute(
            select(CommissionEntry.period, CommissionEntry.amount_cents, CommissionEntry.reason)
            .where(CommissionEntry.rep_id == rep_id, CommissionEntry.kind == "carry_forward")
            .order_by(CommissionEntry.period, CommissionEntry.amount_cents)
        )
        return [(p, int(a), r) for p, a, r in rows]


async def _payroll(client: Any, shop: Shop, period: str) -> dict[str, str]:
    export = await client.get(f"/api/commission/periods/{period}/payroll.csv", headers=shop.admin)
    assert export.status_code == 200, export.text
    [row] = list(csv.DictReader(io.StringIO(export.text)))
    return {k: row[k] for k in ("earned", "draws", "carried_forward", "total_payable")}


async def test_a_negative_month_pays_nothing_and_the_next_months_recover_it(client, db):
    shop = await open_shop(client, db)
    rep = shop.world.rep1.id
    await _plan(client, shop)
    first = _this_period()
    second = open_period(first, [first])
    third = open_period(first, [first, second])
    fourth = open_period(first, [first, second, third])

    # 100.00 of EVEN at 10 % earns 10.00; the month is approved and paid that.
    order = await place(client, shop, {shop.even: 5})
    assert (await _approve(client, rep, first))["amount_cents"] == 1_000
    # Cancelled after approval: the 10.00 is taken back in the next open month, which has
    # nothing else: it stands at -10.00.
    cancelled = await client.post(
        f"/api/orders/{order['id']}/cancel", json={"reason": "changed mind"}, headers=shop.rep
    )
    assert cancelled.status_code == 200, cancelled.text
    assert await _earned(client, shop, second) == -1_000

    # Two approvals at once: one approves, and the balance is carried once.
    manager = bearer(await login(client, "manager@corp.test"))
    answers = await asyncio.gather(
        client.post(f"/api/commission/statements/{rep}/{second}/approve", headers=manager),
        client.post(f"/api/commission/statements/{rep}/{second}/approve", headers=shop.admin),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    [approved] = [a.json() for a in answers if a.status_code == 200]
    assert approved["amount_cents"] == 0  # pays nothing, owes nothing at once
    assert await _carries(db, rep) == [
        (second, 1_000, f"negative balance of -10.00 carried forward to {third}"),
        (third, -1_000, f"negative balance of -10.00 carried forward from {second}"),
    ]
    assert _payroll_row(await _payroll(client, shop, second)) == ("-10.00", "10.00", "0.00")

    # 60.00 of EVEN earns 6.00 in the third month: not enough, 4.00 carries on.
    await place(client, shop, {shop.even: 3})
    assert await _earned(client, shop, third) == -400
    assert (await _approve(client, rep, third))["amount_cents"] == 0
    # 200.00 of EVEN earns 20.00 in the fourth: 4.00 of it repays the rest.
    await place(client, shop, {shop.even: 10})
    assert await _earned(client, shop, fourth) == 1_600
    assert (await _approve(client, rep, fourth))["amount_cents"] == 1_600

    assert await _carries(db, rep) == [
        (second, 1_000, f"negative balance of -10.00 carried forward to {third}"),
        (third, -1_000, f"negative balance of -10.00 carried forward from {second}"),
        (third, 400, f"negative balance of -4.00 carried forward to {fourth}"),
        (fourth, -400, f"negative balance of -4.00 carried forward from {third}"),
    ]
    # Payroll never shows a negative payable: the carried balance stands beside earnings.
    # The third month earned 6.00 and all of it repaid the balance: -10.00 came in, 4.00 of
    # it went on to the fourth.
    assert _payroll_row(await _payroll(client, shop, third)) == ("6.00", "-6.00", "0.00")
    assert _payroll_row(await _payroll(client, shop, fourth)) == ("20.00", "-4.00", "16.00")
    # Over the four months the rep is paid exactly what the documents earned:
    # 10.00 - 10.00 + 6.00 + 20.00 = 26.00.
    paid = [await _payroll(client, shop, p) for p in (first, second, third, fourth)]
    assert sum(int(row["total_payable"].replace(".", "")) for row in paid) == 2_600


def _payroll_row(row: dict[str, str]) -> tuple[str, str, str]:
    assert row["draws"] == "0.00"
    return row["earned"], row["carried_forward"], row["total_payable"]


async def test_a_downgrade_below_carried_balances_is_refused_and_changes_nothing(
    client, db, backend
):
    from server.db.migrate import downgrade, head_revision

    shop = await open_shop(client, db)
    rep = shop.world.rep1.id
    await _plan(client, shop)
    first = _this_period()
    second = open_period(first, [first])
    order = await place(client, shop, {shop.even: 5})
    await _approve(client, rep, first)
    cancelled = await client.post(
        f"/api/orders/{order['id']}/cancel", json={"reason": "changed mind"}, headers=shop.rep
    )
    assert cancelled.status_code == 200, cancelled.text
    await _approve(client, rep, second)
    carried = await _carries(db, rep)
    assert len(carried) == 2
    await db.dispose()

    try:
        await downgrade(backend.url, "0020")
    except RuntimeError as refused:
        assert "2 commission entries carry a negative balance" in str(refused)
    else:
        raise AssertionError("the downgrade went through")

    async with db.read() as unit:
        revision = await unit.session.scalar(text("SELECT version_num FROM alembic_version"))
    assert revision == head_revision()
    assert await _carries(db, rep) == carried
