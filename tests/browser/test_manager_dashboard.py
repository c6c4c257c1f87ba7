"""On a 360 px phone: a manager opens the dashboard, changes a filter, and drills down
territory -> rep -> customer -> order, with no sideways scroll on the way.

The order is placed by the rep through the real HTTP API of the live demo server, so the
period has an order of a known rep, customer and territory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_sales_pages import _api, _login, _no_horizontal_scroll

NARROW_PHONE = {"width": 360, "height": 740}


@pytest.fixture
def narrow(chromium: Any, live_server: str) -> Iterator[Any]:
    context = chromium.new_context(
        viewport=NARROW_PHONE, base_url=live_server, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    yield page
    context.close()


def _order_this_month(base: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sam (rep1) orders at list price for one of his customers: (order, customer)."""
    _, tokens = _api(
        base, "POST", "/api/auth/login", {"email": "rep1@example.com", "password": "demo1234"}
    )
    token = tokens["access_token"]
    _, customers = _api(base, "GET", "/api/customers?status=active&limit=10", token=token)
    customer = customers["items"][0]
    _, products = _api(
        base, "GET", f"/api/products?active=true&limit=50&customer_id={customer['id']}", token=token
    )
    product = next(p for p in products["items"] if p["price"] is not None)
    body = {
        "customer_id": customer["id"],
        "lines": [{"product_id": product["id"], "quantity": product["min_order_qty"]}],
    }
    status, order = _api(base, "POST", "/api/orders", body, token=token)
    assert status == 201, order
    return dict(order), dict(customer)


def _charts_drawn(page: Any) -> int:
    return int(
        page.evaluate(
            "Array.from(document.querySelectorAll('#dashboard canvas'))"
            ".filter(c => window.Chart && window.Chart.getChart(c)).length"
        )
    )


def test_manager_filters_and_drills_down_to_an_order_on_a_phone(narrow, live_server):
    order, customer = _order_this_month(live_server)
    problems: list[str] = []
    narrow.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    narrow.on("pageerror", lambda e: problems.append(str(e)))

    _login(narrow, "manager@example.com", "/")
    narrow.get_by_role("link", name="Dashboard").click()
    narrow.wait_for_url(re.compile(r".*/manager/dashboard$"))
    assert narrow.get_by_role("heading", name="Territory dashboard").is_visible()
    narrow.wait_for_function("document.querySelectorAll('#dashboard canvas').length > 0")
    narrow.wait_for_function("window.Chart !== undefined")
    assert _charts_drawn(narrow) >= 3
    assert "USD" in narrow.get_by_test_id("fig-booked").inner_text()
    assert _no_horizontal_scroll(narrow)
    screenshot(narrow, "dashboard-phone")

    # A filter change re-renders the dashboard in place (htmx) and keeps it in the URL.
    before = narrow.get_by_test_id("period").inner_text()
    narrow.get_by_label("Period", exact=True).select_option("quarter")
    narrow.wait_for_function(
        "t => document.querySelector('[data-testid=period]').innerText !== t", arg=before
    )
    assert "period=quarter" in narrow.url
    assert _charts_drawn(narrow) >= 3  # drawn again after the swap
    narrow.get_by_label("Territory", exact=True).select_option(label=order["territory_name"])
    narrow.get_by_test_id("crumb-territory").wait_for()
    assert "territory=" in narrow.url and "period=quarter" in narrow.url
    assert _no_horizontal_scroll(narrow)

    # Drill down: rep, customer, order; each level keeps the filters.
    narrow.get_by_test_id("rep-table").get_by_role("link", name="Sam Carter").click()
    narrow.wait_for_url(re.compile(r".*rep=.*"))
    assert "period=quarter" in narrow.url and "territory=" in narrow.url
    narrow.get_by_test_id("customer-table").get_by_role("link", name=customer["legal_name"]).click()
    narrow.wait_for_url(re.compile(r".*customer=.*"))
    assert "period=quarter" in narrow.url and "rep=" in narrow.url
    orders = narrow.get_by_test_id("order-table")
    assert _no_horizontal_scroll(narrow)
    screenshot(narrow, "dashboard-drilled-phone")
    orders.get_by_role("link", name=order["number"]).click()
    narrow.wait_for_url(re.compile(r".*/orders/[0-9a-f-]{36}$"))
    assert narrow.get_by_role("heading", name=f"Order {order['number']}").is_visible()
    chart_problems = [p for p in problems if "chart" in p.lower() or "dashboard" in p.lower()]
    assert chart_problems == []
