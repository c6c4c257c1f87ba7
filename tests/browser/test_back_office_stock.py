"""On a desktop: an admin adjusts stock with a reason on the stock page and finds the
movement in the product's stock history. Runs against the live demo server."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import PHONE, screenshot

DESKTOP = {"width": 1280, "height": 900}


def _login(page: Any, email: str, next_path: str) -> None:
    page.goto(f"/login?next={next_path}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo1234")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(f".*{re.escape(next_path)}$"))


def test_admin_adjusts_stock_with_a_reason_and_sees_it_in_the_history(chromium, live_server):
    context = chromium.new_context(viewport=DESKTOP, base_url=live_server)
    page = context.new_page()
    try:
        _login(page, "admin@example.com", "/admin")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Stock").click()
        page.wait_for_url(re.compile(r".*/admin/stock$"))
        row = page.locator("[data-testid=stock-levels] tbody tr[data-sku]").first
        sku = row.get_attribute("data-sku")
        warehouse = row.get_attribute("data-warehouse")
        on_hand = int(row.get_by_test_id("on-hand").inner_text())

        page.get_by_label("SKU or name").fill(sku)
        page.get_by_role("button", name="Show").click()
        page.wait_for_url(re.compile(r".*/admin/stock\?.*q="))
        row = page.locator(f"tr[data-sku='{sku}'][data-warehouse='{warehouse}']")
        row.locator("summary", has_text="Adjust").click()
        row.get_by_label("Change (+/-)").fill("+4")
        row.get_by_label("Reason").fill("Found behind the racking")
        screenshot(page, "back-office-stock-adjust")
        row.get_by_role("button", name="Save adjustment").click()

        page.wait_for_url(re.compile(r".*/admin/stock/products/[0-9a-f-]{36}/history$"))
        assert page.get_by_role("heading", name=f"Stock history of {sku}").is_visible()
        newest = page.locator("[data-testid=movements] tbody tr").first
        text = newest.inner_text()
        assert "Found behind the racking" in text and "+4" in text
        assert str(on_hand + 4) in text and warehouse in text and "adjustment" in text
        screenshot(page, "back-office-stock-history")

        # The same pages on a phone: wide tables scroll in their card, the page does not.
        page.set_viewport_size(PHONE)
        for path in ("/admin", "/admin/stock", page.url, "/admin/users", "/admin/stock/expected"):
            page.goto(path)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (
                path
            )
    finally:
        context.close()
