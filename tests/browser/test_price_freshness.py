"""Prices and stock say when they were last synced, in the phone's time, and warn when old."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.app_helpers import go_offline, login_to_app, wait_for_first_sync
from tests.browser.conftest import screenshot

PIXEL_7 = {"width": 412, "height": 915}


@pytest.fixture
def berlin_phone(chromium: Any, live_server: str) -> Iterator[Any]:
    """A phone in Berlin (UTC+1 in December), so local time differs from the server's UTC."""
    context = chromium.new_context(
        viewport=PIXEL_7,
        base_url=live_server,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        timezone_id="Europe/Berlin",
    )
    page = context.new_page()
    yield page
    context.close()


def test_prices_and_stock_show_their_sync_time_offline_and_turn_stale(berlin_phone: Any) -> None:
    page = berlin_phone
    # given a phone whose clock reads 08:14 UTC (09:14 in Berlin) when it syncs
    synced = datetime.now(UTC).replace(hour=8, minute=14, second=0, microsecond=0)
    page.clock.set_fixed_time(synced)
    login_to_app(page)
    wait_for_first_sync(page)

    # when the rep opens the catalog and a builder with no signal
    go_offline(page.context)
    page.goto("/app/catalog")
    freshness = page.locator("#catalog-freshness")
    # then the time is the phone's local time, and not called stale
    expect(freshness).to_have_text("Prices as of 09:14 today · Stock as of 09:14 today.")
    expect(freshness.locator(".freshness")).to_have_attribute("data-stale", "false")

    page.goto("/app/orders/new")
    expect(page.locator("#builder-freshness")).to_have_text(
        "Prices as of 09:14 today · Stock as of 09:14 today."
    )

    # when a day and more has passed without a sync
    page.clock.set_fixed_time(synced + timedelta(hours=25, minutes=16))
    page.goto("/app/catalog")
    # then the label says so, and asks for a sync before a price is promised
    expect(freshness).to_have_text(
        "Prices as of 09:14 yesterday · Stock as of 09:14 yesterday."
        " Over a day old: sync before you promise a price or a date."
    )
    expect(freshness.locator(".freshness")).to_have_attribute("data-stale", "true")
    screenshot(page, "catalog-stale-prices")
    page.goto("/app/orders/new")
    expect(page.locator("#builder-freshness .stale")).to_be_visible()
