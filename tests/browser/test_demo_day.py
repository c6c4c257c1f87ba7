"""The demo as a new user opens it (`fieldsales serve --demo`, with its day of orders): the
manager's dashboard and approval queue have work on them, and a rep's phone, once synced,
lists the rep's orders of the day in every state they reached.

The rest of the browser suite runs on the demo without its day (conftest.py); this module
starts a server of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from server.demo.history import ORDERS_PER_REP
from tests.browser.app_helpers import login_to_app, wait_for_first_sync
from tests.browser.conftest import PHONE, demo_server, screenshot
from tests.browser.test_sales_pages import _login

DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def day_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_server(tmp_path_factory.mktemp("demo-day")) as url:
        yield url


def test_the_manager_opens_the_demo_on_a_day_of_orders(chromium: Any, day_server: str) -> None:
    context = chromium.new_context(viewport=DESKTOP, base_url=day_server)
    page = context.new_page()
    try:
        _login(page, "manager@example.com", "/manager/dashboard")
        # Booked: every order of the day but the five still waiting for approval.
        expect(page.get_by_test_id("fig-orders")).to_contain_text(f"{3 * ORDERS_PER_REP - 5} ")
        # The reps' quotas of the month add up to the team's target.
        expect(page.get_by_test_id("fig-target")).to_contain_text("75,000.00 USD")
        # The quotes sent and not yet answered are the pipeline: a draft is not out, an
        # accepted quote is won.
        expect(page.get_by_test_id("fig-pipeline")).to_contain_text("3 quotes now")
        approvals = page.get_by_test_id("fig-approvals")
        expect(approvals.get_by_role("link")).to_have_text("5")
        screenshot(page, "demo-day-dashboard")
        approvals.get_by_role("link").click()
        page.wait_for_url("**/approvals")
        expect(page.get_by_test_id("approval-row")).to_have_count(5)
    finally:
        context.close()


def test_a_rep_finds_the_days_orders_on_the_phone(chromium: Any, day_server: str) -> None:
    context = chromium.new_context(
        viewport=PHONE, base_url=day_server, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        login_to_app(page, "rep1@example.com")
        wait_for_first_sync(page)
        page.goto("/app/orders")
        links = page.locator("#orders-view .list a")
        expect(links).to_have_count(ORDERS_PER_REP)
        badges = set(page.locator("#orders-view .list .badge").all_inner_texts())
        # Closed (paid), shipped, confirmed and one still waiting for the manager.
        assert "Needs approval" in badges and len(badges) >= 3, badges
        screenshot(page, "demo-day-rep-orders")
    finally:
        context.close()
