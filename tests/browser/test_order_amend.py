"""The rep amends a placed order on the phone, offline, and sees the server's verdict."""

from __future__ import annotations

import re

from tests.browser.app_helpers import go_offline, go_online, wait_for_queued
from tests.browser.test_order_builder import (
    SYNC_TIMEOUT_MS,
    Api,
    open_app,
    orderable_products,
    plain_active_customer,
)


def test_offline_amendment_is_queued_then_applied_once_with_its_verdict(phone, live_server):
    rep = Api(live_server, "rep1@example.com")
    # given an order placed online for two of a product
    customer = plain_active_customer(rep, Api(live_server, "admin@example.com"), skip=1)
    product = orderable_products(rep, customer["id"])[0]
    order = rep.post(
        "/api/orders/",
        {"customer_id": customer["id"], "lines": [{"product_id": product["id"], "quantity": 2}]},
    )
    assert order["status"] == "confirmed", order
    open_app(phone, live_server)

    # when the phone is offline and the rep amends it from the order's page
    go_offline(phone.context)
    phone.goto(f"/app/orders?id={order['id']}")
    phone.get_by_role("link", name="Amend order").click()
    phone.locator("#builder-form:not([hidden])").wait_for()
    assert phone.locator("h1").inner_text() == f"Amend order {order['number']}"
    assert phone.locator("input.qty").first.input_value() == "2"
    phone.locator("input.qty").first.fill("3")
    phone.get_by_label("Notes").fill("One more, please")
    phone.get_by_role("button", name="Amend order").click()

    # then it waits on the order's page
    phone.wait_for_url(re.compile(r".*/app/orders\?id="))
    verdict = phone.get_by_test_id("amend-verdict")
    verdict.filter(has_text="Waiting to sync").wait_for()
    wait_for_queued(phone, 1)
    assert rep.get(f"/api/orders/{order['id']}")["revision"] == 1

    # when the connection comes back, the server amends it once and the page says so
    go_online(phone.context)
    verdict.filter(has_text="Accepted").wait_for(timeout=SYNC_TIMEOUT_MS)
    phone.get_by_test_id("revision").filter(has_text="2").wait_for(timeout=SYNC_TIMEOUT_MS)
    amended = rep.get(f"/api/orders/{order['id']}")
    assert amended["revision"] == 2 and amended["lines"][0]["quantity"] == 3
    assert amended["notes"] == "One more, please" and len(amended["revisions"]) == 1
