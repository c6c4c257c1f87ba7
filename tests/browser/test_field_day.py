"""A whole day in the field on a Pixel 7: what used to break, each pinned down."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.app_helpers import (
    api_call,
    api_token,
    customers_named,
    existing_customer,
    go_offline,
    go_online,
    login_to_app,
    order_waiting_for_approval,
    wait_for_first_sync,
    wait_for_queued,
    wait_until,
)
from tests.browser.conftest import screenshot

AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
PIXEL_7 = {"width": 412, "height": 915}
NARROWEST = {"width": 320, "height": 720}
TAP = 44


@pytest.fixture
def pixel(chromium: Any, live_server: str) -> Iterator[Any]:
    context = chromium.new_context(
        viewport=PIXEL_7, base_url=live_server, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    yield page
    context.close()


def _store(page: Any, call: str) -> Any:
    """Reads the phone's own store through its module (the app's CSP forbids eval)."""
    return page.evaluate(f"import('/static/js/store.js').then((s) => s.{call})")


def _customer_with_long_values(base: str) -> None:
    """A customer as long as real ones get: a 70-character e-mail address, long names with
    no space to break at, a long street."""
    body = {
        "legal_name": "Kensington-Wolverhampton Refrigeration & Catering Supplies Incorporated",
        "confirm_new": True,
        "billing_address": {
            "country": "US",
            "state": "WA",
            "city": "Tacoma",
            "postal_code": "98402",
            "street": "12345 South Martin-Luther-King-Junior-Boulevard, Building 7, Suite 1200",
        },
        "contacts": [
            {
                "name": "Maximiliana Alexandrovna Featherstonehaugh-Wolverhampton",
                "role": "Accounts payable and purchasing coordinator",
                "email": "accounts.payable.and.purchasing@kensington-wolverhampton-refrigeration.test",
                "phone": "+1 (253) 555-0100",
            }
        ],
    }
    status, answer = api_call(base, "POST", "/api/customers", body, token=api_token(base))
    assert status == 201, answer


def _longest_values(page: Any) -> tuple[str, str]:
    """The customer with the longest contact e-mail on this phone, and one of its orders'
    ids (or "" when it has none)."""
    customers = _store(page, "allEntities('customer')")
    longest = max(
        customers,
        key=lambda c: max([len(p.get("email") or "") for p in c.get("contacts") or []] + [0]),
    )
    orders = _store(page, "allEntities('order')")
    mine = [o["id"] for o in orders if o["customer_id"] == longest["id"]]
    any_order = str(orders[0]["id"]) if orders else ""
    return str(longest["id"]), (mine[0] if mine else any_order)


def _axe_violations(page: Any) -> list[str]:
    """Serious and critical axe-core findings on the page as it is now."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return list(
        page.evaluate(
            "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))"
        )
    )


def _scrolls_sideways(page: Any) -> bool:
    # The layout viewport (clientWidth): on a phone the browser zooms out to show content
    # wider than the screen, so window.innerWidth grows with it and hides the overflow.
    return bool(
        page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    )


def test_no_app_page_scrolls_sideways_at_320_px_with_the_longest_demo_values(pixel, live_server):
    order_waiting_for_approval(live_server, api_token(live_server))
    _customer_with_long_values(live_server)
    login_to_app(pixel)
    wait_for_first_sync(pixel)
    customer_id, order_id = _longest_values(pixel)
    pages = [
        "/app",
        "/app/customers",
        f"/app/customers/view?id={customer_id}",
        "/app/customers/new",
        f"/app/catalog?customer_id={customer_id}",
        "/app/orders",
        f"/app/orders?id={order_id}",
        "/app/outbox",
        f"/app/orders/new?customer_id={customer_id}",
        f"/app/quotes/new?customer_id={customer_id}",
    ]
    wide = []
    for size in (PIXEL_7, NARROWEST):
        pixel.set_viewport_size(size)
        for path in pages:
            pixel.goto(path)
            pixel.wait_for_load_state("networkidle")
            if _scrolls_sideways(pixel):
                wide.append((size["width"], path))
                screenshot(pixel, f"reflow-{size['width']}-{len(wide)}")
    assert wide == []
    pixel.goto(f"/app/customers/view?id={customer_id}")
    expect(pixel.locator(".bottom-nav")).to_be_in_viewport()
    screenshot(pixel, "reflow-customer-320")


def _box(locator: Any) -> dict[str, float]:
    """The element's box; the pages re-render as sync data arrives, so a box taken while
    the element is being replaced is taken again."""
    for _ in range(20):
        locator.wait_for(state="visible")
        box = locator.bounding_box()
        if box is not None:
            return dict(box)
        time.sleep(0.1)
    raise AssertionError(f"no box for {locator}")


def _height(page: Any, selector: str) -> float:
    box = _box(page.locator(selector).first)
    return float(min(box["height"], box["width"]))


def test_touch_targets_are_at_least_44_px(pixel, live_server):
    order_waiting_for_approval(live_server, api_token(live_server))
    login_to_app(pixel)
    wait_for_first_sync(pixel)
    customer_id, order_id = _longest_values(pixel)
    small = {}
    pixel.goto("/app")
    pixel.locator("#home-queued").wait_for()
    small["home changes link"] = _height(pixel, "#home-queued")
    pixel.goto(f"/app/quotes/new?customer_id={customer_id}")
    pixel.locator("#customer-change").wait_for()
    small["change customer"] = _height(pixel, "#customer-change")
    small["send now"] = _height(pixel, "label.check:has(#send-now)")
    pixel.goto(f"/app/orders?id={order_id}")
    link = "#main a[href^='/app/customers/view']"
    pixel.locator(link).first.wait_for()
    small["customer link on an order"] = _height(pixel, link)
    assert {name: h for name, h in small.items() if h < TAP} == {}


def test_an_offline_start_makes_no_request_bound_to_fail(pixel):
    login_to_app(pixel)
    wait_for_first_sync(pixel)
    go_offline(pixel.context)
    failed: list[str] = []
    pixel.on("requestfailed", lambda r: failed.append(r.url))
    for path in ("/app", "/app/customers", "/app/orders", "/app/outbox"):
        pixel.goto(path)
        pixel.wait_for_timeout(300)
    expect(pixel.locator("#net-state")).to_have_text("Offline")
    assert [u for u in failed if "/api/" in u] == []


def test_the_first_sync_shows_progress_instead_of_zero_customers(pixel):
    # Each pull page is held back a moment, as on a slow network.
    def slow(route: Any) -> None:
        pixel.wait_for_timeout(400)
        route.continue_()

    pixel.route(re.compile(r".*/api/sync/v1/pull.*"), slow)
    login_to_app(pixel)
    pixel.goto("/app/customers")
    count = pixel.locator("#customer-count")
    expect(count).to_contain_text(re.compile("still arriving", re.I))
    assert "0 customers" not in count.inner_text()
    wait_for_first_sync(pixel, timeout=60_000)
    expect(count).not_to_contain_text(re.compile("still arriving", re.I))
    wait_until(pixel, "document.querySelectorAll('#customer-results li').length > 0")


def _enqueue(page: Any, fields: str) -> None:
    """Queues a submission through the phone's own outbox, as the builders do."""
    page.evaluate(f"import('/static/js/outbox.js').then((o) => o.enqueue({fields}))")


def _order_fields(order: dict[str, Any], entity_id: str, label: str) -> str:
    line = order["lines"][0]
    args = {
        "customer_id": order["customer_id"],
        "lines": [
            {
                "product_id": line["product_id"],
                "quantity": line["quantity"],
                "discount_percent": "15",
            }
        ],
        "order_discount_percent": "0",
        "shipping_cents": 0,
        "notes": "",
    }
    return json.dumps(
        {"type": "order.place@1", "entity_id": entity_id, "label": label, "args": args}
    )


def test_a_verdict_follows_the_document_after_the_manager_approves(pixel, live_server):
    template = order_waiting_for_approval(live_server, api_token(live_server))
    login_to_app(pixel)
    wait_for_first_sync(pixel)
    order_id = pixel.evaluate("import('/static/js/ids.js').then((m) => m.newId())")
    _enqueue(pixel, _order_fields(template, order_id, "Order needing approval"))
    pixel.goto("/app/outbox")
    item = pixel.locator(".outbox-item", has_text="Order needing approval")
    expect(item.locator(".badge")).to_have_text("Needs approval", timeout=20_000)

    status, _ = api_call(
        live_server,
        "POST",
        f"/api/orders/{order_id}/approve",
        token=api_token(live_server, "manager@example.com"),
    )
    assert status == 200
    pixel.get_by_role("button", name=re.compile("Sync")).click()
    expect(item.locator(".badge")).to_have_text("Confirmed", timeout=20_000)
    expect(item.locator(".history")).to_have_text("At sync: Needs approval")
    pixel.goto("/app")
    recent = pixel.locator("#recent li", has_text="Order needing approval")
    expect(recent.locator(".badge")).to_have_text("Confirmed")
    screenshot(pixel, "verdict-follows-approval")


def test_a_repushed_order_whose_id_exists_gets_its_own_advice(pixel, live_server):
    template = order_waiting_for_approval(live_server, api_token(live_server))
    login_to_app(pixel)
    wait_for_first_sync(pixel)
    # The same id as an order the server already holds: a phone whose store lost the
    # verdict sends it again under a new seq.
    _enqueue(pixel, _order_fields(template, template["id"], "Order sent twice"))
    pixel.goto("/app/outbox")
    item = pixel.locator(".outbox-item", has_text="Order sent twice")
    expect(item.locator(".badge")).to_have_text("Rejected", timeout=20_000)
    expect(item).to_contain_text("already on the server")
    assert "submit it again" not in item.inner_text()


def test_a_prospect_offers_no_order_and_says_why(pixel, live_server):
    _customer_with_long_values(live_server)
    login_to_app(pixel)
    wait_for_first_sync(pixel)
    prospects = [c for c in _store(pixel, "allEntities('customer')") if c["status"] == "prospect"]
    assert prospects
    pixel.goto(f"/app/customers/view?id={prospects[0]['id']}")
    pixel.get_by_role("link", name="New quote").wait_for()
    assert pixel.get_by_role("link", name="New order").count() == 0
    expect(pixel.locator("#order-rule")).to_contain_text("prospect")
    assert _axe_violations(pixel) == []
    screenshot(pixel, "prospect-customer")


def _onboard_lookalike_with_a_quote_offline(
    page: Any, live_server: str, name: str
) -> tuple[dict[str, Any], str, str]:
    """Offline, the rep onboards a customer with a known customer's e-mail and quotes it."""
    token = api_token(live_server)
    template = order_waiting_for_approval(live_server, token)
    known = existing_customer(live_server, token)
    email = next(c["email"] for c in known["contacts"] if c["email"])
    login_to_app(page)
    wait_for_first_sync(page)
    go_offline(page.context)
    page.goto("/app/customers/new")
    page.get_by_label(re.compile("^Legal name")).fill(name)
    page.get_by_label("Contact name").fill("Robin Field")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Street").fill("9 Echo Rd")
    page.get_by_label("City").fill("Tacoma")
    page.get_by_role("button", name="Create customer").click()
    page.wait_for_url(re.compile(r".*/app/customers/view\?id=[0-9a-f-]{36}$"))
    local_id = page.url.split("id=")[1]
    quote_id = page.evaluate("import('/static/js/ids.js').then((m) => m.newId())")
    line = template["lines"][0]
    fields = {
        "type": "quote.save@1",
        "entity_id": quote_id,
        "label": f"Quote for {name}",
        "args": {
            "customer_id": local_id,
            "lines": [
                {
                    "product_id": line["product_id"],
                    "quantity": line["quantity"],
                    "discount_percent": "0",
                }
            ],
            "order_discount_percent": "0",
            "shipping_cents": 0,
            "notes": "",
        },
    }
    _enqueue(page, json.dumps(fields))
    wait_for_queued(page, 2)
    go_online(page.context)
    return known, local_id, quote_id


def _quotes_for(base: str, customer_id: str) -> list[dict[str, Any]]:
    """The quotes the server holds for a customer."""
    status, page = api_call(
        base, "GET", f"/api/quotes?customer_id={customer_id}&limit=50", token=api_token(base)
    )
    assert status == 200, page
    return list(page if isinstance(page, list) else page["items"])


def test_a_refused_duplicate_shows_its_candidates_and_the_rep_uses_the_existing_one(
    pixel, live_server
):
    known, _, _ = _onboard_lookalike_with_a_quote_offline(
        pixel, live_server, "Lookalike Provisions"
    )
    panel = pixel.locator("#duplicate-resolution")
    expect(panel).to_be_visible(timeout=20_000)
    candidate = panel.locator(".candidate", has_text=known["legal_name"])
    expect(candidate).to_be_visible()
    expect(pixel.locator("#main")).not_to_contain_text("No number yet")
    assert pixel.get_by_role("link", name="New order").count() == 0
    assert pixel.get_by_role("link", name="New quote").count() == 0
    assert _axe_violations(pixel) == []
    screenshot(pixel, "duplicate-candidates")
    quotes_before = len(_quotes_for(live_server, known["id"]))

    candidate.get_by_role("button", name="Use this customer").click()
    pixel.wait_for_url(re.compile(rf".*/app/customers/view\?id={known['id']}$"))
    wait_for_queued(pixel, 0)
    assert len(_quotes_for(live_server, known["id"])) == quotes_before + 1
    assert customers_named(live_server, api_token(live_server), "Lookalike Provisions") == []


def test_a_refused_duplicate_confirmed_new_offline_is_created_with_its_quote(pixel, live_server):
    _onboard_lookalike_with_a_quote_offline(pixel, live_server, "Lookalike Larder")
    panel = pixel.locator("#duplicate-resolution")
    expect(panel).to_be_visible(timeout=20_000)
    go_offline(pixel.context)
    pixel.get_by_role("button", name="It is a new customer: create it").click()
    pixel.wait_for_url(re.compile(r".*/app/customers/view\?id=[0-9a-f-]{36}$"))
    expect(pixel.get_by_role("heading", name="Lookalike Larder")).to_be_visible()
    expect(panel).to_be_hidden()
    new_id = pixel.url.split("id=")[1]
    go_online(pixel.context)
    wait_for_queued(pixel, 0)
    token = api_token(live_server)
    assert [c["id"] for c in customers_named(live_server, token, "Lookalike Larder")] == [new_id]
    assert _quotes_for(live_server, new_id)


def test_a_push_refused_as_too_large_is_split_and_the_queue_moves_on(pixel, live_server):
    template = order_waiting_for_approval(live_server, api_token(live_server))
    login_to_app(pixel)
    wait_for_first_sync(pixel)
    go_offline(pixel.context)
    for n in range(3):
        order_id = pixel.evaluate("import('/static/js/ids.js').then((m) => m.newId())")
        _enqueue(pixel, _order_fields(template, order_id, f"Split order {n}"))
    wait_for_queued(pixel, 3)
    sizes: list[int] = []

    # A server (or a proxy before it) that takes one mutation per push and no more.
    def one_at_a_time(route: Any) -> None:
        mutations = json.loads(route.request.post_data or "{}").get("mutations", [])
        sizes.append(len(mutations))
        if len(mutations) > 1:
            problem = {"status": 413, "code": "body_too_large", "detail": "Too large."}
            route.fulfill(
                status=413, content_type="application/problem+json", body=json.dumps(problem)
            )
        else:
            route.continue_()

    pixel.route(re.compile(r".*/api/sync/v1/push$"), one_at_a_time)
    go_online(pixel.context)
    wait_for_queued(pixel, 0)
    pixel.goto("/app/outbox")
    for n in range(3):
        item = pixel.locator(".outbox-item", has_text=f"Split order {n}")
        expect(item.locator(".badge")).to_have_text("Needs approval")
    assert sizes[0] == 3 and 1 in sizes


def test_the_customer_page_calls_mails_and_opens_the_address_in_maps(pixel, live_server):
    _customer_with_long_values(live_server)
    login_to_app(pixel)
    wait_for_first_sync(pixel)
    customer_id, _ = _longest_values(pixel)
    pixel.goto(f"/app/customers/view?id={customer_id}")
    call = pixel.get_by_role("link", name=re.compile("^Call "))
    expect(call.first).to_have_attribute("href", re.compile(r"^tel:\+?[0-9]+$"))
    mail = pixel.get_by_role("link", name=re.compile("^E-mail "))
    expect(mail.first).to_have_attribute("href", re.compile("^mailto:.+@"))
    maps = pixel.get_by_role("link", name="Open in maps").first
    expect(maps).to_have_attribute("href", re.compile(r"^https://www\.google\.com/maps/search/"))
    for link in (call.first, mail.first, maps):
        assert _box(link)["height"] >= TAP


def test_the_builder_keeps_the_total_and_place_order_in_reach(pixel, live_server):
    order_waiting_for_approval(live_server, api_token(live_server))
    login_to_app(pixel)
    wait_for_first_sync(pixel)
    active = [c for c in _store(pixel, "allEntities('customer')") if c["status"] == "active"]
    pixel.goto(f"/app/orders/new?customer_id={active[0]['id']}")
    bar = pixel.locator("#place-bar")
    pixel.locator("#product-search").fill("a")
    pixel.locator("#product-results button.pick:not([disabled])").first.click()
    for scroll in ("0", "document.body.scrollHeight / 2"):
        pixel.evaluate(f"window.scrollTo(0, {scroll})")
        expect(bar).to_be_in_viewport(ratio=1)
        expect(bar.get_by_role("button", name="Place order")).to_be_enabled()
    expect(pixel.locator("#bar-total")).to_have_text(pixel.locator("#grand-total").inner_text())
    nav = _box(pixel.locator(".bottom-nav"))
    box = _box(bar)
    assert box["y"] + box["height"] <= nav["y"] + 1
    assert _axe_violations(pixel) == []
    screenshot(pixel, "builder-place-bar")


def test_the_first_pull_reaches_the_phone_compressed(pixel):
    encodings: list[str] = []
    pixel.on(
        "response",
        lambda r: (
            "/api/sync/v1/pull" in r.url
            and encodings.append(r.all_headers().get("content-encoding", ""))
        ),
    )
    login_to_app(pixel)
    wait_for_first_sync(pixel)
    # Chromium takes brotli, which finds the product ids the price lists repeat.
    assert encodings and encodings[0] == "br"


def test_a_rep_orders_again_from_a_past_order(pixel, live_server):
    past = order_waiting_for_approval(live_server, api_token(live_server))
    login_to_app(pixel)
    wait_for_first_sync(pixel)
    pixel.goto(f"/app/orders?id={past['id']}")
    pixel.get_by_role("link", name="Order again").click()
    pixel.wait_for_url(re.compile(r".*/app/orders/new\?reorder="))
    expect(pixel.locator("#builder-loading")).to_contain_text(f"order {past['number']}")
    expect(pixel.locator("#lines > li")).to_have_count(len(past["lines"]))
    expect(pixel.locator("#customer-chosen")).to_be_visible()
    place = pixel.get_by_role("button", name="Place order")
    expect(place).to_be_enabled()
    place.click()
    pixel.wait_for_url(re.compile(r".*/app/outbox$"))
    expect(pixel.locator(".outbox-item").first.locator(".badge")).to_have_text(
        re.compile("Confirmed|Submitted|Needs approval|On credit hold"), timeout=20_000
    )


def test_the_bottom_navigation_has_icons_with_labels(pixel):
    login_to_app(pixel)
    nav = pixel.locator(".bottom-nav a")
    expect(nav).to_have_count(5)
    for name in ("Home", "Customers", "Catalog", "Orders", "Outbox"):
        link = pixel.get_by_role("navigation", name="App").get_by_role(
            "link", name=name, exact=True
        )
        expect(link.locator("svg")).to_be_visible()
        assert _box(link)["height"] >= TAP


def test_the_customer_page_shows_what_matters_before_a_visit(pixel, live_server):
    order = order_waiting_for_approval(live_server, api_token(live_server))
    login_to_app(pixel)
    wait_for_first_sync(pixel)
    pixel.goto(f"/app/customers/view?id={order['customer_id']}")
    facts = pixel.locator("#before-visit")
    expect(facts).to_contain_text(re.compile(r"Open orders\s*\d+ · \$"))
    expect(facts).to_contain_text(
        re.compile(r"Credit\s*(\$[\d,.]+ available of|No credit limit|Account on hold)")
    )
    expect(facts).to_contain_text("Open quotes")
    expect(facts).to_contain_text("Backorders")


def test_orders_filter_by_status_and_customer(pixel, live_server):
    order = order_waiting_for_approval(live_server, api_token(live_server))
    login_to_app(pixel)
    wait_for_first_sync(pixel)
    pixel.goto("/app/orders")
    pixel.get_by_label("Statuses").select_option("pending_approval")
    expect(pixel.locator("#orders-count")).to_contain_text("order")
    badges = pixel.locator("#orders-view .list .badge")
    expect(badges.first).to_have_text("Needs approval")
    assert set(badges.all_inner_texts()) == {"Needs approval"}
    pixel.get_by_label("Customers").select_option(order["customer_id"])
    expect(pixel.locator("#orders-view .list a", has_text=order["number"])).to_be_visible()
    assert "customer_id=" in pixel.url and "status=pending_approval" in pixel.url
    pixel.reload()
    expect(pixel.get_by_label("Statuses")).to_have_value("pending_approval")
    expect(pixel.get_by_label("Customers")).to_have_value(order["customer_id"])


def test_home_lists_the_customers_opened_last(pixel):
    login_to_app(pixel)
    wait_for_first_sync(pixel)
    customers = _store(pixel, "allEntities('customer')")[:2]
    for customer in customers:
        pixel.goto(f"/app/customers/view?id={customer['id']}")
        expect(pixel.locator("#customer-name")).to_have_text(customer["legal_name"])
    pixel.goto("/app")
    links = pixel.locator("#recent-customers a")
    expect(links).to_have_count(2)
    expect(links.first).to_contain_text(customers[1]["legal_name"])
    expect(links.nth(1)).to_contain_text(customers[0]["legal_name"])
