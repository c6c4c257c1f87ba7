"""Commission through the API: plans and quotas, the rep's period, statements and locks."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from server.domain.commission import open_period, period_of
from tests.billing_factories import Shop, open_shop, place, ship
from tests.factories import bearer, login


def _this_period() -> str:
    # Asked when the test runs, not at import: a run may cross midnight UTC.
    return period_of(date.today())


def plan_body(shop: Shop, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": "FIELD",
        "name": "Field reps",
        "valid_from": (date.today() - timedelta(days=400)).isoformat(),
        "basis": "booked",
        "default_rate": "5",
        "product_rates": {shop.even: "10"},
    }
    body.update(changes)
    return body


async def test_admin_sets_plans_and_quotas_and_the_rep_sees_the_period(client, db):
    shop = await open_shop(client, db)
    refused = await client.post("/api/commission/plans", json=plan_body(shop), headers=shop.rep)
    assert refused.status_code == 403
    bad = await client.post(
        "/api/commission/plans", json=plan_body(shop, default_rate="150"), headers=shop.admin
    )
    assert bad.status_code in (400, 422)
    # Marginal: up to 100 % of quota x1, above it x2.
    tiers = [{"from_percent": "0", "multiplier": "1"}, {"from_percent": "100", "multiplier": "2"}]
    created = await client.post(
        "/api/commission/plans",
        json=plan_body(shop, tier_mode="marginal", tiers=tiers),
        headers=shop.admin,
    )
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1
    quota = await client.post(
        "/api/commission/quotas",
        json={"rep_id": shop.world.rep1.id, "period": _this_period(), "quota_cents": 10_000},
        headers=shop.admin,
    )
    assert quota.status_code == 200, quota.text

    await place(client, shop, {shop.even: 5})
    await place(client, shop, {shop.even: 2})
    await place(client, shop, {shop.even: 1})
    me = await client.get("/api/commission/me", headers=shop.rep)
    assert me.status_code == 200, me.text
    summary = me.json()
    assert summary["revenue_cents"] == 16_000
    assert summary["base_cents"] == 1_600
    # 160.00 of EVEN at 10 %: 16.00 base; quota 100.00, the 60.00 above it at x2:
    # 16.00 * (100 + 2 * 60) / 160 = 22.00.
    assert summary["earned_cents"] == 2_200
    assert summary["tier_adjustment_cents"] == 600
    assert summary["attainment_percent"] == "160.0"
    assert summary["next_tier_percent"] is None
    assert summary["basis"] == "booked" and summary["pending_cents"] == 0

    # A second version from today on: orders placed from now use it (invoiced basis).
    version_two = await client.post(
        "/api/commission/plans",
        json=plan_body(shop, basis="invoiced", valid_from=date.today().isoformat()),
        headers=shop.admin,
    )
    assert version_two.json()["version"] == 2
    listed = await client.get("/api/commission/plans", headers=shop.admin)
    assert [p["version"] for p in listed.json()] == [1, 2]
    await place(client, shop, {shop.even: 1})
    pending = (await client.get("/api/commission/me", headers=shop.rep)).json()
    assert pending["pending_cents"] == 200  # booked, not yet invoiced
    assert pending["base_cents"] == 1_600


async def test_a_manager_approves_the_period_and_later_changes_land_in_the_next(client, db):
    shop = await open_shop(client, db)
    created = await client.post("/api/commission/plans", json=plan_body(shop), headers=shop.admin)
    assert created.status_code == 201, created.text
    rep = shop.world.rep1.id
    order = await place(client, shop, {shop.even: 2})
    line = order["lines"][0]["id"]
    await ship(client, shop, order, {line: 2})
    invoice = (await client.post(f"/api/orders/{order['id']}/invoice", headers=shop.admin)).json()

    own = await client.post(
        f"/api/commission/statements/{rep}/{_this_period()}/approve", headers=shop.rep
    )
    assert own.status_code == 403
    rep2 = bearer(await login(client, "rep2@corp.test"))
    hidden = await client.get(
        "/api/commission/statements", params={"rep_id": rep, "period": _this_period()}, headers=rep2
    )
    assert hidden.status_code == 404
    manager = bearer(await login(client, "manager@corp.test"))
    unpaid = await client.post(
        f"/api/commission/statements/{rep}/{_this_period()}/pay", headers=shop.admin
    )
    assert unpaid.status_code == 404
    approved = await client.post(
        f"/api/commission/statements/{rep}/{_this_period()}/approve", headers=manager
    )
    assert approved.status_code == 200, approved.text
    statement = approved.json()
    assert (statement["status"], statement["amount_cents"]) == ("approved", 400)
    assert [e["order_number"] for e in statement["entries"]] == [order["number"]]
    again = await client.post(
        f"/api/commission/statements/{rep}/{_this_period()}/approve", headers=manager
    )
    assert again.status_code == 409

    # A price correction after approval: the approved period keeps its 4.00.
    corrected = await client.post(
        f"/api/invoices/{invoice['invoice']['id']}/credit-notes",
        json={"reason": "scratched", "lines": [{"order_line_id": line, "amount_cents": 1000}]},
        headers=shop.admin,
    )
    assert corrected.status_code == 201, corrected.text
    after = (
        await client.get(
            "/api/commission/statements",
            params={"rep_id": rep, "period": _this_period()},
            headers=shop.rep,
        )
    ).json()
    assert after["amount_cents"] == 400 and len(after["entries"]) == 1
    later = open_period(_this_period(), [_this_period()])
    following = (
        await client.get(
            "/api/commission/statements", params={"rep_id": rep, "period": later}, headers=manager
        )
    ).json()
    assert [(e["amount_cents"], e["period"]) for e in following["entries"]] == [(-100, later)]
    assert "is locked" in following["entries"][0]["reason"]

    paid = await client.post(
        f"/api/commission/statements/{rep}/{_this_period()}/pay", headers=shop.admin
    )
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    me = (
        await client.get("/api/commission/me", params={"period": _this_period()}, headers=shop.rep)
    ).json()
    assert (me["paid_cents"], me["statement_status"]) == (400, "paid")

    exported = await client.get(
        f"/api/commission/statements/{rep}/{_this_period()}/entries.csv", headers=shop.rep
    )
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["order_number"], r["amount"], r["revenue"]) for r in rows] == [
        (order["number"], "4.00", "40.00")
    ]


async def _pull_all(client: Any, headers: dict[str, str], cursor: str | None = None):
    changes: list[dict[str, Any]] = []
    while True:
        params = {"cursor": cursor} if cursor else {}
        page = (await client.get("/api/sync/v1/pull", params=params, headers=headers)).json()
        changes.extend(page["changes"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes, cursor


async def test_the_pull_carries_the_reps_own_summary_and_its_changes(client, db):
    shop = await open_shop(client, db)
    await client.post("/api/commission/plans", json=plan_body(shop), headers=shop.admin)
    await client.post(
        "/api/commission/quotas",
        json={"rep_id": shop.world.rep1.id, "period": _this_period(), "quota_cents": 8_000},
        headers=shop.admin,
    )
    changes, cursor = await _pull_all(client, shop.rep)
    mine = [c for c in changes if c["entity_type"] == "commission_summary"]
    assert [(c["entity_id"], c["data"]["earned_cents"]) for c in mine] == [(shop.world.rep1.id, 0)]

    await place(client, shop, {shop.even: 2})
    changes, _ = await _pull_all(client, shop.rep, cursor)
    mine = [c for c in changes if c["entity_type"] == "commission_summary"]
    assert len(mine) == 1
    data = mine[0]["data"]
    # 40.00 of 80.00 quota: 4.00 earned, 50 %.
    assert (data["period"], data["earned_cents"], data["attainment_percent"]) == (
        _this_period(),
        400,
        "50.0",
    )
    rep2 = bearer(await login(client, "rep2@corp.test"))
    theirs, _ = await _pull_all(client, rep2)
    assert {c["entity_id"] for c in theirs if c["entity_type"] == "commission_summary"} == {
        shop.world.rep2.id
    }


async def test_two_approvals_of_one_period_at_once_approve_it_once(client, db):
    import asyncio

    shop = await open_shop(client, db)
    await client.post("/api/commission/plans", json=plan_body(shop), headers=shop.admin)
    await place(client, shop, {shop.even: 1})
    rep = shop.world.rep1.id
    manager = bearer(await login(client, "manager@corp.test"))
    answers = await asyncio.gather(
        client.post(f"/api/commission/statements/{rep}/{_this_period()}/approve", headers=manager),
        client.post(
            f"/api/commission/statements/{rep}/{_this_period()}/approve", headers=shop.admin
        ),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    statement = (
        await client.get(
            "/api/commission/statements",
            params={"rep_id": rep, "period": _this_period()},
            headers=shop.admin,
        )
    ).json()
    assert (statement["status"], statement["amount_cents"]) == ("approved", 200)


async def test_a_period_outside_the_calendar_is_refused_not_an_error(client, db):
    shop = await open_shop(client, db)
    for period in ("0000-01", "9999-13", "2026-00"):
        answer = await client.get("/api/commission/me", params={"period": period}, headers=shop.rep)
        assert answer.status_code == 400, (period, answer.text)
