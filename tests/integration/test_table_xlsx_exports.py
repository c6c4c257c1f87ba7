"""The desktop tables export to XLSX as well as CSV: the same rows in the same order, with
the same filters, sort and scope; and every route of a table reads its query the same way
(one dependency), so the page and both exports refuse the same bad input."""

from __future__ import annotations

import csv
import io

from tests.integration.test_sales_pages import _log_in, _place, _shop
from tests.xlsx_reading import read_sheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def test_each_table_exports_the_same_rows_to_xlsx_as_to_csv(client, browser, db):
    shop = await _shop(client, db, stock=100)
    small = await _place(client, shop, quantity=1)
    large = await _place(client, shop, quantity=5)
    waiting = await _place(client, shop, quantity=3, discount="15")
    theirs = await _place(client, shop, "rep2", customer="south")
    body = {"customer_id": shop.north["id"], "lines": [{"product_id": shop.widget, "quantity": 2}]}
    quote = await client.post("/api/quotes", json=body, headers=shop.api["rep1"])
    assert quote.status_code == 201, quote.text
    await _log_in(browser, "rep1@corp.test")

    params = {"status": "confirmed", "sort": "total", "dir": "desc"}
    book = await browser.get("/orders/export.xlsx", params=params)
    assert book.status_code == 200 and book.headers["content-type"].startswith(XLSX)
    assert book.headers["content-disposition"] == 'attachment; filename="orders.xlsx"'
    sheet = read_sheet(book.content)
    assert sheet.name == "orders" and sheet.formulas == 0
    assert sheet.rows[0][:2] == ["number", "customer"]
    assert [r[0] for r in sheet.rows[1:]] == [large["number"], small["number"]]
    total = sheet.rows[0].index("total")
    expected = [o["totals"]["total_cents"] / 100 for o in (large, small)]
    assert [r[total] for r in sheet.rows[1:]] == expected  # amounts are numbers
    text = _csv_rows((await browser.get("/orders/export.csv", params=params)).text)
    assert [r[0] for r in text] == [str(c) for c in (r[0] for r in sheet.rows)]

    everything = read_sheet((await browser.get("/orders/export.xlsx")).content)
    numbers = {r[0] for r in everything.rows[1:]}
    assert numbers == {small["number"], large["number"], waiting["number"]}
    assert theirs["number"] not in numbers  # the other rep's territory

    quotes = read_sheet((await browser.get("/quotes/export.xlsx")).content)
    assert [r[0] for r in quotes.rows[1:]] == [quote.json()["number"]]
    customers = read_sheet(
        (await browser.get("/customers/export.xlsx", params={"q": "harbor"})).content
    )
    assert [r[1] for r in customers.rows[1:]] == ["Harbor View Bistro"]


async def test_every_route_of_a_table_refuses_the_same_bad_query(client, browser, db):
    await _shop(client, db)
    await _log_in(browser, "rep1@corp.test")
    bad = [
        {"sort": "password"},
        {"dir": "up"},
        {"status": "shipped-ish"},
        {"from": "yesterday"},
        {"q": "x" * 201},
        {"offset": "-1"},
    ]
    for table in ("orders", "quotes"):
        for path in (f"/{table}", f"/{table}/export.csv", f"/{table}/export.xlsx"):
            for params in bad:
                answer = await browser.get(path, params=params)
                assert 400 <= answer.status_code < 500, (path, params, answer.status_code)
    for path in ("/orders", "/orders/export.csv", "/orders/export.xlsx"):
        refused = await browser.get(path, params={"channel": "carrier-pigeon"})
        assert refused.status_code == 422, path
    for path in ("/customers", "/customers/export.csv", "/customers/export.xlsx"):
        refused = await browser.get(path, params={"status": "bankrupt"})
        assert refused.status_code == 422, path
