"""Quarterly quotas, margin plans and draws through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from server.db.models import CommissionEntry, CommissionQuota
from server.db.types import new_id, utcnow
from server.domain.commission import open_period, period_of
from server.domain.commission_periods import quarter_of
from tests.billing_factories import Shop, open_shop, place
from tests.factories import bearer, login


def _this_period() -> str:
    # Asked when the test runs, not at import: a run may cross midnight UTC.
    return period_of(date.today())


def _this_quarter() -> str:
    return quarter_of(_this_period())


def plan_body(shop: Shop, **changes: Any) -> dict[str, Any]:
    """5 % by default, 10 % on EVEN (20.00 a unit); ODD is 3.33 a unit."""
    body: dict[str, Any] = {
        "code": "FIELD",
        "name": "Field reps",
        "valid_from": "2020-01-01",
        "basis": "booked",
        "default_rate": "5",
        "product_rates": {shop.even: "10"},
    }
    body.update(changes)
    return body


async def _plan(client: Any, shop: Shop, **changes: Any) -> None:
    created = await client.post(
        "/api/commission/plans", json=plan_body(shop, **changes), headers=shop.admin
    )
    assert created.status_code == 201, created.text


async def _me(client: Any, shop: Shop, period: str | None = None) -> dict[str, Any]:
    params = {"period": period or _this_period()}
    response = await client.get("/api/commission/me", params=params, headers=shop.rep)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _approve(client: Any, rep_id: str, period: str) -> dict[str, Any]:
    manager = bearer(await login(client, "manager@corp.test"))
    approved = await client.post(
        f"/api/commission/statements/{rep_id}/{period}/approve", headers=manager
    )
    assert approved.status_code == 200, approved.text
    return dict(approved.json())


async def _quotas(db: Any, rep_id: str) -> list[tuple[str, int]]:
    async with db.read() as unit:
        rows = await unit.session.execute(
            select(CommissionQuota.period, CommissionQuota.quota_cents)
            .where(CommissionQuota.rep_id == rep_id)
            .order_by(CommissionQuota.period)
        )
        return [(p, int(q)) for p, q in rows]


async def test_a_quarterly_quota_rules_attainment_and_tiers_of_its_months(client, db):
    shop = await open_shop(client, db)
    rep = shop.world.rep1.id
    tiers = [{"from_percent": "0", "multiplier": "1"}, {"from_percent": "100", "multiplier": "2"}]
    await _plan(client, shop, tier_mode="marginal", tiers=tiers)

    # Periods that are neither a month nor a quarter are refused, and change nothing.
    for period in ("2026-Q5", "2026-Q0", "2026-13", "2026Q4", "2026-q4"):
        bad = await client.post(
            "/api/commission/quotas",
            json={"rep_id": rep, "period": period, "quota_cents": 20_000},
            headers=shop.admin,
        )
        assert bad.status_code == 400, (period, bad.text)
        assert bad.json()["code"]
    assert await _quotas(db, rep) == []

    quarter = await client.post(
        "/api/commission/quotas",
        json={"rep_id": rep, "period": _this_quarter(), "quota_cents": 20_000},
        headers=shop.admin,
    )
    assert quarter.status_code == 200, quarter.text
    # A month of that quarter cannot have its own quota as well (nor the other way round).
    month = await client.post(
        "/api/commission/quotas",
        json={"rep_id": rep, "period": _this_period(), "quota_cents": 5_000},
        headers=shop.admin,
    )
    assert month.status_code == 409
    assert month.json()["code"] == "quota_period_overlap"
    assert await _quotas(db, rep) == [(_this_quarter(), 20_000)]

    # 100.00 of EVEN: 10.00 base, half the quarter's 200.00 quota, 100.00 to the next tier.
    await place(client, shop, {shop.even: 5})
    half = await _me(client, shop)
    assert half["quota_period"] == _this_quarter()
    assert (half["quota_cents"], half["attainment_percent"]) == (20_000, "50.0")
    assert half["next_tier_revenue_needed_cents"] == 10_000
    assert (half["earned_cents"], half["tier_adjustment_cents"]) == (1_000, 0)
    # 200.00 more: 300.00 of 200.00; the 100.00 above at x2: 30.00 x (200 + 2 x 100) / 300.
    await place(client, shop, {shop.even: 10})
    over = await _me(client, shop)
    assert over["attainment_percent"] == "150.0"
    assert (over["base_cents"], over["tier_adjustment_cents"]) == (3_000, 1_000)
    assert over["earned_cents"] == 4_000
    assert over["quota_base_cents"] == 3_000 and over["quota_revenue_cents"] == 30_000


async def _book(db: Any, rep_id: str, period: str, revenue: int, amount: int) -> None:
    """An order line's entry already in the ledger for `period` (a month gone by)."""
    async with db.write() as uow:
        key = f"past:{period}:{new_id()}"
        uow.session.add(
            CommissionEntry(
                id=new_id(),
                entry_key=f"{key}#0",
                key=key,
                rep_id=rep_id,
                role="rep",
                period=period,
                order_id=None,
                source_type="order_line",
                source_id=new_id(),
                basis="booked",
                revenue_cents=revenue,
                amount_cents=amount,
                rate=Decimal(5),
                reason="booked",
                kind="commission",
                created_at=utcnow(),
            )
        )


async def test_a_tier_reached_late_in_the_quarter_pays_its_catch_up_in_that_month(client, db):
    shop = await open_shop(client, db)
    rep = shop.world.rep1.id
    tiers = [{"from_percent": "100", "multiplier": "1.5"}]
    await _plan(client, shop, tier_mode="retroactive", tiers=tiers)
    quota = await client.post(
        "/api/commission/quotas",
        json={"rep_id": rep, "period": "2025-Q4", "quota_cents": 300_000},
        headers=shop.admin,
    )
    assert quota.status_code == 200, quota.text
    # October and November 1,000.00 each (50.00 base), December 2,000.00 (100.00).
    for period, revenue, amount in (
        ("2025-10", 100_000, 5_000),
        ("2025-11", 100_000, 5_000),
        ("2025-12", 200_000, 10_000),
        ("2026-01", 400_000, 20_000),
    ):
        await _book(db, rep, period, revenue, amount)

    october = await _me(client, shop, "2025-10")
    assert (october["quota_period"], october["attainment_percent"]) == ("2025-Q4", "33.3")
    assert october["tier_adjustment_cents"] == 0
    # December reaches 133.3 % of the quarter: all 200.00 of its base at x1.5 is 300.00,
    # so December carries the +100.00, October's and November's share included.
    december = await _me(client, shop, "2025-12")
    assert december["attainment_percent"] == "133.3"
    assert (december["tier_adjustment_cents"], december["earned_cents"]) == (10_000, 20_000)
    # January is in the next quarter, which has no quota: no tiers, whatever it sells.
    january = await _me(client, shop, "2026-01")
    assert (january["quota_period"], january["tier_adjustment_cents"]) == (None, 0)

    # Approving writes each month's share; the months add up to the quarter's 300.00.
    amounts = [
        (await _approve(client, rep, period))["amount_cents"]
        for period in ("2025-10", "2025-11", "2025-12")
    ]
    assert amounts == [5_000, 5_000, 20_000]


async def test_a_margin_plan_pays_on_cost_where_known_and_says_when_it_is_not(client, db):
    shop = await open_shop(client, db)
    # Only an admin sets a cost; a rep never sees it.
    refused = await client.patch(
        f"/api/products/{shop.even}", json={"cost_cents": 1_500}, headers=shop.rep
    )
    assert refused.status_code == 403
    negative = await client.patch(
        f"/api/products/{shop.even}", json={"cost_cents": -1}, headers=shop.admin
    )
    assert negative.status_code == 400
    costed = await client.patch(
        f"/api/products/{shop.even}", json={"cost_cents": 1_500}, headers=shop.admin
    )
    assert costed.status_code == 200, costed.text
    assert costed.json()["cost_cents"] == 1_500
    seen = await client.get(f"/api/products/{shop.even}", headers=shop.rep)
    assert seen.json()["cost_cents"] is None

    bad_plan = await client.post(
        "/api/commission/plans", json=plan_body(shop, pays_on="gross"), headers=shop.admin
    )
    assert bad_plan.status_code == 400
    await _plan(client, shop, pays_on="margin")
    order = await place(client, shop, {shop.even: 2, shop.odd: 3})

    async with db.read() as unit:
        entries = {
            e.source_id: e
            for e in await unit.session.scalars(
                select(CommissionEntry).where(CommissionEntry.order_id == order["id"])
            )
        }
    even_line = next(x["id"] for x in order["lines"] if x["product_id"] == shop.even)
    odd_line = next(x["id"] for x in order["lines"] if x["product_id"] == shop.odd)
    # EVEN: 40.00 less 2 x 15.00 = 10.00 of margin at 10 %: 1.00 (2.5 % of the revenue).
    even = entries[even_line]
    assert (even.revenue_cents, even.amount_cents) == (4_000, 100)
    assert Decimal(str(even.rate)) == Decimal("2.5")
    assert even.reason.endswith("on margin 10.00 of 40.00 net")
    # ODD has no cost: paid on revenue, 5 % of 9.99 = 0.4995 -> 0.50, and the entry says so.
    odd = entries[odd_line]
    assert (odd.revenue_cents, odd.amount_cents) == (999, 50)
    assert odd.reason.endswith("cost unknown: paid on revenue")
    # Attainment counts revenue: 49.99 credited, 1.50 earned.
    me = await _me(client, shop)
    assert (me["revenue_cents"], me["earned_cents"]) == (4_999, 150)
    assert me["plan"]["pays_on"] == "margin"


async def _entries_of(client: Any, shop: Shop, rep_id: str, period: str) -> list[dict[str, Any]]:
    found = await client.get(
        "/api/commission/statements", params={"rep_id": rep_id, "period": period}, headers=shop.rep
    )
    assert found.status_code == 200, found.text
    return list(found.json()["entries"])


async def test_a_recoverable_draw_is_advanced_then_recovered_from_the_next_month(client, db):
    shop = await open_shop(client, db)
    rep = shop.world.rep1.id
    await _plan(client, shop)
    body = {"rep_id": rep, "period": _this_period(), "kind": "recoverable", "amount_cents": 1_000}
    assert (
        await client.put("/api/commission/draws", json=body, headers=shop.rep)
    ).status_code == 403
    for wrong in ({"kind": "loan"}, {"amount_cents": -5}, {"period": "2026-Q4"}):
        bad = await client.put("/api/commission/draws", json={**body, **wrong}, headers=shop.admin)
        assert bad.status_code == 400, wrong
    unknown = await client.put(
        "/api/commission/draws", json={**body, "rep_id": new_id()}, headers=shop.admin
    )
    assert unknown.status_code == 404
    set_draw = await client.put("/api/commission/draws", json=body, headers=shop.admin)
    assert set_draw.status_code == 200, set_draw.text

    # 40.00 of EVEN earns 4.00; the 10.00 draw tops the month up by 6.00.
    await place(client, shop, {shop.even: 2})
    month = await _me(client, shop)
    assert (month["draw_cents"], month["earned_cents"]) == (600, 1_000)
    assert month["draw_outstanding_cents"] == 600
    statement = await _approve(client, rep, _this_period())
    assert statement["amount_cents"] == 1_000
    draws = [e for e in statement["entries"] if e["kind"] == "draw"]
    assert [(e["amount_cents"], e["reason"]) for e in draws] == [
        (600, "recoverable draw: 6.00 advanced on earnings of 4.00")
    ]
    locked = await client.put("/api/commission/draws", json=body, headers=shop.admin)
    assert locked.status_code == 409
    # Payroll pays the month's 10.00: 4.00 earned and the 6.00 advance, shown apart.
    payroll = await client.get(
        f"/api/commission/periods/{_this_period()}/payroll.csv", headers=shop.admin
    )
    assert payroll.status_code == 200, payroll.text
    [row] = list(csv.DictReader(io.StringIO(payroll.text)))
    assert (row["earned"], row["adjustments"], row["draws"], row["total_payable"]) == (
        "4.00",
        "0.00",
        "6.00",
        "10.00",
    )

    # The month is approved: the next order lands in the next open month, 100.00 at 10 %
    # = 10.00, of which 6.00 repays the advance.
    later = open_period(_this_period(), [_this_period()])
    await place(client, shop, {shop.even: 5})
    following = await _me(client, shop, later)
    assert (following["draw_recovered_cents"], following["earned_cents"]) == (600, 400)
    assert following["draw_outstanding_cents"] == 0
    approved = await _approve(client, rep, later)
    assert approved["amount_cents"] == 400
    recovery = [e for e in approved["entries"] if e["kind"] == "recovery"]
    assert [(e["amount_cents"], e["reason"]) for e in recovery] == [
        (-600, "draw recovery: 6.00 of 6.00 advanced before")
    ]
    # Approving again is refused; the ledger holds each draw entry once.
    entries = await _entries_of(client, shop, rep, later)
    assert [e["kind"] for e in entries].count("recovery") == 1


async def test_a_guaranteed_minimum_tops_up_its_month_and_is_never_taken_back(client, db):
    shop = await open_shop(client, db)
    rep = shop.world.rep1.id
    await _plan(client, shop)
    body = {
        "rep_id": rep,
        "period": _this_period(),
        "kind": "non_recoverable",
        "amount_cents": 1_000,
    }
    assert (
        await client.put("/api/commission/draws", json=body, headers=shop.admin)
    ).status_code == 200
    await place(client, shop, {shop.even: 2})
    statement = await _approve(client, rep, _this_period())
    assert statement["amount_cents"] == 1_000
    guarantee = [e for e in statement["entries"] if e["kind"] == "guarantee"]
    assert [(e["amount_cents"], e["reason"]) for e in guarantee] == [
        (600, "guaranteed minimum: topped up by 6.00 from earnings of 4.00")
    ]
    later = open_period(_this_period(), [_this_period()])
    await place(client, shop, {shop.even: 5})
    following = await _me(client, shop, later)
    assert (following["draw_recovered_cents"], following["earned_cents"]) == (0, 1_000)
    assert following["draw_outstanding_cents"] == 0


async def _pulled_order(client: Any, headers: dict[str, str], order_id: str) -> dict[str, Any]:
    cursor, found = None, None
    while True:
        params = {"cursor": cursor} if cursor else {}
        page = (await client.get("/api/sync/v1/pull", params=params, headers=headers)).json()
        for change in page["changes"]:
            if change["entity_type"] == "order" and change["entity_id"] == order_id:
                found = change
        cursor = page["cursor"]
        if not page["has_more"]:
            assert found is not None
            return dict(found["data"])


async def test_the_pulled_order_carries_its_split_for_the_amend_what_if(client, db):
    shop = await open_shop(client, db)
    await _plan(client, shop)
    order = await place(client, shop, {shop.even: 3})
    assert (await _pulled_order(client, shop.rep, order["id"]))["commission_splits"] == []
    manager = bearer(await login(client, "manager@corp.test"))
    rep1, rep2 = shop.world.rep1.id, shop.world.rep2.id
    body = {"splits": [{"rep_id": rep1, "percent": "62.5"}, {"rep_id": rep2, "percent": "37.5"}]}
    answer = await client.put(
        f"/api/commission/orders/{order['id']}/splits", json=body, headers=manager
    )
    assert answer.status_code == 200, answer.text
    pulled = await _pulled_order(client, shop.rep, order["id"])
    assert sorted(pulled["commission_splits"], key=lambda s: s["rep_id"]) == sorted(
        body["splits"], key=lambda s: s["rep_id"]
    )
