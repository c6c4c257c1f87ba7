"""Commission's plan terms through the API: credit splits, SPIFFs and discount erosion."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from server.domain.commission import period_of
from sync.client import SyncClient
from tests.billing_factories import Shop, open_shop, place
from tests.factories import bearer, login
from tests.integration.test_commission_api import plan_body


def _this_period() -> str:
    # Asked when the test runs, not at import: a run may cross midnight UTC.
    return period_of(date.today())


async def _plan(client: Any, shop: Shop, **changes: Any) -> dict[str, Any]:
    created = await client.post(
        "/api/commission/plans", json=plan_body(shop, **changes), headers=shop.admin
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


async def _entries(client: Any, shop: Shop, rep_id: str) -> list[dict[str, Any]]:
    found = await client.get(
        "/api/commission/statements",
        params={"rep_id": rep_id, "period": _this_period()},
        headers=shop.admin,
    )
    assert found.status_code == 200, found.text
    return list(found.json()["entries"])


def _of(entries: list[dict[str, Any]], order: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in entries if e["order_id"] == order["id"]]


def _sum(entries: list[dict[str, Any]]) -> int:
    return sum(e["amount_cents"] for e in entries)


async def _split(client: Any, who: dict[str, str], order: dict[str, Any], *shares: Any) -> Any:
    body = {"splits": [{"rep_id": rep, "percent": pct} for rep, pct in shares]}
    return await client.put(f"/api/commission/orders/{order['id']}/splits", json=body, headers=who)


async def test_a_split_reverses_the_reps_credit_and_posts_each_share(client, db):
    shop = await open_shop(client, db)
    await _plan(client, shop)
    rep1, rep2 = shop.world.rep1.id, shop.world.rep2.id
    # given an order of 3 x 20.00 at 10 %: 6.00 to rep1
    order = await place(client, shop, {shop.even: 3})
    assert _sum(_of(await _entries(client, shop, rep1), order)) == 600
    manager = bearer(await login(client, "manager@corp.test"))

    # when the manager splits it 60 / 40
    answer = await _split(client, manager, order, (rep1, "60"), (rep2, "40"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["splits"] == [
        {"rep_id": rep1, "percent": "60"},
        {"rep_id": rep2, "percent": "40"},
    ]
    # then rep1's whole credit is reversed and each share posted, exactly
    mine = _of(await _entries(client, shop, rep1), order)
    assert sorted(e["amount_cents"] for e in mine) == [-600, 360, 600]
    assert sorted(e["revenue_cents"] for e in mine) == [-6000, 3600, 6000]
    theirs = _of(await _entries(client, shop, rep2), order)
    assert [(e["amount_cents"], e["revenue_cents"]) for e in theirs] == [(240, 2400)]

    # when the split changes, the old shares are reversed and the new posted
    answer = await _split(client, shop.admin, order, (rep1, "25"), (rep2, "75"))
    assert answer.status_code == 200, answer.text
    assert _sum(_of(await _entries(client, shop, rep1), order)) == 150
    assert _sum(_of(await _entries(client, shop, rep2), order)) == 450
    # and setting it again to the same appends nothing
    again = await _split(client, shop.admin, order, (rep1, "25"), (rep2, "75"))
    assert again.json()["entries_appended"] == 0

    # when the split is removed, the rep of the territory has it all again
    cleared = await client.put(
        f"/api/commission/orders/{order['id']}/splits", json={"splits": []}, headers=manager
    )
    assert cleared.status_code == 200, cleared.text
    assert _sum(_of(await _entries(client, shop, rep1), order)) == 600
    assert _sum(_of(await _entries(client, shop, rep2), order)) == 0


async def test_split_cents_add_up_by_largest_remainder(client, db):
    shop = await open_shop(client, db)
    await _plan(client, shop)
    rep1, rep2 = shop.world.rep1.id, shop.world.rep2.id
    manager_id = shop.world.manager.id
    # 1 x 3.33 at 5 %: 16.65 -> 17 cents; thirds of 17 are 5.67: 6, 6, 5 (ties to earlier)
    order = await place(client, shop, {shop.odd: 1})
    answer = await _split(
        client,
        shop.admin,
        order,
        (rep1, "33.3334"),
        (rep2, "33.3333"),
        (manager_id, "33.3333"),
    )
    assert answer.status_code == 200, answer.text
    amounts = [
        _sum(_of(await _entries(client, shop, who), order)) for who in (rep1, rep2, manager_id)
    ]
    assert sum(amounts) == 17 and sorted(amounts) == [5, 6, 6]
    revenues = [
        sum(e["revenue_cents"] for e in _of(await _entries(client, shop, who), order))
        for who in (rep1, rep2, manager_id)
    ]
    assert sum(revenues) == 333 and sorted(revenues) == [111, 111, 111]


async def test_a_split_not_totalling_100_or_naming_a_stranger_is_refused(client, db):
    # Refused as invalid content (422), like every other rule a well-formed body breaks.
    shop = await open_shop(client, db)
    await _plan(client, shop)
    rep1, rep2 = shop.world.rep1.id, shop.world.rep2.id
    order = await place(client, shop, {shop.even: 1})
    before = await _entries(client, shop, rep1)

    short = await _split(client, shop.admin, order, (rep1, "50"), (rep2, "40"))
    assert short.status_code == 422, short.text
    assert short.json()["code"] == "split_invalid"
    stranger = await _split(client, shop.admin, order, (rep1, "50"), (str(uuid.uuid4()), "50"))
    assert stranger.status_code == 422, stranger.text
    assert stranger.json()["code"] == "split_unknown_rep"
    admin_id = shop.world.admin.id
    not_a_seller = await _split(client, shop.admin, order, (rep1, "50"), (admin_id, "50"))
    assert not_a_seller.status_code == 422
    twice = await _split(client, shop.admin, order, (rep1, "50"), (rep1, "50"))
    assert twice.status_code == 422
    by_the_rep = await _split(client, shop.rep, order, (rep1, "50"), (rep2, "50"))
    assert by_the_rep.status_code == 403
    missing = await client.put(
        f"/api/commission/orders/{uuid.uuid4()}/splits",
        json={"splits": [{"rep_id": rep1, "percent": "100"}]},
        headers=shop.admin,
    )
    assert missing.status_code == 404
    # and nothing changed
    assert await _entries(client, shop, rep1) == before
    assert _of(await _entries(client, shop, rep2), order) == []


async def test_spiffs_post_their_own_entries_and_show_on_the_statement(client, db):
    shop = await open_shop(client, db)
    today = date.today()
    spiffs = [
        # 1.50 a unit of EVEN this week
        {
            "product_id": shop.even,
            "per": "unit",
            "amount_cents": 150,
            "starts_on": (today - timedelta(days=1)).isoformat(),
            "ends_on": (today + timedelta(days=1)).isoformat(),
        },
        # 5.00 an order holding ODD, ended yesterday: earns nothing
        {
            "product_id": shop.odd,
            "per": "order",
            "amount_cents": 500,
            "starts_on": (today - timedelta(days=9)).isoformat(),
            "ends_on": (today - timedelta(days=1)).isoformat(),
        },
        # 2.00 an order holding ODD, today: once, however many units
        {
            "product_id": shop.odd,
            "per": "order",
            "amount_cents": 200,
            "starts_on": today.isoformat(),
            "ends_on": today.isoformat(),
        },
    ]
    plan = await _plan(client, shop, spiffs=spiffs)
    assert [s["amount_cents"] for s in plan["spiffs"]] == [150, 500, 200]
    rep1 = shop.world.rep1.id
    order = await place(client, shop, {shop.even: 3, shop.odd: 4})

    entries = _of(await _entries(client, shop, rep1), order)
    spiff = [e for e in entries if e["kind"] == "spiff"]
    assert sorted(e["amount_cents"] for e in spiff) == [200, 450]
    assert all(e["revenue_cents"] == 0 for e in spiff)
    # commission: 60.00 at 10 % and 13.32 at 5 % (66.6 -> 67)
    assert _sum([e for e in entries if e["kind"] == "commission"]) == 600 + 67
    me = (await client.get("/api/commission/me", headers=shop.rep)).json()
    assert me["spiff_cents"] == 650
    assert me["base_cents"] == 667 and me["revenue_cents"] == 7332
    assert me["earned_cents"] == 667 + 650
    csv_text = (
        await client.get(
            f"/api/commission/statements/{rep1}/{_this_period()}/entries.csv", headers=shop.rep
        )
    ).text
    assert csv_text.count(",spiff,") == 2

    # when the order is cancelled the SPIFFs are taken back with the commission
    cancelled = await client.post(
        f"/api/orders/{order['id']}/cancel", json={"reason": "changed mind"}, headers=shop.admin
    )
    assert cancelled.status_code == 200, cancelled.text
    entries = _of(await _entries(client, shop, rep1), order)
    assert _sum([e for e in entries if e["kind"] == "spiff"]) == 0
    assert _sum(entries) == 0


async def test_a_line_discount_erodes_the_rate_when_the_plan_says_so(client, db):
    shop = await open_shop(client, db)
    plan = await _plan(client, shop, erosion_limit="20")
    assert plan["erosion_limit"] == "20"
    me = (await client.get("/api/commission/me", headers=shop.rep)).json()
    assert Decimal(me["plan"]["erosion_limit"]) == 20
    assert me["plan"]["product_rates"] == {shop.even: "10"}
    body = {
        "customer_id": shop.customer["id"],
        "lines": [
            {"product_id": shop.even, "quantity": 3, "discount_percent": "5"},
            {"product_id": shop.odd, "quantity": 1},
        ],
    }
    placed = await client.post("/api/orders", json=body, headers=shop.rep)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["status"] == "confirmed"
    entries = _of(await _entries(client, shop, shop.world.rep1.id), order)
    # 60.00 less 5 % = 57.00 at 10 % x (1 - 5/20) = 7.5 %: 4.275 -> 4.28; ODD undiscounted
    # keeps 5 %: 16.65 -> 17 cents
    assert sorted((e["amount_cents"], Decimal(e["rate"])) for e in entries) == [
        (17, Decimal(5)),
        (428, Decimal("7.5")),
    ]


async def test_a_plan_with_a_bad_erosion_limit_or_spiff_dates_is_refused(client, db):
    shop = await open_shop(client, db)
    zero = await client.post(
        "/api/commission/plans", json=plan_body(shop, erosion_limit="0"), headers=shop.admin
    )
    assert zero.status_code == 422
    backwards = {
        "product_id": shop.even,
        "per": "unit",
        "amount_cents": 100,
        "starts_on": "2026-02-01",
        "ends_on": "2026-01-01",
    }
    bad = await client.post(
        "/api/commission/plans", json=plan_body(shop, spiffs=[backwards]), headers=shop.admin
    )
    assert bad.status_code == 422
    listed = await client.get("/api/commission/plans", headers=shop.admin)
    assert listed.json() == []


async def test_a_new_plan_reaches_a_phone_that_had_pulled_before_it(client, db):
    shop = await open_shop(client, db)
    phone = SyncClient(http=client, access_token=shop.rep["Authorization"].split()[1])
    await phone.register()
    await phone.pull_all()
    summary = phone.store["commission_summary"][shop.world.rep1.id]
    assert summary["plan"] is None
    # when an admin creates a plan, the rep's next pull carries its rates for the what-if
    await _plan(client, shop, erosion_limit="25")
    await phone.pull_all()
    plan = phone.store["commission_summary"][shop.world.rep1.id]["plan"]
    assert plan["basis"] == "booked"
    assert Decimal(plan["default_rate"]) == 5 and Decimal(plan["erosion_limit"]) == 25
    assert {k: Decimal(v) for k, v in plan["product_rates"].items()} == {shop.even: 10}


async def test_each_rep_of_a_split_sees_their_share_pending(client, db):
    shop = await open_shop(client, db)
    await _plan(client, shop, basis="invoiced")
    rep1, rep2 = shop.world.rep1.id, shop.world.rep2.id
    rep2_headers = bearer(await login(client, "rep2@corp.test"))
    # 3 x 20.00 at 10 %, not invoiced yet: 6.00 pending, all rep1's
    order = await place(client, shop, {shop.even: 3})
    assert (await client.get("/api/commission/me", headers=shop.rep)).json()["pending_cents"] == 600
    answer = await _split(client, shop.admin, order, (rep1, "60"), (rep2, "40"))
    assert answer.status_code == 200, answer.text
    # then each sees their share, and nothing is in the ledger yet
    mine = (await client.get("/api/commission/me", headers=shop.rep)).json()
    theirs = (await client.get("/api/commission/me", headers=rep2_headers)).json()
    assert (mine["pending_cents"], theirs["pending_cents"]) == (360, 240)
    assert answer.json()["entries_appended"] == 0
    # and a split that leaves rep1 out leaves them nothing pending
    await _split(client, shop.admin, order, (rep2, "100"))
    mine = (await client.get("/api/commission/me", headers=shop.rep)).json()
    assert mine["pending_cents"] == 0
