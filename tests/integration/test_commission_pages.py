"""The manager's commission pages over HTTP, as a browser posts them (session cookie and
CSRF token): team statements, approval, quotas, disputes, and the order's credit split."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from server.db.engine import Database
from server.db.models import TerritoryAssignment
from server.db.types import new_id
from server.domain.commission import period_of
from tests.billing_factories import Shop, open_shop, place
from tests.conftest import browser_client
from tests.factories import bearer, login, make_user
from tests.security.org import browser_login, csrf_form


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


async def _statement(client: httpx.AsyncClient, shop: Shop, rep_id: str) -> dict[str, Any]:
    answer = await client.get(
        "/api/commission/statements",
        params={"rep_id": rep_id, "period": _this_period()},
        headers=shop.admin,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_a_manager_approves_a_team_statement_and_sets_a_quota_from_the_page(app, client, db):
    shop = await _with_plan(client, db)
    rep = shop.world.rep1.id
    order = await place(client, shop, {shop.even: 2})
    async with browser_client(app) as browser, browser_client(app) as rep_browser:
        await browser_login(browser, "manager@corp.test")
        page = await browser.get("/manager/commission")
        assert page.status_code == 200, page.text
        assert "Rita Rep" in page.text and "Rob Rep" in page.text
        assert "4.00 USD" in page.text  # 40.00 at 10 %, with its currency
        assert 'href="/manager/commission"' in page.text  # in the role's navigation

        quota = await browser.post(
            f"/manager/commission/{rep}/{_this_period()}/quota",
            data=csrf_form(browser, quota="1,000.00"),
        )
        assert quota.status_code == 303, quota.text
        bad = await browser.post(
            f"/manager/commission/{rep}/{_this_period()}/quota",
            data=csrf_form(browser, quota="lots"),
        )
        assert bad.status_code == 422 and "1500.00" in bad.text
        no_token = await browser.post(f"/manager/commission/{rep}/{_this_period()}/approve")
        assert no_token.status_code == 403
        assert (await _statement(client, shop, rep))["status"] == "draft"

        approved = await browser.post(
            f"/manager/commission/{rep}/{_this_period()}/approve", data=csrf_form(browser)
        )
        assert approved.status_code == 303, approved.text
        again = await browser.post(
            f"/manager/commission/{rep}/{_this_period()}/approve", data=csrf_form(browser)
        )
        assert again.status_code == 409 and "already approved" in again.text

        breakdown = await browser.get(f"/manager/commission/{rep}/{_this_period()}")
        assert breakdown.status_code == 200
        assert f'href="/orders/{order["id"]}"' in breakdown.text

        await browser_login(rep_browser, "rep1@corp.test")
        refused = await rep_browser.get("/manager/commission")
        assert refused.status_code == 403
    statement = await _statement(client, shop, rep)
    assert (statement["status"], statement["amount_cents"]) == ("approved", 400)
    assert statement["summary"]["quota_cents"] == 100_000


async def test_another_regions_manager_reaches_nothing_of_the_team(app, client, db):
    shop = await _with_plan(client, db)
    rep = shop.world.rep1.id
    await place(client, shop, {shop.even: 1})
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
    async with browser_client(app) as browser:
        await browser_login(browser, "east@corp.test")
        team = await browser.get("/manager/commission")
        assert team.status_code == 200 and "Rita Rep" not in team.text
        assert (await browser.get(f"/manager/commission/{rep}/{_this_period()}")).status_code == 404
        approve = await browser.post(
            f"/manager/commission/{rep}/{_this_period()}/approve", data=csrf_form(browser)
        )
        assert approve.status_code == 404
        quota = await browser.post(
            f"/manager/commission/{rep}/{_this_period()}/quota", data=csrf_form(browser, quota="10")
        )
        assert quota.status_code == 404
    statement = await _statement(client, shop, rep)
    assert (statement["status"], statement["summary"]["quota_cents"]) == ("draft", None)


async def test_a_dispute_is_answered_with_an_adjustment_and_the_admin_pays(app, client, db):
    shop = await _with_plan(client, db)
    rep = shop.world.rep1.id
    await place(client, shop, {shop.even: 2})
    entry = (await _statement(client, shop, rep))["entries"][0]
    dispute = (
        await client.post(
            f"/api/commission/entries/{entry['id']}/disputes",
            json={"comment": "<b>Where is my bonus?</b>"},
            headers=shop.rep,
        )
    ).json()
    async with browser_client(app) as browser, browser_client(app) as admin:
        await browser_login(browser, "manager@corp.test")
        team = await browser.get("/manager/commission")
        assert "&lt;b&gt;Where is my bonus?&lt;/b&gt;" in team.text  # escaped, listed to answer
        answered = await browser.post(
            f"/manager/commission/disputes/{dispute['id']}/answer",
            data=csrf_form(
                browser, answer="Bonus added.", adjustment="1.25", period=_this_period()
            ),
        )
        assert answered.status_code == 303, answered.text
        page = await browser.get(f"/manager/commission/{rep}/{_this_period()}")
        assert "Bonus added." in page.text and "1.25 USD" in page.text
        approved = await browser.post(
            f"/manager/commission/{rep}/{_this_period()}/approve", data=csrf_form(browser)
        )
        assert approved.status_code == 303
        team = await browser.get("/manager/commission")
        assert "Mark paid" not in team.text  # paying is the back office's

        await browser_login(admin, "admin@corp.test")
        listed = await admin.get("/manager/commission")
        assert "Mark paid" in listed.text and "payroll.csv" in listed.text
        paid = await admin.post(
            f"/manager/commission/{rep}/{_this_period()}/pay", data=csrf_form(admin)
        )
        assert paid.status_code == 303
    statement = await _statement(client, shop, rep)
    assert (statement["status"], statement["amount_cents"]) == ("paid", 525)


async def test_a_manager_splits_the_credit_from_the_order_page(app, client, db):
    shop = await _with_plan(client, db)
    rep1, rep2 = shop.world.rep1.id, shop.world.rep2.id
    order = await place(client, shop, {shop.even: 1})
    async with browser_client(app) as browser, browser_client(app) as rep_browser:
        await browser_login(browser, "manager@corp.test")
        page = await browser.get(f"/orders/{order['id']}")
        assert 'data-testid="split-form"' in page.text and "Credited whole to Rita Rep" in page.text
        short = await browser.post(
            f"/orders/{order['id']}/commission-split",
            data=csrf_form(browser, **{f"split-{rep1}": "50", f"split-{rep2}": "40"}),
        )
        assert short.status_code == 422 and "100" in short.text
        saved = await browser.post(
            f"/orders/{order['id']}/commission-split",
            data=csrf_form(browser, **{f"split-{rep1}": "75", f"split-{rep2}": "25"}),
        )
        assert saved.status_code == 303, saved.text
        shown = await browser.get(f"/orders/{order['id']}")
        assert "Rita Rep 75 %, Rob Rep 25 %" in shown.text

        await browser_login(rep_browser, "rep1@corp.test")
        own_order = await rep_browser.get(f"/orders/{order['id']}")
        assert 'data-testid="split-form"' not in own_order.text
        by_rep = await rep_browser.post(
            f"/orders/{order['id']}/commission-split",
            data=csrf_form(rep_browser, **{f"split-{rep1}": "100"}),
        )
        assert by_rep.status_code == 403
    manager = bearer(await login(client, "manager@corp.test"))
    split = (
        await client.get(f"/api/commission/orders/{order['id']}/splits", headers=manager)
    ).json()
    assert [(s["rep_id"], s["percent"]) for s in split["splits"]] == [(rep1, "75"), (rep2, "25")]
    assert [e["amount_cents"] for e in (await _statement(client, shop, rep2))["entries"]] == [50]
