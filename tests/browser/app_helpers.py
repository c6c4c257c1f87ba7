"""Shared steps for browser tests of the rep's offline app (/app)."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

DEMO_PASSWORD = "demo1234"
SYNC_TIMEOUT_MS = 20_000


def login_to_app(page: Any, email: str = "rep1@example.com") -> None:
    """Log in through the web form; a rep lands on /app. The server allows a few logins a
    minute per client, and the whole browser suite shares one server: when throttled, wait
    as the server asks and log in again."""
    for _ in range(3):
        page.goto("/login")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        with page.expect_response(
            lambda r: r.request.method == "POST" and r.url.endswith("/login")
        ) as answer:
            page.get_by_role("button", name="Log in").click()
        if answer.value.status != 429:
            break
        headers = answer.value.headers
        time.sleep(
            min(61, int(headers.get("ratelimit-reset") or headers.get("retry-after") or "10") + 1)
        )
    page.wait_for_url(re.compile(r".*/app$"))


def wait_until(page: Any, expression: str, timeout: int = SYNC_TIMEOUT_MS) -> Any:
    """Polls a JavaScript expression until it is truthy. (The app's CSP forbids eval, which
    Playwright's wait_for_function needs; page.evaluate goes through DevTools instead.)"""
    deadline = time.monotonic() + timeout / 1000
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} ms: {expression}")
        time.sleep(0.1)


def wait_for_sync(page: Any, timeout: int = SYNC_TIMEOUT_MS) -> None:
    """Until the latest sync round (push, then pull) has finished successfully."""
    page.locator("body[data-sync-state='ok']").wait_for(state="attached", timeout=timeout)


def wait_for_first_sync(page: Any, timeout: int = SYNC_TIMEOUT_MS) -> None:
    """The store is filled and the service worker controls the page (so it works offline)."""
    wait_for_sync(page, timeout)
    wait_until(page, "navigator.serviceWorker.controller !== null", timeout)


def service_worker_fetch_fails(context: Any) -> bool:
    """True when a fetch made by the service worker itself gets no network."""
    workers = context.service_workers
    assert workers, "no service worker is running"
    outcome = workers[0].evaluate(
        "fetch('/healthz', {cache: 'no-store'}).then(() => 'reached', () => 'failed')"
    )
    return bool(outcome == "failed")


def go_offline(context: Any) -> None:
    context.set_offline(True)
    assert service_worker_fetch_fails(context), "the service worker still reaches the network"


def go_online(context: Any) -> None:
    context.set_offline(False)


def queued_count(page: Any) -> int:
    """The number of changes waiting to sync, as the header shows it."""
    return int(page.locator("#queued-count").get_attribute("data-count") or "0")


def wait_for_queued(page: Any, count: int, timeout: int = SYNC_TIMEOUT_MS) -> None:
    page.locator(f"#queued-count[data-count='{count}']").wait_for(state="attached", timeout=timeout)


def api_call(
    base: str, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    """A plain HTTP call to the live server, outside the browser (the server's own view)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("accept", "application/json")
    if data is not None:
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


_TOKENS: dict[tuple[str, str], str] = {}


def api_token(base: str, email: str = "rep1@example.com") -> str:
    """An access token for checking the server's side; one login per user and server, as
    logins are throttled."""
    key = (base, email)
    if key not in _TOKENS:
        for _ in range(3):
            status, body = api_call(
                base, "POST", "/api/auth/login", {"email": email, "password": DEMO_PASSWORD}
            )
            if status != 429:
                break
            time.sleep(11)
        assert status == 200, body
        _TOKENS[key] = str(body["access_token"])
    return _TOKENS[key]


def customers_named(base: str, token: str, name: str) -> list[dict[str, Any]]:
    """Customers with exactly this legal name, as the server holds them."""
    query = urllib.parse.urlencode({"q": name, "limit": 200})
    status, body = api_call(base, "GET", f"/api/customers/?{query}", token=token)
    assert status == 200, body
    return [c for c in body["items"] if c["legal_name"] == name]


def existing_customer(base: str, token: str) -> dict[str, Any]:
    """A customer the rep can see that has a contact e-mail (to trip the duplicate check)."""
    status, page = api_call(base, "GET", "/api/customers/?limit=50", token=token)
    assert status == 200, page
    for summary in page["items"]:
        _, detail = api_call(base, "GET", f"/api/customers/{summary['id']}", token=token)
        if any(c["email"] for c in detail["contacts"]):
            return dict(detail)
    raise AssertionError("no customer with a contact e-mail in the demo data")


def order_waiting_for_approval(base: str, token: str) -> dict[str, Any]:
    """An order by rep1 at 15 % off (above his limit) for one of his active customers."""
    _, customers = api_call(base, "GET", "/api/customers/?status=active&limit=10", token=token)
    customer = customers["items"][0]
    _, products = api_call(
        base, "GET", f"/api/products?active=true&limit=50&customer_id={customer['id']}", token=token
    )
    for product in products["items"]:
        if product["price"] is None:
            continue
        body = {
            "customer_id": customer["id"],
            "lines": [
                {
                    "product_id": product["id"],
                    "quantity": product["min_order_qty"],
                    "discount_percent": "15",
                }
            ],
        }
        status, order = api_call(base, "POST", "/api/orders", body, token=token)
        # A floor price within 15 % of the price refuses the discount: try the next product.
        if status == 201 and order["status"] == "pending_approval":
            return dict(order)
    raise AssertionError("no demo product could be ordered at 15 % off")
