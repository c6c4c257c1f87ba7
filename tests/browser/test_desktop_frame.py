"""Every manager and back-office page has the navigation (by role), uses a desktop's
width for tables, reflows on a 360 px phone without sideways scrolling (the navigation
folds behind "Menu"), shows times in the browser's zone, and its tables sort and filter
on the server. The approval queue works at 412x915."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import screenshot
from tests.browser.test_field_day import _axe_violations
from tests.browser.test_sales_pages import (
    _login,
    _no_horizontal_scroll,
    _order_waiting_for_approval,
)

DESKTOP = {"width": 1366, "height": 768}
SMALL_PHONE = {"width": 360, "height": 740}

MANAGER_PAGES = [
    "/",
    "/customers",
    "/orders",
    "/orders/new",
    "/quotes",
    "/quotes/new",
    "/approvals",
    "/territories",
    "/catalog",
]
ADMIN_PAGES = [
    "/admin",
    "/admin/users",
    "/admin/stock",
    "/admin/stock/expected",
    "/admin/fulfilment",
    "/billing/queue",
    "/billing/invoices",
    "/billing/receivables",
    "/admin/price-lists",
    "/imports",
    "/admin/webhooks",
    "/admin/emails",
    "/orders",
    "/customers",
]


def _fits(page: Any) -> bool:
    """Nothing scrolls sideways. The layout viewport (clientWidth), not innerWidth: a
    mobile browser zooms out to show content wider than the screen, which hides it."""
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    ) and _no_horizontal_scroll(page)


def _nav(page: Any) -> Any:
    return page.get_by_role("navigation", name="Main")


def test_manager_pages_have_the_navigation_and_times_in_the_browsers_zone(chromium, live_server):
    _order_waiting_for_approval(live_server)  # at least one order in the manager's table
    context = chromium.new_context(
        viewport=DESKTOP, base_url=live_server, timezone_id="Europe/Paris"
    )
    page = context.new_page()
    try:
        _login(page, "manager@example.com", "/")
        for path in MANAGER_PAGES:
            page.goto(path)
            nav = _nav(page)
            assert nav.is_visible(), path
            assert nav.get_by_role("link", name="Dashboard").get_attribute("href") == (
                "/manager/dashboard"
            )
            assert nav.get_by_role("link", name="Approvals").is_visible(), path
            # A manager is not shown the back office.
            assert nav.get_by_role("link", name="Users").count() == 0, path
        page.goto("/orders")
        assert _nav(page).locator("[aria-current=page]").inner_text() == "Orders"
        assert page.get_by_test_id("viewer-zone").inner_text() == "Times in Europe/Paris"
        placed = page.locator("[data-testid=orders-table] tbody tr td[data-label=Placed]").first
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d CES?T$", placed.inner_text())
        total = page.locator("[data-testid=orders-table] tbody tr td[data-label=Total]").first
        assert re.search(r"\d\.\d\d USD$", total.inner_text())
        width = page.evaluate("document.querySelector('main').getBoundingClientRect().width")
        assert width > 1000  # the desktop's width, not a 960 px column
        screenshot(page, "desktop-orders-table")
        for path in ("/orders", "/orders/new", "/customers", "/quotes"):
            page.goto(path)
            assert _axe_violations(page) == [], path
    finally:
        context.close()


def test_admin_pages_have_the_back_office_navigation(chromium, live_server):
    context = chromium.new_context(viewport=DESKTOP, base_url=live_server)
    page = context.new_page()
    try:
        _login(page, "admin@example.com", "/admin")
        for path in ADMIN_PAGES:
            page.goto(path)
            nav = _nav(page)
            assert nav.is_visible(), path
            for name in ("Users", "Stock", "Invoices", "Orders", "Approvals"):
                assert nav.get_by_role("link", name=name, exact=True).is_visible(), (path, name)
    finally:
        context.close()


def test_pages_reflow_on_a_360px_phone_with_a_folding_menu(chromium, live_server):
    context = chromium.new_context(
        viewport=SMALL_PHONE, base_url=live_server, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        _login(page, "admin@example.com", "/admin")
        for path in [*MANAGER_PAGES, *ADMIN_PAGES]:
            page.goto(path)
            assert _fits(page), path
            assert not _nav(page).is_visible(), path
        page.goto("/orders")
        page.get_by_role("button", name="Menu").click()
        assert _nav(page).is_visible()
        assert _fits(page)
        screenshot(page, "phone-menu-open")
        _nav(page).get_by_role("link", name="Quotes").click()
        page.wait_for_url(re.compile(r".*/quotes$"))
        assert _fits(page)
    finally:
        context.close()


def _column(page: Any, label: str) -> list[str]:
    cells = page.locator(f"[data-testid=orders-table] tbody td[data-label='{label}']")
    return [c.strip() for c in cells.all_inner_texts()]


def _amount(text: str) -> float:
    return float(text.split()[0].replace(",", ""))


def test_order_table_sorts_by_header_and_filters_on_the_server(chromium, live_server):
    _order_waiting_for_approval(live_server)  # at least one order in the table
    context = chromium.new_context(viewport=DESKTOP, base_url=live_server)
    page = context.new_page()
    try:
        _login(page, "admin@example.com", "/orders")
        with page.expect_response(lambda r: "sort=total" in r.url):
            page.locator("th a[data-sort=total]").click()
        page.locator("th[aria-sort=ascending] a[data-sort=total]").wait_for()
        totals = [_amount(t) for t in _column(page, "Total")]
        assert totals == sorted(totals) and len(totals) >= 1
        assert "sort=total" in page.url
        with page.expect_response(lambda r: "dir=desc" in r.url):
            page.locator("th a[data-sort=total]").click()
        page.locator("th[aria-sort=descending] a[data-sort=total]").wait_for()
        totals = [_amount(t) for t in _column(page, "Total")]
        assert totals == sorted(totals, reverse=True)

        with page.expect_response(lambda r: "status=pending_approval" in r.url):
            page.get_by_label("Status").select_option("pending_approval")
        page.wait_for_url(re.compile(r".*status=pending_approval"))
        statuses = set(_column(page, "Status"))
        assert statuses == {"pending approval"}
        export = page.get_by_test_id("export-csv").get_attribute("href")
        assert "status=pending_approval" in export and "sort=total" in export
    finally:
        context.close()


def test_manager_approves_one_from_the_queue_at_412x915(chromium, live_server):
    order = _order_waiting_for_approval(live_server)
    context = chromium.new_context(
        viewport={"width": 412, "height": 915}, base_url=live_server, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        _login(page, "manager@example.com", "/approvals")
        row = page.locator(f"#approval-{order['id']}")
        assert _fits(page)
        button = row.get_by_role("button", name=f"Approve {order['number']}")
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 412
        button.click()
        verdict = page.locator(f"#approval-{order['id']} [data-testid=verdict]")
        verdict.wait_for()
        assert "confirmed" in verdict.inner_text()
        assert _fits(page)
        screenshot(page, "approval-412")
    finally:
        context.close()


def test_applying_a_realignment_asks_first_and_says_what_moves(chromium, live_server):
    """The manager drafts a handover, asks to apply it, reads the counts, and cancels:
    nothing moves (the shared demo data stays as the other tests expect it)."""
    context = chromium.new_context(viewport=DESKTOP, base_url=live_server)
    page = context.new_page()
    try:
        _login(page, "manager@example.com", "/territories")
        page.locator("main").get_by_role("link", name=re.compile("Greater Boston")).first.click()
        page.locator("summary", has_text="Plan an owner handover").click()
        page.get_by_label("New owner").select_option(label="Priya Patel (rep)")
        page.get_by_role("button", name="Preview handover").click()
        page.wait_for_url(re.compile(r".*/territories/realignments/[0-9a-f-]{36}$"))
        moving = page.get_by_role("heading", name=re.compile(r"Customers that move \(\d+\)"))
        count = re.search(r"\((\d+)\)", moving.inner_text())
        assert count is not None

        page.get_by_role("button", name="Apply realignment…").click()
        prompt = page.get_by_test_id("confirm-apply")
        prompt.wait_for()
        assert page.get_by_test_id("confirm-customers").inner_text() == count.group(1)
        assert "open quote" in prompt.inner_text() and "open order" in prompt.inner_text()
        assert page.get_by_test_id("status").inner_text() == "draft"
        screenshot(page, "realignment-confirm")
        prompt.get_by_role("link", name="Cancel").click()
        page.get_by_role("button", name="Apply realignment…").wait_for()
        assert page.get_by_test_id("status").inner_text() == "draft"
    finally:
        context.close()
