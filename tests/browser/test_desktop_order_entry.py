"""On a desktop: a signed-in manager enters an order from the orders page without being
sent to the rep's phone app (which asks to "sign in once with a connection" and offers no
way back): a customer picked by search, a line with a quantity, totals priced by the
server while typing, and the order placed through the same service as the API."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import screenshot

DESKTOP = {"width": 1366, "height": 768}


def _login(page: Any, email: str, next_path: str) -> None:
    page.goto(f"/login?next={next_path}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo1234")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(f".*{re.escape(next_path)}$"))


def test_manager_enters_an_order_on_the_desktop_and_gets_its_number(chromium, live_server):
    context = chromium.new_context(viewport=DESKTOP, base_url=live_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        _login(page, "manager@example.com", "/orders")
        page.locator("main").get_by_role("link", name="+ New order").click()
        page.wait_for_url(re.compile(r"^http://[^/]+/orders/new$"))
        assert page.get_by_role("heading", name="New order").is_visible()
        assert "sign in once" not in page.content()

        page.get_by_label("Find a customer").fill("a")
        first = page.locator("[data-testid=customer-choices] button").first
        first.wait_for()
        first.click()
        page.wait_for_load_state()
        page.get_by_test_id("picked-customer").wait_for()

        product = page.get_by_label("Product", exact=True).first
        options = product.locator("option:not([value=''])")
        product.select_option(options.first.get_attribute("value"))
        quantity = page.get_by_label("Quantity", exact=True).first
        quantity.fill("")
        quantity.type("12")
        total = page.get_by_test_id("entry-total")
        for _ in range(50):
            if re.search(r"[1-9][\d,]*\.\d\d [A-Z]{3}", total.inner_text()):
                break
            page.wait_for_timeout(100)
        assert re.search(r"[1-9][\d,]*\.\d\d [A-Z]{3}", total.inner_text()), total.inner_text()
        screenshot(page, "desktop-order-entry")

        page.get_by_role("button", name="Place order").click()
        page.wait_for_url(re.compile(r".*/orders/[0-9a-f-]{36}$"))
        heading = page.get_by_role("heading", name=re.compile(r"^Order SO-"))
        assert heading.is_visible(), page.content()[:2000]
        assert page.get_by_role("navigation", name="Main").is_visible()
        assert errors == []
    finally:
        context.close()
