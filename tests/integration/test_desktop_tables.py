"""The desktop tables of orders, quotes and customers: sorted and filtered in the database,
exported as CSV with the same filters and the caller's scope; amounts with their currency
and times in the viewer's zone; and order entry on the desktop through place_order."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from sqlalchemy import func, select

from server.db.models import SalesOrder
from tests.integration.test_sales_pages import HTMX, _csrf, _log_in, _place, _shop


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_order_table_sorts_filters_and_exports_what_it_shows(client, browser, db):
    shop = await _shop(client, db)
    small = await _place(client, shop, quantity=1)
    large = await _place(client, shop, quantity=5)
    middle = await _place(client, shop, quantity=3, discount="15")  # waits for approval
    others = await _place(client, shop, "rep2", customer="south")
    await _log_in(browser, "rep1@corp.test")

    by_total = await browser.get("/orders", params={"sort": "total", "dir": "asc"}, headers=HTMX)
    assert by_total.status_code == 200 and "<html" not in by_total.text
    text = by_total.text
    assert text.index(small["number"]) < text.index(middle["number"]) < text.index(large["number"])
    assert others["number"] not in text
    assert 'aria-sort="ascending"' in text and "USD</td>" in text
    down = await browser.get("/orders", params={"sort": "total", "dir": "desc"}, headers=HTMX)
    assert down.text.index(large["number"]) < down.text.index(small["number"])

    found = await browser.get("/orders", params={"q": large["number"].lower()}, headers=HTMX)
    assert large["number"] in found.text and small["number"] not in found.text
    by_customer = await browser.get("/orders", params={"q": "harbor"}, headers=HTMX)
    assert 'data-testid="order-count">3 orders<' in by_customer.text
    future = await browser.get("/orders", params={"from": "2999-01-01"}, headers=HTMX)
    assert 'data-testid="order-count">0 orders<' in future.text

    export = await browser.get(
        "/orders/export.csv", params={"status": "confirmed", "sort": "total", "dir": "desc"}
    )
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    rows = _csv(export.text)
    assert [r["number"] for r in rows] == [large["number"], small["number"]]
    assert {r["currency"] for r in rows} == {"USD"} and rows[0]["customer"] == "Harbor View Bistro"
    everything = _csv((await browser.get("/orders/export.csv")).text)
    assert others["number"] not in {r["number"] for r in everything} and len(everything) == 3


async def test_table_refuses_an_unknown_sort_status_or_date(client, browser, db):
    await _shop(client, db)
    await _log_in(browser, "rep1@corp.test")
    for params, message in [
        ({"sort": "password"}, "cannot be sorted by"),
        ({"dir": "up"}, "Sort direction"),
        ({"status": "shipped-ish"}, "Unknown order status"),
        ({"from": "yesterday"}, "is a date like"),
    ]:
        answer = await browser.get("/orders", params=params)
        assert answer.status_code == 422 and message in answer.text, params
        export = await browser.get("/orders/export.csv", params=params)
        assert export.status_code == 422, params


async def test_quote_and_customer_tables_sort_filter_and_export_in_scope(client, browser, db):
    shop = await _shop(client, db)
    body = {"customer_id": shop.north["id"], "lines": [{"product_id": shop.widget, "quantity": 2}]}
    quote = (await client.post("/api/quotes", json=body, headers=shop.api["rep1"])).json()
    await _log_in(browser, "rep1@corp.test")

    quotes = await browser.get("/quotes", params={"sort": "number", "q": "harbor"})
    assert quotes.status_code == 200 and quote["number"] in quotes.text
    assert "20.00 USD" in quotes.text or "USD</td>" in quotes.text
    rows = _csv((await browser.get("/quotes/export.csv")).text)
    assert [r["number"] for r in rows] == [quote["number"]] and rows[0]["currency"] == "USD"

    customers = await browser.get("/customers", params={"sort": "city", "dir": "desc"})
    assert customers.status_code == 200 and 'aria-sort="descending"' in customers.text
    assert "Mission Street Kitchen" not in customers.text
    exported = _csv((await browser.get("/customers/export.csv", params={"q": "harbor"})).text)
    assert [r["legal_name"] for r in exported] == ["Harbor View Bistro"]
    refused = await browser.get("/customers", params={"status": "bankrupt"})
    assert refused.status_code == 422


async def test_times_are_shown_in_the_viewers_zone_with_its_name(client, browser, db):
    shop = await _shop(client, db)
    order = await _place(client, shop)
    await _log_in(browser, "rep1@corp.test")
    browser.cookies.set("tz", "Asia/Tokyo")
    page = await browser.get(f"/orders/{order['id']}")
    assert page.status_code == 200 and " JST" in page.text and "Times in Asia/Tokyo" in page.text
    browser.cookies.set("tz", "Not/AZone")
    page = await browser.get("/orders")
    assert "Times in UTC" in page.text and " UTC</td>" in page.text


async def _orders(db) -> int:
    async with db.read() as unit:
        return int(await unit.session.scalar(select(func.count()).select_from(SalesOrder)) or 0)


async def test_manager_places_an_order_from_the_desktop_form(client, browser, db):
    shop = await _shop(client, db)
    await _log_in(browser, "manager@corp.test")
    form = await browser.get("/orders/new")
    assert form.status_code == 200 and "Find a customer" in form.text
    picker = await browser.get("/entry/customers", params={"q": "harbor"})
    assert shop.north["id"] in picker.text

    line = {"product_id": shop.widget, "quantity": "4", "discount_percent": ""}
    picked = await browser.post(
        "/orders/new", data=_csrf(browser, pick_customer=shop.north["id"], **line)
    )
    assert picked.status_code == 200 and 'data-testid="picked-customer"' in picked.text
    assert "40.00 USD" in picked.text  # the server priced the line: 4 x 10.00
    totals = await browser.post(
        "/entry/totals", data=_csrf(browser, customer_id=shop.north["id"], **line), headers=HTMX
    )
    assert "40.00 USD" in totals.text and "<html" not in totals.text

    before = await _orders(db)
    bad = {**line, "quantity": "0"}
    refused = await browser.post(
        "/orders/new", data=_csrf(browser, customer_id=shop.north["id"], intent="place", **bad)
    )
    assert refused.status_code == 422 and 'data-testid="error"' in refused.text
    assert await _orders(db) == before

    placed = await browser.post(
        "/orders/new",
        data=_csrf(
            browser, customer_id=shop.north["id"], intent="place", po_number="DESK-1", **line
        ),
    )
    assert placed.status_code == 303 and placed.headers["location"].startswith("/orders/")
    order_id = placed.headers["location"].rsplit("/", 1)[1]
    async with db.read() as unit:
        order = await unit.session.get(SalesOrder, order_id)
    assert order is not None and order.number.startswith("SO-") and order.channel == "web"
    assert order.total_cents >= 4000 and order.po_number == "DESK-1"


async def test_reps_use_their_app_not_the_desktop_entry_form(client, browser, db):
    await _shop(client, db)
    await _log_in(browser, "rep1@corp.test")
    assert (await browser.get("/orders/new")).status_code == 403
    assert (await browser.get("/entry/customers")).status_code == 403


async def test_manager_creates_a_quote_from_the_desktop_form(client, browser, db):
    shop = await _shop(client, db)
    await _log_in(browser, "manager@corp.test")
    assert (await browser.get("/quotes/new")).status_code == 200
    line = {"product_id": shop.widget, "quantity": "2", "discount_percent": "5"}
    nothing = await browser.post("/quotes/new", data=_csrf(browser, intent="place", **line))
    assert nothing.status_code == 422 and "Pick a customer first." in nothing.text
    created = await browser.post(
        "/quotes/new",
        data=_csrf(browser, customer_id=shop.south["id"], intent="place", notes="desk", **line),
    )
    assert created.status_code == 303 and created.headers["location"].startswith("/quotes/")
    page = await browser.get(created.headers["location"])
    assert page.status_code == 200 and "Mission Street Kitchen" in page.text and "USD" in page.text


async def test_a_customer_outside_scope_cannot_be_picked_priced_or_ordered_for(client, browser, db):
    shop = await _shop(client, db)
    await _log_in(browser, "admin@corp.test")
    unknown = "00000000-0000-4000-8000-000000000000"
    line = {"product_id": shop.widget, "quantity": "1", "discount_percent": ""}
    totals = await browser.post(
        "/entry/totals", data=_csrf(browser, customer_id=unknown, **line), headers=HTMX
    )
    assert "Pick a customer to see prices." in totals.text
    before = await _orders(db)
    refused = await browser.post(
        "/orders/new", data=_csrf(browser, customer_id=unknown, intent="place", **line)
    )
    assert refused.status_code == 404 and "No such customer." in refused.text
    assert await _orders(db) == before


async def test_a_refused_line_is_shown_beside_the_row_it_came_from(client, browser, db):
    shop = await _shop(client, db)
    await _log_in(browser, "manager@corp.test")
    before = await _orders(db)
    # Row 1 left blank; row 2 at 60 % off is below the widget's floor price.
    fields = urlencode(
        [
            *_csrf(browser, customer_id=shop.north["id"], intent="place").items(),
            ("product_id", ""),
            ("quantity", ""),
            ("discount_percent", ""),
            ("product_id", shop.widget),
            ("quantity", "2"),
            ("discount_percent", "60"),
        ]
    )
    refused = await browser.post(
        "/orders/new",
        content=fields,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert refused.status_code == 422 and 'data-testid="error"' in refused.text
    text = refused.text
    row_error = text.index('data-testid="row-error"')
    assert text.index('id="product-2"') < row_error < text.index('id="quantity-2"')
    assert "below the floor price" in text[row_error : row_error + 200]
    assert await _orders(db) == before
