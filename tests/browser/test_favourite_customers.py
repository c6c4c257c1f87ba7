"""Favourite customers: starred on the phone (offline too), kept on the server, on home."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.app_helpers import (
    api_call,
    api_token,
    go_offline,
    go_online,
    login_to_app,
    wait_for_first_sync,
    wait_for_queued,
    wait_for_sync,
)
from tests.browser.conftest import screenshot

PIXEL_7 = {"width": 412, "height": 915}


def _two_customers(base: str) -> list[dict[str, Any]]:
    status, page = api_call(
        base, "GET", "/api/customers/?limit=2", token=api_token(base, "rep2@example.com")
    )
    assert status == 200, page
    return list(page["items"])


def _star(page: Any, customer: dict[str, Any]) -> None:
    page.goto(f"/app/customers/view?id={customer['id']}")
    star = page.get_by_role("button", name="☆ Add to favourites")
    expect(star).to_have_attribute("aria-pressed", "false")
    star.click()
    expect(page.get_by_role("button", name="★ Favourite")).to_have_attribute("aria-pressed", "true")


def test_a_starred_customer_shows_on_home_offline_and_on_the_reps_next_phone(
    chromium: Any, live_server: str
) -> None:
    first, second = _two_customers(live_server)
    phone = chromium.new_context(
        viewport=PIXEL_7, base_url=live_server, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    login_to_app(page, "rep2@example.com")
    wait_for_first_sync(page)

    # given one customer starred online and one with no signal
    _star(page, first)
    wait_for_sync(page)
    go_offline(phone)
    _star(page, second)
    wait_for_queued(page, 1)

    # then home lists both under Favourites at once (the latest first), and the customer
    # just opened under Recent
    page.goto("/app")
    favourites = page.locator("#favourite-customers li")
    expect(favourites).to_have_count(2)
    expect(favourites.nth(0)).to_contain_text(second["legal_name"])
    expect(favourites.nth(1)).to_contain_text(first["legal_name"])
    expect(page.locator("#recent-customers li").first).to_contain_text(second["legal_name"])
    screenshot(page, "home-favourites-offline")

    # when the connection is back, the star is sent once
    go_online(phone)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_for_queued(page, 0)
    # (a star is no verdict worth a line among the latest ones)
    expect(page.locator("#recent")).not_to_contain_text("Star")

    # then another phone of the same rep pulls both favourites from the server
    other = chromium.new_context(
        viewport=PIXEL_7, base_url=live_server, is_mobile=True, has_touch=True
    )
    try:
        other_page = other.new_page()
        login_to_app(other_page, "rep2@example.com")
        wait_for_sync(other_page)
        other_favourites = other_page.locator("#favourite-customers li")
        expect(other_favourites).to_have_count(2)
        expect(other_favourites.nth(0)).to_contain_text(second["legal_name"])

        # when the rep unstars one there, it leaves that phone's home after the sync
        other_page.goto(f"/app/customers/view?id={first['id']}")
        other_page.get_by_role("button", name="★ Favourite").click()
        # (the unstar is on the phone once the button says so; then it is sent)
        expect(other_page.get_by_role("button", name="☆ Add to favourites")).to_have_attribute(
            "aria-pressed", "false"
        )
        wait_for_queued(other_page, 0)
        other_page.goto("/app")
        expect(other_page.locator("#favourite-customers li")).to_have_count(1)
    finally:
        other.close()
    phone.close()


def test_a_star_the_server_took_stays_lit_until_the_next_pull_brings_it_back(
    chromium: Any, live_server: str
) -> None:
    customer = _two_customers(live_server)[0]
    phone = chromium.new_context(
        viewport=PIXEL_7, base_url=live_server, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    login_to_app(page, "rep2@example.com")
    wait_for_first_sync(page)

    # given pulls held on the way (a slow connection): the star's push is answered, and
    # the pull that would bring the server's favourites back has not come in
    held: list[Any] = []
    pushed: list[Any] = []
    page.on("response", lambda r: pushed.append(r) if "/api/sync/v1/push" in r.url else None)

    def hold(route: Any) -> None:
        if pushed:
            held.append(route)  # never answered
        else:
            route.continue_()

    page.route("**/api/sync/v1/pull*", hold)
    _star(page, customer)
    wait_for_queued(page, 0)
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "no pull followed the push"

    # then the customer's page and home still show the star the server took
    page.goto(f"/app/customers/view?id={customer['id']}")
    expect(page.get_by_role("button", name="★ Favourite")).to_have_attribute("aria-pressed", "true")
    page.goto("/app")
    expect(page.locator("#favourite-customers li").first).to_contain_text(customer["legal_name"])

    # and once pulls come through, the star is the server's and stays
    page.unroute("**/api/sync/v1/pull*", hold)
    page.reload()
    wait_for_sync(page)
    expect(page.locator("#favourite-customers li").first).to_contain_text(customer["legal_name"])
    page.goto(f"/app/customers/view?id={customer['id']}")
    expect(page.get_by_role("button", name="★ Favourite")).to_have_attribute("aria-pressed", "true")
    phone.close()
