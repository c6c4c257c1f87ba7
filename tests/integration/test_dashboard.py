"""The managers' dashboard through HTTP: figures against sums worked out by hand, the
previous period, the subtree a manager sees, a rep refused, the page and the exports."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text, update

from server.db.models import SalesOrder, TerritoryAssignment
from server.db.summaries import rebuild_sql
from server.db.types import new_id
from server.domain.dashboard import Period, PeriodKind, period_for
from tests.billing_factories import Shop, open_shop, place, ship
from tests.factories import bearer, login, make_user
from tests.sales_factories import create_customer


# Asked when a test runs, not when the module is imported: a run that crosses midnight
# (UTC: the server counts UTC days) must compare with the server's day.
def _today() -> date:
    return datetime.now(UTC).date()


def _period() -> Period:
    return period_for(PeriodKind.MONTH, _today())


def _before() -> Period:
    return _period().previous()


async def _backdate(db, order_id: str, day: date) -> None:
    """Moves an order to another day, behind the product's back: the day sums are
    recomputed from the documents as the migration fills them."""
    async with db.write() as uow:
        await uow.session.execute(
            update(SalesOrder)
            .where(SalesOrder.id == order_id)
            .values(placed_at=datetime.combine(day, time(12), tzinfo=UTC))
        )
        for statement in rebuild_sql(uow.dialect_name):
            await uow.session.execute(text(statement))


async def _place_as(client, headers, customer_id: str, lines: dict[str, int]) -> dict[str, Any]:
    body = {
        "customer_id": customer_id,
        "lines": [{"product_id": p, "quantity": q} for p, q in lines.items()],
    }
    answer = await client.post("/api/orders", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def _north_manager(db, shop: Shop) -> dict[str, str]:
    user = await make_user(db, role="manager", email="nora.north@corp.test", name="Nora North")
    async with db.write() as uow:
        uow.session.add(
            TerritoryAssignment(
                id=new_id(),
                territory_id=shop.world.north,
                user_id=user.id,
                role="manager",
                valid_from=_today() - timedelta(days=400),
            )
        )
    return {"id": user.id}


async def _sold(client, db) -> tuple[Shop, dict[str, Any]]:
    """North: 100.00 net this month (shipped, invoiced, paid 50.00 on a day of the period
    before and 60.00 today) and 40.00 net in the period before; South: 60.00 net this month. The rep of North has a quota of 200.00."""
    shop = await open_shop(client, db)
    now = await place(client, shop, {shop.even: 5})  # 5 x 20.00 = 100.00 net, 110.00 total
    before = await place(client, shop, {shop.even: 2})  # 40.00 net
    await _backdate(db, before["id"], _before().start + timedelta(days=1))
    south_buyer = await create_customer(
        client, shop.admin, "Bay Supplies", state="CA", postal="94105", city="San Francisco"
    )
    south = await _place_as(client, shop.admin, south_buyer["id"], {shop.even: 3})
    line = now["lines"][0]["id"]
    await ship(client, shop, now, {line: 5})
    invoiced = await client.post(f"/api/orders/{now['id']}/invoice", headers=shop.admin)
    assert invoiced.status_code == 201, invoiced.text
    # 50.00 recorded as received in the previous period, the other 60.00 today.
    for cents, day in ((5_000, _before().start + timedelta(days=2)), (6_000, _today())):
        paid = await client.post(
            "/api/payments",
            json={
                "customer_id": shop.customer["id"],
                "amount_cents": cents,
                "method": "bank_transfer",
                "reference": "remittance",
                "received_on": day.isoformat(),
            },
            headers=shop.admin,
        )
        assert paid.status_code == 201, paid.text
    quota = await client.post(
        "/api/commission/quotas",
        json={
            "rep_id": shop.world.rep1.id,
            "period": _today().isoformat()[:7],
            "quota_cents": 20_000,
        },
        headers=shop.admin,
    )
    assert quota.status_code == 200, quota.text
    return shop, {"now": now, "before": before, "south": south, "south_buyer": south_buyer}


async def test_dashboard_figures_equal_the_sums_and_compare_with_the_previous_period(client, db):
    shop, orders = await _sold(client, db)
    manager = bearer(await login(client, "manager@corp.test"))

    answer = await client.get("/api/dashboard", headers=manager)
    assert answer.status_code == 200, answer.text
    d = answer.json()
    figures = d["figures"]
    assert d["currency"] == "USD"
    assert d["period"]["start"] == _period().start.isoformat()
    assert d["period"]["previous_end"] == _before().last_day.isoformat()
    # North 100.00 + South 60.00 now; North 40.00 before.
    assert figures["booked_cents"] == {
        "current": 16_000,
        "previous": 4_000,
        "change_percent": "300.0",
    }
    assert figures["orders"]["current"] == 2 and figures["orders"]["previous"] == 1
    assert figures["average_order_cents"]["current"] == 8_000
    assert figures["invoiced_cents"]["current"] == 11_000
    assert figures["paid_cents"] == {"current": 6_000, "previous": 5_000, "change_percent": "20.0"}
    # Rita's quota is the only one: 160.00 of 200.00 is the region's attainment.
    assert figures["target_cents"]["current"] == 20_000
    assert figures["attainment_percent"]["current"] == "80.0"
    assert figures["new_customers"]["current"] == 2
    # Placed and shipped within the test: no whole tenth of a day in between.
    assert figures["fulfilment_cycle_days"] == {"current": "0.0", "previous": None}
    series = {p["start"]: p["booked_cents"] for p in d["revenue_over_time"]}
    assert len(series) == _period().days  # every day of the month, empty ones at zero
    assert series[_today().isoformat()] == 16_000 and sum(series.values()) == 16_000
    assert [t["name"] for t in d["territories"]] == ["West"]  # the manager's top territory
    west = await client.get(
        "/api/dashboard", params={"territory": shop.world.region}, headers=manager
    )
    territories = {row["name"]: row for row in west.json()["territories"]}
    assert sorted(territories) == ["North", "South"]
    assert territories["North"]["booked_cents"]["current"] == 10_000
    assert territories["North"]["booked_cents"]["previous"] == 4_000
    assert territories["South"]["booked_cents"]["current"] == 6_000
    reps = {row["name"]: row for row in d["reps"]}
    assert reps["Rita Rep"]["attainment_percent"] == "50.0"
    assert reps["Rita Rep"]["target_cents"] == 20_000
    assert reps["Rob Rep"]["booked_cents"]["current"] == 6_000

    # Drill down: North, then Rita, then the customer, then the order.
    north = await client.get(
        "/api/dashboard", params={"territory": shop.world.north}, headers=manager
    )
    assert north.json()["figures"]["booked_cents"]["current"] == 10_000
    rita = await client.get(
        "/api/dashboard",
        params={"territory": shop.world.north, "rep": shop.world.rep1.id},
        headers=manager,
    )
    customers = rita.json()["customers"]
    assert [c["name"] for c in customers] == ["Harbor Hardware"]
    drilled = await client.get(
        "/api/dashboard",
        params={"territory": shop.world.north, "customer": shop.customer["id"]},
        headers=manager,
    )
    assert [o["number"] for o in drilled.json()["orders"]] == [orders["now"]["number"]]

    # A custom period that holds only the earlier order.
    custom = await client.get(
        "/api/dashboard",
        params={
            "period": "custom",
            "from": _before().start.isoformat(),
            "to": _before().last_day.isoformat(),
        },
        headers=manager,
    )
    assert custom.json()["figures"]["booked_cents"]["current"] == 4_000


def _sheet_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        shared = (
            archive.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in names else ""
        )
        return shared + archive.read("xl/worksheets/sheet1.xml").decode()


async def test_a_manager_sees_only_their_subtree_and_a_rep_is_refused(client, db):
    shop, orders = await _sold(client, db)
    await _north_manager(db, shop)
    nora = bearer(await login(client, "nora.north@corp.test"))

    mine = await client.get("/api/dashboard", headers=nora)
    assert mine.status_code == 200, mine.text
    d = mine.json()
    assert d["figures"]["booked_cents"]["current"] == 10_000
    assert [t["name"] for t in d["territories"]] == ["North"]
    assert "Bay Supplies" not in mine.text and orders["south"]["number"] not in mine.text
    for params in (
        {"territory": shop.world.south},
        {"territory": shop.world.region},
        {"rep": shop.world.rep2.id},
        {"customer": orders["south_buyer"]["id"]},
    ):
        refused = await client.get("/api/dashboard", params=params, headers=nora)
        assert refused.status_code == 404, (params, refused.text)
    for table in ("customers", "territories", "reps"):
        params = {"table": table}
        export = await client.get("/manager/dashboard/export.csv", params=params, headers=nora)
        assert export.status_code == 200 and "Bay Supplies" not in export.text
        assert "Rob Rep" not in export.text and "South" not in export.text
        book = await client.get("/manager/dashboard/export.xlsx", params=params, headers=nora)
        assert book.status_code == 200
        strings = _sheet_text(book.content)
        assert "Bay Supplies" not in strings and "South" not in strings
    mine_csv = await client.get("/manager/dashboard/export.csv", headers=nora)
    assert "Harbor Hardware" in mine_csv.text

    assert (await client.get("/api/dashboard", headers=shop.rep)).status_code == 403
    assert (await client.get("/api/dashboard")).status_code == 401
    assert (await client.get("/manager/dashboard", headers=shop.rep)).status_code == 403
    bad = await client.get("/api/dashboard", params={"period": "decade"}, headers=nora)
    assert bad.status_code == 422 and bad.json()["code"] == "unknown_period"


async def test_every_dashboard_table_exports_to_csv_and_xlsx(client, db):
    shop, orders = await _sold(client, db)
    manager = bearer(await login(client, "manager@corp.test"))
    rows = await client.get(
        "/manager/dashboard/export.csv", params={"table": "reps"}, headers=manager
    )
    assert rows.status_code == 200 and rows.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(rows.text)))
    assert table[0][:2] == ["rep", "booked (USD)"]
    assert ["Rita Rep", "100.00", "40.00", "1", "200.00", "50.0"] in table
    by_order = await client.get(
        "/manager/dashboard/export.csv",
        params={"table": "orders", "customer": shop.customer["id"]},
        headers=manager,
    )
    assert orders["now"]["number"] in by_order.text

    book = await client.get(
        "/manager/dashboard/export.xlsx",
        params={"table": "territories", "territory": shop.world.region},
        headers=manager,
    )
    assert book.status_code == 200
    with zipfile.ZipFile(io.BytesIO(book.content)) as archive:
        strings = archive.read("xl/sharedStrings.xml").decode()
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "North" in strings and "South" in strings and "booked (USD)" in strings
    assert "<v>100</v>" in sheet and "<v>60</v>" in sheet
    unknown = await client.get(
        "/manager/dashboard/export.csv", params={"table": "secrets"}, headers=manager
    )
    assert unknown.status_code == 422


async def test_customers_whose_ordering_lapsed_are_counted_against_their_rhythm(client, db):
    shop = await open_shop(client, db)
    manager = bearer(await login(client, "manager@corp.test"))
    # Every 5 days until 29 days ago: the rhythm is 5 days, the lapse 28 days (4 weeks),
    # so the customer has lapsed now and had not at the end of the period before.
    for days_ago in (39, 34, 29):
        order = await place(client, shop, {shop.even: 1})
        await _backdate(db, order["id"], _today() - timedelta(days=days_ago))
    d = (await client.get("/api/dashboard", headers=manager)).json()
    assert d["figures"]["lapsed_customers"]["current"] == 1
    assert d["figures"]["lapsed_customers"]["previous"] == 0
    [lapsed] = d["lapsed"]
    assert lapsed["name"] == "Harbor Hardware"
    assert lapsed["usual_interval_days"] == "5" and lapsed["days_since"] == 29


async def test_the_page_renders_with_currency_and_htmx_swaps_its_body(app, browser, client, db):
    shop, orders = await _sold(client, db)
    login_page = await browser.get("/login")
    assert login_page.status_code == 200
    form = {"email": "manager@corp.test", "password": "correct horse battery"}
    form["_csrf_token"] = browser.cookies.get("fs_csrf", "")
    signed_in = await browser.post("/login", data=form)
    assert signed_in.status_code in (200, 302, 303), signed_in.text
    page = await browser.get("/manager/dashboard")
    assert page.status_code == 200, page.text
    assert "chart-4.6.2.umd.min.js" in page.text
    assert "160.00&nbsp;USD" in page.text
    body = await browser.get(
        "/manager/dashboard",
        params={"territory": shop.world.north, "customer": shop.customer["id"]},
        headers={"HX-Request": "true"},
    )
    assert body.status_code == 200
    assert "<html" not in body.text and 'id="dashboard"' in body.text
    assert f"/orders/{orders['now']['id']}" in body.text
    assert "Bay Supplies" not in body.text
    half_typed = await browser.get(
        "/manager/dashboard",
        params={"period": "custom", "from": _today().isoformat()},
        headers={"HX-Request": "true"},
    )
    assert half_typed.status_code == 200
    assert "A custom period needs a from and a to day." in half_typed.text
    assert _period().start.isoformat() in half_typed.text
