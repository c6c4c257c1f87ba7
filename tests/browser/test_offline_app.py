"""The rep's offline app in real Chromium on a phone: works with no signal, syncs exactly once."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.app_helpers import (
    api_call,
    api_token,
    customers_named,
    existing_customer,
    go_offline,
    go_online,
    login_to_app,
    order_waiting_for_approval,
    queued_count,
    wait_for_first_sync,
    wait_for_queued,
    wait_for_sync,
)
from tests.browser.conftest import screenshot

AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
ACCESSIBILITY_PAGES = [
    "/app",
    "/app/customers",
    "/app/catalog",
    "/app/outbox",
    "/app/customers/new",
    "/app/commission",
]


def _fill_new_customer(
    page, name: str, street: str, email: str | None = None, wait: bool = True
) -> None:
    """Onboards through the form; each test uses its own name, e-mail and street, so the
    server's duplicate check (shared live server) never links them by accident."""
    slug = re.sub(r"[^a-z]+", "", name.lower())
    page.goto("/app/customers/new")
    page.get_by_label(re.compile("^Legal name")).fill(name)
    page.get_by_label("Contact name").fill("Robin Field")
    page.get_by_label("E-mail").fill(email or f"orders@{slug}.test")
    page.get_by_label("Street").fill(street)
    page.get_by_label("City").fill("Tacoma")
    page.get_by_label("State").fill("WA")
    page.get_by_label("Postal code").fill("98402")
    page.get_by_role("button", name="Create customer").click()
    if wait:
        page.wait_for_url(re.compile(r".*/app/customers/view\?id=[0-9a-f-]{36}$"))


def _outbox_item(page, label: str):
    return page.locator(".outbox-item", has_text=label)


def test_offline_rep_finds_and_onboards_a_customer_and_it_syncs_once(phone, live_server):
    context = phone.context
    login_to_app(phone)
    wait_for_first_sync(phone)
    assert queued_count(phone) == 0

    go_offline(context)
    reloaded = phone.reload()
    assert reloaded is not None and reloaded.from_service_worker  # the shell comes from the phone
    expect(phone.locator("#net-state")).to_have_text("Offline")

    # Search the local store with no signal.
    phone.get_by_role("link", name="Customers", exact=True).click()
    phone.wait_for_url(re.compile(r".*/app/customers$"))
    first = phone.locator("#customer-results a").first
    first.wait_for()
    name = first.locator("strong").inner_text()
    phone.get_by_label(re.compile("^Search by name")).fill(name.split()[0])
    match = phone.locator("#customer-results a", has_text=name).first
    match.click()
    expect(phone.get_by_role("heading", name=name)).to_be_visible()

    # Onboard offline: it waits in the outbox, visibly.
    _fill_new_customer(phone, "Harbour Lights Deli", "12 Harbour Rd")
    expect(phone.get_by_role("heading", name="Harbour Lights Deli")).to_be_visible()
    expect(phone.locator("#customer-sync")).to_contain_text("Waiting to sync")
    wait_for_queued(phone, 1)
    phone.get_by_role("link", name="Outbox").click()
    item = _outbox_item(phone, "New customer Harbour Lights Deli")
    expect(item).to_contain_text("Waiting to sync")

    # Back online: the outbox flushes by itself and shows the server's number.
    go_online(context)
    item.locator(".number").wait_for(timeout=15_000)
    number = item.locator(".number").inner_text()
    assert re.fullmatch(r"C-\d+", number), number
    assert "Accepted" in item.inner_text()
    wait_for_queued(phone, 0)
    screenshot(phone, "app-outbox-synced")

    held = customers_named(live_server, api_token(live_server), "Harbour Lights Deli")
    assert [c["number"] for c in held] == [number]


def test_the_phone_makes_time_ordered_ids(phone):
    login_to_app(phone)
    made = phone.evaluate("""async () => {
        const { newId } = await import("/static/js/ids.js");
        const before = Date.now();
        const ids = Array.from({ length: 200 }, () => newId());
        await new Promise((done) => setTimeout(done, 5));
        return { before, ids, later: newId(), after: Date.now() };
    }""")
    ids = made["ids"]
    assert len(set(ids)) == len(ids)
    for value in [*ids, made["later"]]:
        parsed = uuid.UUID(value)
        assert str(parsed) == value and parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert made["before"] <= uuid.UUID(ids[0]).int >> 80 <= made["after"]
    assert max(ids) < made["later"]  # made later, sorts later: new keys land together on the server


def test_a_reload_in_the_middle_of_a_flush_still_applies_once(phone, live_server):
    context = phone.context
    login_to_app(phone)
    wait_for_first_sync(phone)
    go_offline(context)
    _fill_new_customer(phone, "Midflight Noodle Bar", "88 Runway Ave")
    wait_for_queued(phone, 1)

    # The push reaches the server, which applies it; the answer is lost on the way back, and
    # the page reloads before the phone has heard anything. (Lost at once rather than held:
    # a route still held when it is removed is let through, and its late answer would settle
    # the item without the resend this test is about.)
    held = []

    def lose_answer(route):
        answer = route.fetch()
        try:
            route.abort()
        except PlaywrightError:
            # A retry of the push caught as the route was removed has been let through:
            # its answer comes back as a duplicate, which the checks below accept.
            return
        # Noted once the answer is lost, so the test goes on only after that.
        held.append((route, answer))

    # Every push the page sends, counted from the first: a retry may leave while the route is
    # still in place, before the reload, and it is a resend all the same.
    pushes: list[dict] = []
    phone.on(
        "request",
        lambda r: pushes.append(r.post_data_json) if r.url.endswith("/api/sync/v1/push") else None,
    )
    phone.route("**/api/sync/v1/push", lose_answer)
    go_online(context)
    for _ in range(100):
        if held:
            break
        phone.wait_for_timeout(100)
    assert held, "the push never left the phone"
    assert len(customers_named(live_server, api_token(live_server), "Midflight Noodle Bar")) == 1
    assert queued_count(phone) == 1  # the phone has not heard back

    first_seq = held[0][0].request.post_data_json["mutations"][0]["seq"]

    answers: list[dict] = []

    def answered(response) -> None:
        if response.url.endswith("/api/sync/v1/push"):
            try:
                answers.append(response.json())
            except Exception:
                pass

    phone.on("response", answered)
    phone.unroute("**/api/sync/v1/push")
    phone.goto("/app/outbox")

    item = _outbox_item(phone, "New customer Midflight Noodle Bar")
    item.locator(".number").wait_for(timeout=15_000)
    number = item.locator(".number").inner_text()
    wait_for_queued(phone, 0)
    held_now = customers_named(live_server, api_token(live_server), "Midflight Noodle Bar")
    assert [c["number"] for c in held_now] == [number]
    # After the reload the same submission went again under the same seq, and the server
    # answered from its memory instead of applying it twice.
    resent = pushes[1:]
    assert resent and all(m["seq"] == first_seq for r in resent for m in r["mutations"])
    # (A response whose page navigated away before it was read cannot be inspected.)
    outcomes = [o for a in answers for o in a["outcomes"]]
    assert all(o["duplicate"] is True and o["result"]["number"] == number for o in outcomes)


def test_online_onboarding_shows_the_duplicate_prompt_and_the_rep_can_confirm(phone, live_server):
    token = api_token(live_server)
    known = existing_customer(live_server, token)
    email = next(c["email"] for c in known["contacts"] if c["email"])
    login_to_app(phone)
    wait_for_first_sync(phone)
    _fill_new_customer(phone, "Second Branch Supplies", "1 Prompt St", email=email, wait=False)
    prompt = phone.locator("#duplicate-prompt")
    expect(prompt).to_contain_text("This customer may already exist")
    expect(prompt).to_contain_text(known["legal_name"])
    assert customers_named(live_server, token, "Second Branch Supplies") == []
    screenshot(phone, "app-duplicate-prompt")

    phone.get_by_role("button", name=re.compile("different customer")).click()
    phone.wait_for_url(re.compile(r".*/app/customers/view\?id=[0-9a-f-]{36}$"))
    expect(phone.get_by_role("heading", name="Second Branch Supplies")).to_be_visible()
    held = customers_named(live_server, token, "Second Branch Supplies")
    assert len(held) == 1
    expect(phone.locator("#customer")).to_contain_text(held[0]["number"])
    assert queued_count(phone) == 0  # online onboarding does not go through the outbox


def test_offline_duplicate_is_rejected_at_sync_with_its_reason(phone, live_server):
    token = api_token(live_server)
    known = existing_customer(live_server, token)
    email = next(c["email"] for c in known["contacts"] if c["email"])
    login_to_app(phone)
    wait_for_first_sync(phone)
    go_offline(phone.context)
    _fill_new_customer(phone, "Lookalike Trading", "9 Echo Rd", email=email)
    wait_for_queued(phone, 1)
    go_online(phone.context)
    resolution = phone.locator("#duplicate-resolution")
    expect(resolution).to_contain_text("may already exist", timeout=15_000)
    expect(resolution.locator(".candidate", has_text=known["legal_name"])).to_be_visible()
    phone.goto("/app/outbox")
    item = _outbox_item(phone, "New customer Lookalike Trading")
    expect(item).to_contain_text("What you can do")
    assert customers_named(live_server, token, "Lookalike Trading") == []


def test_an_expired_token_is_refreshed_and_a_lost_session_keeps_the_outbox_until_login(
    phone, live_server
):
    context = phone.context
    token = api_token(live_server)
    login_to_app(phone)
    wait_for_first_sync(phone)

    # The access token expired: the app refreshes it and the rep notices nothing.
    context.clear_cookies(name="fs_access")
    _fill_new_customer(phone, "Refresh Row Bakery", "3 Token Ln")
    held = customers_named(live_server, token, "Refresh Row Bakery")
    assert len(held) == 1
    expect(phone.locator("#customer")).to_contain_text(held[0]["number"])

    # The whole session is gone: the submission waits in the outbox, and says why.
    context.clear_cookies()
    _fill_new_customer(phone, "Lapsed Session Cafe", "4 Token Ln")
    wait_for_queued(phone, 1)
    expect(phone.locator("#session-banner")).to_be_visible()
    assert customers_named(live_server, token, "Lapsed Session Cafe") == []

    # The same rep logs in again: the outbox goes out by itself, once.
    login_to_app(phone)
    wait_for_sync(phone)
    wait_for_queued(phone, 0)
    held = customers_named(live_server, token, "Lapsed Session Cafe")
    assert len(held) == 1
    phone.goto("/app/outbox")
    expect(_outbox_item(phone, "New customer Lapsed Session Cafe").locator(".number")).to_have_text(
        held[0]["number"]
    )


def test_the_worker_precaches_every_shell_in_one_versioned_cache_and_never_the_api(
    phone, live_server
):
    with urllib.request.urlopen(live_server + "/sw.js") as answer:  # public, like /static
        assert answer.headers["Cache-Control"] == "no-cache"
        source = answer.read().decode()
    config = json.loads(re.search(r"const CONFIG = (\{.*?\});", source).group(1))
    for url in (
        "/app",
        "/app/customers",
        "/app/customers/view",
        "/app/customers/new",
        "/app/catalog",
        "/app/outbox",
        "/app/orders",
        "/app/commission",
        "/static/js/outbox.js",
        "/static/js/totals.js",
        "/static/app-shell.css",
        "/static/builder.css",
        "/manifest.webmanifest",
    ):
        assert url in config["precache"], url
    # Only what the app's pages use: a new phone downloads all of it on a slow connection.
    assert not [u for u in config["precache"] if u.startswith("/static/vendor/")]
    with urllib.request.urlopen(live_server + "/manifest.webmanifest") as answer:
        manifest = json.loads(answer.read())
    assert manifest["start_url"] == "/app" and manifest["display"] == "standalone"
    assert {"192x192", "512x512"} <= {i["sizes"] for i in manifest["icons"]}
    assert any(i["purpose"] == "maskable" for i in manifest["icons"])

    login_to_app(phone)
    wait_for_first_sync(phone)
    assert phone.evaluate("caches.keys()") == [f"fs-shell-{config['version']}"]
    cached = phone.evaluate(
        "caches.open(" + json.dumps(f"fs-shell-{config['version']}") + ")"
        ".then(c => c.keys()).then(rs => rs.map(r => new URL(r.url).pathname))"
    )
    assert sorted(cached) == sorted(config["precache"])
    assert not [u for u in cached if u.startswith("/api/")]


def test_main_app_pages_have_no_serious_accessibility_violations(phone):
    login_to_app(phone)
    wait_for_first_sync(phone)
    source = AXE.read_text(encoding="utf-8")
    for path in ACCESSIBILITY_PAGES:
        phone.goto(path)
        phone.locator("body[data-sync-state]").wait_for(state="attached")
        phone.wait_for_load_state("networkidle")
        # page.evaluate goes through DevTools, so the app's CSP (no inline scripts) stays on.
        phone.evaluate(source)
        violations = phone.evaluate(
            "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')))"
        )
        assert violations == [], f"{path}: {violations}"
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
        screenshot(
            phone,
            "app" + path.replace("/", "-").removeprefix("-app") if path != "/app" else "app-home",
        )


def test_waiting_changes_survive_a_logout_and_go_after_the_next_login(phone, live_server):
    login_to_app(phone)
    wait_for_first_sync(phone)
    go_offline(phone.context)
    _fill_new_customer(phone, "Logout Lane Florist", "7 Exit Way")
    wait_for_queued(phone, 1)

    phone.goto("/app")
    phone.route("**/api/sync/v1/push", lambda route: route.abort())  # the push keeps failing
    go_online(phone.context)
    phone.get_by_role("button", name="Log out").click()
    # The login page, whichever navigation gets there: a sync round refused after the
    # logout may send the page to it too, cutting the first navigation short.
    expect(phone).to_have_url(re.compile(r".*/login(\?.*)?$"))
    phone.unroute("**/api/sync/v1/push")
    assert customers_named(live_server, api_token(live_server), "Logout Lane Florist") == []

    login_to_app(phone)
    wait_for_sync(phone)
    wait_for_queued(phone, 0)
    held = customers_named(live_server, api_token(live_server), "Logout Lane Florist")
    assert len(held) == 1


def test_orders_list_and_detail_come_from_the_phone_with_states_and_timeline(phone, live_server):
    token = api_token(live_server)
    order = order_waiting_for_approval(live_server, token)
    login_to_app(phone)
    wait_for_first_sync(phone)
    go_offline(phone.context)

    phone.get_by_role("navigation", name="App").get_by_role("link", name="Orders").click()
    row = phone.locator("#orders-view a", has_text=order["number"])
    expect(row).to_contain_text("Needs approval")
    expect(row).to_contain_text("fulfilment Unallocated")
    row.click()
    view = phone.locator("#orders-view")
    expect(view.get_by_role("heading", name=f"Order {order['number']}")).to_be_visible()
    expect(view).to_contain_text("Not invoiced")
    expect(view).to_contain_text(order["approval_reasons"][0]["message"])
    expect(view.locator(".timeline li")).to_have_count(len(order["timeline"]))
    screenshot(phone, "app-order-detail")

    view.locator("a[href^='/app/customers/view']").click()
    expect(phone.locator("#customer")).to_contain_text(order["number"])


def test_the_phone_gains_and_loses_customers_with_its_reps_territories(phone, live_server):
    # Assigning a rep to a territory changes no customer, so the change feed alone would
    # never bring its customers to the phone, nor take them away when the assignment ends.
    admin = api_token(live_server, "admin@example.com")
    rep3 = api_token(live_server, "rep3@example.com")
    _, me = api_call(live_server, "GET", "/api/auth/me", token=rep3)
    visiting = existing_customer(live_server, api_token(live_server))  # one of rep1's
    assert api_call(live_server, "GET", f"/api/customers/{visiting['id']}", token=rep3)[0] == 404
    login_to_app(phone, "rep3@example.com")
    wait_for_first_sync(phone)

    def expect_phone_to_show(count: int) -> None:
        # The count line is written by the search of the phone's store, so it says when the
        # search has run: "0 customers" is an answer, not a page still loading.
        phone.goto("/app/customers")
        phone.get_by_label(re.compile("^Search by name")).fill(visiting["legal_name"])
        expect(phone.locator("#customer-count")).to_have_text(
            "1 customer" if count == 1 else f"{count} customers"
        )
        expect(phone.locator("#customer-results a", has_text=visiting["legal_name"])).to_have_count(
            count
        )

    expect_phone_to_show(0)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    status, assignment = api_call(
        live_server,
        "POST",
        "/api/territory-assignments",
        {
            "territory_id": visiting["territory_id"],
            "user_id": me["id"],
            "role": "member",
            "valid_from": yesterday,
        },
        token=admin,
    )
    assert status == 201, assignment
    ended = False
    try:
        phone.reload()
        wait_for_sync(phone)
        expect_phone_to_show(1)

        status, body = api_call(
            live_server,
            "POST",
            f"/api/territory-assignments/{assignment['id']}/end",
            {"on": date.today().isoformat()},
            token=admin,
        )
        assert status == 200, body
        ended = True
        phone.reload()
        wait_for_sync(phone)
        expect_phone_to_show(0)
    finally:
        if not ended:
            api_call(
                live_server,
                "POST",
                f"/api/territory-assignments/{assignment['id']}/end",
                {"on": date.today().isoformat()},
                token=admin,
            )
