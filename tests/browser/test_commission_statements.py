"""A manager approves a team statement from the commission page in Chromium.

The period is one long past, so the shared demo server's current commission (which other
browser tests read) stays open.
"""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import screenshot
from tests.browser.test_sales_pages import _api, _login

PERIOD = "2021-01"


def _token(base: str, email: str) -> str:
    _, tokens = _api(base, "POST", "/api/auth/login", {"email": email, "password": "demo1234"})
    return str(tokens["access_token"])


def test_a_manager_approves_a_team_statement_from_the_page(chromium: Any, live_server: str) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server)
    page = context.new_page()
    try:
        _login(page, "manager@example.com", "/manager/commission")
        assert page.get_by_role("link", name="Commission").count() >= 1
        page.get_by_label("Period").fill(PERIOD)
        page.get_by_role("button", name="Show").click()
        page.wait_for_url(f"**/manager/commission?period={PERIOD}")
        row = page.locator("tr[data-rep='Priya Patel']")
        assert row.get_by_test_id("statement-status").text_content() == "draft"

        row.get_by_role("button", name="Approve the statement of Priya Patel").click()
        page.wait_for_url(f"**/manager/commission?period={PERIOD}")
        row = page.locator("tr[data-rep='Priya Patel']")
        assert row.get_by_test_id("statement-status").text_content() == "approved"
        assert row.get_by_role("button", name="Approve the statement of Priya Patel").count() == 0
        screenshot(page, "commission-team-approved")
    finally:
        context.close()

    admin = _token(live_server, "admin@example.com")
    _, users = _api(live_server, "GET", "/api/users?limit=50", token=admin)
    rows = users["items"] if isinstance(users, dict) else users
    rep2 = next(u for u in rows if u["email"] == "rep2@example.com")
    status, statement = _api(
        live_server,
        "GET",
        f"/api/commission/statements?rep_id={rep2['id']}&period={PERIOD}",
        token=admin,
    )
    assert status == 200, statement
    assert statement["status"] == "approved"
    assert statement["approved_by"] is not None
