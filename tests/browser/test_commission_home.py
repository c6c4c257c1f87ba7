"""The rep's home shows this month's commission from the pull, offline too."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.browser.app_helpers import (
    api_call,
    api_token,
    go_offline,
    go_online,
    login_to_app,
    wait_for_first_sync,
    wait_until,
)
from tests.browser.conftest import screenshot


def _money(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def _confirmed_order(base: str, token: str) -> dict[str, Any]:
    """An order by rep1, at list price, that the server confirms."""
    _, customers = api_call(base, "GET", "/api/customers/?status=active&limit=10", token=token)
    for customer in customers["items"]:
        _, products = api_call(
            base,
            "GET",
            f"/api/products?active=true&limit=50&customer_id={customer['id']}",
            token=token,
        )
        for product in products["items"]:
            if product["price"] is None:
                continue
            body = {
                "customer_id": customer["id"],
                "lines": [{"product_id": product["id"], "quantity": product["min_order_qty"]}],
            }
            status, order = api_call(base, "POST", "/api/orders", body, token=token)
            if status == 201 and order["status"] == "confirmed":
                return dict(order)
    raise AssertionError("no demo order could be confirmed")


def test_the_home_shows_the_periods_commission_offline(phone: Any, live_server: str) -> None:
    admin = api_token(live_server, "admin@example.com")
    rep = api_token(live_server, "rep1@example.com")
    plan = {
        "code": "BROWSER",
        "name": "Field reps",
        "valid_from": "2020-01-01",
        "basis": "booked",
        "default_rate": "7.5",
    }
    status, answer = api_call(live_server, "POST", "/api/commission/plans", plan, token=admin)
    assert status == 201, answer
    _, me = api_call(live_server, "GET", "/api/commission/me", token=rep)
    status, answer = api_call(
        live_server,
        "POST",
        "/api/commission/quotas",
        {"rep_id": me["rep_id"], "period": date.today().strftime("%Y-%m"), "quota_cents": 10**7},
        token=admin,
    )
    assert status == 200, answer
    _confirmed_order(live_server, rep)
    _, me = api_call(live_server, "GET", "/api/commission/me", token=rep)
    assert me["earned_cents"] > 0

    login_to_app(phone)
    wait_for_first_sync(phone)
    shown = (
        f"document.getElementById('home-commission').textContent === '{_money(me['earned_cents'])}'"
    )
    wait_until(phone, shown)
    assert f"{me['attainment_percent']}% of quota" in (
        phone.locator("#home-commission-detail").text_content() or ""
    )

    go_offline(phone.context)
    phone.reload()
    wait_until(phone, shown)
    screenshot(phone, "commission-home-offline")
    go_online(phone.context)


def test_the_builder_shows_what_the_order_earns_and_it_follows_the_quantity(
    phone: Any, live_server: str
) -> None:
    admin = api_token(live_server, "admin@example.com")
    rep = api_token(live_server, "rep1@example.com")
    # given a plan paying 10 % of net on everything, in force since yesterday (so it rules
    # today's orders whatever plans other tests made before)
    yesterday = date.fromordinal(date.today().toordinal() - 1).isoformat()
    plan = {
        "code": "WHATIF",
        "name": "What-if",
        "valid_from": yesterday,
        "basis": "booked",
        "default_rate": "10",
        "category_rates": {},
        "product_rates": {},
    }
    status, answer = api_call(live_server, "POST", "/api/commission/plans", plan, token=admin)
    assert status == 201, answer
    order = _confirmed_order(live_server, rep)
    product = order["lines"][0]  # its sku and name, as the order recorded them

    login_to_app(phone)
    wait_for_first_sync(phone)
    go_offline(phone.context)
    phone.goto(f"/app/orders/new?customer_id={order['customer_id']}")
    phone.locator("#builder-form:not([hidden])").wait_for()
    phone.get_by_label("Add a product").fill(product["sku"])
    phone.locator("#product-results button:not([disabled])").first.click()
    estimate = phone.locator("#commission-estimate")

    def shown() -> tuple[int, int]:
        line_net = phone.locator("[data-line-total]").first.text_content() or ""
        return int(estimate.get_attribute("data-cents") or "-1"), int(
            "".join(c for c in line_net if c.isdigit())
        )

    # then, offline, the estimate is 10 % of the line's net, half up
    estimate.wait_for(state="visible")
    assert (estimate.text_content() or "").startswith("This order earns you ≈ $")
    first, net = shown()
    assert first == (net + 5) // 10 and first > 0
    # when the quantity goes up, the estimate follows it
    phone.get_by_role("button", name=f"More {product['name']}").click()
    wait_until(phone, f"document.getElementById('commission-estimate').dataset.cents !== '{first}'")
    second, net = shown()
    assert second == (net + 5) // 10 and second > first
    screenshot(phone, "commission-what-if")

    # when the order is placed offline and sent when the connection is back
    before = _credited(live_server, rep, me_id := _rep_id(live_server, rep))
    phone.get_by_role("button", name="Place order").click()
    phone.wait_for_url("**/app/outbox")
    go_online(phone.context)
    row = phone.locator(".outbox-item", has_text="Order for")
    row.locator(".number").first.wait_for(timeout=30_000)
    # then the server credits exactly what the phone said it would earn
    assert _credited(live_server, rep, me_id) - before == second
    # and the verdict says so, beside the builder's what-if
    credited = row.locator(".commission-credited")
    credited.wait_for()
    assert credited.get_attribute("data-cents") == str(second)
    text = credited.text_content() or ""
    assert text.startswith("Commission credited: $")
    assert "the builder estimated ≈ $" in text and "settle" not in text


def _rep_id(base: str, token: str) -> str:
    _, me = api_call(base, "GET", "/api/commission/me", token=token)
    return str(me["rep_id"])


def _credited(base: str, token: str, rep_id: str) -> int:
    """The sum of the rep's ledger entries this month."""
    period = date.today().strftime("%Y-%m")
    _, statement = api_call(
        base, "GET", f"/api/commission/statements?rep_id={rep_id}&period={period}", token=token
    )
    return sum(int(e["amount_cents"]) for e in statement["entries"])


def test_a_quarterly_quota_shows_on_home_and_the_what_if_counts_the_tier_it_crosses(
    phone: Any, live_server: str
) -> None:
    admin = api_token(live_server, "admin@example.com")
    rep = api_token(live_server, "rep3@example.com")
    # given a plan from today paying 10 %, the whole quarter at x2 once its quota is reached
    plan = {
        "code": "QUARTERLY",
        "name": "Quarterly accelerator",
        "valid_from": date.today().isoformat(),
        "basis": "booked",
        "default_rate": "10",
        "tier_mode": "retroactive",
        "tiers": [{"from_percent": "100", "multiplier": "2"}],
    }
    status, answer = api_call(live_server, "POST", "/api/commission/plans", plan, token=admin)
    assert status == 201, answer
    first = _confirmed_order(live_server, rep)
    rep_id = _rep_id(live_server, rep)
    # and a quarter's quota a cent above what the rep has sold this quarter so far
    quarter = f"{date.today().year}-Q{(date.today().month - 1) // 3 + 1}"

    def set_quota(cents: int) -> None:
        body = {"rep_id": rep_id, "period": quarter, "quota_cents": cents}
        status, answer = api_call(live_server, "POST", "/api/commission/quotas", body, token=admin)
        assert status == 200, answer

    set_quota(10**12)
    _, far = api_call(live_server, "GET", "/api/commission/me", token=rep)
    set_quota(far["quota_revenue_cents"] + 1)
    _, before = api_call(live_server, "GET", "/api/commission/me", token=rep)
    assert before["quota_period"] == quarter and before["tier_adjustment_cents"] == 0

    login_to_app(phone, "rep3@example.com")
    wait_for_first_sync(phone)
    # then the home's attainment names the quarter it runs on
    wait_until(
        phone,
        f"(document.getElementById('home-commission-detail').textContent || '')"
        f".includes('{before['attainment_percent']}% of {quarter} quota')",
    )

    # when, offline, the rep builds an order that takes the quarter over its quota
    go_offline(phone.context)
    product = first["lines"][0]
    phone.goto(f"/app/orders/new?customer_id={first['customer_id']}")
    phone.locator("#builder-form:not([hidden])").wait_for()
    phone.get_by_label("Add a product").fill(product["sku"])
    phone.locator("#product-results button:not([disabled])").first.click()
    estimate = phone.locator("#commission-estimate")
    estimate.wait_for(state="visible")
    # then the what-if adds the tier: the order's own 10 % doubled, and the quarter's
    # earlier commission paid a second time (retroactive x2)
    assert "tier bonus" in (estimate.text_content() or "")
    what_if = int(estimate.get_attribute("data-cents") or "-1")
    line_net = int(
        "".join(
            c for c in phone.locator("[data-line-total]").first.text_content() or "" if c.isdigit()
        )
    )
    own = (line_net + 5) // 10
    assert what_if == 2 * own + before["quota_base_cents"]
    screenshot(phone, "commission-what-if-tier")

    # when it is placed and sent, the period's earnings grow by exactly what was shown
    phone.get_by_role("button", name="Place order").click()
    phone.wait_for_url("**/app/outbox")
    go_online(phone.context)
    row = phone.locator(".outbox-item", has_text="Order for")
    row.locator(".number").first.wait_for(timeout=30_000)
    _, after = api_call(live_server, "GET", "/api/commission/me", token=rep)
    assert after["earned_cents"] - before["earned_cents"] == what_if


def test_the_rep_questions_a_line_from_the_phone_and_reads_the_answer(
    phone: Any, live_server: str
) -> None:
    admin = api_token(live_server, "admin@example.com")
    rep = api_token(live_server, "rep1@example.com")
    # given a plan paying on booking (an older one than any other test's: theirs stand)
    plan = {
        "code": "DISPUTES",
        "name": "Field reps",
        "valid_from": "2020-01-01",
        "basis": "booked",
        "default_rate": "5",
    }
    status, answer = api_call(live_server, "POST", "/api/commission/plans", plan, token=admin)
    assert status == 201, answer
    order = _confirmed_order(live_server, rep)

    # when the rep follows the home page's commission to the period's lines
    login_to_app(phone)
    wait_for_first_sync(phone)
    phone.locator("#home-commission").click()
    phone.wait_for_url("**/app/commission")
    line = phone.locator(".commission-entry", has_text=order["number"]).first
    line.wait_for()
    # and questions the order's line
    question = f"Was {order['number']} not at the higher rate?"
    line.get_by_role("textbox").fill(question)
    line.get_by_role("button", name="Question this").click()
    # then the question shows under the line, waiting for an answer, and cannot be asked twice
    line.locator(".dispute[data-status='open']", has_text=question).wait_for()
    assert line.get_by_role("button", name="Question this").count() == 0

    # when the office answers it
    _, me = api_call(live_server, "GET", "/api/commission/me", token=rep)
    _, open_ones = api_call(
        live_server,
        "GET",
        f"/api/commission/disputes?status=open&rep_id={me['rep_id']}",
        token=admin,
    )
    [asked] = [d for d in open_ones if d["comment"] == question]
    status, answered = api_call(
        live_server,
        "POST",
        f"/api/commission/disputes/{asked['id']}/answer",
        {"answer": "The standard rate applies to this product."},
        token=admin,
    )
    assert status == 200, answered
    # then the phone shows the answer on the line
    phone.reload()
    answered_line = phone.locator(".commission-entry", has_text=order["number"]).first
    answered_line.locator(".dispute-answer", has_text="The standard rate applies").wait_for()
    screenshot(phone, "commission-dispute-answered")

    # offline the page says questioning needs a connection
    go_offline(phone.context)
    phone.reload()
    wait_until(
        phone,
        "(document.getElementById('commission-state').textContent || '').startsWith('Offline')",
    )
    go_online(phone.context)
