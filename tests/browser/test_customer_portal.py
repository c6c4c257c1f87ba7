"""A customer opens a portal link on a phone: the token leaves the address bar, the
order's timeline shows its shipment with the carrier's tracking link, the invoice prints,
and a sent quote is accepted by typing a name; no console error on the way."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser.app_helpers import api_call, api_token
from tests.browser.conftest import screenshot

TRACKING = "1Z999AA10123456785"


def _shipped_order_and_sent_quote(base: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """An order by rep1, shipped in full by UPS, and a sent quote for the same customer."""
    rep = api_token(base)
    admin = api_token(base, "admin@example.com")
    _, customers = api_call(base, "GET", "/api/customers/?status=active&limit=10", token=rep)
    for customer in customers["items"]:
        _, products = api_call(
            base,
            "GET",
            f"/api/products?active=true&limit=50&customer_id={customer['id']}",
            token=rep,
        )
        for product in products["items"]:
            quantity = product["min_order_qty"] * 2
            if product["price"] is None or product["available"] < quantity:
                continue
            lines = [{"product_id": product["id"], "quantity": quantity}]
            body = {"customer_id": customer["id"], "lines": lines}
            status, order = api_call(base, "POST", "/api/orders", body, token=rep)
            if status != 201 or order["fulfilment_status"] != "allocated":
                continue
            _, picks = api_call(base, "GET", "/api/fulfilment/pick-lists", token=admin)
            [warehouse] = [
                p["warehouse_id"]
                for p in picks
                if any(line["order_id"] == order["id"] for line in p["lines"])
            ]
            status, shipped = api_call(
                base,
                "POST",
                f"/api/orders/{order['id']}/shipments",
                {"warehouse_id": warehouse, "carrier": "UPS", "tracking_number": TRACKING},
                token=admin,
            )
            assert status == 201, shipped
            status, invoiced = api_call(
                base, "POST", f"/api/shipments/{shipped['id']}/invoice", token=admin
            )
            assert status == 201, invoiced
            status, quote = api_call(base, "POST", "/api/quotes", body, token=rep)
            assert status == 201, quote
            status, quote = api_call(base, "POST", f"/api/quotes/{quote['id']}/send", token=rep)
            assert status == 200, quote
            return dict(order), dict(quote)
    raise AssertionError("no demo order could be placed and allocated in full")


def test_a_customer_follows_an_order_and_accepts_a_quote_from_a_portal_link(phone, live_server):
    order, quote = _shipped_order_and_sent_quote(live_server)
    status, created = api_call(
        live_server,
        "POST",
        "/api/portal-links",
        {"customer_id": order["customer_id"]},
        token=api_token(live_server),
    )
    assert status == 201, created
    token = urlsplit(created["url"]).path.rsplit("/", 1)[1]

    page: Any = phone
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(urlsplit(created["url"]).path)
    # The token is gone from the address bar: the browser landed on the clean URL.
    page.wait_for_url(re.compile(r".*/p/$"))
    assert token not in page.url
    expect(page.get_by_test_id("orders")).to_contain_text(order["number"])
    expect(page.get_by_test_id("quotes")).to_contain_text(quote["number"])
    screenshot(page, "portal-home-phone")

    page.get_by_role("link", name=order["number"]).click()
    page.wait_for_url(re.compile(rf".*/p/orders/{order['id']}$"))
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Order placed")
    expect(timeline).to_contain_text("Order confirmed")
    expect(timeline).to_contain_text(TRACKING)
    tracking = page.get_by_test_id("tracking-link").first
    expect(tracking).to_have_attribute("href", f"https://www.ups.com/track?tracknum={TRACKING}")
    screenshot(page, "portal-order-timeline-phone")

    # The printable invoice, styled by its own stylesheet under the pages' CSP.
    page.get_by_role("link", name="View or print the invoice").click()
    page.wait_for_url(re.compile(r".*/p/invoices/[^/]+/print$"))
    expect(page.get_by_test_id("balance")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.sheet')).backgroundColor") == (
        "rgb(255, 255, 255)"
    )
    screenshot(page, "portal-invoice-print-phone")
    page.get_by_role("link", name="Back").click()
    page.wait_for_url(re.compile(rf".*/p/orders/{order['id']}$"))

    page.get_by_role("link", name="All your orders and quotes").click()
    page.get_by_role("link", name=quote["number"]).click()
    page.wait_for_url(re.compile(rf".*/p/quotes/{quote['id']}$"))
    page.get_by_label("Type your full name to sign").fill("Dana Buyer")
    screenshot(page, "portal-quote-before-accepting-phone")
    page.get_by_role("button", name="Accept quote").click()
    expect(page.get_by_test_id("quote-status")).to_contain_text("You accepted this quote")
    screenshot(page, "portal-quote-accepted-phone")

    _, after = api_call(
        live_server, "GET", f"/api/quotes/{quote['id']}", token=api_token(live_server)
    )
    assert after["status"] == "accepted"
    assert errors == []
