"""The back office's billing pages in a browser session: invoicing queue, receivables,
invoice detail with a payment, and the printable invoice."""

from __future__ import annotations

import httpx

from tests.billing_factories import open_shop, place, ship
from tests.factories import PASSWORD

HTMX = {"hx-request": "true"}


async def _log_in(browser: httpx.AsyncClient, email: str) -> None:
    await browser.get("/login")
    response = await browser.post(
        "/login",
        data={
            "email": email,
            "password": PASSWORD,
            "next": "/",
            "_csrf_token": browser.cookies.get("fs_csrf") or "",
        },
    )
    assert response.status_code == 303, response.text


def _csrf(browser: httpx.AsyncClient, **fields: str) -> dict[str, str]:
    return {"_csrf_token": browser.cookies.get("fs_csrf") or "", **fields}


async def test_the_back_office_invoices_from_the_queue_and_records_a_payment(client, browser, db):
    shop = await open_shop(client, db)
    first = await place(client, shop, {shop.odd: 3}, shipping_cents=500)
    second = await place(client, shop, {shop.even: 1})
    for order in (first, second):
        await ship(client, shop, order, {order["lines"][0]["id"]: 1})
    await _log_in(browser, "admin@corp.test")

    queue = await browser.get("/billing/queue")
    assert queue.status_code == 200
    assert first["number"] in queue.text and second["number"] in queue.text
    row = await browser.post(
        f"/billing/orders/{first['id']}/invoice", data=_csrf(browser), headers=HTMX
    )
    assert row.status_code == 200 and "INV-" in row.text
    ran = await browser.post("/billing/invoicing/run", data=_csrf(browser))
    assert ran.status_code == 200
    assert "Invoiced 1 orders" in ran.text
    assert "Nothing shipped is waiting" in ran.text

    invoices = (await client.get("/api/invoices", headers=shop.admin)).json()["items"]
    assert len(invoices) == 2
    target = next(i for i in invoices if i["order_id"] == first["id"])
    receivables = await browser.get("/billing/receivables")
    assert receivables.status_code == 200 and target["number"] in receivables.text

    refused = await browser.post(
        "/billing/payments",
        data=_csrf(browser, invoice_id=target["id"], amount="abc", method="card"),
    )
    assert refused.status_code == 422 and "as a number" in refused.text
    paid = await browser.post(
        f"/billing/invoices/{target['id']}/payment",
        data=_csrf(
            browser,
            invoice_id=target["id"],
            amount=f"{target['balance_cents'] / 100:.2f}",
            method="cheque",
            reference="CHQ 1001",
        ),
    )
    assert paid.status_code == 303, paid.text
    page = await browser.get(f"/billing/invoices/{target['id']}")
    assert "CHQ 1001" in page.text and ">paid<" in page.text

    printed = await browser.get(f"/invoices/{target['id']}/print")
    assert printed.status_code == 200
    assert "/static/invoice-print.css" in printed.text and target["number"] in printed.text
    # A stylesheet of its own: the pages' Content-Security-Policy refuses inline styles.
    assert "@page" in (await browser.get("/static/invoice-print.css")).text
    assert "Harbor Hardware" in printed.text and 'data-testid="payment-status">paid' in printed.text


async def test_billing_pages_are_the_back_offices_and_the_print_follows_the_order_scope(
    client, browser, db
):
    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.even: 1})
    shipment = await ship(client, shop, order, {order["lines"][0]["id"]: 1})
    invoice = (await client.post(f"/api/shipments/{shipment}/invoice", headers=shop.admin)).json()
    await _log_in(browser, "rep1@corp.test")
    for path in ("/billing/queue", "/billing/receivables", "/billing/invoices"):
        assert (await browser.get(path)).status_code == 403
    printed = await browser.get(f"/invoices/{invoice['invoice']['id']}/print")
    assert printed.status_code == 200 and invoice["invoice"]["number"] in printed.text

    other = httpx.AsyncClient(transport=browser._transport, base_url="http://testserver")
    async with other:
        await _log_in(other, "rep2@corp.test")
        hidden = await other.get(f"/invoices/{invoice['invoice']['id']}/print")
        assert hidden.status_code == 404
