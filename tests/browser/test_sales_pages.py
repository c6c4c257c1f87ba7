"""On a phone: a manager approves an order from the approval queue, the rep opens it.

The order is placed by the rep through the real HTTP API of the live demo server (the
order builder is a page of its own); everything after that happens in Chromium.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from typing import Any

from tests.browser.conftest import screenshot


def _login(page: Any, email: str, next_path: str) -> None:
    page.goto(f"/login?next={next_path}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo1234")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(f".*{re.escape(next_path)}$"))


def _no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def _api(
    base: str, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "content-type": "application/json",
            **({"authorization": f"Bearer {token}"} if token else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _order_waiting_for_approval(base: str) -> dict[str, Any]:
    """Sam (rep1) orders with 15 % off, above his 10 % limit, for one of his customers."""
    _, tokens = _api(
        base, "POST", "/api/auth/login", {"email": "rep1@example.com", "password": "demo1234"}
    )
    token = tokens["access_token"]
    _, customers = _api(base, "GET", "/api/customers?status=active&limit=10", token=token)
    customer = customers["items"][0]
    _, products = _api(
        base, "GET", f"/api/products?active=true&limit=50&customer_id={customer['id']}", token=token
    )
    for product in products["items"]:
        if product["price"] is None:
            continue
        body = {
            "customer_id": customer["id"],
            "po_number": "PO-PHONE-1",
            "lines": [
                {
                    "product_id": product["id"],
                    "quantity": product["min_order_qty"],
                    "discount_percent": "15",
                }
            ],
        }
        status, order = _api(base, "POST", "/api/orders", body, token=token)
        # A product whose floor price is within 15 % of its price refuses the discount: try the next.
        if status == 201 and order["status"] == "pending_approval":
            return dict(order)
    raise AssertionError("no demo product could be ordered at 15 % off")


def test_manager_approves_from_the_queue_and_the_rep_sees_the_verdict(phone, live_server):
    order = _order_waiting_for_approval(live_server)
    number = order["number"]

    _login(phone, "manager@example.com", "/")
    phone.get_by_role("link", name="Approvals").click()
    phone.wait_for_url(re.compile(r".*/approvals$"))
    row = phone.locator(f"#approval-{order['id']}")
    assert row.get_by_text(order["approval_reasons"][0]["message"]).is_visible()
    assert _no_horizontal_scroll(phone)
    screenshot(phone, "approval-queue")
    row.get_by_role("button", name=f"Approve {number}").click()
    verdict = phone.locator(f"#approval-{order['id']} [data-testid=verdict]")
    verdict.wait_for()
    assert "confirmed" in verdict.inner_text()
    assert phone.url.endswith("/approvals")  # the row changed in place, no page load
    screenshot(phone, "approval-decided")

    phone.get_by_role("button", name="Log out").click()
    _login(phone, "rep1@example.com", "/orders")
    phone.locator("#results tbody a", has_text=number).first.click()
    phone.wait_for_url(re.compile(r".*/orders/[0-9a-f-]{36}$"))
    assert phone.get_by_role("heading", name=f"Order {number}").is_visible()
    assert phone.get_by_test_id("status").inner_text() == "confirmed"
    timeline = phone.get_by_test_id("timeline")
    assert (
        "Maria Lopez" in timeline.inner_text()
        and "pending approval → confirmed" in timeline.inner_text()
    )
    assert _no_horizontal_scroll(phone)
    screenshot(phone, "order-detail")
