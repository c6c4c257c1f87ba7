"""The rep's quote and order builder in real Chromium on a phone, against a live server.

The server's side is checked through its JSON API with a bearer token, never through the
page under test: "exactly one order" means the server holds one, not that the page says so.
"""

from __future__ import annotations

import re
import time
import urllib.parse
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from tests.browser.app_helpers import (
    api_call,
    customers_named,
    go_offline,
    go_online,
    login_to_app,
    wait_for_first_sync,
    wait_for_queued,
)
from tests.browser.conftest import screenshot

SYNC_TIMEOUT_MS = 30_000
_TOKENS: dict[tuple[str, str], str] = {}


# --- the server, through its API ------------------------------------------------------------


def token_for(base: str, email: str) -> str:
    """One API login per user and server: logins are rate limited per minute."""
    key = (base, email)
    for _ in range(30):
        if key in _TOKENS:
            break
        credentials = {"email": email, "password": "demo1234"}
        status, body = api_call(base, "POST", "/api/auth/login", credentials)
        if status == 429:
            time.sleep(3)
            continue
        assert status == 200, body
        _TOKENS[key] = body["access_token"]
    return _TOKENS[key]


class Api:
    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.token = token_for(base, email)

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = api_call(self.base, method, path, body, token=self.token)
        assert 200 <= status < 300, (status, answer)
        return answer

    def get(self, path: str, **query: Any) -> Any:
        return self._call("GET", path + ("?" + urllib.parse.urlencode(query) if query else ""))

    def post(self, path: str, body: Any) -> Any:
        return self._call("POST", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self._call("PATCH", path, body)


def contract_customer_ids(admin: Api) -> set[str]:
    lists = admin.get("/api/price-lists/", kind="customer")
    return {pl["customer_id"] for pl in lists if pl.get("customer_id")}


def plain_active_customer(rep: Api, admin: Api, skip: int = 0) -> dict[str, Any]:
    """An active customer of the rep on base prices: no tier list, no contract of its own, so
    a discount stays above floor prices and a new contract list decides its price."""
    contracts = contract_customer_ids(admin)
    plain = []
    for summary in rep.get("/api/customers/", status="active", limit=50)["items"]:
        customer = rep.get(f"/api/customers/{summary['id']}")
        if customer["id"] not in contracts and customer["price_list_id"] is None:
            plain.append(customer)
        if len(plain) > skip:
            return plain[skip]
    raise AssertionError("the demo data has too few customers on base prices")


def orderable_products(rep: Api, customer_id: str) -> list[dict[str, Any]]:
    page = rep.get("/api/products/", active="true", customer_id=customer_id, limit=200)
    return [p for p in page["items"] if p["available"] > 0 and p["price"] is not None]


# --- the phone ------------------------------------------------------------------------------


def open_app(page, base: str, email: str = "rep1@example.com") -> None:
    """Signed in with the API's token as the session cookie (the login form has its own test
    and logins are rate limited), then the first sync."""
    page.context.add_cookies(
        [
            {
                "name": "fs_access",
                "value": token_for(base, email),
                "url": base,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )
    page.goto("/app")
    wait_for_first_sync(page, SYNC_TIMEOUT_MS)


def open_builder(page, customer_id: str, mode: str = "orders") -> None:
    page.goto(f"/app/{mode}/new?customer_id={customer_id}")
    page.locator("#builder-form:not([hidden])").wait_for()


def add_product(page, sku: str) -> None:
    page.get_by_label("Add a product").fill(sku)
    page.locator("#product-results button:not([disabled])").first.click()


def outbox_item(page, label: str):
    return page.locator(".outbox-item", has_text=label)


def cents(text: str) -> int:
    return int(re.sub(r"[^0-9]", "", text))


# --- tests ----------------------------------------------------------------------------------


def test_offline_onboarding_and_order_sync_to_exactly_one_of_each(phone, live_server):
    rep = Api(live_server, "rep1@example.com")
    context = phone.context
    # given a rep who logged in and whose phone has pulled its data
    login_to_app(phone)
    wait_for_first_sync(phone, SYNC_TIMEOUT_MS)
    known = rep.get("/api/customers/", status="active", limit=1)["items"][0]

    # when the phone loses its connection and the app is reloaded
    go_offline(context)
    phone.reload()
    phone.locator("#net-state[data-state='offline']").wait_for()

    # then a customer is found in the phone's store
    phone.goto("/app/customers")
    phone.get_by_label(re.compile("Search by name")).fill(known["legal_name"].split()[0])
    phone.locator("#customer-results", has_text=known["legal_name"]).wait_for()

    # when the rep onboards a new customer, ready to order
    name = f"Harbor Deli {uuid.uuid4().hex[:6]}"
    phone.goto("/app/customers/new")
    phone.get_by_label(re.compile("^Legal name")).fill(name)
    phone.get_by_label("City").fill("Seattle")
    phone.get_by_label("State").fill("WA")
    phone.get_by_label("Postal code").fill("98101")
    phone.get_by_label("Status").select_option("active")
    phone.get_by_role("button", name="Create customer").click()
    phone.wait_for_url(re.compile(r".*/app/customers/view\?id="))
    customer_id = urllib.parse.parse_qs(urllib.parse.urlparse(phone.url).query)["id"][0]

    # and builds an order for it from the customer's page
    phone.get_by_role("link", name="New order").click()
    phone.locator("#builder-form:not([hidden])").wait_for()
    assert phone.locator("#customer-name").inner_text() == name
    assert phone.locator("#customer-number").inner_text() == "new, waiting to sync"
    products = orderable_products(rep, known["id"])[:2]
    for product in products:
        add_product(phone, product["sku"])
    phone.locator("input.disc").first.fill("5")
    phone.get_by_label("Order discount %").fill("2.5")
    phone.get_by_label("Shipping").fill("9.95")
    phone.get_by_label("Customer's PO number").fill("PO-77")
    phone_total = cents(phone.locator("#grand-total").inner_text())
    screenshot(phone, "order-builder-offline")
    phone.get_by_role("button", name="Place order").click()

    # then both wait in the outbox
    phone.wait_for_url(re.compile(r".*/app/outbox"))
    order_row = outbox_item(phone, f"Order for {name}")
    customer_row = outbox_item(phone, f"New customer {name}")
    assert order_row.get_attribute("data-state") == "queued"
    assert customer_row.get_attribute("data-state") == "queued"
    wait_for_queued(phone, 2)
    screenshot(phone, "outbox-waiting")

    # when the connection comes back
    go_online(context)

    # then within seconds both carry the server's numbers
    customer_number = customer_row.locator(".number", has_text=re.compile(r"^C-\d+"))
    customer_number.wait_for(timeout=SYNC_TIMEOUT_MS)
    order_row.locator(".number", has_text=re.compile(r"^SO-\d+")).wait_for(timeout=SYNC_TIMEOUT_MS)
    so_number = order_row.locator(".number").inner_text()
    screenshot(phone, "outbox-synced")

    # and the server holds exactly one of each, the order for the new customer at the phone's total
    assert [c["id"] for c in customers_named(live_server, rep.token, name)] == [customer_id]
    orders = rep.get("/api/orders/", customer_id=customer_id)["items"]
    assert [o["number"] for o in orders] == [so_number]
    order = rep.get(f"/api/orders/{orders[0]['id']}")
    assert order["po_number"] == "PO-77"
    assert order["totals"]["total_cents"] == phone_total
    assert order["totals_mismatch"] is None


def test_an_order_for_a_product_withdrawn_after_the_pull_shows_the_servers_reason(
    phone, live_server
):
    rep = Api(live_server, "rep1@example.com")
    admin = Api(live_server, "admin@example.com")
    customer = plain_active_customer(rep, admin, skip=1)
    product = orderable_products(rep, customer["id"])[5]
    orders_before = rep.get("/api/orders/", customer_id=customer["id"])["total"]
    open_app(phone, live_server)
    # given the phone is offline and the product is withdrawn on the server after its pull
    go_offline(phone.context)
    admin.patch(f"/api/products/{product['id']}", {"active": False})
    try:
        # when the rep orders it anyway (the phone still lists it) and the connection returns
        open_builder(phone, customer["id"])
        add_product(phone, product["sku"])
        phone.get_by_role("button", name="Place order").click()
        phone.wait_for_url(re.compile(r".*/app/outbox"))
        go_online(phone.context)

        # then the order shows as rejected with the server's reason and what to do
        row = outbox_item(phone, "Order for").first
        row.locator(".reason").wait_for(timeout=SYNC_TIMEOUT_MS)
        assert row.get_attribute("data-verdict") == "rejected"
        assert "no longer sold" in row.locator(".reason").inner_text()
        assert row.get_by_text("What you can do").is_visible()
        screenshot(phone, "outbox-rejected")
        # and the server placed nothing
        assert rep.get("/api/orders/", customer_id=customer["id"])["total"] == orders_before
    finally:
        admin.patch(f"/api/products/{product['id']}", {"active": True})


def test_an_order_repriced_by_the_server_shows_both_totals(phone, live_server):
    rep = Api(live_server, "rep1@example.com")
    admin = Api(live_server, "admin@example.com")
    customer = plain_active_customer(rep, admin, skip=2)
    product = orderable_products(rep, customer["id"])[3]
    open_app(phone, live_server)
    # given the phone is offline, and after its pull the customer gets a contract price
    go_offline(phone.context)
    new_price = product["price"]["unit_price_cents"] + 1000
    admin.post(
        "/api/price-lists/",
        {
            "code": f"C-{uuid.uuid4().hex[:8].upper()}",
            "name": "Contract",
            "kind": "customer",
            "customer_id": customer["id"],
            "valid_from": date.today().isoformat(),
            "items": [{"product_id": product["id"], "unit_price_cents": new_price}],
        },
    )
    # when the rep orders at the price the phone knows and syncs
    open_builder(phone, customer["id"])
    add_product(phone, product["sku"])
    phone_total = cents(phone.locator("#grand-total").inner_text())
    phone.get_by_role("button", name="Place order").click()
    phone.wait_for_url(re.compile(r".*/app/outbox"))
    go_online(phone.context)

    # then the outbox shows the phone's total and the server's total side by side
    row = outbox_item(phone, "Order for").first
    repriced = row.locator(".repriced")
    repriced.wait_for(timeout=SYNC_TIMEOUT_MS)
    order = rep.get("/api/orders/", customer_id=customer["id"])["items"][0]
    assert order["total_cents"] > phone_total
    text = repriced.inner_text()
    assert f"{phone_total / 100:,.2f}" in text and f"{order['total_cents'] / 100:,.2f}" in text
    screenshot(phone, "outbox-repriced")


def test_the_quantity_stepper_moves_in_whole_packs_from_the_minimum(phone, live_server):
    rep = Api(live_server, "rep1@example.com")
    customer = rep.get("/api/customers/", status="active", limit=1)["items"][0]
    packed = next(p for p in orderable_products(rep, customer["id"]) if p["pack_size"] > 1)
    pack = packed["pack_size"]
    minimum = -(-max(packed["min_order_qty"], 1) // pack) * pack  # whole packs, >= the minimum
    open_app(phone, live_server)
    open_builder(phone, customer["id"])
    # when the rep adds a product sold in packs
    add_product(phone, packed["sku"])
    quantity = phone.locator("input.qty").first
    more = phone.get_by_role("button", name=f"More {packed['name']}")
    fewer = phone.get_by_role("button", name=f"Fewer {packed['name']}")
    # then the line starts at the minimum, and steps by whole packs, never below it
    assert int(quantity.input_value()) == minimum
    more.click()
    more.click()
    assert int(quantity.input_value()) == minimum + 2 * pack
    fewer.click()
    fewer.click()
    fewer.click()
    assert int(quantity.input_value()) == minimum
    # and the steppers are big enough for a thumb
    box = more.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    # and a quantity typed off the pack size is flagged before anything is sent
    quantity.fill(str(minimum + 1))
    assert "not a multiple" in phone.locator("#problems").inner_text()
    assert phone.get_by_role("button", name="Place order").is_disabled()
    screenshot(phone, "order-builder-stepper")


def test_a_discount_above_the_reps_limit_warns_that_it_needs_approval(phone, live_server):
    rep = Api(live_server, "rep1@example.com")
    admin = Api(live_server, "admin@example.com")
    assert rep.get("/api/auth/me")["discount_limit_percent"] == "10.00"  # the phone learns it here
    customer = plain_active_customer(rep, admin, skip=3)
    product = orderable_products(rep, customer["id"])[0]
    open_app(phone, live_server)
    # given the phone is offline: the limit must already be on it
    go_offline(phone.context)
    open_builder(phone, customer["id"])
    add_product(phone, product["sku"])
    warning = phone.locator("#approval-warning")
    discount = phone.get_by_label("Line discount %")
    # a discount within the limit: no warning
    discount.fill("5")
    assert warning.is_hidden()
    # above it: a visible warning naming the limit
    discount.fill("12.5")
    assert warning.is_visible()
    assert "Needs approval" in warning.inner_text() and "10.00%" in warning.inner_text()
    screenshot(phone, "order-builder-approval-warning")
    # an order discount counts too
    discount.fill("")
    phone.get_by_label("Order discount %").fill("11")
    assert warning.is_visible()
    phone.get_by_label("Order discount %").fill("0")
    assert warning.is_hidden()
    # and the server agrees: submitted and synced, the order waits for approval
    phone.get_by_label("Order discount %").fill("15")
    phone.get_by_role("button", name="Place order").click()
    phone.wait_for_url(re.compile(r".*/app/outbox"))
    go_online(phone.context)
    waiting = phone.locator(".outbox-item[data-verdict='approval']", has_text="Order for")
    waiting.wait_for(timeout=SYNC_TIMEOUT_MS)
    assert re.match(r"^SO-\d+", waiting.locator(".number").inner_text())
    pending = rep.get("/api/orders/", customer_id=customer["id"], status="pending_approval")
    order = pending["items"][0]
    assert order["number"] == waiting.locator(".number").inner_text()


def test_a_quote_built_offline_is_saved_and_sent_with_its_server_number(phone, live_server):
    rep = Api(live_server, "rep1@example.com")
    admin = Api(live_server, "admin@example.com")
    customer = plain_active_customer(rep, admin, skip=4)
    product = orderable_products(rep, customer["id"])[1]
    open_app(phone, live_server)
    # given the phone is offline
    go_offline(phone.context)
    # when the rep builds a quote with a discount above their order limit and sends it
    open_builder(phone, customer["id"], mode="quotes")
    assert phone.get_by_role("heading", name="New quote").is_visible()
    add_product(phone, product["sku"])
    phone.get_by_label("Line discount %").fill("12.5")
    assert phone.locator("#approval-warning").is_hidden()  # approval limits are for orders
    phone_total = cents(phone.locator("#grand-total").inner_text())
    phone.get_by_label("Send to the customer now").check()
    phone.get_by_role("button", name="Save quote").click()
    phone.wait_for_url(re.compile(r".*/app/outbox"))
    wait_for_queued(phone, 2)
    go_online(phone.context)

    # then the saved quote gets its Q- number, and the server holds it sent at the phone's total
    saved = phone.locator(".outbox-item[data-verdict='accepted']", has_text="Quote for")
    saved.locator(".number").wait_for(timeout=SYNC_TIMEOUT_MS)
    sent = phone.locator(".outbox-item[data-verdict='accepted']", has_text="Send quote to")
    sent.wait_for(timeout=SYNC_TIMEOUT_MS)
    number = saved.locator(".number").inner_text()
    assert re.match(r"^Q-\d+$", number)
    quotes = rep.get("/api/quotes/", customer_id=customer["id"])
    quotes = [q for q in quotes if q["number"] == number]
    assert len(quotes) == 1
    assert quotes[0]["status"] == "sent"
    assert quotes[0]["totals"]["total_cents"] == phone_total


def test_both_builders_have_no_serious_accessibility_violations(phone, live_server):
    rep = Api(live_server, "rep1@example.com")
    customer = rep.get("/api/customers/", status="active", limit=1)["items"][0]
    product = orderable_products(rep, customer["id"])[0]
    axe = (Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js").read_text("utf-8")
    open_app(phone, live_server)
    for mode in ("orders", "quotes"):
        # given a builder with a line, a discount and its warning showing
        open_builder(phone, customer["id"], mode=mode)
        add_product(phone, product["sku"])
        phone.get_by_label("Line discount %").fill("12.5")
        # when axe checks the page (evaluated through DevTools: the app's CSP stays on)
        phone.evaluate(axe)
        violations = phone.evaluate(
            "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')))"
        )
        # then nothing serious or critical, and nothing wider than the phone
        assert violations == [], f"{mode}: {violations}"
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        screenshot(phone, f"app-{mode}-new")


def test_an_order_over_the_customers_credit_limit_warns_of_a_credit_hold(phone, live_server):
    rep = Api(live_server, "rep1@example.com")
    admin = Api(live_server, "admin@example.com")
    customer = plain_active_customer(rep, admin, skip=5)
    product = orderable_products(rep, customer["id"])[2]
    # given a customer whose agreed credit is one dollar, as the phone has pulled it
    admin.patch(
        f"/api/customers/{customer['id']}",
        {"base_version": customer["version"], "credit_limit_cents": 100},
    )
    open_app(phone, live_server)
    # when the rep builds an order above it
    open_builder(phone, customer["id"])
    add_product(phone, product["sku"])
    # then the builder warns that it will wait for credit, and the server agrees
    warning = phone.locator("#credit-warning")
    assert warning.is_visible() and "credit limit" in warning.inner_text()
    phone.get_by_role("button", name="Place order").click()
    phone.wait_for_url(re.compile(r".*/app/outbox"))
    held = phone.locator(".outbox-item[data-verdict='approval']", has_text="Order for")
    held.wait_for(timeout=SYNC_TIMEOUT_MS)
    orders = rep.get("/api/orders/", customer_id=customer["id"], status="credit_hold")["items"]
    assert [o["number"] for o in orders] == [held.locator(".number").inner_text()]


def test_an_order_for_an_offline_customer_rejected_at_sync_is_rejected_with_it(phone, live_server):
    rep = Api(live_server, "rep1@example.com")
    customer = rep.get("/api/customers/", status="active", limit=1)["items"][0]
    product = orderable_products(rep, customer["id"])[4]
    # given a customer the server already has
    name = f"Pike Place Roasters {uuid.uuid4().hex[:6]}"
    address = {"country": "US", "state": "WA", "city": "Seattle", "postal_code": "98101"}
    existing = rep.post(
        "/api/customers/", {"legal_name": name, "billing_address": address, "status": "active"}
    )
    open_app(phone, live_server)
    # when, offline, the rep onboards it again (same name and postal code) and orders for it
    go_offline(phone.context)
    phone.goto("/app/customers/new")
    phone.get_by_label(re.compile("^Legal name")).fill(name)
    phone.get_by_label("City").fill(address["city"])
    phone.get_by_label("State").fill(address["state"])
    phone.get_by_label("Postal code").fill(address["postal_code"])
    phone.get_by_label("Status").select_option("active")
    phone.get_by_role("button", name="Create customer").click()
    phone.wait_for_url(re.compile(r".*/app/customers/view\?id="))
    duplicate_id = urllib.parse.parse_qs(urllib.parse.urlparse(phone.url).query)["id"][0]
    open_builder(phone, duplicate_id)
    add_product(phone, product["sku"])
    phone.get_by_role("button", name="Place order").click()
    phone.wait_for_url(re.compile(r".*/app/outbox"))
    # and the connection returns
    go_online(phone.context)
    # then the customer is refused as a likely duplicate, and the order relying on it too
    order_row = phone.locator(".outbox-item[data-verdict='rejected']", has_text="Order for")
    order_row.wait_for(timeout=SYNC_TIMEOUT_MS)
    customer_row = outbox_item(phone, f"New customer {name}")
    assert customer_row.get_attribute("data-verdict") == "rejected"
    assert "earlier change" in order_row.inner_text()  # what the rep can do about it
    screenshot(phone, "outbox-dependency-rejected")
    # and the server created neither
    assert [c["id"] for c in customers_named(live_server, rep.token, name)] == [existing["id"]]
    assert rep.get("/api/orders/", customer_id=duplicate_id)["total"] == 0
