"""The API docs render offline, under the app's security policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_api_docs_render_with_no_other_origin_reachable(chromium, live_server):
    context = chromium.new_context(base_url=live_server)
    page = context.new_page()
    elsewhere: list[str] = []
    problems: list[str] = []

    def only_this_server(route):
        if route.request.url.startswith(live_server):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        page.goto("/schema")
        page.wait_for_selector(".opblock-tag", timeout=20_000)
        assert page.locator(".opblock-tag").count() >= 15  # every group, folded
        assert "Fieldsales API" in page.locator(".info .title").inner_text()
        for group in ("orders", "sync", "commission"):
            page.locator(f"#operations-tag-{group}").click()
        expect(page.locator(".opblock-summary-path", has_text="/api/sync/v1/pull")).to_be_visible()
        assert page.locator(".opblock").count() > 20
    finally:
        context.close()
    assert elsewhere == []
    assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == [], problems
