"""The back office ships part of a rep's order with a tracking number from the fulfilment
page and invoices it from the invoicing queue (desktop); the rep's phone, after a sync, shows
the shipment with its tracking link and the invoice with its open balance, also offline."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.app_helpers import (
    DEMO_PASSWORD,
    api_call,
    api_token,
    go_offline,
    go_online,
    login_to_app,
    wait_for_first_sync,
    wait_for_sync,
)
from tests.browser.conftest import screenshot

TRACKING = "1Z999AA10123456784"


def _confirmed_order(base: str, token: str) -> dict[str, Any]:
    """An order by rep1 of 3 units of a product in stock, confirmed with stock reserved."""
    _, customers = api_call(base, "GET", "/api/customers/?status=active&limit=10", token=token)
    for customer in customers["items"]:
        _, products = api_call(
            base,
            "GET",
            f"/api/products?active=true&limit=50&customer_id={customer['id']}",
            token=token,
        )
        for product in products["items"]:
            quantity = product["min_order_qty"] * 3
            if product["price"] is None or product["available"] < quantity:
                continue
            body = {
                "customer_id": customer["id"],
                "lines": [{"product_id": product["id"], "quantity": quantity}],
            }
            status, order = api_call(base, "POST", "/api/orders", body, token=token)
            if status == 201 and order["fulfilment_status"] == "allocated":
                return dict(order)
    raise AssertionError("no demo order could be placed and allocated in full")


def _admin_logs_in(page: Any) -> None:
    page.goto("/login?next=/admin/fulfilment")
    page.get_by_label("E-mail").fill("admin@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/admin/fulfilment$"))


def test_admin_ships_part_of_an_order_and_invoices_it_and_the_reps_phone_shows_both(
    chromium, phone, live_server
):
    order = _confirmed_order(live_server, api_token(live_server))
    number, line = order["number"], order["lines"][0]

    desk = chromium.new_context(base_url=live_server, viewport={"width": 1366, "height": 900})
    admin = desk.new_page()
    _admin_logs_in(admin)
    admin.get_by_label("Find an order (number or customer)").fill(number)
    admin.get_by_role("button", name="Find").click()
    # The search swaps the queue in place: wait for the filtered queue, or what is typed next
    # goes into the list being replaced.
    expect(admin).to_have_url(re.compile(rf".*[?&]q={number}(&|$)"))
    expect(admin.locator("[data-testid=queue-item]")).to_have_count(1)
    entry = admin.locator(f"[data-testid=queue-item][data-order='{number}']")
    expect(entry).to_be_visible()
    units = entry.get_by_label(f"Units of {line['sku']} to pack for {number}")
    expect(units).to_have_value(str(line["quantity"]))  # all that is reserved, by default
    units.fill(str(line["quantity"] - 1))
    entry.get_by_label("Carrier").fill("UPS")
    entry.get_by_label("Service").fill("Ground")
    entry.get_by_label("Tracking number").fill(TRACKING)
    entry.get_by_role("button", name=f"Ship {number}").click()
    notice = admin.locator(f"[data-testid=queue-item][data-order='{number}'] [data-testid=notice]")
    expect(notice).to_contain_text(re.compile(r"SH-\d+ shipped\."))
    shipment_number = notice.inner_text().split()[0]
    expect(admin.locator(f"[data-order='{number}']")).to_contain_text("partially shipped")
    screenshot(admin, "fulfilment-shipped")

    # Then invoices what left, from the invoicing queue.
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Invoicing").click()
    admin.get_by_role("button", name=f"Invoice {number}").click()
    invoiced = admin.get_by_role("status").filter(has_text="Invoiced:")
    expect(invoiced).to_contain_text(re.compile(r"INV-\d+"))
    invoice_number = re.search(r"INV-\d+", invoiced.inner_text()).group(0)  # type: ignore[union-attr]
    desk.close()

    login_to_app(phone)
    wait_for_first_sync(phone)
    phone.goto(f"/app/orders?id={order['id']}")
    shipments = phone.get_by_test_id("shipments")
    expect(shipments).to_contain_text(shipment_number)
    link = shipments.get_by_role("link", name=TRACKING)
    expect(link).to_have_attribute("href", f"https://www.ups.com/track?tracknum={TRACKING}")
    expect(shipments).to_contain_text(f"{line['quantity'] - 1} \u00d7")
    screenshot(phone, "app-order-shipment")
    invoices = phone.get_by_test_id("invoices")
    expect(invoices).to_contain_text(invoice_number)
    expect(invoices.get_by_test_id("balance")).to_contain_text("Open")

    # The shipment is kept on the phone: it shows with no signal too.
    go_offline(phone.context)
    phone.reload()
    expect(phone.get_by_test_id("shipments").get_by_role("link", name=TRACKING)).to_be_visible()
    expect(phone.get_by_test_id("invoices")).to_contain_text(invoice_number)
    go_online(phone.context)
    wait_for_sync(phone)
