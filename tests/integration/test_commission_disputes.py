"""The statement workflow around the ledger: disputes answered (or adjusted) by the rep's
manager, the payroll export of a period, and the credit split read back."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from server.db.engine import Database
from server.db.models import TerritoryAssignment
from server.db.types import new_id
from server.domain.commission import open_period, period_of
from sync.client import SyncClient
from tests.billing_factories import Shop, open_shop, place
from tests.factories import bearer, login, make_user


def _this_period() -> str:
    # Asked when the test runs, not at import: a run may cross midnight UTC.
    return period_of(date.today())


async def _with_plan(client: httpx.AsyncClient, db: Database) -> Shop:
    shop = await open_shop(client, db)
    plan = {
        "code": "FIELD",
        "name": "Field reps",
        "valid_from": (date.today() - timedelta(days=400)).isoformat(),
        "basis": "booked",
        "default_rate": "5",
        "product_rates": {shop.even: "10"},
    }
    created = await client.post("/api/commission/plans", json=plan, headers=shop.admin)
    assert created.status_code == 201, created.text
    return shop


async def _statement(
    client: httpx.AsyncClient, who: dict[str, str], rep_id: str, period: str | None = None
) -> dict[str, Any]:
    params = {"rep_id": rep_id, "period": period or _this_period()}
    answer = await client.get("/api/commission/statements", params=params, headers=who)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def _east_manager(client: httpx.AsyncClient, db: Database, shop: Shop) -> dict[str, str]:
    """A manager of another region (EAST): none of the shop's reps are theirs."""
    east = await make_user(db, role="manager", email="east@corp.test", name="Eve East")
    async with db.write() as uow:
        uow.session.add(
            TerritoryAssignment(
                id=new_id(),
                territory_id=shop.world.other,
                user_id=east.id,
                role="manager",
                valid_from=date.today() - timedelta(days=30),
            )
        )
    return bearer(await login(client, "east@corp.test"))


async def test_a_rep_disputes_a_line_and_reads_the_managers_answer(client, db):
    shop = await _with_plan(client, db)
    rep = shop.world.rep1.id
    order = await place(client, shop, {shop.even: 2})  # 40.00 at 10 %: 4.00
    entry = (await _statement(client, shop.rep, rep))["entries"][0]
    manager = bearer(await login(client, "manager@corp.test"))

    # when the rep questions the line
    opened = await client.post(
        f"/api/commission/entries/{entry['id']}/disputes",
        json={"comment": "The customer paid list price, not the discounted one."},
        headers=shop.rep,
    )
    assert opened.status_code == 201, opened.text
    dispute = opened.json()
    assert (dispute["status"], dispute["order_number"]) == ("open", order["number"])
    assert dispute["entry_amount_cents"] == 400
    twice = await client.post(
        f"/api/commission/entries/{entry['id']}/disputes",
        json={"comment": "again"},
        headers=shop.rep,
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "dispute_open")
    waiting = await client.get("/api/commission/disputes?status=open", headers=manager)
    assert [d["id"] for d in waiting.json()] == [dispute["id"]]

    # and the manager answers without an adjustment
    answered = await client.post(
        f"/api/commission/disputes/{dispute['id']}/answer",
        json={"answer": "The order shows the discount; the line is right."},
        headers=manager,
    )
    assert answered.status_code == 200, answered.text

    # then the rep reads the answer on the statement, and the ledger is unchanged
    statement = await _statement(client, shop.rep, rep)
    assert [(d["status"], d["answer"]) for d in statement["disputes"]] == [
        ("answered", "The order shows the discount; the line is right.")
    ]
    assert statement["amount_cents"] == 400 and len(statement["entries"]) == 1
    mine = await client.get("/api/commission/disputes", headers=shop.rep)
    assert [d["answer"] for d in mine.json()] == [
        "The order shows the discount; the line is right."
    ]
    again = await client.post(
        f"/api/commission/disputes/{dispute['id']}/answer",
        json={"answer": "changed my mind", "adjustment_cents": 100},
        headers=manager,
    )
    assert (again.status_code, again.json()["code"]) == (409, "dispute_answered")
    assert (await _statement(client, shop.rep, rep))["amount_cents"] == 400


async def test_an_adjustment_lands_in_the_open_period_when_the_statement_is_locked(client, db):
    shop = await _with_plan(client, db)
    rep = shop.world.rep1.id
    await place(client, shop, {shop.even: 2})
    entry = (await _statement(client, shop.rep, rep))["entries"][0]
    manager = bearer(await login(client, "manager@corp.test"))
    opened = await client.post(
        f"/api/commission/entries/{entry['id']}/disputes",
        json={"comment": "Should be 12 %: the product was on the promotion."},
        headers=shop.rep,
    )
    dispute = opened.json()
    # given the period is approved (locked) before the answer
    approved = await client.post(
        f"/api/commission/statements/{rep}/{_this_period()}/approve", headers=manager
    )
    assert approved.status_code == 200, approved.text

    # when the manager answers with an adjustment of 0.80 (2 % more of 40.00)
    answered = await client.post(
        f"/api/commission/disputes/{dispute['id']}/answer",
        json={"answer": "Agreed: the promotion rate applies.", "adjustment_cents": 80},
        headers=manager,
    )
    assert answered.status_code == 200, answered.text
    later = open_period(_this_period(), [_this_period()])
    assert answered.json()["adjustment_period"] == later

    # then the approved period keeps its figure and the next one carries the adjustment
    locked = await _statement(client, shop.rep, rep)
    assert (locked["status"], locked["amount_cents"], len(locked["entries"])) == (
        "approved",
        400,
        1,
    )
    following = await _statement(client, shop.rep, rep, later)
    [adjustment] = following["entries"]
    assert (adjustment["kind"], adjustment["amount_cents"]) == ("adjustment", 80)
    assert adjustment["source_id"] == dispute["id"]
    assert "Agreed: the promotion rate applies." in adjustment["reason"]
    assert f"period {_this_period()} is locked" in adjustment["reason"]
    assert following["amount_cents"] == 80


async def test_an_adjustment_in_an_open_period_changes_its_statement(client, db):
    shop = await _with_plan(client, db)
    rep = shop.world.rep1.id
    await place(client, shop, {shop.even: 2})
    entry = (await _statement(client, shop.rep, rep))["entries"][0]
    dispute = (
        await client.post(
            f"/api/commission/entries/{entry['id']}/disputes",
            json={"comment": "Too much: half of this order was a sample."},
            headers=shop.rep,
        )
    ).json()
    answered = await client.post(
        f"/api/commission/disputes/{dispute['id']}/answer",
        json={"answer": "Right, one unit was a free sample.", "adjustment_cents": -200},
        headers=shop.admin,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["adjustment_period"] == _this_period()
    statement = await _statement(client, shop.rep, rep)
    assert statement["amount_cents"] == 200
    assert statement["summary"]["earned_cents"] == 200


async def test_disputes_stay_within_the_rep_and_their_managers(client, db):
    shop = await _with_plan(client, db)
    rep1 = shop.world.rep1.id
    await place(client, shop, {shop.even: 1})
    entry = (await _statement(client, shop.rep, rep1))["entries"][0]
    rep2 = bearer(await login(client, "rep2@corp.test"))
    east = await _east_manager(client, db, shop)

    # another rep cannot question rep1's line: as if it did not exist
    foreign = await client.post(
        f"/api/commission/entries/{entry['id']}/disputes",
        json={"comment": "mine?"},
        headers=rep2,
    )
    assert (foreign.status_code, foreign.json()["code"]) == (404, "entry_not_found")
    missing = await client.post(
        f"/api/commission/entries/{uuid.uuid4()}/disputes",
        json={"comment": "?"},
        headers=shop.rep,
    )
    assert missing.status_code == 404
    blank = await client.post(
        f"/api/commission/entries/{entry['id']}/disputes",
        json={"comment": "   "},
        headers=shop.rep,
    )
    assert (blank.status_code, blank.json()["code"]) == (422, "comment_required")
    dispute = (
        await client.post(
            f"/api/commission/entries/{entry['id']}/disputes",
            json={"comment": "Rate looks low."},
            headers=shop.rep,
        )
    ).json()

    # the rep cannot answer their own; another region's manager does not see it
    own = await client.post(
        f"/api/commission/disputes/{dispute['id']}/answer",
        json={"answer": "fine", "adjustment_cents": 10_000},
        headers=shop.rep,
    )
    assert own.status_code == 403
    outside = await client.post(
        f"/api/commission/disputes/{dispute['id']}/answer",
        json={"answer": "fine", "adjustment_cents": 10_000},
        headers=east,
    )
    assert (outside.status_code, outside.json()["code"]) == (404, "dispute_not_found")
    assert (await client.get("/api/commission/disputes", headers=east)).json() == []
    assert (await client.get("/api/commission/disputes", headers=rep2)).json() == []
    zero = await client.post(
        f"/api/commission/disputes/{dispute['id']}/answer",
        json={"answer": "fine", "adjustment_cents": 0},
        headers=shop.admin,
    )
    assert (zero.status_code, zero.json()["code"]) == (422, "adjustment_zero")

    # and none of it changed the dispute or the ledger
    statement = await _statement(client, shop.rep, rep1)
    assert [d["status"] for d in statement["disputes"]] == ["open"]
    assert statement["amount_cents"] == 200 and len(statement["entries"]) == 1


async def test_a_rep_cannot_approve_and_another_regions_manager_cannot_either(client, db):
    shop = await _with_plan(client, db)
    rep = shop.world.rep1.id
    await place(client, shop, {shop.even: 1})
    east = await _east_manager(client, db, shop)
    rep2 = bearer(await login(client, "rep2@corp.test"))
    by_rep = await client.post(
        f"/api/commission/statements/{rep}/{_this_period()}/approve", headers=rep2
    )
    assert by_rep.status_code == 403
    by_east = await client.post(
        f"/api/commission/statements/{rep}/{_this_period()}/approve", headers=east
    )
    assert by_east.status_code == 404
    assert (await _statement(client, shop.admin, rep))["status"] == "draft"


async def test_payroll_lists_the_approved_and_paid_statements_of_the_period(client, db):
    shop = await _with_plan(client, db)
    rep1, rep2 = shop.world.rep1.id, shop.world.rep2.id
    await place(client, shop, {shop.even: 3})  # rep1: 60.00 at 10 % = 6.00
    entry = (await _statement(client, shop.rep, rep1))["entries"][0]
    dispute = (
        await client.post(
            f"/api/commission/entries/{entry['id']}/disputes",
            json={"comment": "Missing the delivery bonus."},
            headers=shop.rep,
        )
    ).json()
    await client.post(
        f"/api/commission/disputes/{dispute['id']}/answer",
        json={"answer": "Bonus added.", "adjustment_cents": 150},
        headers=shop.admin,
    )
    for path in (f"{rep1}/{_this_period()}/approve", f"{rep1}/{_this_period()}/pay"):
        done = await client.post(f"/api/commission/statements/{path}", headers=shop.admin)
        assert done.status_code == 200, done.text
    # rep2's statement stays a draft: not payable, not exported
    assert (await _statement(client, shop.admin, rep2))["status"] == "draft"

    refused = await client.get(
        f"/api/commission/periods/{_this_period()}/payroll.csv", headers=shop.rep
    )
    assert refused.status_code == 403
    export = await client.get(
        f"/api/commission/periods/{_this_period()}/payroll.csv", headers=shop.admin
    )
    assert export.status_code == 200, export.text
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert rows == [
        {
            "rep": "Rita Rep",
            "email": "rep1@corp.test",
            "period": _this_period(),
            "status": "paid",
            "earned": "6.00",
            "adjustments": "1.50",
            "draws": "0.00",
            "carried_forward": "0.00",
            "total_payable": "7.50",
            "currency": "USD",
        }
    ]


async def test_the_split_reads_back_and_a_bad_split_is_refused_as_invalid(client, db):
    shop = await _with_plan(client, db)
    rep1, rep2 = shop.world.rep1.id, shop.world.rep2.id
    order = await place(client, shop, {shop.even: 1})
    manager = bearer(await login(client, "manager@corp.test"))
    unsplit = await client.get(f"/api/commission/orders/{order['id']}/splits", headers=manager)
    assert unsplit.status_code == 200, unsplit.text
    assert (unsplit.json()["splits"], unsplit.json()["credited_rep_id"]) == ([], rep1)

    bad = await client.put(
        f"/api/commission/orders/{order['id']}/splits",
        json={"splits": [{"rep_id": rep1, "percent": "70"}, {"rep_id": rep2, "percent": "20"}]},
        headers=manager,
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "split_invalid")
    assert bad.json()["detail"]
    good = await client.put(
        f"/api/commission/orders/{order['id']}/splits",
        json={"splits": [{"rep_id": rep1, "percent": "70"}, {"rep_id": rep2, "percent": "30"}]},
        headers=manager,
    )
    assert good.status_code == 200, good.text
    split = (
        await client.get(f"/api/commission/orders/{order['id']}/splits", headers=manager)
    ).json()
    assert [(s["rep_name"], s["percent"]) for s in split["splits"]] == [
        ("Rita Rep", "70"),
        ("Rob Rep", "30"),
    ]
    east = await _east_manager(client, db, shop)
    hidden = await client.get(f"/api/commission/orders/{order['id']}/splits", headers=east)
    assert hidden.status_code == 404
    by_rep = await client.get(f"/api/commission/orders/{order['id']}/splits", headers=shop.rep)
    assert by_rep.status_code == 403


async def test_the_reps_phone_pulls_the_answer_to_their_dispute(client, db):
    shop = await _with_plan(client, db)
    rep = shop.world.rep1.id
    await place(client, shop, {shop.even: 1})
    phone = SyncClient(http=client, access_token=shop.rep["Authorization"].split()[1])
    await phone.register()
    await phone.pull_all()
    assert phone.store["commission_summary"][rep]["disputes"] == []
    entry = (await _statement(client, shop.rep, rep))["entries"][0]
    dispute = (
        await client.post(
            f"/api/commission/entries/{entry['id']}/disputes",
            json={"comment": "Was this the promotion rate?"},
            headers=shop.rep,
        )
    ).json()
    await phone.pull_all()
    [pulled] = phone.store["commission_summary"][rep]["disputes"]
    assert (pulled["id"], pulled["status"]) == (dispute["id"], "open")

    # when the manager answers with an adjustment, the next pull carries it
    manager = bearer(await login(client, "manager@corp.test"))
    await client.post(
        f"/api/commission/disputes/{dispute['id']}/answer",
        json={"answer": "It was: 0.50 added.", "adjustment_cents": 50},
        headers=manager,
    )
    await phone.pull_all()
    summary = phone.store["commission_summary"][rep]
    [pulled] = summary["disputes"]
    assert (pulled["status"], pulled["answer"], pulled["adjustment_cents"]) == (
        "answered",
        "It was: 0.50 added.",
        50,
    )
    assert summary["earned_cents"] == 250


async def test_two_answers_at_once_post_one_adjustment(client, db):
    import asyncio

    shop = await _with_plan(client, db)
    rep = shop.world.rep1.id
    await place(client, shop, {shop.even: 1})
    entry = (await _statement(client, shop.rep, rep))["entries"][0]
    dispute = (
        await client.post(
            f"/api/commission/entries/{entry['id']}/disputes",
            json={"comment": "Short by a dollar."},
            headers=shop.rep,
        )
    ).json()
    manager = bearer(await login(client, "manager@corp.test"))
    answers = await asyncio.gather(
        *(
            client.post(
                f"/api/commission/disputes/{dispute['id']}/answer",
                json={"answer": "Added.", "adjustment_cents": 100},
                headers=who,
            )
            for who in (manager, shop.admin)
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    statement = await _statement(client, shop.rep, rep)
    assert [e["kind"] for e in statement["entries"]].count("adjustment") == 1
    assert statement["amount_cents"] == 300
