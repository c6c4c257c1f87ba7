"""The dashboard's tables sort on the server: the API, the page (htmx) and the exports
answer rows in the asked order, keep the other filters, and refuse an unknown column."""

from __future__ import annotations

import csv
import io
import re

from tests.billing_factories import place
from tests.factories import bearer, login
from tests.integration.test_dashboard import _sold
from tests.integration.test_sales_pages import HTMX, _log_in


def _names(rows: list[dict]) -> list[str]:
    return [r["name"] for r in rows]


async def test_each_table_sorts_by_the_column_asked_and_the_others_keep_their_order(client, db):
    shop, orders = await _sold(client, db)
    manager = bearer(await login(client, "manager@corp.test"))
    region = {"territory": shop.world.region}

    async def dashboard(**params: str) -> dict:
        answer = await client.get("/api/dashboard", params=params, headers=manager)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    # North booked 100.00, South 60.00; Rita (North) 100.00, Rob (South) 60.00.
    usual = await dashboard(**region)
    assert _names(usual["territories"]) == ["North", "South"]  # by name
    assert _names(usual["reps"]) == ["Rita Rep", "Rob Rep"]  # biggest first
    assert _names(usual["customers"]) == ["Harbor Hardware", "Bay Supplies"]

    smallest = await dashboard(**region, sort="territories.booked", dir="asc")
    assert _names(smallest["territories"]) == ["South", "North"]
    assert _names(smallest["reps"]) == ["Rita Rep", "Rob Rep"]  # untouched
    reps = await dashboard(**region, sort="reps.name", dir="desc")
    assert _names(reps["reps"]) == ["Rob Rep", "Rita Rep"]
    customers = await dashboard(**region, sort="customers.name", dir="asc")
    assert _names(customers["customers"]) == ["Bay Supplies", "Harbor Hardware"]
    fewest = await dashboard(**region, sort="customers.booked", dir="asc")
    assert _names(fewest["customers"]) == ["Bay Supplies", "Harbor Hardware"]

    small = await place(client, shop, {shop.even: 1})  # 20.00 net, placed after "now"
    drill = {"customer": shop.customer["id"]}
    newest = await dashboard(**drill)
    assert [o["number"] for o in newest["orders"]] == [small["number"], orders["now"]["number"]]
    biggest = await dashboard(**drill, sort="orders.total", dir="desc")
    assert [o["number"] for o in biggest["orders"]] == [orders["now"]["number"], small["number"]]

    exported = await client.get(
        "/manager/dashboard/export.csv",
        params={**region, "table": "territories", "sort": "territories.booked", "dir": "asc"},
        headers=manager,
    )
    assert [row[0] for row in csv.reader(io.StringIO(exported.text))][1:] == ["South", "North"]


async def test_an_unknown_sort_is_refused_and_the_page_says_why(client, browser, db):
    await _sold(client, db)
    manager = bearer(await login(client, "manager@corp.test"))
    for params, code in [
        ({"sort": "customers.password"}, "unknown_sort"),
        ({"sort": "payroll.name"}, "unknown_sort"),
        ({"sort": "reps.name", "dir": "up"}, "unknown_direction"),
    ]:
        answer = await client.get("/api/dashboard", params=params, headers=manager)
        assert answer.status_code == 422 and answer.json()["code"] == code, params
        export = await client.get("/manager/dashboard/export.csv", params=params, headers=manager)
        assert export.status_code == 422, params
    await _log_in(browser, "manager@corp.test")
    page = await browser.get("/manager/dashboard", params={"sort": "x.y"}, headers=HTMX)
    assert page.status_code == 200 and "cannot be sorted by" in page.text


async def test_the_page_sorts_through_htmx_and_keeps_the_filters(client, browser, db):
    shop, _ = await _sold(client, db)
    await _log_in(browser, "manager@corp.test")
    params = {"territory": shop.world.region, "sort": "territories.booked", "dir": "asc"}
    body = await browser.get("/manager/dashboard", params=params, headers=HTMX)
    assert body.status_code == 200 and "<html" not in body.text
    text = body.text
    table = text[text.index('data-testid="territory-table"') :]
    assert table.index(">South</a>") < table.index(">North</a>")
    header = re.search(r'<th[^>]*aria-sort="ascending"[^>]*><a [^>]*data-sort="([^"]+)"', text)
    assert header is not None and header.group(1) == "territories.booked"
    # The header sorts the other way next, within the same territory.
    link = re.search(r'href="([^"]+)"[^>]*data-sort="territories.booked"', text)
    assert link is not None
    assert "dir=desc" in link.group(1) and f"territory={shop.world.region}" in link.group(1)
    assert 'hx-target="#dashboard"' in text
    # A filter change keeps the sort: the form carries it.
    assert 'name="sort" value="territories.booked"' in text and 'name="dir" value="asc"' in text
    down = await browser.get("/manager/dashboard", params={**params, "dir": "desc"}, headers=HTMX)
    table = down.text[down.text.index('data-testid="territory-table"') :]
    assert table.index(">North</a>") < table.index(">South</a>")
